// The scrolling timeline: the user's speech (by voice activity, labelled with its words) and typing,
// the agent's speech, overlaps and background jobs on one time axis (session seconds), drawn from
// the session's events as they arrive.

const PIXELS_PER_SECOND = 48;
const RULER_EVERY = 5; // seconds between ruler labels
const JOIN_GAP = 0.3; // spoken words closer than this join into one bar
const TAIL = 3; // seconds of empty track kept ahead of now

export class Timeline {
  constructor(root) {
    this.scroller = root.querySelector("#lanes");
    this.track = root.querySelector("#track");
    this.ruler = root.querySelector("#ruler");
    this.lanes = {
      user: root.querySelector("#lane-user"),
      agent: root.querySelector("#lane-agent"),
      jobs: root.querySelector("#lane-jobs"),
    };
    this.now = 0;
    this.marked = 0; // ruler labels drawn up to here
    this.speech = null; // the user's speech in progress, by voice activity: {element, start}
    this.heard = null; // the speech that ended last: {element, end}
    this.userBar = null; // the latest bar of spoken words without voice activity: {element, start, end}
    this.agentBars = new Map(); // utterance -> {element, start, words}
    this.jobBars = new Map(); // job -> {element, start}
    this.jobRows = 0;
  }

  feed(event) {
    const t = event.t ?? 0;
    switch (event.kind) {
      case "UserSpeechStarted": // voice activity: the bar grows until the speech ends
        this.speech = { element: this.bar("user", t, 0, "spoken", ""), start: t };
        break;
      case "UserSpeechEnded":
        if (this.speech) {
          place(this.speech.element, this.speech.start, t - this.speech.start);
          this.heard = { element: this.speech.element, end: t };
        }
        this.speech = null;
        break;
      case "UserTranscript": // the accurate text of the speech that ended replaces its rough words
        if (event.final && this.heard) label(this.heard.element, event.text);
        break;
      case "UserInput": {
        if (event.modality !== "spoken") {
          this.bar("user", t, Math.max(event.duration ?? 0, 0.15), "typed", event.text);
          break;
        }
        // The last words of a stretch of speech may be recognised just after voice activity ends.
        const heard = this.speech ?? (this.heard && t - this.heard.end <= JOIN_GAP ? this.heard : null);
        if (heard) label(heard.element, `${heard.element.textContent} ${event.text}`.trim());
        else this.spoken(t, event.duration ?? 0, event.text);
        break;
      }
      case "AgentSpeechStarted": {
        const element = this.bar("agent", t, 0, `agent ${event.purpose ?? "reply"}`, "");
        this.agentBars.set(event.utterance, { element, start: t, words: [] });
        break;
      }
      case "AgentWord": {
        const bar = this.agentBars.get(event.utterance);
        if (bar) {
          bar.words.push(event.word);
          label(bar.element, bar.words.join(" "));
        }
        break;
      }
      case "AgentSpeechEnded": {
        const bar = this.agentBars.get(event.utterance);
        if (bar) {
          place(bar.element, bar.start, t - bar.start);
          if (event.reason !== "completed") bar.element.classList.add("cut");
          this.agentBars.delete(event.utterance);
        }
        break;
      }
      case "Overlap":
        this.overlap(event.started, event.duration);
        break;
      case "JobRequested": {
        const element = this.bar("jobs", t, 0, "job", event.task);
        element.style.top = `${(this.jobRows++ % 2) * 50}%`;
        this.jobBars.set(event.job, { element, start: t });
        break;
      }
      case "JobProgress":
        this.jobNote(event.job, event.text);
        break;
      case "JobResult":
      case "JobFailed": {
        const bar = this.jobBars.get(event.job);
        if (bar) {
          place(bar.element, bar.start, t - bar.start);
          bar.element.classList.add(event.kind === "JobFailed" ? "failed" : "done");
          bar.element.title += `\n${event.kind === "JobFailed" ? event.reason : event.text}`;
          this.jobBars.delete(event.job);
        }
        break;
      }
    }
    this.advance(t);
  }

  // Move "now" forward (session seconds): open bars grow, the ruler extends, the view follows.
  advance(now) {
    if (now <= this.now) return;
    const following = this.scroller.scrollLeft + this.scroller.clientWidth >= this.scroller.scrollWidth - 8;
    this.now = now;
    if (this.speech) place(this.speech.element, this.speech.start, now - this.speech.start);
    for (const bar of this.agentBars.values()) place(bar.element, bar.start, now - bar.start);
    for (const bar of this.jobBars.values()) place(bar.element, bar.start, now - bar.start);
    this.track.style.width = `${Math.max(this.scroller.clientWidth, (now + TAIL) * PIXELS_PER_SECOND)}px`;
    while (this.marked <= now + TAIL) {
      const mark = document.createElement("span");
      mark.textContent = `${this.marked} s`;
      mark.style.left = `${this.marked * PIXELS_PER_SECOND}px`;
      this.ruler.append(mark);
      this.marked += RULER_EVERY;
    }
    if (following) this.scroller.scrollLeft = this.scroller.scrollWidth;
  }

  spoken(t, duration, text) {
    const bar = this.userBar;
    if (bar && t - bar.end <= JOIN_GAP) {
      bar.end = Math.max(bar.end, t + duration);
      place(bar.element, bar.start, bar.end - bar.start);
      label(bar.element, `${bar.element.textContent} ${text}`.trim());
      return;
    }
    const element = this.bar("user", t, duration, "spoken", text);
    this.userBar = { element, start: t, end: t + duration };
  }

  overlap(started, duration) {
    const band = document.createElement("div");
    band.className = "overlap";
    band.title = `overlap: ${duration.toFixed(1)} s`;
    place(band, started, duration);
    this.track.append(band);
  }

  jobNote(job, text) {
    const bar = this.jobBars.get(job);
    if (bar) bar.element.title += `\n${text}`;
  }

  bar(lane, start, duration, kind, text) {
    const element = document.createElement("div");
    element.className = `bar ${kind}`;
    place(element, start, duration);
    label(element, text);
    this.lanes[lane].append(element);
    return element;
  }
}

function place(element, start, duration) {
  element.style.left = `${start * PIXELS_PER_SECOND}px`;
  element.style.width = `${Math.max(3, duration * PIXELS_PER_SECOND)}px`;
}

function label(element, text) {
  element.textContent = text;
  element.title = text;
}
