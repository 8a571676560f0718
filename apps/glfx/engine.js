// Lumen Labs glfx: the WebGL2 render pipeline (beauty -> 3D LUT -> stickers/particles -> present).
// Intermediate textures keep image rows top-down (memory row 0 = top of the frame); only present flips.

import { FAULT_GLSL, setFaultUniforms } from '../common/faults.js';

const VERT_FULLSCREEN = `#version 300 es
in vec2 a_pos;
void main() { gl_Position = vec4(a_pos, 0.0, 1.0); }`;

const SKIN_GLSL = `
// Soft YCbCr skin rule (full-range BT.601): 77<=Cb<=127, 133<=Cr<=173, fading to 0 within 3 units outside.
float skinWeight(vec3 c) {
  vec3 p = c * 255.0;
  float cb = 128.0 - 0.168736 * p.r - 0.331264 * p.g + 0.5 * p.b;
  float cr = 128.0 + 0.5 * p.r - 0.418688 * p.g - 0.081312 * p.b;
  float d = max(max(77.0 - cb, cb - 127.0), max(133.0 - cr, cr - 173.0));
  return clamp(1.0 - d / 3.0, 0.0, 1.0);
}
float luma(vec3 c) { return dot(c, vec3(0.299, 0.587, 0.114)); }
`;

const BEAUTY_HEAD = `#version 300 es
precision highp float;
precision highp int;
uniform highp sampler2D u_src;
uniform highp sampler2D u_orig;
uniform float u_level;   // 0..1
uniform float u_spacing; // pixels between taps
uniform int u_bandTop;   // rows at and below are never retouched
out vec4 o_color;
${SKIN_GLSL}
vec3 finish(vec3 c0, vec3 smoothed, float sk) {
  vec3 c = mix(c0, smoothed, sk * u_level * 0.9);
  return c + (1.0 - c) * sk * u_level * 0.22; // whitening: lift lightness on skin
}
`;

// glfx 1.0: one 9x9 bilateral pass (81 taps per skin pixel).
const BEAUTY_BILATERAL_2D = `${BEAUTY_HEAD}
void main() {
  ivec2 p = ivec2(gl_FragCoord.xy);
  ivec2 size = textureSize(u_src, 0);
  vec3 c0 = texelFetch(u_src, p, 0).rgb;
  float sk = skinWeight(c0);
  if (sk <= 0.0 || p.y >= u_bandTop) { o_color = vec4(c0, 1.0); return; }
  float y0 = luma(c0);
  vec3 acc = vec3(0.0);
  float wsum = 0.0;
  for (int j = -4; j <= 4; j++) {
    for (int i = -4; i <= 4; i++) {
      ivec2 q = clamp(p + ivec2(round(vec2(i, j) * u_spacing)), ivec2(0), size - 1);
      vec3 c = texelFetch(u_src, q, 0).rgb;
      float dr = luma(c) - y0;
      float w = exp(-float(i * i + j * j) / 8.0 - dr * dr / 0.02);
      acc += c * w;
      wsum += w;
    }
  }
  o_color = vec4(finish(c0, acc / wsum, sk), 1.0);
}`;

// glfx 2.0: separable bilateral, horizontal pass (9 taps) ...
const BEAUTY_SEPARABLE_H = `${BEAUTY_HEAD}
void main() {
  ivec2 p = ivec2(gl_FragCoord.xy);
  ivec2 size = textureSize(u_src, 0);
  vec3 c0 = texelFetch(u_src, p, 0).rgb;
  if (skinWeight(c0) <= 0.0 || p.y >= u_bandTop) { o_color = vec4(c0, 1.0); return; }
  float y0 = luma(c0);
  vec3 acc = vec3(0.0);
  float wsum = 0.0;
  for (int i = -4; i <= 4; i++) {
    ivec2 q = clamp(p + ivec2(int(round(float(i) * u_spacing)), 0), ivec2(0), size - 1);
    vec3 c = texelFetch(u_src, q, 0).rgb;
    float dr = luma(c) - y0;
    float w = exp(-float(i * i) / 8.0 - dr * dr / 0.02);
    acc += c * w;
    wsum += w;
  }
  o_color = vec4(acc / wsum, 1.0);
}`;

