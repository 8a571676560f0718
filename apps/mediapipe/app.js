// Demo app on MediaPipe's web face solutions (npm `@mediapipe/face_mesh` and `@mediapipe/face_detection`, both
// Apache-2.0): camera -> the SDK (Face Mesh landmarks, or Face Detection boxes) -> Canvas 2D output drawn from
// the frame the SDK processed, with a look (formula, no .cube), face-area beauty, a tiara on the tracked face box
// or a screen badge, and recording offered as a download link. The SDK and its model come from the pinned package
// served at /vendor/ (window.FaceMesh / window.FaceDetection, loaded by each version's index.html).

import { openCamera, onEachCameraFrame } from '../common/camera.js';
import { BOTTOM_BAND, FILTER_FORMULAS, drawBadge, drawBeauty, drawCrown } from '../common/canvasfx.js';
import { ClipRecorder } from '../common/recorder.js';
import { FrameStats } from '../common/stats.js';

function el(selector) {
  const node = document.querySelector(selector);
  if (!node) throw new Error(`mediapipe demo: element ${selector} missing from the page`);
  return node;
}

// Bounding box of the normalised landmarks, in output pixels.
export function faceBoxFromLandmarks(points, width, height) {
  let x0 = Infinity; let y0 = Infinity; let x1 = -Infinity; let y1 = -Infinity;
  for (const p of points) {
    x0 = Math.min(x0, p.x); y0 = Math.min(y0, p.y); x1 = Math.max(x1, p.x); y1 = Math.max(y1, p.y);
  }
  return { x: x0 * width, y: y0 * height, w: (x1 - x0) * width, h: (y1 - y0) * height };
}

// Face Detection's first box, in output pixels (boundingBox in 0.4, locationData.relativeBoundingBox before).
export function faceBoxFromDetection(det, width, height) {
  const b = det.boundingBox;
  if (b) return { x: (b.xCenter - b.width / 2) * width, y: (b.yCenter - b.height / 2) * height,
    w: b.width * width, h: b.height * height };
  const r = det.locationData.relativeBoundingBox;
  return { x: r.xmin * width, y: r.ymin * height, w: r.width * width, h: r.height * height };
}

function faceOf(results, width, height) {
  if (results.multiFaceLandmarks) {
    const faces = results.multiFaceLandmarks;
    return faces.length ? { box: faceBoxFromLandmarks(faces[0], width, height), points: faces[0].length } : null;
  }
  const dets = results.detections || [];
  return dets.length ? { box: faceBoxFromDetection(dets[0], width, height), points: 6 } : null;
}

// build: {solution: 'face_mesh' | 'face_detection', version, base: URL of the package folder, options: that
// build's options}
export async function startMediaPipe(build) {
  const ui = {
    canvas: el('canvas#mp-output'), video: el('video#mp-camera'), stats: el('#mp-stats'),
    status: el('#mp-status'), shutter: el('#mp-shutter'), saved: el('#mp-saved'), smooth: el('#mp-smooth'),
  };
  const selected = { filter: 'none', beautyLevel: 0, effect: 'none' };
  const tracking = { box: null, landmarks: 0, updates: 0, firstTrackMs: -1 };
  window.mediapipeDemo = { sdk: `@mediapipe/${build.solution}`, version: build.version, selected, tracking };

  for (const chip of document.querySelectorAll('.mp-modes [data-mode]')) {
    chip.addEventListener('click', () => {
      for (const tray of document.querySelectorAll('.mp-tray')) tray.hidden = tray.dataset.mode !== chip.dataset.mode;
    });
  }
  for (const item of document.querySelectorAll('.mp-tray [data-item]')) {
    item.addEventListener('click', () => {
      const key = item.closest('.mp-tray').dataset.mode === 'color' ? 'filter' : 'effect';
      selected[key] = item.dataset.item;
      for (const o of item.parentElement.children) o.setAttribute('aria-checked', String(o === item));
    });
  }
  const onSmooth = () => { selected.beautyLevel = Math.max(0, Math.min(100, Math.round(Number(ui.smooth.value)))); };
  ui.smooth.addEventListener('input', onSmooth);
  ui.smooth.addEventListener('change', onSmooth);

  const stats = new FrameStats({ sdk: 'mediapipe', element: ui.stats });
  stats.start();
  const recorder = new ClipRecorder(ui.canvas, {
    onState: (on) => { ui.shutter.setAttribute('aria-pressed', String(on)); },
    onClip: (url, durationMs) => {
      // Offered as a download, as many vendor demos do, not played back in the page.
      ui.saved.href = url;
      ui.saved.download = `facemesh-${Date.now()}.webm`;
      ui.saved.dataset.durationMs = String(Math.round(durationMs));
      ui.saved.hidden = false;
    },
  });
  ui.shutter.addEventListener('click', () => recorder.toggle());

  try {
    ui.status.textContent = 'loading Face Mesh';
    const mesh = build.solution === 'face_mesh';
    const Solution = mesh ? window.FaceMesh : window.FaceDetection;
    const faceMesh = new Solution({ locateFile: (file) => `${build.base}/${file}` });
    faceMesh.setOptions({ ...(mesh ? { maxNumFaces: 1, minTrackingConfidence: 0.5 } : {}),
      minDetectionConfidence: 0.5, ...build.options });
    const ctx = ui.canvas.getContext('2d');
    let t0 = 0;
    let busy = false;
    faceMesh.onResults((results) => {
      const W = ui.canvas.width;
      const H = ui.canvas.height;
      tracking.updates += 1;
      const face = faceOf(results, W, H);
      tracking.box = face ? face.box : null;
      tracking.landmarks = face ? face.points : 0;
      if (face && tracking.firstTrackMs < 0) tracking.firstTrackMs = performance.now();
      ctx.filter = FILTER_FORMULAS[selected.filter] || 'none';
      ctx.drawImage(results.image, 0, 0, W, H);
      ctx.filter = 'none';
      if (selected.beautyLevel > 0) drawBeauty(ctx, results.image, tracking.box, selected.beautyLevel, W, H);
      if (selected.effect === 'tiara') drawCrown(ctx, tracking.box, W, H, { scale: 1.0, colour: '#dfe6f0' });
      if (selected.effect === 'live') drawBadge(ctx, W, Math.floor(H * BOTTOM_BAND));
      stats.frameDone(performance.now() - t0);
    });
    await faceMesh.initialize();
    ui.status.textContent = 'opening camera';
    await openCamera(ui.video);
    ui.canvas.width = ui.video.videoWidth;
    ui.canvas.height = ui.video.videoHeight;
    ui.status.textContent = '';
    // One frame in flight: camera frames that arrive while Face Mesh works are skipped.
    onEachCameraFrame(ui.video, async () => {
      if (busy) return;
      busy = true;
      t0 = performance.now();
      try {
        await faceMesh.send({ image: ui.video });
      } finally {
        busy = false;
      }
    });
  } catch (err) {
    ui.status.textContent = `error: ${err.message}`;
    console.error(`[mediapipe] start-up failed: ${err.message}`);
    throw err;
  }
}
