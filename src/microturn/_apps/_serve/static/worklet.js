// The microphone, in the audio thread: downsample to 16 kHz and post s16le frames to the page.
//
// Each output sample is the mean of the input samples in its window (a box filter: enough to keep
// speech from aliasing when going from 44.1 or 48 kHz down to 16 kHz). A full frame is posted as a
// transferred ArrayBuffer; Int16Array is little-endian on every platform browsers run on.

class Capture extends AudioWorkletProcessor {
  constructor(options) {
    super();
    const { targetRate = 16000, frameSamples = 320 } = options.processorOptions ?? {};
    this.step = sampleRate / targetRate; // sampleRate: the AudioContext's, a global in this scope
    this.frameSamples = frameSamples;
    this.frame = new Int16Array(frameSamples);
    this.filled = 0;
    this.sum = 0;
    this.count = 0;
    this.position = 0;
  }

  process(inputs) {
    const channels = inputs[0];
    if (!channels || channels.length === 0) return true; // no input connected yet
    const input = channels[0];
    for (let i = 0; i < input.length; i++) {
      this.sum += input[i];
      this.count += 1;
      this.position += 1;
      if (this.position < this.step) continue;
      this.position -= this.step;
      const value = Math.max(-1, Math.min(1, this.sum / this.count));
      this.frame[this.filled++] = value < 0 ? value * 0x8000 : value * 0x7fff;
      this.sum = 0;
      this.count = 0;
      if (this.filled === this.frameSamples) {
        this.port.postMessage(this.frame.buffer, [this.frame.buffer]); // transferred: this.frame is now empty
        this.frame = new Int16Array(this.frameSamples);
        this.filled = 0;
      }
    }
    return true;
  }
}

registerProcessor("microturn-capture", Capture);
