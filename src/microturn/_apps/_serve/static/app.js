// The page: one WebSocket conversation with the agent (the protocol is in microturn/_serve/__init__.py).

import { INPUT_RATE, Microphone, Player, newContext } from "./audio.js";
import { Timeline } from "./timeline.js";

const $ = (id) => document.getElementById(id);
const CLOSE_REASONS = {
  4401: "refused: wrong or missing token. Open the URL that microturn serve printed.",
  1013: "the server is busy (too many conversations); try again later.",
  1009: "a message was too large; the server closed the connection.",
  1011: "the conversation failed on the server.",
  1012: "the server stopped.",
  1006: "the connection to the server was lost.",
};

// Everything a test (or a curious person, in the console) may want to look at.
const stats = {
  state: "connecting",
  session: null,
  voice: null,
  readyAt: null, // performance.now() (ms since the page began loading) when the conversation opened
  framesSent: 0,
  bytesSent: 0,
  micStartedAt: null, // performance.now() when the first microphone frame went out
  audioChunks: 0,
  audioBytes: 0,
  chunksScheduled: 0,
  chunksPlayed: 0,
  secondsPlayed: 0,
  firstAudioAt: null,
  flushes: 0,
  chunksCut: 0, // chunks stopped (or dropped before they began) by a flush
  partials: 0,
  transcripts: [], // final transcripts, in order
  replies: [], // what the agent delivered, one entry per utterance
  errors: [],
  kinds: {}, // event kind -> count
  closed: null, // {code, reason}
};
window.__microturn = stats;

const timeline = new Timeline($("timeline"));
const lines = $("lines");
const partial = $("partial");
let socket = null;
let audio = null; // {context, microphone, player} once voice is on
let pendingAudio = null; // the header of the binary frame to come
let typed = ""; // typed input since the last submit, as the session saw it
let clockBase = null; // {t, at}: the latest event's session time and when it arrived
const agentLines = new Map(); // utterance -> line element

function setState(state, text) {
  stats.state = state;
  const status = $("status");
  status.dataset.state = state;
  status.textContent = text ?? state;
  const usable = state === "connected";
  $("text").disabled = !usable;
  $("send").disabled = !usable;
}

function showError(message) {
  stats.errors.push(message);
  const box = $("error");
  box.textContent = message;
  box.hidden = false;
}

function addLine(who, text, extra = "") {
  const line = document.createElement("li");
  line.className = `line ${who} ${extra}`.trim();
  const speaker = document.createElement("span");
  speaker.className = "who";
  speaker.textContent = who === "user" ? "you" : "agent";
  const body = document.createElement("span");
  body.className = "text";
  body.textContent = text;
  line.append(speaker, body);
  lines.append(line);
  line.scrollIntoView({ block: "end" });
  return line;
}

function connect() {
  const token = new URLSearchParams(location.search).get("token");
  if (!token) {
    setState("closed", "no token");
    showError("This page needs the token in its URL: open the link that microturn serve printed.");
    return;
  }
  const url = new URL("ws", location.href);
  url.protocol = location.protocol === "https:" ? "wss:" : "ws:";
  url.search = new URLSearchParams({ token }).toString();
  socket = new WebSocket(url);
  socket.binaryType = "arraybuffer";
  socket.onopen = () => {
    setState("connected", "connected");
    socket.send(JSON.stringify({ type: "hello", sample_rate: INPUT_RATE }));
  };
  socket.onmessage = (message) => {
    if (typeof message.data === "string") receive(JSON.parse(message.data));
    else receiveAudio(message.data);
  };
  socket.onclose = (close) => {
    stats.closed = { code: close.code, reason: close.reason };
    const why = CLOSE_REASONS[close.code] ?? (close.reason || `connection closed (${close.code})`);
    setState("closed", "disconnected");
    if (close.code !== 1000) showError(why);
    else addNote(`conversation ended: ${close.reason || "closed"}. Reload the page to start a new one.`);
    audio?.microphone.stream?.getTracks().forEach((track) => track.stop());
  };
}

function addNote(text) {
  const note = document.createElement("li");
  note.className = "note";
  note.textContent = text;
  lines.append(note);
}

