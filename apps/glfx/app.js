// Lumen Labs glfx demo app: UI wiring, camera, face tracking and the per-frame loop around GlfxEngine.
// Each version's index.html calls startGlfx() with that build's options.

import { openCamera, onEachCameraFrame } from '../common/camera.js';
import { loadCube } from '../common/cube.js';
import { crashApp, parseFaults } from '../common/faults.js';
import { ClipRecorder } from '../common/recorder.js';
import { FrameStats } from '../common/stats.js';
import { SkinTracker } from '../common/tracker.js';
import { GlfxEngine } from './engine.js';

const LUT_NAMES = ['warm', 'cool', 'mono', 'vintage'];
const TRACK_SCALE = 4; // tracker works at 1/4 of the camera resolution

function el(selector) {
  const node = document.querySelector(selector);
  if (!node) throw new Error(`glfx: element ${selector} missing from the page`);
  return node;
}

// build: {version, beautyKernel: 'bilateral2d'|'separable', lutMix: {filterName: 0..1}}
export async function startGlfx(build) {
  const faults = parseFaults();
  const ui = {
    canvas: el('canvas#glfx-output'),
    video: el('video#glfx-camera'),
    stats: el('#glfx-stats'),
    status: el('#glfx-status'),
    record: el('button#glfx-record'),
    gallery: el('#glfx-gallery'),
    beauty: el('input#glfx-beauty-level'),
    beautyValue: el('#glfx-beauty-value'),
  };
  // What the UI shows as selected; the pipeline reads it every frame.
  const selected = { filter: 'none', beautyLevel: 0, effect: 'none' };
  let mediaStream = null;
  window.glfx = { sdk: 'glfx', version: build.version, selected, faults: [...faults.names] };

  const panels = { filters: el('#glfx-filters'), beauty: el('#glfx-beauty'), effects: el('#glfx-effects') };
  for (const [name, panel] of Object.entries(panels)) {
    el(`button#glfx-tab-${name}`).addEventListener('click', () => {
      for (const [other, p] of Object.entries(panels)) {
        p.hidden = other !== name;
        el(`button#glfx-tab-${other}`).setAttribute('aria-selected', String(other === name));
      }
    });
  }
  const markActive = (panel, attr, value) => {
    for (const b of panel.querySelectorAll(`button[${attr}]`)) {
      b.classList.toggle('active', b.getAttribute(attr) === value);
      b.setAttribute('aria-pressed', String(b.getAttribute(attr) === value));
    }
  };
  panels.filters.addEventListener('click', (e) => {
    const b = e.target.closest('button[data-filter]');
    if (!b) return;
    selected.filter = b.dataset.filter;
    markActive(panels.filters, 'data-filter', selected.filter);
  });
  panels.effects.addEventListener('click', (e) => {
    const b = e.target.closest('button[data-effect]');
    if (!b) return;
    selected.effect = b.dataset.effect;
    markActive(panels.effects, 'data-effect', selected.effect);
    if (faults.crashesOnEffect(selected.effect)) {
      crashApp({ sdk: 'glfx', reason: `effect "${selected.effect}" aborted the render thread`, mediaStream });
    }
  });
  const onBeauty = () => {
    const v = Math.max(0, Math.min(100, Math.round(Number(ui.beauty.value) || 0)));
    selected.beautyLevel = v;
    ui.beautyValue.textContent = String(v);
  };
  ui.beauty.addEventListener('input', onBeauty);
  ui.beauty.addEventListener('change', onBeauty);

  const stats = new FrameStats({ sdk: 'glfx', element: ui.stats });
  stats.start();
  const recorder = new ClipRecorder(ui.canvas, {
    onState: (recording) => {
      ui.record.dataset.state = recording ? 'recording' : 'idle';
      ui.record.setAttribute('aria-pressed', String(recording));
      ui.record.textContent = recording ? 'Stop' : 'Rec';
    },
    onClip: (url, durationMs) => {
      const video = document.createElement('video');
      video.id = 'glfx-recording';
      video.controls = true;
      video.muted = true;
      video.playsInline = true;
      video.dataset.durationMs = String(Math.round(durationMs));
      video.src = url;
      ui.gallery.replaceChildren(video);
    },
  });
  ui.record.addEventListener('click', () => recorder.toggle());

  try {
    await faults.slowStart();
    const engine = new GlfxEngine(ui.canvas, faults, build);
    const cubes = await Promise.all(
      LUT_NAMES.map((n) => loadCube(new URL(`luts/${n}.cube`, import.meta.url).href)));
    LUT_NAMES.forEach((n, i) => engine.loadLut(n, cubes[i]));
    ui.status.textContent = 'opening camera';
    mediaStream = await openCamera(ui.video);
    ui.status.textContent = '';
    const trackCanvas = document.createElement('canvas');
    const trackCtx = trackCanvas.getContext('2d', { willReadFrequently: true });
    let tracker = null;
    let cameraFrameNo = 0;
    let processed = 0;
    onEachCameraFrame(ui.video, () => {
      const n = cameraFrameNo++;
      if (faults.shouldDrop(n)) return;
      const t0 = performance.now();
      const { videoWidth: w, videoHeight: h } = ui.video;
      if (w !== engine.width || h !== engine.height) {
        engine.resize(w, h);
        tracker = new SkinTracker({
          frameWidth: w, frameHeight: h, scale: TRACK_SCALE, ignoreBelowY: Math.round(h * (h >= w ? 0.64 : 0.55)),
          smoothing: 0.6, holdFrames: 15,
        });
        trackCanvas.width = tracker.w;
        trackCanvas.height = tracker.h;
      }
      const off = faults.effectsOff;
      const effect = off ? 'none' : selected.effect;
      let face = null;
      if (effect !== 'none') {
        trackCtx.drawImage(ui.video, 0, 0, tracker.w, tracker.h);
        face = faults.laggedFace(tracker.update(trackCtx.getImageData(0, 0, tracker.w, tracker.h).data), t0);
      }
      engine.render(ui.video, {
        filter: off ? 'none' : selected.filter,
        beautyLevel: off ? 0 : selected.beautyLevel,
        effect,
        face,
        frameNo: processed,
      });
      processed += 1;
      stats.frameDone(performance.now() - t0);
    });
  } catch (err) {
    ui.status.textContent = `error: ${err.message}`;
    console.error(`[glfx] start-up failed: ${err.message}`);
    throw err;
  }
}
