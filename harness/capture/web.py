"""In-page capture for web devices: installs the probe (probe.js) and reads back what it saw.

The probe taps the app's output element named by the locator map's `preview` and keeps, per output frame, the
time it appeared (page clock, ms since navigation start) and a small RGB sample of the index-code band. Here those
samples become (t_ms, source index) timelines, and whole lossless key frames and a WebM of the output come back as
files. Nothing here depends on the app's cooperation.
"""

from __future__ import annotations

import base64
import json
import time
from dataclasses import dataclass
from importlib import resources
from pathlib import Path
from typing import Any

import cv2
import numpy as np

from harness.capture.clip import render_frame
from harness.clipspec import ClipSpec
from harness.errors import InfrastructureError
from harness.metrics.indexcode import band_rect, decode_index

BAND_W = 144
BAND_H = 32
THUMB_W = 45
THUMB_H = 80


@dataclass(frozen=True)
class ProbeFrames:
    """Frames the probe kept: page-clock times (ms since navigation start) and decoded source indices."""

    first_seq: int
    t_ms: list[float]
    indices: list[int | None]
    sizes: list[tuple[int, int]]
    thumbs: np.ndarray | None = None  # (N, THUMB_H, THUMB_W, 3) RGB: each output frame, whole, scaled down

    def __add__(self, other: ProbeFrames) -> ProbeFrames:
        if not self.t_ms:
            return other
        thumbs = None
        if self.thumbs is not None and other.thumbs is not None:
            thumbs = np.concatenate([self.thumbs, other.thumbs])
        return ProbeFrames(self.first_seq, self.t_ms + other.t_ms, self.indices + other.indices,
                           self.sizes + other.sizes, thumbs)


def band_region(spec: ClipSpec) -> tuple[float, float, float, float]:
    """(left, top, right, bottom) fractions of an output frame that the probe samples: the clip's code (the whole
    bottom band of a version 1 clip, the code box of a version 2 clip)."""
    x, y, w, h = band_rect(spec)
    return x / spec.width, y / spec.height, (x + w) / spec.width, (y + h) / spec.height


def probe_source(preview_locator: str, spec: ClipSpec | None = None) -> str:
    """The script injected before the app's own: configuration + probe.js."""
    strategy, _, selector = preview_locator.partition("=")
    left, top, right, bottom = band_region(spec or ClipSpec())
    cfg = {"strategy": "xpath" if strategy == "xpath" else "css", "selector": selector,
           "bandLeft": left, "bandTop": top, "bandRight": right, "bandBottom": bottom,
           "bandW": BAND_W, "bandH": BAND_H, "thumbW": THUMB_W, "thumbH": THUMB_H, "maxFrames": 1800}
    js = resources.files("harness.capture").joinpath("probe.js").read_text(encoding="utf-8")
    return f"window.__HARNESS_PROBE_CFG = {json.dumps(cfg)};\n{js}"


class BandDecoder:
    """Decodes probe band samples: each sample is pasted over the code region (band_region) of a clip frame, then
    decoded as usual.

    The rest of that frame is the clip's own picture, so the decoder sees a whole, unframed clip frame and reads
    only what the sample carries.
    """

    def __init__(self, spec: ClipSpec) -> None:
        self.spec = spec
        self._rect = band_rect(spec)
        self._canvas = render_frame(spec, 0).copy()

    def decode(self, band_rgb: np.ndarray) -> int | None:
        x, y, w, h = self._rect
        self._canvas[y : y + h, x : x + w] = cv2.resize(band_rgb, (w, h), interpolation=cv2.INTER_LINEAR)
        found = decode_index(self._canvas, spec=self.spec)
        return None if found is None else int(found.index)


