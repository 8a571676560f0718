// Canvas 2D building blocks for the demo apps built on third-party face trackers (apps/mediapipe): colour filters written as formulas (CSS filter functions, no .cube file), a face-area beauty
// pass, and a crown sticker placed on a face box the tracker gives.

// Each app names its looks its own way; the formulas are the same family (sepia / saturate / hue / grey).
export const FILTER_FORMULAS = {
  none: 'none',
  golden: 'sepia(0.35) saturate(1.35) hue-rotate(-8deg) brightness(1.04)',
  frost: 'saturate(0.85) hue-rotate(18deg) brightness(1.02) contrast(1.05)',
  noir: 'grayscale(1) contrast(1.12)',
};

// Frame rows below this share of the height are never retouched or drawn on (the demo's caption area).
export const BOTTOM_BAND = 0.875;

// face: {x, y, w, h} in output pixels. level 0..100. Blurs the camera image inside the face ellipse and blends
// it in with weight 0.8 * level / 100, a plain face-area smoothing as vendor demos ship it.
export function drawBeauty(ctx, source, face, level, width, height) {
  if (!face || level <= 0) return;
  ctx.save();
  ctx.beginPath();
  ctx.rect(0, 0, width, Math.floor(height * BOTTOM_BAND));
  ctx.clip();
  ctx.beginPath();
  ctx.ellipse(face.x + face.w / 2, face.y + face.h / 2, face.w * 0.48, face.h * 0.5, 0, 0, 2 * Math.PI);
  ctx.clip();
  ctx.globalAlpha = 0.8 * level / 100;
  ctx.filter = `blur(${(1 + 3 * level / 100).toFixed(2)}px) brightness(${(1 + 0.12 * level / 100).toFixed(3)})`;
  ctx.drawImage(source, 0, 0, width, height);
  ctx.restore();
}

// A gold crown whose base sits on the top of the face box, `scale` face widths wide.
export function drawCrown(ctx, face, width, height, { scale = 1.0, colour = '#f2c12e' } = {}) {
  if (!face) return;
  const w = face.w * scale;
  const h = w * 0.55;
  const x0 = face.x + face.w / 2 - w / 2;
  const base = face.y;
  ctx.save();
  ctx.beginPath();
  ctx.rect(0, 0, width, Math.floor(height * BOTTOM_BAND));
  ctx.clip();
  ctx.beginPath();
  ctx.moveTo(x0, base);
  ctx.lineTo(x0, base - h * 0.55);
  ctx.lineTo(x0 + w * 0.25, base - h * 0.2);
  ctx.lineTo(x0 + w * 0.5, base - h);
  ctx.lineTo(x0 + w * 0.75, base - h * 0.2);
  ctx.lineTo(x0 + w, base - h * 0.55);
  ctx.lineTo(x0 + w, base);
  ctx.closePath();
  ctx.fillStyle = colour;
  ctx.strokeStyle = '#7a4b00';
  ctx.lineWidth = Math.max(2, w * 0.02);
  ctx.fill();
  ctx.stroke();
  ctx.fillStyle = '#c8102e';
  for (const [fx, fy] of [[0.5, 0.45], [0.2, 0.2], [0.8, 0.2]]) {
    ctx.beginPath();
    ctx.arc(x0 + w * fx, base - h * fy, w * 0.05, 0, 2 * Math.PI);
    ctx.fill();
  }
  ctx.restore();
}

// A "live" badge in the top-right corner: a sticker anchored to the screen, not to the face.
export function drawBadge(ctx, width, height) {
  const w = Math.round(width * 0.3);
  const h = Math.round(w * 0.4);
  const x = width - w - Math.round(width * 0.04);
  const y = Math.round(height * 0.12);
  ctx.save();
  ctx.fillStyle = '#e0245e';
  ctx.fillRect(x, y, w, h);
  ctx.fillStyle = '#ffffff';
  ctx.font = `bold ${Math.round(h * 0.6)}px sans-serif`;
  ctx.textAlign = 'center';
  ctx.textBaseline = 'middle';
  ctx.fillText('LIVE', x + w / 2, y + h / 2);
  ctx.restore();
}
