// Test-only fault switches shared by both demo SDKs (?fault=NAME[,NAME...]): each one mimics a defect seen
// when an SDK is adapted to a new device. All are off by default; they act on the output image, not the
// camera input.

export const FAULT_NAMES = Object.freeze([
  'rotate90', 'mirror', 'stretch', 'limited_range', 'rb_swap', 'green_frames', 'black_frames',
  'effect_not_applied', 'drop', 'slow_start', 'crash_on_effect', 'track_lag',
]);

export const DEFAULT_DROP_RATIO = 0.3;
export const DEFAULT_SLOW_START_MS = 800;
export const DEFAULT_TRACK_LAG_MS = 100;
// What a broken YUV->RGB conversion of all-zero planes gives (full-range BT.601): R 0, G 135, B 0.
export const GREEN_FRAME_RGB = Object.freeze([0, 135, 0]);
// stretch: the frame is stretched into a canvas of this width/height ratio times the camera's (4:3 mode).
export const STRETCH_WIDTH_FACTOR = 4 / 3;

export class Faults {
  constructor(names, { dropRatio, slowStartMs, trackLagMs = DEFAULT_TRACK_LAG_MS }) {
    this.names = new Set(names);
    this.dropRatio = dropRatio;
    this.slowStartMs = slowStartMs;
    this.trackLagMs = trackLagMs;
    this.faceHistory = []; // [{t, face}] of the last track_lag_ms, oldest first
  }

  // track_lag: stickers are placed on the face box the tracker gave track_lag_ms earlier (a tracker running late),
  // so the sticker trails a moving face: the box is interpolated between the two processed frames around that time,
  // so the lag is exactly track_lag_ms, not rounded to a frame. null until a box that old exists. `face` is copied
  // (trackers reuse their box object).
  laggedFace(face, nowMs = performance.now()) {
    if (!this.names.has('track_lag')) return face;
    const history = this.faceHistory;
    history.push({ t: nowMs, face: face === null ? null : { ...face } });
    const due = nowMs - this.trackLagMs;
    while (history.length > 2 && history[1].t <= due) history.shift();
    const [a, b] = history;
    if (a.t > due) return null;
    if (!b || b.t <= a.t || a.face === null || b.face === null) return a.face;
    const k = Math.min(1, (due - a.t) / (b.t - a.t));
    const out = {};
    for (const key of ['x', 'y', 'w', 'h']) out[key] = a.face[key] + (b.face[key] - a.face[key]) * k;
    return out;
  }

  has(name) {
    return this.names.has(name);
  }

  get any() {
    return this.names.size > 0;
  }

  // effect_not_applied: the SDK must silently skip filters, beauty and effects (its UI still shows them on).
  get effectsOff() {
    return this.names.has('effect_not_applied');
  }

  // crash_on_effect: applying any effect other than none must kill the app (see crashApp).
  crashesOnEffect(effectName) {
    return this.names.has('crash_on_effect') && effectName !== 'none';
  }

  // True when the output needs a per-pixel pass after the SDK's own pipeline.
  get touchesOutput() {
    return ['rotate90', 'mirror', 'stretch', 'limited_range', 'rb_swap', 'green_frames', 'black_frames']
      .some((n) => this.names.has(n));
  }

  // Deterministic frame dropping: camera frame n (0-based) is skipped when the running share of dropped
  // frames would otherwise fall below dropRatio (evenly spread, like a Bresenham line).
  shouldDrop(cameraFrameNo) {
    if (!this.names.has('drop')) return false;
    const r = this.dropRatio;
    return Math.floor((cameraFrameNo + 1) * r) > Math.floor(cameraFrameNo * r);
  }

  // Output canvas size for a camera frame of width x height.
  outputSize(width, height) {
    let w = width;
    let h = height;
    if (this.names.has('stretch')) w = Math.round(w * STRETCH_WIDTH_FACTOR);
    if (this.names.has('rotate90')) [w, h] = [h, w];
    return { width: w, height: h };
  }

  // Resolves after the slow_start delay (immediately when the fault is off).
  slowStart() {
    const ms = this.names.has('slow_start') ? this.slowStartMs : 0;
    return new Promise((resolve) => setTimeout(resolve, ms));
  }
}

function parseRatio(text, fallback) {
  if (text === null) return fallback;
  const v = Number(text);
  if (!Number.isFinite(v) || v < 0 || v >= 1) {
    console.error(`[faults] drop=${text} ignored: allowed is a number in [0, 1), e.g. drop=0.3`);
    return fallback;
  }
  return v;
}

function parseMs(text, fallback, name) {
  if (text === null) return fallback;
  const v = Number(text);
  if (!Number.isFinite(v) || v < 0) {
    console.error(`[faults] ${name}=${text} ignored: allowed is a number of milliseconds >= 0`);
    return fallback;
  }
  return v;
}

export function parseFaults(search = window.location.search) {
  const params = new URLSearchParams(search);
  const names = [];
  for (const raw of params.getAll('fault').join(',').split(',')) {
    const name = raw.trim();
    if (name === '') continue;
    if (!FAULT_NAMES.includes(name)) {
      console.error(`[faults] unknown fault "${name}" ignored; allowed: ${FAULT_NAMES.join(', ')}`);
      continue;
    }
    names.push(name);
  }
  const faults = new Faults(names, {
    dropRatio: parseRatio(params.get('drop'), DEFAULT_DROP_RATIO),
    slowStartMs: parseMs(params.get('slow_start_ms'), DEFAULT_SLOW_START_MS, 'slow_start_ms'),
    trackLagMs: parseMs(params.get('track_lag_ms'), DEFAULT_TRACK_LAG_MS, 'track_lag_ms'),
  });
  if (faults.any) console.warn(`[faults] active: ${[...faults.names].join(',')}`);
  return faults;
}

