// Audio in and out: the microphone as 16 kHz PCM frames, and the agent's speech played gap-free.

export const INPUT_RATE = 16000;
const FRAME_SAMPLES = 320; // 20 ms at 16 kHz
const START_LEAD = 0.03; // seconds between a new utterance's first chunk arriving and playing it

// One AudioContext for both directions; in a browser it starts suspended until the user acts.
export function newContext() {
  return new AudioContext({ latencyHint: "interactive" });
}

// The microphone, only while the user has it on. start() asks the browser for it (the browser asks the
// user the first time) and streams frames to onFrame; stop() stops its tracks, so the browser no longer
// shows it in use, and disconnects the capture. It can start again after a stop.
export class Microphone {
  constructor(context, onFrame) {
    this.context = context;
    this.onFrame = onFrame;
    this.stream = null;
    this.nodes = [];
    this.loading = null; // the worklet module, loaded on the first start
  }

  get live() {
    return this.stream !== null;
  }

  async start() {
    if (!navigator.mediaDevices?.getUserMedia) throw new InsecurePage();
    this.loading ??= this.context.audioWorklet.addModule(new URL("worklet.js", import.meta.url));
    try {
      await this.loading;
    } catch (error) {
      this.loading = null; // try again on the next start
      throw error;
    }
    const stream = await navigator.mediaDevices.getUserMedia({
      audio: { echoCancellation: true, noiseSuppression: true, autoGainControl: true, channelCount: 1 },
    });
    const source = this.context.createMediaStreamSource(stream);
    const capture = new AudioWorkletNode(this.context, "microturn-capture", {
      processorOptions: { targetRate: INPUT_RATE, frameSamples: FRAME_SAMPLES },
    });
    capture.port.onmessage = (message) => this.onFrame(message.data);
    // A node that reaches no destination may never be pulled: connect through silence.
    const mute = new GainNode(this.context, { gain: 0 });
    source.connect(capture).connect(mute).connect(this.context.destination);
    this.stream = stream;
    this.nodes = [source, capture, mute];
  }

  stop() {
    for (const track of this.stream?.getTracks() ?? []) track.stop();
    for (const node of this.nodes) node.disconnect();
    if (this.nodes.length) this.nodes[1].port.onmessage = null; // a frame already posted is dropped
    this.stream = null;
    this.nodes = [];
  }
}

// Browsers offer the microphone only to secure pages (https, or http on localhost).
export class InsecurePage extends Error {
  constructor() {
    super("this browser offers the microphone only to secure pages");
    this.name = "InsecurePage";
  }
}

// Plays chunks of agent speech in order, each starting where the last one ends. flush() stops an
// utterance at once, dropping what is scheduled of it; chunks sent after the flush (the agent
// resuming after a false interruption) play again.
export class Player {
  constructor(context, stats) {
    this.context = context;
    this.stats = stats;
    this.nextStart = 0;
    this.playing = new Map(); // utterance -> Set of AudioBufferSourceNode
  }

  play(utterance, sampleRate, pcm) {
    const samples = new Int16Array(pcm);
    if (samples.length === 0) return false;
    const buffer = this.context.createBuffer(1, samples.length, sampleRate);
    const channel = buffer.getChannelData(0);
    for (let i = 0; i < samples.length; i++) channel[i] = samples[i] / 32768;
    const source = new AudioBufferSourceNode(this.context, { buffer });
    source.connect(this.context.destination);
    const start = Math.max(this.context.currentTime + START_LEAD, this.nextStart);
    this.nextStart = start + buffer.duration;
    const sources = this.playing.get(utterance) ?? new Set();
    sources.add(source);
    this.playing.set(utterance, sources);
    source.onended = () => {
      sources.delete(source);
      if (!source.stopped) {
        this.stats.chunksPlayed += 1;
        this.stats.secondsPlayed += buffer.duration;
      }
    };
    source.start(start);
    this.stats.chunksScheduled += 1;
    return true;
  }

  flush(utterance) {
    for (const source of this.playing.get(utterance) ?? []) {
      source.stopped = true;
      source.stop();
      this.stats.chunksCut += 1;
    }
    this.playing.delete(utterance);
    this.nextStart = this.context.currentTime;
  }

  get active() {
    for (const sources of this.playing.values()) if (sources.size) return true;
    return false;
  }
}