// ... then vertical pass (9 taps) on the horizontal result, blended with the original by the skin mask.
const BEAUTY_SEPARABLE_V = `${BEAUTY_HEAD}
void main() {
  ivec2 p = ivec2(gl_FragCoord.xy);
  ivec2 size = textureSize(u_src, 0);
  vec3 c0 = texelFetch(u_orig, p, 0).rgb;
  float sk = skinWeight(c0);
  if (sk <= 0.0 || p.y >= u_bandTop) { o_color = vec4(c0, 1.0); return; }
  float y0 = luma(texelFetch(u_src, p, 0).rgb);
  vec3 acc = vec3(0.0);
  float wsum = 0.0;
  for (int j = -4; j <= 4; j++) {
    ivec2 q = clamp(p + ivec2(0, int(round(float(j) * u_spacing))), ivec2(0), size - 1);
    vec3 c = texelFetch(u_src, q, 0).rgb;
    float dr = luma(c) - y0;
    float w = exp(-float(j * j) / 8.0 - dr * dr / 0.02);
    acc += c * w;
    wsum += w;
  }
  o_color = vec4(finish(c0, acc / wsum, sk), 1.0);
}`;

// Colour filter: exact trilinear interpolation of a .cube table on the 0..255 values.
const LUT_GLSL = `
uniform highp sampler3D u_lut;
uniform int u_lutOn;
uniform float u_lutSize;
uniform float u_lutMix;
vec3 applyLut(vec3 c) {
  if (u_lutOn == 0) return c;
  float n1 = u_lutSize - 1.0;
  vec3 x = c * n1;
  vec3 i0 = min(floor(x), vec3(n1 - 1.0));
  vec3 f = x - i0;
  ivec3 a = ivec3(i0);
  vec3 c000 = texelFetch(u_lut, a, 0).rgb;
  vec3 c100 = texelFetch(u_lut, a + ivec3(1, 0, 0), 0).rgb;
  vec3 c010 = texelFetch(u_lut, a + ivec3(0, 1, 0), 0).rgb;
  vec3 c110 = texelFetch(u_lut, a + ivec3(1, 1, 0), 0).rgb;
  vec3 c001 = texelFetch(u_lut, a + ivec3(0, 0, 1), 0).rgb;
  vec3 c101 = texelFetch(u_lut, a + ivec3(1, 0, 1), 0).rgb;
  vec3 c011 = texelFetch(u_lut, a + ivec3(0, 1, 1), 0).rgb;
  vec3 c111 = texelFetch(u_lut, a + ivec3(1, 1, 1), 0).rgb;
  vec3 c00 = mix(c000, c100, f.r);
  vec3 c10 = mix(c010, c110, f.r);
  vec3 c01 = mix(c001, c101, f.r);
  vec3 c11 = mix(c011, c111, f.r);
  vec3 graded = mix(mix(c00, c10, f.g), mix(c01, c11, f.g), f.b);
  return mix(c, graded, u_lutMix);
}
`;

// Scene pass (used when an effect is drawn on top of the graded frame).
const LUT_FRAG = `#version 300 es
precision highp float;
precision highp int;
uniform highp sampler2D u_src;
out vec4 o_color;
${LUT_GLSL}
void main() {
  o_color = vec4(applyLut(texelFetch(u_src, ivec2(gl_FragCoord.xy), 0).rgb), 1.0);
}`;

const SPRITE_VERT = `#version 300 es
in vec2 a_pos;
in vec2 a_uv;
out vec2 v_uv;
void main() { v_uv = a_uv; gl_Position = vec4(a_pos, 0.0, 1.0); }`;

const SPRITE_FRAG = `#version 300 es
precision highp float;
uniform sampler2D u_tex;
in vec2 v_uv;
out vec4 o_color;
void main() { o_color = texture(u_tex, v_uv); }`;

const POINT_VERT = `#version 300 es
in vec2 a_pos;
in float a_size;
in float a_glow;
out float v_glow;
void main() { v_glow = a_glow; gl_PointSize = a_size; gl_Position = vec4(a_pos, 0.0, 1.0); }`;