class WebProbe:
    """Talks to the probe inside one web session."""

    def __init__(self, session: Any, spec: ClipSpec) -> None:
        self.session = session
        self.decoder = BandDecoder(spec)

    def install(self, preview_locator: str) -> None:
        self.session.cdp("Page.addScriptToEvaluateOnNewDocument",
                         {"source": probe_source(preview_locator, self.decoder.spec)})

    def info(self) -> dict[str, Any]:
        data = self.session.script("return window.__harnessProbe ? window.__harnessProbe.info() : null;")
        return data if isinstance(data, dict) else {}

    def frames(self, from_seq: int = 0) -> ProbeFrames:
        raw = self.session.script("return window.__harnessProbe ? window.__harnessProbe.take(arguments[0]) : null;",
                                  from_seq)
        if not isinstance(raw, dict):
            return ProbeFrames(from_seq, [], [], [])
        bands = np.frombuffer(base64.b64decode(raw["bands"]), np.uint8)
        count = len(raw["t"])
        bands = bands.reshape(count, BAND_H, BAND_W, 3) if count else bands.reshape(0, BAND_H, BAND_W, 3)
        indices = [self.decoder.decode(bands[i]) for i in range(count)]
        sizes = [(int(w), int(h)) for w, h in zip(raw["w"], raw["h"], strict=True)]
        thumbs = np.frombuffer(base64.b64decode(raw["thumbs"]), np.uint8).reshape(count, THUMB_H, THUMB_W, 3)
        return ProbeFrames(int(raw["first"]), [float(t) for t in raw["t"]], indices, sizes, thumbs)

    def wait_first_camera_frame(self, *, timeout_s: float) -> tuple[float | None, ProbeFrames]:
        """Polls until an output frame shows a decodable camera frame; returns its page-clock time (ms)."""
        deadline = time.monotonic() + timeout_s
        seen = ProbeFrames(0, [], [], [])
        next_seq = 0
        while time.monotonic() < deadline:
            got = self.frames(next_seq)
            if got.t_ms:
                seen = seen + got
                next_seq = got.first_seq + len(got.t_ms)
                for t, idx in zip(got.t_ms, got.indices, strict=True):
                    if idx is not None:
                        return t, seen
            time.sleep(0.1)
        return None, seen

    def wait_frames_after(self, from_seq: int, *, until_ms: float, timeout_s: float) -> ProbeFrames:
        """Frames from sequence `from_seq` on, polled until one is newer than page-clock `until_ms` or time out."""
        deadline = time.monotonic() + timeout_s
        got = ProbeFrames(from_seq, [], [], [])
        while True:
            got = self.frames(from_seq)
            if (got.t_ms and got.t_ms[-1] >= until_ms) or time.monotonic() >= deadline:
                return got
            time.sleep(0.1)

    def page_now_ms(self) -> tuple[float, float]:
        """(timeOrigin epoch ms, performance.now()) of the page: converts page clock to the harness's clock."""
        info = self.info()
        return float(info.get("timeOrigin", 0.0)), float(info.get("now", 0.0))

    def start_recording(self) -> bool:
        return bool(self.session.script("return window.__harnessProbe.startRecording();"))

    def stop_recording(self, out: Path, *, timeout_s: float = 30.0) -> Path | None:
        data = self.session.async_script(
            "const done = arguments[arguments.length - 1]; window.__harnessProbe.stopRecording(done);",
            timeout_s=timeout_s,
        )
        if not data:
            return None
        out.parent.mkdir(parents=True, exist_ok=True)
        out.write_bytes(base64.b64decode(data))
        return out

    def snapshot(self, *, timeout_s: float = 3.0) -> tuple[float, np.ndarray] | None:
        data = self.session.async_script(
            "const done = arguments[arguments.length - 1]; window.__harnessProbe.snapshot(done, arguments[0]);",
            int(timeout_s * 1000), timeout_s=timeout_s + 5,
        )
        if not isinstance(data, dict) or not data.get("png"):
            return None
        buf = np.frombuffer(base64.b64decode(data["png"]), np.uint8)
        bgr = cv2.imdecode(buf, cv2.IMREAD_COLOR)
        if bgr is None:
            raise InfrastructureError("the probe returned a key frame that is not a PNG")
        return float(data["t"]), cv2.cvtColor(bgr, cv2.COLOR_BGR2RGB)
