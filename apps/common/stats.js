// Vendor-style performance stats shared by both demo SDKs: a debug overlay of key=value pairs refreshed
// every 500 ms and the same line logged once a second with the SDK's name.

export class FrameStats {
  constructor({ sdk, element, windowFrames = 30 }) {
    this.sdk = sdk;
    this.element = element;
    this.windowFrames = windowFrames;
    this.frames = 0;
    this.costs = [];
    this.doneAt = []; // performance.now() of processed frames within the last second
    this.firstFrameMs = -1;
    this.timers = [];
  }

  // Called once per processed frame, after it was drawn; costMs is that frame's processing time.
  frameDone(costMs) {
    const now = performance.now();
    if (this.firstFrameMs < 0) {
      this.firstFrameMs = now;
      this.render();
    }
    this.frames += 1;
    this.costs.push(costMs);
    if (this.costs.length > this.windowFrames) this.costs.shift();
    this.doneAt.push(now);
  }

  line() {
    const now = performance.now();
    while (this.doneAt.length > 0 && this.doneAt[0] <= now - 1000) this.doneAt.shift();
    const mean = this.costs.length ? this.costs.reduce((a, b) => a + b, 0) / this.costs.length : 0;
    const first = this.firstFrameMs < 0 ? '-1' : this.firstFrameMs.toFixed(1);
    return `frames=${this.frames} cost_ms=${mean.toFixed(2)} fps=${this.doneAt.length.toFixed(1)} ` +
      `first_frame_ms=${first}`;
  }

  render() {
    this.element.textContent = this.line();
  }

  start() {
    this.render();
    this.timers.push(setInterval(() => this.render(), 500));
    this.timers.push(setInterval(() => console.log(`[${this.sdk}] ${this.line()}`), 1000));
  }

  stop() {
    for (const t of this.timers) clearInterval(t);
    this.timers = [];
  }
}