// Four-pointed star with a soft core; premultiplied alpha.
const POINT_FRAG = `#version 300 es
precision highp float;
in float v_glow;
out vec4 o_color;
void main() {
  vec2 d = abs(gl_PointCoord - 0.5) * 2.0;
  float star = max(1.0 - (d.x * 6.0 + d.y), 1.0 - (d.y * 6.0 + d.x));
  float core = 1.0 - length(d) * 2.2;
  float a = clamp(max(star, core), 0.0, 1.0) * v_glow;
  o_color = vec4(vec3(1.0, 0.93, 0.6) * a + vec3(0.0, 0.07, 0.4) * a * a, a);
}`;

// Present pass: the colour filter (when no scene pass ran) and the output faults, flipped for the canvas.
const PRESENT_FRAG = `#version 300 es
precision highp float;
precision highp int;
uniform highp sampler2D u_scene;
uniform vec2 u_outSize;
out vec4 o_color;
${LUT_GLSL}
${FAULT_GLSL}
void main() {
  vec2 outPx = vec2(gl_FragCoord.x, u_outSize.y - gl_FragCoord.y); // top-down
  vec2 uv = faultSourceUv(outPx / u_outSize);
  ivec2 size = textureSize(u_scene, 0);
  ivec2 q = clamp(ivec2(floor(uv * vec2(size))), ivec2(0), size - 1);
  o_color = vec4(faultColour(applyLut(texelFetch(u_scene, q, 0).rgb)), 1.0);
}`;

function compile(gl, vertSrc, fragSrc, name) {
  const program = gl.createProgram();
  for (const [type, src] of [[gl.VERTEX_SHADER, vertSrc], [gl.FRAGMENT_SHADER, fragSrc]]) {
    const shader = gl.createShader(type);
    gl.shaderSource(shader, src);
    gl.compileShader(shader);
    if (!gl.getShaderParameter(shader, gl.COMPILE_STATUS)) {
      throw new Error(`glfx: shader ${name} failed to compile: ${gl.getShaderInfoLog(shader)}`);
    }
    gl.attachShader(program, shader);
  }
  gl.bindAttribLocation(program, 0, 'a_pos');
  gl.linkProgram(program);
  if (!gl.getProgramParameter(program, gl.LINK_STATUS)) {
    throw new Error(`glfx: program ${name} failed to link: ${gl.getProgramInfoLog(program)}`);
  }
  return program;
}

function makeTexture(gl, filter) {
  const tex = gl.createTexture();
  gl.bindTexture(gl.TEXTURE_2D, tex);
  gl.texParameteri(gl.TEXTURE_2D, gl.TEXTURE_MIN_FILTER, filter);
  gl.texParameteri(gl.TEXTURE_2D, gl.TEXTURE_MAG_FILTER, filter);
  gl.texParameteri(gl.TEXTURE_2D, gl.TEXTURE_WRAP_S, gl.CLAMP_TO_EDGE);
  gl.texParameteri(gl.TEXTURE_2D, gl.TEXTURE_WRAP_T, gl.CLAMP_TO_EDGE);
  return tex;
}

// Gold crown drawn once into a canvas and used as a sprite texture.
function drawCrown() {
  const c = document.createElement('canvas');
  c.width = 256;
  c.height = 160;
  const g = c.getContext('2d');
  const grad = g.createLinearGradient(0, 20, 0, 150);
  grad.addColorStop(0, '#ffe680');
  grad.addColorStop(1, '#d49a00');
  g.fillStyle = grad;
  g.strokeStyle = '#7a5200';
  g.lineWidth = 6;
  g.beginPath();
  g.moveTo(16, 150);
  g.lineTo(8, 40);
  g.lineTo(70, 95);
  g.lineTo(128, 12);
  g.lineTo(186, 95);
  g.lineTo(248, 40);
  g.lineTo(240, 150);
  g.closePath();
  g.fill();
  g.stroke();
  for (const [x, y, colour] of [[128, 118, '#e0115f'], [70, 124, '#1560bd'], [186, 124, '#1560bd']]) {
    g.fillStyle = colour;
    g.beginPath();
    g.arc(x, y, 13, 0, Math.PI * 2);
    g.fill();
  }
  for (const [x, y] of [[8, 40], [128, 12], [248, 40]]) {
    g.fillStyle = '#fff6c0';
    g.beginPath();
    g.arc(x, y, 8, 0, Math.PI * 2);
    g.fill();
  }
  return c;
}

