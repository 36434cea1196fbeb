// Zoom and pan for the timeline page, inlined into it (no network, no build step).
//
// The roll's time area positions every mark as a percentage of its width, so zooming is setting two
// widths; labels that do not fit at a zoom are hidden by CSS classes (levels of detail, `z1 … zN` on
// the roll); the axis is redrawn for the zoom and the part in view. Opens fitted to the width.
// Buttons − + Fit, Ctrl/⌘+wheel or a pinch zooms around the pointer, drag or wheel pans, keys + − 0 ← →,
// and the overview above the roll shows (and moves) the part in view.
(() => {
  const picture = document.querySelector(".picture");
  const roll = picture?.querySelector("svg.roll");
  if (!roll) return;
  const time = roll.querySelector("svg.time");
  const axis = time.querySelector("g.axis");
  const scroller = picture.querySelector(".scroller");
  const bar = document.querySelector(".zoom-bar");
  const overview = document.querySelector(".overview");
  const view = overview.querySelector(".view");
  const readout = bar.querySelector(".zoom-readout");
  const s = JSON.parse(roll.dataset.zoom);
  const chunks = [...time.querySelectorAll("g.chunk")].map((element) => ({
    element,
    from: Number(element.dataset.from),
    to: Number(element.dataset.to),
    shown: true,
  }));
  const NS = "http://www.w3.org/2000/svg";
  const height = Number(roll.getAttribute("height"));
  let zoom = 1;
  let level = -1;
  let fitted = false;
  let pending = false;

  const pps = () => s.px * zoom; // pixels per second now
  // Room past the end of the session for the labels of the last marks at zoom z (more when zoomed out).
  const extra = (z) => Math.max(0, ...s.ends.map(([t, px]) => px - (s.shown - t) * s.px * z));
  // The zoom at which the session and the labels past its end just fill the view: each end's width
  // (its start at z, plus its labels) grows with z, so the fit is the least zoom at which one fills it.
  function fitZoom() {
    const room = scroller.clientWidth - 2 * s.margin;
    const each = s.ends.filter(([t]) => t > 0).map(([t, px]) => (room - px) / (t * s.px));
    return Math.max(s.min, Math.min(room / (s.shown * s.px), ...each));
  }
  const clamp = (z) => Math.min(Math.max(s.max, fitZoom()), Math.max(fitZoom(), z));
  const timeAt = (px) => (scroller.scrollLeft + px - s.margin) / pps(); // seconds under px from the left edge

  // Only the marks within a screen of the view are laid out (labels run on a little past their marks).
  function showNear() {
    const reach = scroller.clientWidth / pps();
    const from = timeAt(0) - reach;
    const to = timeAt(scroller.clientWidth) + reach;
    for (const chunk of chunks) {
      const near = chunk.to >= from && chunk.from <= to;
      if (near !== chunk.shown) {
        chunk.shown = near;
        chunk.element.style.display = near ? "" : "none";
      }
    }
  }

  function setZoom(z, anchor = scroller.clientWidth / 2) {
    const t = timeAt(anchor);
    zoom = clamp(z);
    const width = s.shown * pps();
    time.setAttribute("width", width.toFixed(2));
    roll.setAttribute("width", (width + 2 * s.margin + extra(zoom)).toFixed(2));
    const now = Math.min(s.levels, Math.max(0, Math.floor(s.perOctave * Math.log2(zoom) + 1e-9) + s.offset));
    if (now !== level) {
      level = now;
      const classes = ["roll"];
      for (let k = 1; k <= level; k++) classes.push(`z${k}`);
      roll.setAttribute("class", classes.join(" "));
    }
    showNear(); // before the browser lays out the new width
    scroller.scrollLeft = s.margin + t * pps() - anchor;
    schedule();
  }

  function fit() {
    fitted = true;
    setZoom(fitZoom(), 0);
    scroller.scrollLeft = 0;
  }

  function zoomBy(factor, anchor) {
    fitted = false;
    setZoom(zoom * factor, anchor);
  }

  function pan(px) {
    fitted = false;
    scroller.scrollLeft += px;
  }

  function schedule() {
    if (pending) return;
    pending = true;
    requestAnimationFrame(() => {
      pending = false;
      showNear();
      drawAxis();
      showView();
    });
  }

  // The axis for the part in view (and a screen either side): the finest step whose labels stand apart.
  function drawAxis() {
    const perSecond = pps();
    const [step, minors] = s.steps.find(([seconds]) => seconds * perSecond >= s.gap) ?? s.steps.at(-1);
    const first = Math.max(0, Math.floor((timeAt(0) - scroller.clientWidth / perSecond) / step));
    const last = Math.min(Math.floor(s.shown / step + 1e-9), Math.ceil((timeAt(scroller.clientWidth * 2)) / step));
    let grid = "";
    let major = "";
    let minor = "";
    const labels = [];
    for (let index = first * minors; index <= last * minors; index++) {
      const t = (index * step) / minors;
      if (t > s.shown + 1e-9) break;
      const x = (t * perSecond).toFixed(1);
      if (index % minors === 0) {
        major += `M${x} ${s.axis - 8}V${s.axis}`;
        grid += `M${x} ${s.axis}V${height}`;
        const label = document.createElementNS(NS, "text");
        label.setAttribute("class", "axis-label");
        label.setAttribute("x", x);
        label.setAttribute("y", String(s.axis - 11));
        label.textContent = clockLabel(t, step);
        labels.push(label);
      } else {
        minor += `M${x} ${s.axis - 4}V${s.axis}`;
      }
    }
    axis.replaceChildren(path("grid", grid), path("axis-minor", minor), path("axis-major", major), ...labels);
  }

  function path(css, d) {
    const element = document.createElementNS(NS, "path");
    element.setAttribute("class", css);
    element.setAttribute("d", d);
    return element;
  }

  // The same labels as the page's first axis (microturn/_apps/_render/_scale.py: clock_label).
  function clockLabel(t, step) {
    const places = step < 1 ? 1 : 0;
    const tenths = places ? Math.round(t * 10) : Math.round(t) * 10;
    if (tenths < 600) return `${(tenths / 10).toFixed(places)} s`;
    const whole = Math.floor(tenths / 10);
    const fraction = places ? `.${tenths % 10}` : "";
    const minutes = Math.floor(whole / 60);
    const secs = String(whole % 60).padStart(2, "0");
    if (minutes < 60) return `${minutes}:${secs}${fraction}`;
    return `${Math.floor(minutes / 60)}:${String(minutes % 60).padStart(2, "0")}:${secs}${fraction}`;
  }

  // The overview's window: the part of the session in view.
  function showView() {
    const from = Math.max(0, timeAt(0));
    const to = Math.min(s.shown, timeAt(scroller.clientWidth));
    view.style.left = `${(100 * from) / s.shown}%`;
    view.style.width = `${(100 * Math.max(0, to - from)) / s.shown}%`;
    const whole = fitted || (from <= 0 && to >= s.shown);
    const precise = to - from < 20 ? 0.1 : 1;
    readout.textContent = `${clockLabel(from, precise)} – ${clockLabel(to, precise)}${whole ? " (the whole session)" : ""}`;
  }

  function centreOn(clientX) {
    const box = overview.getBoundingClientRect();
    const t = (Math.min(Math.max(clientX - box.left, 0), box.width) / box.width) * s.shown;
    fitted = false;
    scroller.scrollLeft = s.margin + t * pps() - scroller.clientWidth / 2;
  }

  bar.addEventListener("click", (event) => {
    const action = event.target.closest("button")?.dataset.action;
    if (action === "in") zoomBy(2);
    else if (action === "out") zoomBy(0.5);
    else if (action === "fit") fit();
  });

  document.addEventListener("keydown", (event) => {
    if (event.ctrlKey || event.metaKey || event.altKey) return; // the browser's own zoom and shortcuts
    if (event.target.closest?.("input, textarea, select, [contenteditable]")) return;
    const actions = {
      "+": () => zoomBy(2),
      "=": () => zoomBy(2),
      "-": () => zoomBy(0.5),
      _: () => zoomBy(0.5),
      0: fit,
      ArrowLeft: () => pan(-scroller.clientWidth / 4),
      ArrowRight: () => pan(scroller.clientWidth / 4),
      Home: () => pan(-scroller.scrollWidth),
      End: () => pan(scroller.scrollWidth),
    };
    const action = actions[event.key];
    if (action) {
      event.preventDefault();
      action();
    }
  });

  scroller.addEventListener(
    "wheel",
    (event) => {
      const unit = event.deltaMode === 1 ? 16 : event.deltaMode === 2 ? scroller.clientWidth : 1;
      if (event.ctrlKey || event.metaKey) {
        // A pinch on a touchpad arrives as Ctrl+wheel too.
        event.preventDefault();
        zoomBy(Math.exp(-event.deltaY * unit * 0.002), event.clientX - scroller.getBoundingClientRect().left);
      } else if (Math.abs(event.deltaY) > Math.abs(event.deltaX) && scroller.scrollWidth > scroller.clientWidth + 1) {
        event.preventDefault(); // zoomed in: the wheel pans (at the overview it scrolls the page)
        pan(event.deltaY * unit);
      }
    },
    { passive: false },
  );

  // Drag to pan; two fingers pinch to zoom around their middle.
  const pointers = new Map();
  let pinch = null;
  scroller.addEventListener("pointerdown", (event) => {
    if (event.button !== 0) return;
    pointers.set(event.pointerId, event.clientX);
    scroller.setPointerCapture(event.pointerId);
    scroller.classList.add("dragging");
    if (pointers.size === 2) {
      const [a, b] = [...pointers.values()];
      pinch = { distance: Math.abs(a - b) || 1, zoom };
    }
  });
  scroller.addEventListener("pointermove", (event) => {
    const last = pointers.get(event.pointerId);
    if (last === undefined) return;
    pointers.set(event.pointerId, event.clientX);
    if (pinch && pointers.size === 2) {
      const [a, b] = [...pointers.values()];
      fitted = false;
      setZoom((pinch.zoom * (Math.abs(a - b) || 1)) / pinch.distance, (a + b) / 2 - scroller.getBoundingClientRect().left);
    } else if (pointers.size === 1) {
      pan(last - event.clientX);
    }
  });
  const release = (event) => {
    pointers.delete(event.pointerId);
    if (pointers.size < 2) pinch = null;
    if (pointers.size === 0) scroller.classList.remove("dragging");
  };
  scroller.addEventListener("pointerup", release);
  scroller.addEventListener("pointercancel", release);

  let steering = false;
  overview.addEventListener("pointerdown", (event) => {
    steering = true;
    overview.setPointerCapture(event.pointerId);
    centreOn(event.clientX);
  });
  overview.addEventListener("pointermove", (event) => steering && centreOn(event.clientX));
  overview.addEventListener("pointerup", () => {
    steering = false;
  });

  scroller.addEventListener("scroll", schedule);
  window.addEventListener("resize", () => (fitted ? fit() : setZoom(zoom)));
  bar.hidden = false;
  view.hidden = false;
  fit();
})();
