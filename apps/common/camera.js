// Camera access and the per-camera-frame callback loop shared by both demo SDKs.

// Opens the default camera and resolves once its first frame size is known.
export async function openCamera(video) {
  const stream = await navigator.mediaDevices.getUserMedia({
    audio: false,
    video: { facingMode: 'user', frameRate: { ideal: 30 } },
  });
  video.muted = true;
  video.playsInline = true;
  video.srcObject = stream;
  await new Promise((resolve) => {
    if (video.readyState >= 1 && video.videoWidth > 0) resolve();
    else video.addEventListener('loadedmetadata', resolve, { once: true });
  });
  await video.play();
  // Coming back to the foreground (page resumed from frozen, or shown again): the preview must run again.
  const resume = () => {
    window.__cameraResumes = (window.__cameraResumes || 0) + 1;
    if (document.visibilityState !== 'hidden' && video.paused) {
      video.play().catch((e) => console.warn('camera resume failed', e));
    }
  };
  document.addEventListener('resume', resume);
  document.addEventListener('visibilitychange', resume);
  return stream;
}

// Calls onFrame() once per new camera frame: requestVideoFrameCallback where the browser has it, else a
// requestAnimationFrame loop that compares video.currentTime. Returns a function that stops the loop.
export function onEachCameraFrame(video, onFrame) {
  let stopped = false;
  if ('requestVideoFrameCallback' in HTMLVideoElement.prototype) {
    const tick = (now, meta) => {
      if (stopped) return;
      onFrame(meta);
      video.requestVideoFrameCallback(tick);
    };
    video.requestVideoFrameCallback(tick);
  } else {
    let lastTime = -1;
    const tick = () => {
      if (stopped) return;
      if (video.currentTime !== lastTime && video.readyState >= 2) {
        lastTime = video.currentTime;
        onFrame(null);
      }
      requestAnimationFrame(tick);
    };
    requestAnimationFrame(tick);
  }
  return () => { stopped = true; };
}