export class GlfxEngine {
  // build: {beautyKernel: 'bilateral2d' | 'separable', lutMix: {name: 0..1}}
  constructor(canvas, faults, build) {
    this.canvas = canvas;
    this.faults = faults;
    this.build = build;
    const gl = canvas.getContext('webgl2', {
      alpha: false, antialias: false, depth: false, stencil: false,
      preserveDrawingBuffer: true, premultipliedAlpha: false,
    });
    if (!gl) throw new Error('glfx: WebGL2 is not available on this device');
    this.gl = gl;
    this.luts = new Map();
    this.width = 0;
    this.height = 0;
    this.programs = {
      lut: compile(gl, VERT_FULLSCREEN, LUT_FRAG, 'lut'),
      present: compile(gl, VERT_FULLSCREEN, PRESENT_FRAG, 'present'),
      sprite: compile(gl, SPRITE_VERT, SPRITE_FRAG, 'sprite'),
      points: compile(gl, POINT_VERT, POINT_FRAG, 'points'),
    };
    if (build.beautyKernel === 'separable') {
      this.programs.beautyH = compile(gl, VERT_FULLSCREEN, BEAUTY_SEPARABLE_H, 'beauty-h');
      this.programs.beautyV = compile(gl, VERT_FULLSCREEN, BEAUTY_SEPARABLE_V, 'beauty-v');
    } else {
      this.programs.beauty = compile(gl, VERT_FULLSCREEN, BEAUTY_BILATERAL_2D, 'beauty-2d');
    }
    this.quad = gl.createBuffer();
    gl.bindBuffer(gl.ARRAY_BUFFER, this.quad);
    gl.bufferData(gl.ARRAY_BUFFER, new Float32Array([-1, -1, 1, -1, -1, 1, 1, 1]), gl.STATIC_DRAW);
    this.dynamic = gl.createBuffer();
    this.camTex = makeTexture(gl, gl.NEAREST);
    this.crownTex = makeTexture(gl, gl.LINEAR);
    gl.pixelStorei(gl.UNPACK_PREMULTIPLY_ALPHA_WEBGL, true);
    gl.texImage2D(gl.TEXTURE_2D, 0, gl.RGBA, gl.RGBA, gl.UNSIGNED_BYTE, drawCrown());
    gl.pixelStorei(gl.UNPACK_PREMULTIPLY_ALPHA_WEBGL, false);
    this.targets = [];
    this.syncPixel = new Uint8Array(4);
  }

  loadLut(name, cube) {
    const gl = this.gl;
    const tex = gl.createTexture();
    gl.bindTexture(gl.TEXTURE_3D, tex);
    gl.texParameteri(gl.TEXTURE_3D, gl.TEXTURE_MIN_FILTER, gl.NEAREST);
    gl.texParameteri(gl.TEXTURE_3D, gl.TEXTURE_MAG_FILTER, gl.NEAREST);
    gl.pixelStorei(gl.UNPACK_ALIGNMENT, 1);
    gl.texImage3D(gl.TEXTURE_3D, 0, gl.RGB32F, cube.size, cube.size, cube.size, 0, gl.RGB, gl.FLOAT,
      cube.table);
    gl.pixelStorei(gl.UNPACK_ALIGNMENT, 4);
    this.luts.set(name, { tex, size: cube.size });
  }

  resize(width, height) {
    const gl = this.gl;
    this.width = width;
    this.height = height;
    // The reference clip's code band (clip version 2) and everything below it: never retouched.
    this.bandTop = Math.round(height * (height >= width ? 0.64 : 0.55));
    const out = this.faults.outputSize(width, height);
    this.canvas.width = out.width;
    this.canvas.height = out.height;
    for (const t of this.targets) { gl.deleteTexture(t.tex); gl.deleteFramebuffer(t.fbo); }
    this.targets = [0, 1, 2].map(() => {
      const tex = makeTexture(gl, gl.NEAREST);
      gl.texImage2D(gl.TEXTURE_2D, 0, gl.RGBA8, width, height, 0, gl.RGBA, gl.UNSIGNED_BYTE, null);
      const fbo = gl.createFramebuffer();
      gl.bindFramebuffer(gl.FRAMEBUFFER, fbo);
      gl.framebufferTexture2D(gl.FRAMEBUFFER, gl.COLOR_ATTACHMENT0, gl.TEXTURE_2D, tex, 0);
      return { tex, fbo };
    });
    gl.bindFramebuffer(gl.FRAMEBUFFER, null);
  }

