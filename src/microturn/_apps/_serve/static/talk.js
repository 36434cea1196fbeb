// The "Start talking" / "Stop" control: the microphone is off until the user starts it, and off again when
// they stop it (its tracks stopped, so the browser no longer shows it in use); the conversation goes on
// either way, and typing always works.
//
// States: "off" (the button says Start talking), "starting" (the browser may be asking the user), "on"
// (Stop, with the listening indicator), "ended" (the conversation closed: the button is disabled).

const PROBLEMS = {
  NotAllowedError:
    "The microphone is blocked for this page. Allow it (the microphone or lock icon in the address bar, or this " +
    "site's settings in the browser), then press Start talking again.",
  NotFoundError:
    "No microphone was found. Plug one in or pick one in your system's sound settings, then press Start talking " +
    "again.",
  NotReadableError:
    "The microphone could not be opened: another program may be using it. Close that program, then press Start " +
    "talking again.",
  InsecurePage:
    "This browser lets only secure pages use the microphone. Open the page as http://localhost (on the computer " +
    "that runs microturn serve) or over https.",
};
PROBLEMS.SecurityError = PROBLEMS.NotAllowedError;
PROBLEMS.OverconstrainedError = PROBLEMS.NotFoundError;
PROBLEMS.AbortError = PROBLEMS.NotReadableError;

export class Talk {
  // button: the toggle; indicator: shown while listening; problem: where a refusal is explained;
  // onStop: told when the user stops the microphone (the page tells the server).
  constructor({ button, indicator, problem, microphone, context, stats, onStop }) {
    Object.assign(this, { button, indicator, problem, microphone, context, stats, onStop });
    this.state = "off";
    button.addEventListener("click", () => this.toggle());
  }

  show() {
    this.button.hidden = false;
    this.set(this.state);
  }

  async toggle() {
    if (this.state === "on") this.stop();
    else if (this.state === "off") await this.start();
  }

  async start() {
    this.set("starting");
    try {
      await this.context.resume(); // the click lets the page play (and capture) audio
      await this.microphone.start();
    } catch (error) {
      this.set(this.state === "ended" ? "ended" : "off");
      this.explain(error);
      return;
    }
    if (this.state === "ended") {
      this.microphone.stop(); // the conversation closed while the browser was asking
      return;
    }
    this.problem.hidden = true;
    this.stats.micProblem = null;
    this.set("on");
  }

  stop() {
    this.microphone.stop();
    this.set("off");
    this.onStop();
  }

  end() {
    if (this.microphone.live) this.microphone.stop();
    this.set("ended");
  }

  set(state) {
    this.state = state;
    this.stats.mic = state;
    const on = state === "on";
    this.button.textContent = on ? "Stop" : state === "starting" ? "Starting…" : "Start talking";
    this.button.setAttribute("aria-pressed", String(on));
    this.button.disabled = state === "starting" || state === "ended";
    this.button.classList.toggle("live", on);
    this.indicator.hidden = !on;
  }

  explain(error) {
    const why = PROBLEMS[error?.name] ?? `The microphone could not start (${error?.message ?? error}).`;
    const message = `${why} You can still type below.`;
    this.stats.micProblem = message;
    this.problem.textContent = message;
    this.problem.hidden = false;
  }
}
