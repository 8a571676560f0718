// Pixel Forge pixkit: the Canvas 2D / CPU pipeline (beauty -> 3D LUT -> stickers/particles -> output),
// working on ImageData pixels in plain JavaScript.

import { applyFaultsCpu } from '../common/faults.js';
import { SkinTracker } from '../common/tracker.js';

const TRACK_SCALE = 4;

// Soft YCbCr skin weight (0..1): 77<=Cb<=127, 133<=Cr<=173 (Chai & Ngan), fading out within 3 units.
function skinWeight(r, g, b) {
  const cb = 128 - 0.168736 * r - 0.331264 * g + 0.5 * b;
  const cr = 128 + 0.5 * r - 0.418688 * g - 0.081312 * b;
  const d = Math.max(77 - cb, cb - 127, 133 - cr, cr - 173);
  return Math.min(1, Math.max(0, 1 - d / 3));
}

// Trilinear 3D LUT on 0..255 values: x = v / 255 * (N - 1), corners floor(x) and floor(x) + 1.
export class CpuLut {
  constructor(cube) {
    const n = cube.size;
    this.table = cube.table;
    this.strideG = 3 * n;
    this.strideB = 3 * n * n;
    this.i0 = new Int32Array(256);
    this.f = new Float64Array(256);
    for (let v = 0; v < 256; v++) {
      const x = (v / 255) * (n - 1);
      const i = Math.min(Math.floor(x), n - 2);
      this.i0[v] = i;
      this.f[v] = x - i;
    }
  }

  apply(px) {
    const { table: t, strideG: sg, strideB: sb, i0, f } = this;
    for (let p = 0; p < px.length; p += 4) {
      const r = px[p];
      const g = px[p + 1];
      const b = px[p + 2];
      const fr = f[r];
      const fg = f[g];
      const fb = f[b];
      const base = i0[b] * sb + i0[g] * sg + i0[r] * 3;
      for (let k = 0; k < 3; k++) {
        const o = base + k;
        const c00 = t[o] + (t[o + 3] - t[o]) * fr;
        const c10 = t[o + sg] + (t[o + sg + 3] - t[o + sg]) * fr;
        const c01 = t[o + sb] + (t[o + sb + 3] - t[o + sb]) * fr;
        const c11 = t[o + sb + sg] + (t[o + sb + sg + 3] - t[o + sb + sg]) * fr;
        const c0 = c00 + (c10 - c00) * fg;
        const c1 = c01 + (c11 - c01) * fg;
        px[p + k] = Math.round((c0 + (c1 - c0) * fb) * 255);
      }
    }
  }
}

const RANGE_WEIGHT = new Float32Array(256);
for (let d = 0; d < 256; d++) RANGE_WEIGHT[d] = Math.exp(-(d * d) / (2 * 26 * 26));

// Edge-preserving smoothing of the skin pixels: 5x5 bilateral (range weight on luma) of an RGBA buffer of
// w x h, rows < rows; dst is written only where skin[i] > 0.
function bilateral(src, luma, skin, dst, w, h, rows, spacing) {
  const dx = new Int32Array(25);
  const dy = new Int32Array(25);
  const ws = new Float32Array(25);
  for (let j = -2, k = 0; j <= 2; j++) {
    for (let i = -2; i <= 2; i++, k++) {
      dx[k] = Math.round(i * spacing);
      dy[k] = Math.round(j * spacing);
      ws[k] = Math.exp(-(i * i + j * j) / 4);
    }
  }
  for (let y = 0; y < rows; y++) {
    for (let x = 0; x < w; x++) {
      const i0 = y * w + x;
      if (skin[i0] === 0) continue;
      const y0 = luma[i0];
      let ar = 0, ag = 0, ab = 0, wsum = 0;
      for (let k = 0; k < 25; k++) {
        let qx = x + dx[k];
        let qy = y + dy[k];
        qx = qx < 0 ? 0 : qx >= w ? w - 1 : qx;
        qy = qy < 0 ? 0 : qy >= h ? h - 1 : qy;
        const qi = qy * w + qx;
        const yq = luma[qi];
        const wgt = ws[k] * RANGE_WEIGHT[yq > y0 ? yq - y0 : y0 - yq];
        const q = qi * 4;
        ar += src[q] * wgt;
        ag += src[q + 1] * wgt;
        ab += src[q + 2] * wgt;
        wsum += wgt;
      }
      const p = i0 * 4;
      dst[p] = ar / wsum;
      dst[p + 1] = ag / wsum;
      dst[p + 2] = ab / wsum;
    }
  }
}