  fullscreen(program, target, textures, width, height) {
    const gl = this.gl;
    gl.useProgram(program);
    gl.bindFramebuffer(gl.FRAMEBUFFER, target ? target.fbo : null);
    gl.viewport(0, 0, width, height);
    textures.forEach(([name, tex, kind], unit) => {
      gl.activeTexture(gl.TEXTURE0 + unit);
      gl.bindTexture(kind || gl.TEXTURE_2D, tex);
      gl.uniform1i(gl.getUniformLocation(program, name), unit);
    });
    gl.bindBuffer(gl.ARRAY_BUFFER, this.quad);
    gl.enableVertexAttribArray(0);
    gl.vertexAttribPointer(0, 2, gl.FLOAT, false, 0, 0);
    gl.drawArrays(gl.TRIANGLE_STRIP, 0, 4);
  }

  // Renders one frame. state: {filter, beautyLevel (0..100), effect, face ({x,y,w,h}|null), frameNo}.
  render(video, state) {
    const gl = this.gl;
    const { width: w, height: h } = this;
    gl.bindTexture(gl.TEXTURE_2D, this.camTex);
    gl.texImage2D(gl.TEXTURE_2D, 0, gl.RGBA, gl.RGBA, gl.UNSIGNED_BYTE, video);
    const [t0, t1, scene] = this.targets;
    let current = this.camTex;
    const level = state.beautyLevel / 100;
    if (level > 0) {
      const spacing = 1.0 + 2.0 * level;
      const setBeauty = (program) => {
        gl.useProgram(program);
        gl.uniform1f(gl.getUniformLocation(program, 'u_level'), level);
        gl.uniform1f(gl.getUniformLocation(program, 'u_spacing'), spacing);
        gl.uniform1i(gl.getUniformLocation(program, 'u_bandTop'), this.bandTop);
      };
      if (this.build.beautyKernel === 'separable') {
        setBeauty(this.programs.beautyH);
        this.fullscreen(this.programs.beautyH, t0, [['u_src', current], ['u_orig', current]], w, h);
        setBeauty(this.programs.beautyV);
        this.fullscreen(this.programs.beautyV, t1, [['u_src', t0.tex], ['u_orig', current]], w, h);
        current = t1.tex;
      } else {
        setBeauty(this.programs.beauty);
        this.fullscreen(this.programs.beauty, t0, [['u_src', current], ['u_orig', current]], w, h);
        current = t0.tex;
      }
    }
    const lut = this.luts.get(state.filter);
    const setLut = (program, on) => {
      gl.uniform1i(gl.getUniformLocation(program, 'u_lutOn'), on ? 1 : 0);
      gl.uniform1f(gl.getUniformLocation(program, 'u_lutSize'), lut ? lut.size : 2);
      gl.uniform1f(gl.getUniformLocation(program, 'u_lutMix'), this.build.lutMix[state.filter] ?? 1.0);
    };
    const lutTex = lut ? lut.tex : this.luts.values().next().value.tex;
    const drawFx = state.effect !== 'none' && state.face !== null;
    let sceneTex = current;
    if (drawFx) {
      // Grade into the scene target, draw the effect on top, present without grading again.
      const lutProgram = this.programs.lut;
      gl.useProgram(lutProgram);
      setLut(lutProgram, Boolean(lut));
      this.fullscreen(lutProgram, scene, [['u_src', current], ['u_lut', lutTex, gl.TEXTURE_3D]], w, h);
      this.drawEffect(state);
      sceneTex = scene.tex;
    }
    const out = this.canvas;
    const present = this.programs.present;
    gl.useProgram(present);
    gl.uniform2f(gl.getUniformLocation(present, 'u_outSize'), out.width, out.height);
    setLut(present, Boolean(lut) && !drawFx);
    setFaultUniforms(gl, present, this.faults);
    this.fullscreen(present, null, [['u_scene', sceneTex], ['u_lut', lutTex, gl.TEXTURE_3D]],
      out.width, out.height);
    // Read one pixel back so that the per-frame cost the SDK reports includes GPU completion
    // (Chromium's WebGL finish() does not wait for the GPU process).
    gl.readPixels(0, 0, 1, 1, gl.RGBA, gl.UNSIGNED_BYTE, this.syncPixel);
  }

