// The browser side of tests/e2e/test_js_sdk.py: the published @reactor-team/js-sdk, in local
// mode, against `llv serve`. Bundled with esbuild at test time; the test drives it over the
// DevTools protocol through `window.llv`:
//
//   await llv.connect()                 -> the statuses the SDK went through, up to "ready"
//   await llv.play(commands, stopAt)    -> sends the Program's commands with sendCommand, waits
//                                          for chunk stopAt - 1 (or generation_complete), then
//                                          disconnects; returns everything the page saw
//
// Every decoded frame the <video> element presents is counted with requestVideoFrameCallback,
// and the top-left corner of each (where the simulator stamps chunk and frame numbers) is kept
// as greyscale bytes for the test to read back.
//
// package.json pins the SDK (2.9.0, the version on npm that this test is about), esbuild, and the
// SDK's peer dependencies react and zustand: its module imports them at top level (for its React
// bindings), so the bundler must find them even though this page uses only `Reactor`.
import { Reactor } from "@reactor-team/js-sdk";

const STAMP_COLS = 32; // longlive_dsl.sim.frames: 2 rows of 32 blocks, width // 40 px each
const STAMP_ROWS = 2;
const LINGER_MS = 500; // after the last chunk: let its frames reach the screen

const api = new URLSearchParams(location.search).get("api");
const video = document.getElementById("main_video");
const canvas = document.createElement("canvas");
const context = canvas.getContext("2d", { willReadFrequently: true });

const run = {
  statuses: [],
  messages: [],
  runtimeMessages: [],
  errors: [],
  tracks: [],
  frames: [], // one per presented frame: {t, width, height, presented, corner (base64 greyscale)}
};

const reactor = new Reactor({ modelName: "longlive-v2", local: true, apiUrl: api });
run.statuses.push(reactor.getStatus());
reactor.on("statusChanged", (status) => run.statuses.push(status));
reactor.on("error", (error) => run.errors.push(error));
reactor.on("message", (message) =>
  run.messages.push({ t: performance.now(), type: message.type, data: message.data }),
);
reactor.on("runtimeMessage", (message) => run.runtimeMessages.push(message));
reactor.on("trackReceived", (name, track, stream) => {
  run.tracks.push({ name, kind: track.kind });
  if (name !== "main_video") return;
  video.srcObject = stream;
  video.play().catch((error) => run.errors.push({ code: "PLAY_FAILED", message: String(error) }));
  video.requestVideoFrameCallback(onFrame);
});

function onFrame(now, metadata) {
  const width = video.videoWidth;
  const height = video.videoHeight;
  const block = Math.max(4, Math.floor(width / 40));
  const w = STAMP_COLS * block;
  const h = STAMP_ROWS * block;
  let corner = null;
  if (w <= width && h <= height) {
    if (canvas.width !== w || canvas.height !== h) {
      canvas.width = w;
      canvas.height = h;
    }
    context.drawImage(video, 0, 0, w, h, 0, 0, w, h);
    const rgba = context.getImageData(0, 0, w, h).data;
    const grey = new Uint8Array(w * h);
    for (let i = 0; i < grey.length; i++) {
      grey[i] = Math.round((rgba[4 * i] + rgba[4 * i + 1] + rgba[4 * i + 2]) / 3);
    }
    corner = toBase64(grey);
  }
  run.frames.push({ t: performance.now(), width, height, presented: metadata.presentedFrames, corner });
  video.requestVideoFrameCallback(onFrame);
}

function toBase64(bytes) {
  let text = "";
  for (let i = 0; i < bytes.length; i += 8192) {
    text += String.fromCharCode(...bytes.subarray(i, i + 8192));
  }
  return btoa(text);
}

const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms));

async function until(test, timeoutMs, what) {
  const deadline = performance.now() + timeoutMs;
  while (!test()) {
    if (performance.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await sleep(20);
  }
}

async function connect() {
  await reactor.connect();
  await until(() => reactor.getStatus() === "ready", 20000, "the SDK to be ready");
  return run.statuses.slice();
}

function finished(stopAt) {
  return run.messages.some(
    (m) =>
      m.type === "generation_complete" ||
      (m.type === "chunk_complete" && m.data.session_chunk >= stopAt - 1),
  );
}

async function play(commands, stopAt, timeoutMs = 60000) {
  for (const command of commands) {
    await reactor.sendCommand(command.type, command.data);
  }
  await until(() => finished(stopAt), timeoutMs, `chunk ${stopAt - 1}`);
  await sleep(LINGER_MS);
  const quality = video.getVideoPlaybackQuality();
  run.quality = { total: quality.totalVideoFrames, dropped: quality.droppedVideoFrames };
  await reactor.disconnect();
  return run;
}

window.llv = { run, connect, play, ready: true };
