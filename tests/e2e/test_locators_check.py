"""`harness locators check` on every shipped candidate, through the real Appium server and headless Chromium
(run under the machine's e2e lock): every locator of devices.yaml is found (exit 0), and a map with a wrong
locator reports that key missing with exit 1."""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml

from harness.cli import main
from harness.config import load_config

pytestmark = pytest.mark.e2e
REPO = Path(__file__).resolve().parents[2]
CANDIDATES = [c.id for c in load_config(REPO / "devices.yaml").candidates]


@pytest.mark.parametrize("candidate", CANDIDATES)
def test_every_locator_of_a_shipped_candidate_is_found(candidate: str, capsys: pytest.CaptureFixture[str]) -> None:
    code = main(["locators", "check", "--candidate", candidate, "--device", "pixel7",
                 "--devices", str(REPO / "devices.yaml"), "--scenarios", str(REPO / "scenarios")])
    out = capsys.readouterr().out
    assert code == 0, out
    assert "MISSING" not in out
    assert out.count("\nfound ") + out.startswith("found ") >= 10  # preview, panels, controls, stats, recording


def test_a_wrong_locator_is_reported_missing(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    data = yaml.safe_load((REPO / "devices.yaml").read_text())
    glfx = data["candidates"][0]
    glfx["locators"] = {**glfx["locators"], "open_effect_panel": "css=#no-such-tab"}
    (tmp_path / "apps").symlink_to(REPO / "apps")  # the LUT paths resolve next to the devices file
    devices = tmp_path / "devices.yaml"
    devices.write_text(yaml.safe_dump(data, sort_keys=False))
    code = main(["locators", "check", "--candidate", "glfx@1.0", "--devices", str(devices),
                 "--scenarios", str(REPO / "scenarios")])
    out, err = capsys.readouterr()
    assert code == 1, out + err
    assert "MISSING open_effect_panel  css=#no-such-tab" in out
    assert "found   apply_effect" in out  # the effect buttons are there, only the tab that shows them is not
    assert "found   preview" in out
