"""Third-party SDK candidates: the app server's /vendor/ mount and the per-candidate name maps.

The server test starts the real loopback server on temporary folders and fetches over HTTP.
"""

from __future__ import annotations

import urllib.error
import urllib.request
from pathlib import Path
from typing import Any

import pytest
import yaml

from harness.appserver import AppServer
from harness.config import parse_config
from harness.errors import ConfigError

REPO = Path(__file__).resolve().parent.parent


def _get(url: str) -> tuple[int, bytes, str]:
    try:
        with urllib.request.urlopen(url, timeout=5) as r:
            return r.status, r.read(), r.headers.get("Content-Type", "")
    except urllib.error.HTTPError as exc:
        return exc.code, b"", ""


def test_app_server_serves_the_web_root_and_a_vendor_mount(tmp_path: Path) -> None:
    root, sdk = tmp_path / "apps", tmp_path / "sdk"
    (root / "demo").mkdir(parents=True)
    (root / "demo" / "index.html").write_text("<p>app</p>")
    (sdk / "pkg-1.0").mkdir(parents=True)
    (sdk / "pkg-1.0" / "model.wasm").write_bytes(b"\0asm")
    (tmp_path / "secret.txt").write_text("outside")
    with AppServer(root, mounts={"vendor": sdk}) as server:
        base = server.base_url
        assert _get(base + "demo/index.html")[1] == b"<p>app</p>"
        status, body, ctype = _get(base + "vendor/pkg-1.0/model.wasm")
        assert (status, body, ctype) == (200, b"\0asm", "application/wasm")
        assert _get(base + "vendor/pkg-1.0/missing.js")[0] == 404
        assert _get(base + "vendor/../secret.txt")[0] == 404  # no way out of either root
        assert _get(base + "vendor/%2e%2e/secret.txt")[0] == 404
        assert _get(base + "vendorx/pkg-1.0/model.wasm")[0] == 404  # only the whole segment is the mount


def _candidate_data() -> dict[str, Any]:
    data = yaml.safe_load((REPO / "devices.yaml").read_text())
    return data


def test_name_maps_translate_scenario_names_to_the_apps_names() -> None:
    config = parse_config(_candidate_data(), source=REPO / "devices.yaml")
    mesh = config.candidate("face_mesh@0.3.1620248508")
    assert mesh.app_name("filter", "warm") == "golden"
    assert mesh.app_name("effect", "crown") == "tiara"
    assert mesh.app_name("effect", "sparkles") == "sparkles"  # not listed: used as written
    assert config.candidate("glfx@1.0").app_name("filter", "warm") == "warm"
    select = mesh.locator("select_filter")
    assert select is not None
    assert select.fill(name=mesh.app_name("filter", "cool")).value.endswith("[data-item='frost']")


@pytest.mark.parametrize(("names", "message"), [
    ({"filter": {"warm": "golden"}}, "names.filter: unknown key 'filter'"),
    ({"filters": {"warm": "gold en"}}, "names.filters.warm"),
])
def test_bad_name_maps_are_rejected_naming_the_key(names: dict[str, Any], message: str) -> None:
    data = _candidate_data()
    data["candidates"][4].pop("<<", None)
    data["candidates"][4]["names"] = names
    with pytest.raises(ConfigError) as err:
        parse_config(data, source=REPO / "devices.yaml")
    assert "devices.yaml: candidates[4]." + message in str(err.value)


def test_effect_anchor_is_face_or_screen() -> None:
    data = _candidate_data()
    data["candidates"][4]["effects"] = {"live": {"anchor": "screen"}}
    config = parse_config(data, source=REPO / "devices.yaml")
    assert config.candidates[4].effects["live"].anchor == "screen"
    data["candidates"][4]["effects"] = {"live": {"anchor": "corner"}}
    with pytest.raises(ConfigError) as err:
        parse_config(data, source=REPO / "devices.yaml")
    assert "candidates[4].effects.live.anchor" in str(err.value)


def test_locators_check_plans_every_key_with_the_apps_names() -> None:
    from harness.config import load_scenarios
    from harness.locators_check import LocatorResult, planned

    config = parse_config(_candidate_data(), source=REPO / "devices.yaml")
    scenarios = load_scenarios(REPO / "scenarios")
    plan = planned(config.candidate("face_mesh@0.4.1633559619"), scenarios)
    keys = [k for k, _ in plan]
    assert keys[-1] == "recording_result"  # looked for after a recording
    assert set(keys) == set(config.candidate("face_mesh@0.4.1633559619").locators)
    filled = {(k, v["name"]) for k, v in plan if k in ("select_filter", "apply_effect")}
    assert filled == {("select_filter", "golden"), ("select_filter", "frost"), ("apply_effect", "tiara")}
    assert LocatorResult("stats", "css=#x", False).line() == "MISSING stats              css=#x"
    hit = LocatorResult("preview", "css=canvas", True, "canvas", "#out", "Camera", True).line()
    assert hit == 'found   preview            css=canvas -> <canvas#out> "Camera" (displayed)'