export class PixkitEngine {
  // build: {beautyScale: 1 (full resolution) | 2 (half resolution)}
  constructor(canvas, faults, build) {
    this.canvas = canvas;
    this.faults = faults;
    this.build = build;
    this.ctx = canvas.getContext('2d', { alpha: false, willReadFrequently: true });
    this.work = document.createElement('canvas');
    this.workCtx = this.work.getContext('2d', { alpha: false, willReadFrequently: true });
    this.luts = new Map();
    this.width = 0;
    this.height = 0;
    this.tracker = null;
  }

  loadLut(name, cube) {
    this.luts.set(name, new CpuLut(cube));
  }

  resize(width, height) {
    this.width = width;
    this.height = height;
    // The reference clip's code band (clip version 2) and everything below it: never retouched.
    this.bandTop = Math.round(height * (height >= width ? 0.64 : 0.55));
    this.work.width = width;
    this.work.height = height;
    const out = this.faults.outputSize(width, height);
    this.canvas.width = out.width;
    this.canvas.height = out.height;
    this.outImage = this.ctx.createImageData(out.width, out.height);
    const s = this.build.beautyScale;
    this.smallW = Math.ceil(width / s);
    this.smallH = Math.ceil(height / s);
    this.small = new Uint8ClampedArray(this.smallW * this.smallH * 4);
    this.smooth = new Uint8ClampedArray(this.smallW * this.smallH * 4);
    this.skin = new Uint8Array(this.smallW * this.smallH);
    this.luma = new Uint8Array(this.smallW * this.smallH);
    this.tracker = new SkinTracker({
      frameWidth: width, frameHeight: height, scale: TRACK_SCALE, ignoreBelowY: this.bandTop,
      smoothing: 0.5, holdFrames: 10,
    });
    this.trackPx = new Uint8ClampedArray(this.tracker.w * this.tracker.h * 4);
  }

  // Nearest-neighbour subsample of the frame for the tracker (every TRACK_SCALE-th pixel).
  track(px) {
    const { tracker, trackPx, width } = this;
    for (let y = 0, o = 0; y < tracker.h; y++) {
      for (let x = 0; x < tracker.w; x++, o += 4) {
        const p = ((y * TRACK_SCALE + 1) * width + x * TRACK_SCALE + 1) * 4;
        trackPx[o] = px[p];
        trackPx[o + 1] = px[p + 1];
        trackPx[o + 2] = px[p + 2];
      }
    }
    return tracker.update(trackPx);
  }

  beauty(px, level) {
    const { width: w, height: h, bandTop, smallW: sw, smallH: sh, small, smooth, skin, luma } = this;
    const s = this.build.beautyScale;
    const strength = (level / 100) * 0.9;
    const whiten = (level / 100) * 0.22;
    const rows = Math.ceil(bandTop / s);
    // Working buffer: the frame itself (1.4) or a half-resolution subsample (1.5).
    const src = s === 1 ? px : small;
    for (let y = 0; y < Math.min(sh, rows + 6); y++) {
      for (let x = 0; x < sw; x++) {
        const o = y * sw + x;
        let p = o * 4;
        if (s !== 1) {
          p = (Math.min(h - 1, y * s) * w + Math.min(w - 1, x * s)) * 4;
          small[o * 4] = px[p]; small[o * 4 + 1] = px[p + 1]; small[o * 4 + 2] = px[p + 2];
        }
        luma[o] = (px[p] * 77 + px[p + 1] * 150 + px[p + 2] * 29) >> 8;
        skin[o] = skinWeight(px[p], px[p + 1], px[p + 2]) > 0 ? 1 : 0;
      }
    }
    // Tap distance in working pixels: 1..3 full-resolution pixels as the level goes 0..100.
    const spacing = Math.max(1, (1 + 2 * (level / 100)) / s);
    bilateral(src, luma, skin, smooth, sw, sh, rows, spacing);
    for (let y = 0; y < bandTop; y++) {
      const sy = Math.min(sh - 1, Math.floor(y / s));
      for (let x = 0; x < w; x++) {
        const p = (y * w + x) * 4;
        const sk = skinWeight(px[p], px[p + 1], px[p + 2]);
        if (sk <= 0) continue;
        const si = sy * sw + Math.min(sw - 1, Math.floor(x / s));
        if (skin[si] === 0) continue; // no smoothed value there (half resolution edge)
        const q = si * 4;
        const a = sk * strength;
        const lift = sk * whiten;
        for (let k = 0; k < 3; k++) {
          const c = px[p + k] + (smooth[q + k] - px[p + k]) * a;
          px[p + k] = c + (255 - c) * lift;
        }
      }
    }
  }