  // Draws into the scene target, never below bandTop. Pixel coords: x right, y down from the top.
  drawEffect(state) {
    const gl = this.gl;
    const { width: w, height: h } = this;
    const toClip = (x, y) => [(x / w) * 2 - 1, (y / h) * 2 - 1];
    gl.bindFramebuffer(gl.FRAMEBUFFER, this.targets[2].fbo);
    gl.viewport(0, 0, w, h);
    gl.enable(gl.SCISSOR_TEST);
    gl.scissor(0, 0, w, this.bandTop); // scene rows are top-down: rows 0..bandTop-1
    gl.enable(gl.BLEND);
    gl.blendFuncSeparate(gl.ONE, gl.ONE_MINUS_SRC_ALPHA, gl.ZERO, gl.ONE);
    const face = state.face;
    if (state.effect === 'crown') {
      const cw = face.w * 0.9;
      const ch = cw * 0.625;
      const cx = face.x + face.w / 2;
      const bottom = face.y + face.h * 0.15; // worn on the head: its band over the hairline
      const [x0, y0] = toClip(cx - cw / 2, bottom - ch);
      const [x1, y1] = toClip(cx + cw / 2, bottom);
      const data = new Float32Array([x0, y0, 0, 0, x1, y0, 1, 0, x0, y1, 0, 1, x1, y1, 1, 1]);
      const p = this.programs.sprite;
      gl.useProgram(p);
      gl.activeTexture(gl.TEXTURE0);
      gl.bindTexture(gl.TEXTURE_2D, this.crownTex);
      gl.uniform1i(gl.getUniformLocation(p, 'u_tex'), 0);
      gl.bindBuffer(gl.ARRAY_BUFFER, this.dynamic);
      gl.bufferData(gl.ARRAY_BUFFER, data, gl.STREAM_DRAW);
      const uvLoc = gl.getAttribLocation(p, 'a_uv');
      gl.enableVertexAttribArray(0);
      gl.vertexAttribPointer(0, 2, gl.FLOAT, false, 16, 0);
      gl.enableVertexAttribArray(uvLoc);
      gl.vertexAttribPointer(uvLoc, 2, gl.FLOAT, false, 16, 8);
      gl.drawArrays(gl.TRIANGLE_STRIP, 0, 4);
      gl.disableVertexAttribArray(uvLoc);
    } else if (state.effect === 'sparkles') {
      const n = 28;
      const data = new Float32Array(n * 4);
      const cx = face.x + face.w / 2;
      const cy = face.y + face.h / 2;
      const t = state.frameNo;
      for (let i = 0; i < n; i++) {
        const angle = (2 * Math.PI * i) / n + t * 0.045 * (1 + (i % 3) * 0.35);
        const wobble = 1 + 0.18 * Math.sin(t * 0.21 + i * 2.3);
        const [x, y] = toClip(cx + Math.cos(angle) * face.w * 0.8 * wobble,
          cy + Math.sin(angle) * face.h * 0.8 * wobble);
        data.set([x, y, 14 + 16 * Math.abs(Math.sin(t * 0.3 + i * 1.7)),
          0.55 + 0.45 * Math.abs(Math.cos(t * 0.17 + i))], i * 4);
      }
      const p = this.programs.points;
      gl.useProgram(p);
      gl.bindBuffer(gl.ARRAY_BUFFER, this.dynamic);
      gl.bufferData(gl.ARRAY_BUFFER, data, gl.STREAM_DRAW);
      const sizeLoc = gl.getAttribLocation(p, 'a_size');
      const glowLoc = gl.getAttribLocation(p, 'a_glow');
      gl.enableVertexAttribArray(0);
      gl.vertexAttribPointer(0, 2, gl.FLOAT, false, 16, 0);
      gl.enableVertexAttribArray(sizeLoc);
      gl.vertexAttribPointer(sizeLoc, 1, gl.FLOAT, false, 16, 8);
      gl.enableVertexAttribArray(glowLoc);
      gl.vertexAttribPointer(glowLoc, 1, gl.FLOAT, false, 16, 12);
      gl.drawArrays(gl.POINTS, 0, n);
      gl.disableVertexAttribArray(sizeLoc);
      gl.disableVertexAttribArray(glowLoc);
    }
    gl.disable(gl.BLEND);
    gl.disable(gl.SCISSOR_TEST);
  }
}
