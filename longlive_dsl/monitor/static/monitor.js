// The llv monitor page: one HTTP stream (/live) of state and JPEG frame records, drawn as they come.
// Record: kind (1 byte, "S" or "F") · payload length (4 bytes, big endian) · payload.
// "F" payload: header length (2 bytes) · JSON header {n, w, h, received, encoded} · JPEG bytes.
"use strict";

const llv = {
  ready: false,        // the plan is drawn and the stream is open
  plan: null,
  state: null,
  frames: 0,           // frames drawn
  skipped: 0,          // frames that arrived while an earlier one was still decoding (dropped here)
  last: null,          // header of the frame on the canvas, with `shown` (ms since the epoch)
  latencies: [],       // the newest 600 frames: {n, received, shown}
  streamEnded: false,
};
window.llv = llv;

const $ = (id) => document.getElementById(id);

function text(id, value) {
  $(id).textContent = value;
}

function short(s, n) {
  return s.length <= n ? s : s.slice(0, n - 1) + "…";
}

// ---- the plan -------------------------------------------------------------------------------

async function loadPlan() {
  const reply = await fetch("/plan", { cache: "no-store" });
  const plan = await reply.json();
  llv.plan = plan;
  text("title", `llv monitor — ${plan.title}`);
  document.title = `${plan.title} — llv monitor`;
  $("budget").max = plan.budget;
  $("session").max = Math.max(plan.stops_at, 1);
  if (plan.svg) {
    const holder = $("timeline");
    holder.textContent = "";
    const doc = new DOMParser().parseFromString(plan.svg, "image/svg+xml");
    holder.appendChild(document.importNode(doc.documentElement, true));
  }
}

function movePlayhead(chunk) {
  const head = document.getElementById("llv-playhead");
  const xs = llv.plan && llv.plan.xs;
  if (!head || !xs || !xs.length) return;
  const at = xs[Math.min(Math.max(chunk, 0), xs.length - 1)];
  head.setAttribute("transform", `translate(${(at - xs[0]).toFixed(2)} 0)`);
  head.setAttribute("data-chunk", String(chunk));
}

// ---- the state ------------------------------------------------------------------------------

function showState(state) {
  llv.state = state;
  const status = $("status");
  const label = state.ended ? "ended" : state.status;
  status.textContent = state.ended ? `run ended (${state.status})` : state.status;
  status.className = `status ${label}`;
  text("detail", state.detail || "");
  const p = state.progress;
  text("prompt", p.prompt || "—");
  text("scene", p.scene_number == null ? "—" : `scene ${p.scene_number}${p.scene_name ? ` “${p.scene_name}”` : ""}`);
  $("budget").value = p.chunk_in_scene;
  text("budget-text", `chunk ${p.chunk_in_scene}/${state.budget}`);
  $("session").value = p.chunks_done;
  text("session-text", `chunk ${p.chunks_done}/${p.stops_at || "?"} · ${p.frames} frames`);
  const beat = state.next_beat;
  text("next-beat", beat ? `${beat.kind} at chunk ${beat.chunk} (scene ${beat.scene}): ${short(beat.prompt, 160)}` : "none: the last beat has played");
  fillList("problems", state.problems);
  fillList("notes", state.notes);
  movePlayhead(p.chunks_done);
}

function fillList(id, items) {
  const list = $(id);
  list.textContent = "";
  for (const item of items) {
    const li = document.createElement("li");
    li.textContent = item;
    list.appendChild(li);
  }
}

// ---- frames ---------------------------------------------------------------------------------

let decoding = false;
let waiting = null; // the newest frame that arrived during a decode

async function showFrame(header, jpeg) {
  if (decoding) {
    if (waiting) llv.skipped += 1;
    waiting = { header, jpeg };
    return;
  }
  decoding = true;
  try {
    let next = { header, jpeg };
    while (next) {
      waiting = null;
      await draw(next.header, next.jpeg);
      next = waiting;
    }
  } finally {
    decoding = false;
  }
}

async function draw(header, jpeg) {
  const bitmap = await createImageBitmap(new Blob([jpeg], { type: "image/jpeg" }));
  const canvas = $("video");
  if (canvas.width !== bitmap.width || canvas.height !== bitmap.height) {
    canvas.width = bitmap.width;
    canvas.height = bitmap.height;
  }
  canvas.getContext("2d").drawImage(bitmap, 0, 0);
  bitmap.close();
  const shown = Date.now();
  llv.frames += 1;
  llv.last = { ...header, shown };
  llv.latencies.push({ n: header.n, received: header.received, shown });
  if (llv.latencies.length > 600) llv.latencies.shift();
  text("video-info", `${header.w}×${header.h} · ${llv.frames} frames shown · ${Math.max(0, shown - header.received).toFixed(0)} ms behind the client`);
}

// ---- the stream -----------------------------------------------------------------------------

class Records {
  constructor() {
    this.buffer = new Uint8Array(0);
  }

  push(chunk) {
    const joined = new Uint8Array(this.buffer.length + chunk.length);
    joined.set(this.buffer);
    joined.set(chunk, this.buffer.length);
    this.buffer = joined;
  }

  // The next whole record as [kind, payload], or null until more bytes arrive.
  next() {
    if (this.buffer.length < 5) return null;
    const view = new DataView(this.buffer.buffer, this.buffer.byteOffset, this.buffer.byteLength);
    const size = view.getUint32(1);
    if (this.buffer.length < 5 + size) return null;
    const kind = String.fromCharCode(this.buffer[0]);
    const payload = this.buffer.slice(5, 5 + size);
    this.buffer = this.buffer.slice(5 + size);
    return [kind, payload];
  }
}

const decoder = new TextDecoder();

function handle(kind, payload) {
  if (kind === "S") {
    showState(JSON.parse(decoder.decode(payload)));
  } else if (kind === "F") {
    const view = new DataView(payload.buffer, payload.byteOffset, payload.byteLength);
    const size = view.getUint16(0);
    const header = JSON.parse(decoder.decode(payload.subarray(2, 2 + size)));
    showFrame(header, payload.subarray(2 + size));
  }
}

async function follow() {
  const reply = await fetch("/live", { cache: "no-store" });
  const reader = reply.body.getReader();
  const records = new Records();
  llv.ready = true;
  for (;;) {
    const { value, done } = await reader.read();
    if (done) break;
    records.push(value);
    for (let r = records.next(); r; r = records.next()) handle(r[0], r[1]);
  }
}

async function main() {
  try {
    await loadPlan();
    await follow();
    llv.streamEnded = true;
    if (!(llv.state && llv.state.ended)) text("detail", "the monitor stopped");
  } catch (error) {
    llv.streamEnded = true;
    text("detail", `the monitor is gone (${error.message}); the last picture stays`);
    $("status").className = "status ended";
  }
}

main();
