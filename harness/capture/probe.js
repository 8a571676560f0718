// The harness's in-page capture probe, injected before any app script runs (CDP
// Page.addScriptToEvaluateOnNewDocument). It knows nothing about the app but the preview locator: it finds the
// output element, taps its frames from outside (canvas.captureStream() read through MediaStreamTrackProcessor, or
// requestAnimationFrame sampling as a fallback) and keeps, per output frame, a timestamp, a small RGB sample of the
// reference clip's index code and a thumbnail of the whole frame. It also records a WebM of the output and takes lossless key frames on request.
// Configuration arrives in window.__HARNESS_PROBE_CFG, set by the harness in the same injected source.
(() => {
  "use strict";
  if (window.__harnessProbe) return;
  const cfg = Object.assign(
    { strategy: "css", selector: "canvas", bandLeft: 0, bandTop: 0.875, bandRight: 1, bandBottom: 1,
      bandW: 144, bandH: 32, thumbW: 45, thumbH: 80,
      maxFrames: 1800 },
    window.__HARNESS_PROBE_CFG || {},
  );
  const state = {
    frames: [], // {t: performance.now() ms, ts: frame timestamp us or -1, w, h, band: Uint8Array RGB}
    sinceStart: 0,
    mode: "none",
    element: null,
    error: null,
    recorder: null,
    chunks: [],
    recording: false,
    frameCount: 0,
    snapshotWaiters: [],
  };
  const band = new OffscreenCanvas(cfg.bandW, cfg.bandH);
  const bctx = band.getContext("2d", { willReadFrequently: true });
  const thumb = new OffscreenCanvas(cfg.thumbW, cfg.thumbH);
  const tctx = thumb.getContext("2d", { willReadFrequently: true });

  function rgbOf(rgba) {
    const rgb = new Uint8Array((rgba.length / 4) * 3);
    for (let i = 0, j = 0; i < rgba.length; i += 4, j += 3) {
      rgb[j] = rgba[i]; rgb[j + 1] = rgba[i + 1]; rgb[j + 2] = rgba[i + 2];
    }
    return rgb;
  }

  function findElement() {
    try {
      if (cfg.strategy === "xpath") {
        const r = document.evaluate(cfg.selector, document, null, XPathResult.FIRST_ORDERED_NODE_TYPE, null);
        return r.singleNodeValue;
      }
      return document.querySelector(cfg.selector);
    } catch (e) {
      state.error = "bad preview locator: " + e;
      return null;
    }
  }

  function keep(source, w, h, ts) {
    if (!w || !h) return;
    // The clip's code region (fractions of the frame, from the harness): the code box of a version 2 clip.
    const left = Math.floor(w * cfg.bandLeft), top = Math.floor(h * cfg.bandTop);
    const right = Math.ceil(w * cfg.bandRight), bottom = Math.ceil(h * cfg.bandBottom);
    bctx.drawImage(source, left, top, right - left, bottom - top, 0, 0, cfg.bandW, cfg.bandH);
    const rgb = rgbOf(bctx.getImageData(0, 0, cfg.bandW, cfg.bandH).data);
    tctx.drawImage(source, 0, 0, w, h, 0, 0, cfg.thumbW, cfg.thumbH);
    const small = rgbOf(tctx.getImageData(0, 0, cfg.thumbW, cfg.thumbH).data);
    state.frameCount += 1;
    if (state.frames.length >= cfg.maxFrames) state.frames.shift();
    state.frames.push({ t: performance.now(), ts: ts, w: w, h: h, band: rgb, thumb: small });
  }

  async function tapTrack(el) {
    const stream = el.captureStream ? el.captureStream() : null;
    const track = stream && stream.getVideoTracks()[0];
    if (!track || typeof MediaStreamTrackProcessor === "undefined") return false;
    state.stream = stream;
    state.mode = "track";
    const reader = new MediaStreamTrackProcessor({ track: track }).readable.getReader();
    (async () => {
      for (;;) {
        const { value: frame, done } = await reader.read();
        if (done) break;
        try {
          keep(frame, frame.displayWidth, frame.displayHeight, frame.timestamp);
          if (state.snapshotWaiters.length) grabFull(frame, frame.displayWidth, frame.displayHeight);
        } finally { frame.close(); }
      }
    })().catch((e) => { state.error = "frame tap stopped: " + e; });
    return true;
  }

  function tapAnimationFrames(el) {
    state.mode = "raf";
    const tick = () => {
      const w = el.width || el.videoWidth, h = el.height || el.videoHeight;
      try { keep(el, w, h, -1); } catch (e) { state.error = String(e); }
      requestAnimationFrame(tick);
    };
    requestAnimationFrame(tick);
  }

  function attach() {
    const el = findElement();
    if (!el) return false;
    state.element = el;
    state.attachedAt = performance.now();
    tapTrack(el).then((ok) => { if (!ok) tapAnimationFrames(el); });
    return true;
  }

  function waitForElement() {
    if (attach()) return;
    const obs = new MutationObserver(() => { if (!state.element && attach()) obs.disconnect(); });
    obs.observe(document.documentElement || document, { childList: true, subtree: true, attributes: true });
  }

  // Lossless copy of one whole output frame, handed to every waiting snapshot() call.
  function grabFull(source, w, h) {
    const waiters = state.snapshotWaiters.splice(0);
    const full = new OffscreenCanvas(w, h);
    full.getContext("2d").drawImage(source, 0, 0);
    const t = performance.now();
    full.convertToBlob({ type: "image/png" }).then((blob) => {
      const fr = new FileReader();
      fr.onload = () => waiters.forEach((done) => done({ t: t, png: String(fr.result).split(",")[1] }));
      fr.readAsDataURL(blob);
    });
  }

  function grabFullNow(el) {
    const c = document.createElement("canvas");
    c.width = el.width || el.videoWidth; c.height = el.height || el.videoHeight;
    c.getContext("2d").drawImage(el, 0, 0);
    state.lastFull = { t: performance.now(), png: c.toDataURL("image/png").split(",")[1] };
  }

  function b64(bytes) {
    let s = "";
    for (let i = 0; i < bytes.length; i += 0x8000) s += String.fromCharCode.apply(null, bytes.subarray(i, i + 0x8000));
    return btoa(s);
  }

  window.__harnessProbe = {
    info() {
      return {
        mode: state.mode, attached: !!state.element, attachedAt: state.attachedAt ?? -1, error: state.error,
        frameCount: state.frameCount, kept: state.frames.length, timeOrigin: performance.timeOrigin,
        now: performance.now(), bandW: cfg.bandW, bandH: cfg.bandH,
        elementAlive: !!(state.element && state.element.isConnected),
      };
    },
    // Frames whose sequence number is >= `from` (sequence = frameCount at keep time - 1).
    take(from) {
      const first = state.frameCount - state.frames.length;
      const start = Math.max(0, from - first);
      const out = state.frames.slice(start);
      const bands = new Uint8Array(out.length * cfg.bandW * cfg.bandH * 3);
      out.forEach((f, i) => bands.set(f.band, i * cfg.bandW * cfg.bandH * 3));
      const thumbs = new Uint8Array(out.length * cfg.thumbW * cfg.thumbH * 3);
      out.forEach((f, i) => thumbs.set(f.thumb, i * cfg.thumbW * cfg.thumbH * 3));
      return {
        first: first + start, t: out.map((f) => f.t), ts: out.map((f) => f.ts),
        w: out.map((f) => f.w), h: out.map((f) => f.h), bands: b64(bands), thumbs: b64(thumbs),
      };
    },
    startRecording() {
      const el = state.element;
      if (!el || typeof MediaRecorder === "undefined") return false;
      const stream = el.captureStream ? el.captureStream() : null;
      if (!stream) return false;
      state.chunks = [];
      const mime = MediaRecorder.isTypeSupported("video/webm;codecs=vp8") ? "video/webm;codecs=vp8" : "video/webm";
      state.recorder = new MediaRecorder(stream, { mimeType: mime, videoBitsPerSecond: 800000 });
      state.recorder.ondataavailable = (e) => { if (e.data && e.data.size) state.chunks.push(e.data); };
      state.recorder.start();
      state.recordStartedAt = performance.now();
      return true;
    },
    stopRecording(done) {
      const rec = state.recorder;
      if (!rec) { done(null); return; }
      rec.onstop = () => {
        const blob = new Blob(state.chunks, { type: "video/webm" });
        const fr = new FileReader();
        fr.onload = () => done(String(fr.result).split(",")[1] || "");
        fr.readAsDataURL(blob);
      };
      rec.stop();
      state.recorder = null;
    },
    // Calls done({t, png}) with the next output frame, or done(null) when no frame comes within timeoutMs.
    snapshot(done, timeoutMs) {
      const el = state.element;
      if (!el) { done(null); return; }
      if (state.mode === "raf") {
        try { grabFullNow(el); done(state.lastFull); } catch (e) { done(null); }
        return;
      }
      let settled = false;
      const finish = (v) => { if (!settled) { settled = true; done(v); } };
      state.snapshotWaiters.push(finish);
      setTimeout(() => finish(null), timeoutMs || 2000);
    },
  };
  waitForElement();
})();
