"""The report's landing page (harness.report.landing): matrix cells, reasons, best candidate, evidence."""

from __future__ import annotations

from dataclasses import replace

import cv2
import numpy as np

from harness.hostcap import HostCapacity
from harness.report.landing import Evidence, best_by_device, compact_reason, landing_html, thumbnail_jpeg
from tests.test_report import make_record


def _records() -> list:  # type: ignore[type-arg]
    fail = make_record(candidate="glfx@1.0", scenario="beauty-70", status="failed", metrics={"content_fps": 8.4},
                       error={"kind": "sdk", "message": "SdkDefectError: [sdk] adaptation defects on pixel7 / "
                              "glfx@1.0: frame_drops: 8.417 fps (limit >= 22.5 fps)"})
    env = replace(make_record(candidate="glfx@1.0", scenario="filter-warm", metrics={"content_fps": 21.9}),
                  environment={"message": "[environment] frame_drops limited by the machine, not the SDK: load "
                               "average 2.49 above the 2 cores during the capture"})
    good = [make_record(candidate="pixkit@1.5", scenario=s, metrics={"content_fps": 29.8, "startup_ms": 640.0})
            for s in ("beauty-70", "filter-warm")]
    return [fail, env, *good]


def test_compact_reason_drops_what_the_page_already_shows() -> None:
    fail, env, *_ = _records()
    assert compact_reason(fail) == "sdk: frame_drops: 8.417 fps (limit >= 22.5 fps)"
    assert compact_reason(env).startswith("frame_drops limited by the machine")


def test_best_candidate_per_device() -> None:
    assert best_by_device(_records()) == [("pixel7", "pixkit@1.5", 2, 2, 29.8)]


def test_page_has_counts_matrix_known_marks_capacity_and_evidence() -> None:
    records = _records()
    capacity = HostCapacity(device="pixel7", cpu_throttling=1.0, source_fps=30.0, content_fps=29.7,
                            frame_time_p50_ms=33.2, frame_time_p90_ms=43.0, dropped_frames=1.0, load1_before=2.45,
                            load1_after=2.49, cores=2, measured_at_epoch_s=0.0, duration_s=6.8)
    image = np.zeros((640, 360, 3), dtype=np.uint8)
    jpeg = thumbnail_jpeg(bytes(cv2.imencode(".png", image)[1]), width_px=180)
    page = landing_html(records, run_id="r1", capacities=[capacity], known={records[0].name: "LUMEN-142"},
                        evidence={records[0].name: Evidence(image=jpeg, image_name="key_frame_1.png",
                                                            frame_time_svg="<svg></svg>")})
    assert "Run r1: 4 cells: 2 PASS, 1 ENV, 1 FAIL" in page
    assert "<b>ENV</b><br><span class=\"num\">21.9</span> fps" in page
    assert "<b>FAIL</b> <span class=\"small\">known LUMEN-142</span>" in page
    assert "<td>29.7</td><td>33.2 / 43.0 ms</td><td>2.45 -&gt; 2.49</td>" in page  # text is escaped
    assert page.count("data:image/jpeg;base64,") == 1
    assert "<svg></svg>" in page
    decoded = cv2.imdecode(np.frombuffer(jpeg or b"", dtype=np.uint8), cv2.IMREAD_COLOR)
    assert decoded.shape == (320, 180, 3)  # scaled down, aspect kept


def test_heatmap_reason_is_shortened_to_what_the_cell_needs() -> None:
    from harness.compare.heatmap import short_reason

    reason = ("beauty-70: failed: sdk: SdkDefectError: [sdk] adaptation defects on pixel7 / glfx@1.0: "
              "frame_drops: 8.417 fps (limit >= 22.5 fps)")
    assert short_reason(reason) == "beauty-70: frame_drops: 8.417 fps (limit >= 22.5 fps)"
    degraded = "filter-warm: app_cost_ms 4.2 vs reference median 1.68 (+2.52, +150.0 %), beyond +10%"
    assert short_reason(degraded) == degraded
