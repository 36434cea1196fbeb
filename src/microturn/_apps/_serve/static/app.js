// The page: one WebSocket conversation with the agent (the protocol is in microturn/_serve/__init__.py).

import { INPUT_RATE, Microphone, Player, newContext } from "./audio.js";
import { Talk } from "./talk.js";
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
  mic: "off", // the microphone control: "off" until the user starts it, "starting", "on", "ended"
  micProblem: null, // why the microphone could not start, as the page says it
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
  partials: 0, // rough transcripts, each shown as tentative until its stretch's final one replaces it
  transcripts: [], // final transcripts, in order
  replies: [], // what the agent delivered, one entry per utterance
  errors: [],
  kinds: {}, // event kind -> count
  closed: null, // {code, reason}
};
window.__microturn = stats;

const timeline = new Timeline($("timeline"));
const lines = $("lines");
let socket = null;
let audio = null; // {context, player, talk} once voice is on
let pendingAudio = null; // the header of the binary frame to come
let typed = ""; // typed input since the last submit, as the session saw it
let clockBase = null; // {t, at}: the latest event's session time and when it arrived
const agentLines = new Map(); // utterance -> line element
const heardLines = new Map(); // stretch of speech -> its line, while its text is tentative
const jobTasks = new Map(); // background job -> its task, until it ends

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
    audio?.talk.end();
  };
}

function addNote(text) {
  const note = document.createElement("li");
  note.className = "note";
  note.textContent = text;
  lines.append(note);
  note.scrollIntoView({ block: "end" });
  return note;
}

// How a background job ended, where the user is reading: its whole result (the agent may say only the
// gist of it) or why it failed.
function jobEnded(job, outcome, text) {
  const note = addNote(`${outcome}: ${jobTasks.get(job) ?? "a job"}`);
  jobTasks.delete(job);
  const body = document.createElement("p");
  body.className = "result";
  body.textContent = text;
  note.append(body);
  body.scrollIntoView({ block: "end" });
}

// What the user is heard saying: one line per stretch of speech, tentative (greyed) while the text is
// rough, then replaced in place by the final text (or removed, if nothing was made out).
function heard({ stretch, text, final }) {
  let line = heardLines.get(stretch);
  if (!final) {
    stats.partials += 1;
    if (!line) {
      line = addLine("user", "", "spoken tentative");
      line.setAttribute("aria-hidden", "true"); // not read out until it is final
      heardLines.set(stretch, line);
    }
    line.querySelector(".text").textContent = text;
    return;
  }
  heardLines.delete(stretch);
  if (!text) return line?.remove();
  stats.transcripts.push(text);
  line ??= addLine("user", "", "spoken");
  line.classList.remove("tentative");
  line.removeAttribute("aria-hidden");
  line.querySelector(".text").textContent = text;
}

function receive(message) {
  switch (message.type) {
    case "ready":
      stats.session = message.session;
      stats.voice = message.voice;
      stats.readyAt = performance.now();
      setState("connected", message.voice === "off" ? "connected · typing only" : "connected");
      lines.dataset.hint =
        message.voice === "off" ? "Type below to talk with the agent." : "Press Start talking to talk, or type below.";
      if (message.voice !== "off") voiceOn();
      break;
    case "event":
      onEvent(message.event.e);
      break;
    case "transcript":
      heard(message);
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
      jobTasks.set(event.job, event.task);
      addNote(`working in the background: ${event.task}`);
      break;
    case "JobResult":
      jobEnded(event.job, "done in the background", event.text);
      break;
    case "JobFailed":
      jobEnded(event.job, "failed in the background", event.reason);
      break;
    case "SessionEnded":
      addNote(`session ended: ${event.reason}`);
      break;
  }
}

// The agent's voice plays from the start (once the browser lets the page play audio: after a click or a
// key); the microphone waits for the user to start it.
function voiceOn() {
  const context = newContext();
  const microphone = new Microphone(context, (frame) => {
    if (socket?.readyState !== WebSocket.OPEN) return;
    socket.send(frame);
    stats.framesSent += 1;
    stats.bytesSent += frame.byteLength;
    stats.micStartedAt ??= performance.now();
  });
  const talk = new Talk({
    button: $("mic"),
    indicator: $("listening"),
    problem: $("mic-problem"),
    microphone,
    context,
    stats,
    onStop: () => {
      if (socket?.readyState === WebSocket.OPEN) socket.send(JSON.stringify({ type: "mic_off" }));
    },
  });
  audio = { context, player: new Player(context, stats), talk };
  talk.show();
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
  audio?.context.resume(); // typing is a gesture too: the agent's answer may be heard
  socket.send(JSON.stringify({ type: "text", text }));
  input.value = "";
});

connect();
requestAnimationFrame(tick);
