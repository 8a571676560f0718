// Short-video recording of a canvas shared by both demo SDKs: MediaRecorder on canvas.captureStream(30),
// WebM output handed back as a blob URL with the recorded wall-clock duration.

export class ClipRecorder {
  // onClip(url, durationMs, blob) is called once the clip is complete.
  constructor(canvas, { onClip, onState }) {
    this.canvas = canvas;
    this.onClip = onClip;
    this.onState = onState;
    this.recorder = null;
    this.startedAt = 0;
    this.lastUrl = null;
  }

  get recording() {
    return this.recorder !== null && this.recorder.state === 'recording';
  }

  toggle() {
    if (this.recording) this.stop();
    else this.start();
  }

  start() {
    const stream = this.canvas.captureStream(30);
    const types = ['video/webm;codecs=vp8', 'video/webm;codecs=vp9', 'video/webm'];
    const mimeType = types.find((t) => MediaRecorder.isTypeSupported(t)) || '';
    const recorder = new MediaRecorder(stream, { mimeType, videoBitsPerSecond: 8_000_000 });
    const chunks = [];
    recorder.ondataavailable = (e) => { if (e.data.size > 0) chunks.push(e.data); };
    recorder.onstop = () => {
      const durationMs = performance.now() - this.startedAt;
      for (const track of stream.getTracks()) track.stop();
      const blob = new Blob(chunks, { type: 'video/webm' });
      if (this.lastUrl) URL.revokeObjectURL(this.lastUrl);
      this.lastUrl = URL.createObjectURL(blob);
      this.recorder = null;
      this.onState(false);
      this.onClip(this.lastUrl, durationMs, blob);
    };
    this.recorder = recorder;
    this.startedAt = performance.now();
    recorder.start(250);
    this.onState(true);
  }

  stop() {
    if (this.recorder) this.recorder.stop();
  }
}
