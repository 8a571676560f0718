// Per-frame face tracker used by both demo SDKs: the largest face-shaped blob of skin-coloured pixels
// (YCbCr rule) in a low-resolution copy of the camera frame, smoothed over frames.

// Face-skin rule on full-range BT.601 YCbCr. Tighter than the retouch rule (77<=Cb<=127, 133<=Cr<=173,
// Chai & Ngan) so that beige walls and orange clothes do not merge with the face: 85<=Cb<=122, 140<=Cr<=170.
export function isFaceSkin(r, g, b) {
  const cb = 128 - 0.168736 * r - 0.331264 * g + 0.5 * b;
  const cr = 128 + 0.5 * r - 0.418688 * g - 0.081312 * b;
  return cb >= 85 && cb <= 122 && cr >= 140 && cr <= 170;
}

export class SkinTracker {
  // frameWidth/frameHeight: camera frame size; scale: frame pixels per tracker pixel;
  // ignoreBelowY: camera rows at and below this are never searched (status band);
  // smoothing: EMA weight of the previous box (0 = no smoothing); holdFrames: frames a lost face is kept.
  constructor({ frameWidth, frameHeight, scale, ignoreBelowY, smoothing, holdFrames }) {
    this.scale = scale;
    this.w = Math.floor(frameWidth / scale);
    this.h = Math.floor(frameHeight / scale);
    this.searchH = Math.min(this.h, Math.floor(ignoreBelowY / scale));
    this.smoothing = smoothing;
    this.holdFrames = holdFrames;
    this.mask = new Uint8Array(this.w * this.h);
    this.labels = new Int32Array(this.w * this.h);
    this.stack = new Int32Array(this.w * this.h);
    this.box = null; // {x, y, w, h} in camera pixels, smoothed
    this.lostFor = 0;
  }

  // rgba: Uint8ClampedArray of a (this.w x this.h) RGBA image of the camera frame.
  update(rgba) {
    const { w, searchH, mask, labels, stack } = this;
    for (let i = 0, p = 0; i < w * searchH; i++, p += 4) {
      mask[i] = isFaceSkin(rgba[p], rgba[p + 1], rgba[p + 2]) ? 1 : 0;
    }
    labels.fill(0);
    let best = null;
    let bestScore = 0;
    let label = 0;
    for (let start = 0; start < w * searchH; start++) {
      if (!mask[start] || labels[start]) continue;
      label += 1;
      let top = 0;
      stack[top++] = start;
      labels[start] = label;
      let area = 0;
      let x0 = w, y0 = searchH, x1 = -1, y1 = -1;
      while (top > 0) {
        const i = stack[--top];
        const x = i % w;
        const y = (i - x) / w;
        area += 1;
        if (x < x0) x0 = x;
        if (x > x1) x1 = x;
        if (y < y0) y0 = y;
        if (y > y1) y1 = y;
        if (x > 0 && mask[i - 1] && !labels[i - 1]) { labels[i - 1] = label; stack[top++] = i - 1; }
        if (x < w - 1 && mask[i + 1] && !labels[i + 1]) { labels[i + 1] = label; stack[top++] = i + 1; }
        if (y > 0 && mask[i - w] && !labels[i - w]) { labels[i - w] = label; stack[top++] = i - w; }
        if (y < searchH - 1 && mask[i + w] && !labels[i + w]) { labels[i + w] = label; stack[top++] = i + w; }
      }
      const bw = x1 - x0 + 1;
      const bh = y1 - y0 + 1;
      const aspect = bh / bw;
      const fill = area / (bw * bh);
      // Faces are roughly upright ellipses: prefer compact blobs with height/width 0.8..2.2.
      const shape = aspect >= 0.8 && aspect <= 2.2 ? 1 : 0.3;
      const score = area * shape * Math.min(1, fill / 0.5);
      if (area >= 12 && score > bestScore) {
        bestScore = score;
        best = { x: x0, y: y0, w: bw, h: bh };
      }
    }
    if (best === null) {
      this.lostFor += 1;
      if (this.lostFor > this.holdFrames) this.box = null;
      return this.box;
    }
    this.lostFor = 0;
    const s = this.scale;
    const raw = { x: best.x * s, y: best.y * s, w: best.w * s, h: best.h * s };
    if (this.box === null) {
      this.box = raw;
    } else {
      const k = this.smoothing;
      for (const key of ['x', 'y', 'w', 'h']) this.box[key] = k * this.box[key] + (1 - k) * raw[key];
    }
    return this.box;
  }
}