// ---- CPU implementation (Canvas 2D pipelines) -------------------------------------------------------------

const indexMapCache = new Map();

// Source pixel index for every output pixel under rotate90/mirror/stretch (nearest neighbour).
function sourceIndexMap(faults, srcW, srcH, outW, outH) {
  const key = `${[...faults.names].sort().join(',')}|${srcW}x${srcH}|${outW}x${outH}`;
  let map = indexMapCache.get(key);
  if (map) return map;
  map = new Int32Array(outW * outH);
  const rotate = faults.has('rotate90');
  const mirror = faults.has('mirror');
  for (let y = 0; y < outH; y++) {
    for (let x = 0; x < outW; x++) {
      let u = (x + 0.5) / outW;
      let v = (y + 0.5) / outH;
      if (rotate) [u, v] = [v, 1 - u]; // output is the source turned 90 degrees clockwise
      if (mirror) u = 1 - u;
      const sx = Math.min(srcW - 1, Math.floor(u * srcW));
      const sy = Math.min(srcH - 1, Math.floor(v * srcH));
      map[y * outW + x] = sy * srcW + sx;
    }
  }
  indexMapCache.set(key, map);
  return map;
}

// Applies the output faults to src (ImageData of the processed frame); writes into dst (ImageData of
// faults.outputSize(src.width, src.height)).
export function applyFaultsCpu(faults, src, dst) {
  const out = dst.data;
  const n = dst.width * dst.height;
  if (faults.has('green_frames') || faults.has('black_frames')) {
    const [r, g, b] = faults.has('green_frames') ? GREEN_FRAME_RGB : [0, 0, 0];
    for (let i = 0, p = 0; i < n; i++, p += 4) {
      out[p] = r; out[p + 1] = g; out[p + 2] = b; out[p + 3] = 255;
    }
    return;
  }
  const map = sourceIndexMap(faults, src.width, src.height, dst.width, dst.height);
  const s = src.data;
  const swap = faults.has('rb_swap');
  const limited = faults.has('limited_range');
  const lut = new Uint8Array(256);
  for (let v = 0; v < 256; v++) lut[v] = limited ? Math.round(16 + (v * 219) / 255) : v;
  for (let i = 0, p = 0; i < n; i++, p += 4) {
    const q = map[i] * 4;
    const r = s[q];
    const b = s[q + 2];
    out[p] = lut[swap ? b : r];
    out[p + 1] = lut[s[q + 1]];
    out[p + 2] = lut[swap ? r : b];
    out[p + 3] = 255;
  }
}

// ---- GPU implementation (WebGL2 pipelines) ----------------------------------------------------------------

// GLSL ES 3.00 functions for the final (present) pass. outUv has (0,0) at the top-left of the output.
export const FAULT_GLSL = `
uniform int u_faultRotate;
uniform int u_faultMirror;
uniform int u_faultRbSwap;
uniform int u_faultLimited;
uniform int u_faultConst;
uniform vec3 u_faultConstColour;
vec2 faultSourceUv(vec2 outUv) {
  vec2 uv = outUv;
  if (u_faultRotate == 1) uv = vec2(uv.y, 1.0 - uv.x);
  if (u_faultMirror == 1) uv.x = 1.0 - uv.x;
  return uv;
}
vec3 faultColour(vec3 c) {
  if (u_faultConst == 1) return u_faultConstColour;
  if (u_faultRbSwap == 1) c = c.bgr;
  if (u_faultLimited == 1) c = (16.0 + c * 219.0) / 255.0;
  return c;
}
`;

// Sets the uniforms FAULT_GLSL declares on the currently bound program.
export function setFaultUniforms(gl, program, faults) {
  const loc = (name) => gl.getUniformLocation(program, name);
  gl.uniform1i(loc('u_faultRotate'), faults.has('rotate90') ? 1 : 0);
  gl.uniform1i(loc('u_faultMirror'), faults.has('mirror') ? 1 : 0);
  gl.uniform1i(loc('u_faultRbSwap'), faults.has('rb_swap') ? 1 : 0);
  gl.uniform1i(loc('u_faultLimited'), faults.has('limited_range') ? 1 : 0);
  const constant = faults.has('green_frames') || faults.has('black_frames');
  gl.uniform1i(loc('u_faultConst'), constant ? 1 : 0);
  const rgb = faults.has('green_frames') ? GREEN_FRAME_RGB : [0, 0, 0];
  gl.uniform3f(loc('u_faultConstColour'), rgb[0] / 255, rgb[1] / 255, rgb[2] / 255);
}

// ---- crash_on_effect --------------------------------------------------------------------------------------

// Kills the app the way a native crash would: the camera stops, the page is torn down at once (no controls,
// nothing rendered), then the renderer process is killed by a V8 out-of-memory fatal error (the tab
// "crashes", like an app process dying; takes a few seconds of heap growth, ~4 GB at peak).
export function crashApp({ sdk, reason, mediaStream }) {
  console.error(`[${sdk}] FATAL: ${reason}; native engine aborted (fault crash_on_effect)`);
  if (mediaStream) for (const track of mediaStream.getTracks()) track.stop();
  document.title = `${sdk} (crashed)`;
  document.head.replaceChildren();
  document.body.replaceChildren();
  document.body.removeAttribute('class');
  document.body.style.cssText = 'margin:0;background:#000;';
  const exhaustHeap = () => {
    const hog = [];
    for (;;) hog.push(new Array(1e7).fill(1.5));
  };
  requestAnimationFrame(() => setTimeout(exhaustHeap, 50));
}