  // Stickers and particles drawn with the 2D API on ctx, never at or below bandTop.
  drawEffect(ctx, effect, face, frameNo) {
    ctx.save();
    ctx.beginPath();
    ctx.rect(0, 0, this.width, this.bandTop);
    ctx.clip();
    const cx = face.x + face.w / 2;
    if (effect === 'crown') {
      const cw = face.w * 0.9;
      const ch = cw * 0.55;
      const bottom = face.y + face.h * 0.15; // worn on the head: its band over the hairline
      const left = cx - cw / 2;
      const top = bottom - ch;
      ctx.fillStyle = '#f5c518';
      ctx.strokeStyle = '#8a6d00';
      ctx.lineWidth = Math.max(1.5, cw / 60);
      ctx.beginPath();
      ctx.moveTo(left, bottom);
      const peaks = 5;
      for (let i = 0; i <= peaks * 2; i++) {
        const x = left + (cw * i) / (peaks * 2);
        ctx.lineTo(x, i % 2 === 0 ? top : top + ch * 0.55);
      }
      ctx.lineTo(left + cw, bottom);
      ctx.closePath();
      ctx.fill();
      ctx.stroke();
      ctx.fillStyle = '#c2185b';
      for (let i = 1; i < peaks * 2; i += 2) {
        ctx.beginPath();
        ctx.arc(left + (cw * i) / (peaks * 2), bottom - ch * 0.2, cw / 28, 0, Math.PI * 2);
        ctx.fill();
      }
    } else if (effect === 'sparkles') {
      const cy = face.y + face.h / 2;
      const n = 24;
      for (let i = 0; i < n; i++) {
        const angle = (2 * Math.PI * i) / n - frameNo * 0.05 * (1 + (i % 4) * 0.25);
        const r = 0.85 + 0.2 * Math.sin(frameNo * 0.19 + i * 1.3);
        const x = cx + Math.cos(angle) * face.w * 0.75 * r;
        const y = cy + Math.sin(angle) * face.h * 0.75 * r;
        const size = 4 + 6 * Math.abs(Math.sin(frameNo * 0.27 + i * 1.9));
        ctx.fillStyle = i % 3 === 0 ? '#fff7b0' : i % 3 === 1 ? '#ffffff' : '#ffd1f0';
        ctx.beginPath();
        for (let k = 0; k < 8; k++) {
          const a = (Math.PI * k) / 4;
          const rr = k % 2 === 0 ? size : size * 0.3;
          ctx.lineTo(x + Math.cos(a) * rr, y + Math.sin(a) * rr);
        }
        ctx.closePath();
        ctx.fill();
      }
    }
    ctx.restore();
  }

  // Renders one frame. state: {filter, beautyLevel (0..100), effect, frameNo}.
  render(video, state) {
    const { width: w, height: h, faults } = this;
    this.workCtx.drawImage(video, 0, 0, w, h);
    const frame = this.workCtx.getImageData(0, 0, w, h);
    const px = frame.data;
    const face = state.effect !== 'none' ? this.faults.laggedFace(this.track(px)) : null;
    if (state.beautyLevel > 0) this.beauty(px, state.beautyLevel);
    const lut = this.luts.get(state.filter);
    if (lut) lut.apply(px);
    const drawFx = state.effect !== 'none' && face !== null;
    if (!faults.touchesOutput) {
      this.ctx.putImageData(frame, 0, 0);
      if (drawFx) this.drawEffect(this.ctx, state.effect, face, state.frameNo);
      return;
    }
    let src = frame;
    if (drawFx) {
      this.workCtx.putImageData(frame, 0, 0);
      this.drawEffect(this.workCtx, state.effect, face, state.frameNo);
      src = this.workCtx.getImageData(0, 0, w, h);
    }
    applyFaultsCpu(faults, src, this.outImage);
    this.ctx.putImageData(this.outImage, 0, 0);
  }
}