function receive(message) {
  switch (message.type) {
    case "ready":
      stats.session = message.session;
      stats.voice = message.voice;
      stats.readyAt = performance.now();
      setState("connected", message.voice === "off" ? "connected · typing only" : "connected");
      lines.dataset.hint = message.voice === "off" ? "Type below to talk with the agent." : "Talk, or type below.";
      if (message.voice !== "off") startAudio();
      break;
    case "event":
      onEvent(message.event.e);
      break;
    case "transcript":
      if (message.final) {
        partial.textContent = "";
        if (message.text) {
          stats.transcripts.push(message.text);
          addLine("user", message.text);
        }
      } else {
        stats.partials += 1;
        partial.textContent = message.text;
      }
      break;
    case "audio":
      pendingAudio = message;
      break;
    case "flush":
      stats.flushes += 1;
      audio?.player.flush(message.utterance);
      break;
    case "error":
      showError(`server: ${message.message}`);
      break;
  }
}

function receiveAudio(data) {
  const header = pendingAudio;
  pendingAudio = null;
  if (!header) return showError("audio arrived without its header; ignored");
  stats.audioChunks += 1;
  stats.audioBytes += data.byteLength;
  if (stats.firstAudioAt === null) stats.firstAudioAt = performance.now();
  audio?.player.play(header.utterance, header.sample_rate, data);
}

function onEvent(event) {
  stats.kinds[event.kind] = (stats.kinds[event.kind] ?? 0) + 1;
  clockBase = { t: event.t ?? 0, at: performance.now() };
  timeline.feed(event);
  switch (event.kind) {
    case "UserInput":
      if (event.modality !== "spoken") typed += event.text;
      break;
    case "UserErase":
      typed = typed.slice(0, Math.max(0, typed.length - event.count));
      break;
    case "UserSubmit":
      if (typed) addLine("user", typed, "typed");
      typed = "";
      break;
    case "AgentSpeechStarted":
      agentLines.set(event.utterance, addLine("agent", "", event.purpose ?? "reply"));
      break;
    case "AgentWord": {
      const line = agentLines.get(event.utterance);
      if (line) {
        const text = line.querySelector(".text");
        text.textContent = `${text.textContent} ${event.word}`.trim();
      }
      break;
    }
    case "AgentSpeechEnded":
      stats.replies.push(event.delivered);
      if (event.reason !== "completed") agentLines.get(event.utterance)?.classList.add("cut");
      agentLines.delete(event.utterance);
      break;
    case "JobRequested":
      addNote(`working in the background: ${event.task}`);
      break;
    case "JobFailed":
      addNote(`background job failed: ${event.reason}`);
      break;
    case "SessionEnded":
      addNote(`session ended: ${event.reason}`);
      break;
  }
}

async function startAudio() {
  const context = newContext();
  const microphone = new Microphone(context, (frame) => {
    if (socket?.readyState !== WebSocket.OPEN) return;
    socket.send(frame);
    stats.framesSent += 1;
    stats.bytesSent += frame.byteLength;
    stats.micStartedAt ??= performance.now();
  });
  audio = { context, microphone, player: new Player(context, stats) };
  const button = $("mic");
  let listening = true;
  try {
    await microphone.start();
  } catch (error) {
    listening = false; // the agent's voice can still play, in answer to typing
    showError(`microphone: ${error.message}. You can still type.`);
  }
  const label = () => {
    const waiting = context.state !== "running"; // browsers keep audio off until the page is clicked
    button.hidden = !waiting && !listening;
    if (waiting) button.textContent = "Start audio";
    else button.textContent = microphone.muted ? "Unmute microphone" : "Mute microphone";
    button.classList.toggle("attention", waiting);
    button.classList.toggle("off", !waiting && microphone.muted);
  };
  button.onclick = async () => {
    if (context.state !== "running") await context.resume();
    else if (listening) microphone.muted = !microphone.muted;
    label();
  };
  context.onstatechange = label;
  label();
}

function tick() {
  if (clockBase && stats.state === "connected") {
    timeline.advance(clockBase.t + (performance.now() - clockBase.at) / 1000);
  }
  requestAnimationFrame(tick);
}

$("compose").addEventListener("submit", (submit) => {
  submit.preventDefault();
  const input = $("text");
  const text = input.value.trim();
  if (!text || socket?.readyState !== WebSocket.OPEN) return;
  socket.send(JSON.stringify({ type: "text", text }));
  input.value = "";
});

connect();
requestAnimationFrame(tick);
