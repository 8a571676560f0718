// Pixel Forge pixkit demo app: toolbar/panels, camera and the per-frame loop around PixkitEngine.
// Each version's index.html calls startPixkit() with that build's options.

import { openCamera, onEachCameraFrame } from '../common/camera.js';
import { loadCube } from '../common/cube.js';
import { crashApp, parseFaults } from '../common/faults.js';
import { ClipRecorder } from '../common/recorder.js';
import { FrameStats } from '../common/stats.js';
import { PixkitEngine } from './engine.js';

const LOOKS = ['warm', 'cool', 'mono', 'vintage'];

function el(selector, root = document) {
  const node = root.querySelector(selector);
  if (!node) throw new Error(`pixkit: element ${selector} missing from the page`);
  return node;
}

// build: {version, beautyScale: 1 | 2}
export async function startPixkit(build) {
  const faults = parseFaults();
  const ui = {
    canvas: el('.pk-stage canvas'),
    video: el('.pk-camera'),
    debug: el('.pk-debug'),
    status: el('.pk-status'),
    shutter: el('.pk-shutter'),
    gallery: el('.pk-gallery'),
    slider: el(".pk-panel[data-panel='retouch'] input[type=range]"),
    sliderValue: el(".pk-panel[data-panel='retouch'] .pk-value"),
  };
  const selected = { look: 'none', retouch: 0, fx: 'none' };
  let mediaStream = null;
  window.pixkit = { sdk: 'pixkit', version: build.version, selected, faults: [...faults.names] };

  const toolbar = el('nav.pk-toolbar');
  toolbar.addEventListener('click', (e) => {
    const button = e.target.closest('button[data-panel]');
    if (!button) return;
    for (const panel of document.querySelectorAll('.pk-panel')) {
      panel.hidden = panel.dataset.panel !== button.dataset.panel;
    }
    for (const b of toolbar.querySelectorAll('button')) b.classList.toggle('on', b === button);
  });
  const choose = (panelName, attr, key) => {
    const panel = el(`.pk-panel[data-panel='${panelName}']`);
    panel.addEventListener('click', (e) => {
      const item = e.target.closest(`[${attr}]`);
      if (!item) return;
      selected[key] = item.getAttribute(attr);
      for (const other of panel.querySelectorAll(`[${attr}]`)) {
        other.classList.toggle('on', other === item);
      }
      if (key === 'fx' && faults.crashesOnEffect(selected.fx)) {
        crashApp({ sdk: 'pixkit', reason: `fx "${selected.fx}" hit a null face mesh`, mediaStream });
      }
    });
  };
  choose('looks', 'data-look', 'look');
  choose('fx', 'data-fx', 'fx');
  const onSlider = () => {
    selected.retouch = Math.max(0, Math.min(100, Math.round(Number(ui.slider.value) || 0)));
    ui.sliderValue.textContent = `${selected.retouch}`;
  };
  ui.slider.addEventListener('input', onSlider);
  ui.slider.addEventListener('change', onSlider);

  const stats = new FrameStats({ sdk: 'pixkit', element: ui.debug });
  stats.start();
  const recorder = new ClipRecorder(ui.canvas, {
    onState: (recording) => ui.shutter.classList.toggle('recording', recording),
    onClip: (url, durationMs) => {
      const video = document.createElement('video');
      video.controls = true;
      video.muted = true;
      video.playsInline = true;
      video.setAttribute('data-duration-ms', String(Math.round(durationMs)));
      video.src = url;
      ui.gallery.replaceChildren(video);
    },
  });
  ui.shutter.addEventListener('click', () => recorder.toggle());

  try {
    await faults.slowStart();
    const engine = new PixkitEngine(ui.canvas, faults, build);
    const cubes = await Promise.all(
      LOOKS.map((n) => loadCube(new URL(`looks/${n}.cube`, import.meta.url).href)));
    LOOKS.forEach((n, i) => engine.loadLut(n, cubes[i]));
    ui.status.textContent = 'camera…';
    mediaStream = await openCamera(ui.video);
    ui.status.textContent = '';
    let cameraFrameNo = 0;
    let processed = 0;
    onEachCameraFrame(ui.video, () => {
      const n = cameraFrameNo++;
      if (faults.shouldDrop(n)) return;
      const t0 = performance.now();
      const { videoWidth: w, videoHeight: h } = ui.video;
      if (w !== engine.width || h !== engine.height) engine.resize(w, h);
      const off = faults.effectsOff;
      engine.render(ui.video, {
        filter: off ? 'none' : selected.look,
        beautyLevel: off ? 0 : selected.retouch,
        effect: off ? 'none' : selected.fx,
        frameNo: processed,
      });
      processed += 1;
      stats.frameDone(performance.now() - t0);
    });
  } catch (err) {
    ui.status.textContent = `pixkit error: ${err.message}`;
    console.error(`[pixkit] start-up failed: ${err.message}`);
    throw err;
  }
}
