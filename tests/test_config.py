"""devices.yaml loading: the real file loads, and every bad input gives its exact one-line ConfigError."""

from __future__ import annotations

import copy
import re
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
import yaml

from harness.config import (
    Locator,
    MatrixConfig,
    load_config,
    load_scenarios,
    mask_credentials,
    parse_config,
    parse_scenario,
    validate_matrix,
)
from harness.errors import ConfigError

REPO = Path(__file__).resolve().parents[1]
DEVICES_YAML = REPO / "devices.yaml"

# A minimal valid devices file; each test changes one thing. The LUT it names is created by `devices_file`.
MINIMAL = """\
devices:
  - id: phone
    name: Test phone profile
    platform: web
    tags: {tier: mid}
    emulation:
      viewport: {width: 400, height: 800}
      pixel_ratio: 2
      user_agent: "Mozilla/5.0 test"
candidates:
  - vendor: Acme
    sdk: acmefx
    version: "1.0"
    app:
      web: {url: "acmefx/index.html"}
    locators:
      preview: "css=canvas"
      select_filter: "css=[data-filter='{name}']"
    filters:
      warm: {lut: "luts/warm.cube"}
"""


def exactly(message: str) -> str:
    """A `match=` pattern that accepts only this whole message."""
    return f"^{re.escape(message)}$"


@pytest.fixture
def devices_file(tmp_path: Path) -> Path:
    (tmp_path / "luts").mkdir()
    (tmp_path / "luts" / "warm.cube").write_text("LUT_3D_SIZE 2\n")
    path = tmp_path / "devices.yaml"
    path.write_text(MINIMAL)
    return path


def load_changed(path: Path, change: Callable[[dict[str, Any]], object]) -> MatrixConfig:
    data = yaml.safe_load(path.read_text())
    change(data)
    return parse_config(data, source=path)


# --- the real file --------------------------------------------------------------------------------


def test_real_devices_yaml_loads() -> None:
    config = load_config(DEVICES_YAML)
    # Expected values are read off devices.yaml itself.
    assert [d.id for d in config.devices] == ["pixel7", "moto-e13", "pixel-fold"]
    assert [c.id for c in config.candidates] == [
        "glfx@1.0", "glfx@2.0", "pixkit@1.4", "pixkit@1.5", "face_mesh@0.3.1620248508", "face_mesh@0.4.1633559619",
        "face_detection@0.3.1620248423", "face_detection@0.4.1646425229"]
    moto = config.device("moto-e13")
    assert moto.emulation is not None
    assert moto.emulation.cpu_throttling == 4.0
    assert (moto.emulation.viewport.width, moto.emulation.viewport.height) == (360, 800)
    assert config.device("pixel-fold").tags.new is True
    assert config.device("pixel7").refresh_hz == 60.0
    assert config.platforms == ("web",)
    glfx = config.candidate("glfx@2.0")
    assert glfx.label == "Lumen Labs glfx 2.0"
    assert glfx.locator("select_filter") == Locator("css", "#glfx-filters button[data-filter='{name}']")
    assert glfx.locators["preview"] == "css=canvas#glfx-output"  # merged in from the x-glfx-locators anchor


def test_real_devices_yaml_luts_resolve_next_to_the_file() -> None:
    config = load_config(DEVICES_YAML)
    lut = config.candidate("pixkit@1.5").filters["cool"].lut
    assert lut == REPO / "apps/pixkit/looks/cool.cube"
    assert all(f.lut.is_file() for c in config.candidates for f in c.filters.values() if f.lut is not None)
    assert config.candidate("face_mesh@0.4.1633559619").filters["warm"].lut is None  # a formula, no LUT


def test_real_devices_and_scenarios_match() -> None:
    validate_matrix(load_config(DEVICES_YAML), load_scenarios(REPO / "scenarios"))


def test_minimal_file_defaults(devices_file: Path) -> None:
    config = load_config(devices_file)
    device = config.devices[0]
    assert device.connection == "local"
    assert device.refresh_hz == 60.0
    assert device.tags.new is False
    assert device.capabilities == {}
    assert device.emulation is not None
    assert (device.emulation.touch, device.emulation.mobile, device.emulation.cpu_throttling) == (
        True,
        True,
        1.0,
    )
    assert config.candidates[0].id == "acmefx@1.0"
    assert config.candidates[0].filters["warm"].lut == devices_file.parent / "luts" / "warm.cube"
    assert config.source == devices_file


def test_anchor_holders_and_merge_keys(devices_file: Path) -> None:
    text = MINIMAL.replace(
        "candidates:", 'x-common: &common {stats: "css=#stats", preview: "css=#old"}\ncandidates:'
    )
    text = text.replace('      preview: "css=canvas"', '      <<: *common\n      preview: "css=canvas"')
    devices_file.write_text(text)
    locators = load_config(devices_file).candidates[0].locators
    assert locators["stats"] == "css=#stats"
    assert locators["preview"] == "css=canvas"  # a key written next to a merge overrides the merged one


def test_extra_device_tags(devices_file: Path) -> None:
    config = load_changed(
        devices_file, lambda d: d["devices"][0]["tags"].update(soc="sd8gen2", foldable=True)
    )
    assert config.devices[0].tags.as_dict() == {
        "tier": "mid",
        "new": False,
        "soc": "sd8gen2",
        "foldable": True,
    }


# --- bad input: each message exactly --------------------------------------------------------------


BAD_INPUT: list[tuple[str, Callable[[dict[str, Any]], object], str, str]] = [
    (
        "unknown key",
        lambda d: d["devices"][0].update(foo=1),
        "devices[0].foo",
        "unknown key 'foo'; allowed: id, name, platform, connection, refresh_hz, tags, capabilities, "
        "emulation, native, capture, farm",
    ),
    (
        "unknown top-level key",
        lambda d: d.update(device=[]),
        "device",
        "unknown key 'device'; allowed: devices, candidates, and keys starting with 'x-' (holders for YAML "
        "anchors)",
    ),
    (
        "wrong type",
        lambda d: d["devices"][0]["emulation"]["viewport"].update(width="abc"),
        "devices[0].emulation.viewport.width",
        "expected an integer, got 'abc'; allowed: an integer from 200 to 4000",
    ),
    (
        "out of range",
        lambda d: d["devices"][0].update(refresh_hz=300),
        "devices[0].refresh_hz",
        "300 is too large; allowed: a number from 24 to 240",
    ),
    (
        "bad literal",
        lambda d: d["devices"][0].update(platform="androi"),
        "devices[0].platform",
        "'androi' is not allowed; allowed: android, ios, web",
    ),
    (
        "missing key",
        lambda d: d["devices"][0].pop("platform"),
        "devices[0].platform",
        "missing required key 'platform'; allowed: android, ios, web",
    ),
    (
        "misspelt key reported as unknown, not as missing",
        lambda d: d["candidates"][0]["filters"].update(warm={"lutt": "luts/warm.cube"}),
        "candidates[0].filters.warm.lutt",
        "unknown key 'lutt'; allowed: lut",
    ),
    (
        "bad id",
        lambda d: d["devices"][0].update(id="Pixel 7"),
        "devices[0].id",
        "'Pixel 7' is not allowed; allowed: lowercase letters, digits, '.', '_' and '-', starting with a "
        "letter or "
        "digit",
    ),
    (
        "unquoted version",
        lambda d: d["candidates"][0].update(version=2.0),
        "candidates[0].version",
        'expected a string, got the number 2.0; allowed: a quoted version string such as "2.0" or '
        '"1.4.2-beta"; '
        'put it in quotes: version: "2.0"',
    ),
    (
        "empty device list",
        lambda d: d.update(devices=[]),
        "devices",
        "must not be empty; allowed: a list of at least one device",
    ),
    (
        "web device without emulation",
        lambda d: d["devices"][0].pop("emulation"),
        "devices[0].emulation",
        "missing required key 'emulation' for a web device; allowed: a mapping with keys viewport, "
        "pixel_ratio, "
        "user_agent, touch, mobile, cpu_throttling",
    ),
    (
        "emulation on an android device",
        lambda d: d["devices"][0].update(platform="android"),
        "devices[0].emulation",
        "emulation is only for web devices, this one is android; allowed: no emulation key (use native: for "
        "android "
        "and ios)",
    ),
    (
        "ios key on an android device",
        lambda d: d["devices"][0].update(platform="android", emulation=None, native={"wda_local_port": 8100}),
        "devices[0].native.wda_local_port",
        "wda_local_port is an ios key, this device is android; allowed: udid, os_version, mjpeg_server_port, "
        "system_port, chromedriver_port",
    ),
    (
        "android key on an ios device",
        lambda d: d["devices"][0].update(platform="ios", emulation=None, native={"chromedriver_port": 9520}),
        "devices[0].native.chromedriver_port",
        "chromedriver_port is an android key, this device is ios; allowed: udid, os_version, mjpeg_server_port, "
        "wda_local_port, derived_data_path",
    ),
    (
        "ios derived data on an android device",
        lambda d: d["devices"][0].update(platform="android", emulation=None, native={"derived_data_path": "/x"}),
        "devices[0].native.derived_data_path",
        "derived_data_path is an ios key, this device is android; allowed: udid, os_version, mjpeg_server_port, "
        "system_port, chromedriver_port",
    ),
    (
        "mjpeg port out of range",
        lambda d: d["devices"][0].update(platform="android", emulation=None, native={"mjpeg_server_port": 80}),
        "devices[0].native.mjpeg_server_port",
        "80 is too small; allowed: an integer from 1024 to 65535",
    ),
    (
        "replay capture without a file",
        lambda d: d["devices"][0].update(platform="android", emulation=None, capture={"source": "replay"}),
        "devices[0].capture.file",
        "source replay needs a file; allowed: file: <video of a phone screen showing the clip>",
    ),
    (
        "unknown capture source",
        lambda d: d["devices"][0].update(platform="android", emulation=None, capture={"source": "hdmi"}),
        "devices[0].capture.source",
        "'hdmi' is not allowed; allowed: screen or replay",
    ),
    (
        "capture on a web device",
        lambda d: d["devices"][0].update(capture={"source": "screen"}),
        "devices[0].capture",
        "capture is only for android and ios devices, this one is web; allowed: no capture key (web frames come "
        "from the in-page probe)",
    ),
    (
        "tag of the wrong type",
        lambda d: d["devices"][0]["tags"].update(soc=["a"]),
        "devices[0].tags.soc",
        "expected a string or true/false, got a list; allowed: a string or true/false",
    ),
    (
        "missing app",
        lambda d: d["candidates"][0].update(app={"android": {"package": "com.acme.fx"}}),
        "candidates[0].app",
        "no web app, but device 'phone' (devices[0]) needs one; allowed: add app.web to candidate "
        "'acmefx@1.0', "
        "or remove the device",
    ),
    (
        "no app at all",
        lambda d: d["candidates"][0].update(app={}),
        "candidates[0].app",
        "no app for any platform; allowed: at least one of web {url}, android {package, apk, activity}, "
        "ios {bundle_id, ipa}",
    ),
    (
        "web app without url",
        lambda d: d["candidates"][0].update(app={"web": {}}),
        "candidates[0].app.web.url",
        "missing required key 'url'; allowed: a URL, or a path served by the harness's local app server, "
        "e.g. glfx/1.0/index.html",
    ),
    (
        "duplicate device id",
        lambda d: d["devices"].append(copy.deepcopy(d["devices"][0])),
        "devices[1].id",
        "device id 'phone' is already used by devices[0]; allowed: a unique id",
    ),
    (
        "duplicate candidate id",
        lambda d: d["candidates"].append(copy.deepcopy(d["candidates"][0])),
        "candidates[1].id",
        "candidate id 'acmefx@1.0' is already used by candidates[0]; allowed: a unique id (default "
        "sdk@version; "
        "set id: to tell two builds apart)",
    ),
    (
        "locator without strategy",
        lambda d: d["candidates"][0]["locators"].update(preview="canvas"),
        "candidates[0].locators.preview",
        "'canvas' is not 'strategy=value'; allowed: 'strategy=value' with strategy one of css, xpath, id, "
        "accessibility_id, name, class_name, android_uiautomator, ios_predicate, ios_class_chain",
    ),
    (
        "locator strategy the web driver rejects",
        lambda d: d["candidates"][0]["locators"].update(preview="id=out"),
        "candidates[0].locators.preview",
        "strategy 'id' does not work in a web app (the Chromium driver rejects it); allowed: css, xpath",
    ),
    (
        "unknown locator placeholder",
        lambda d: d["candidates"][0]["locators"].update(select_filter="css=[data-f='{filter}']"),
        "candidates[0].locators.select_filter",
        "unknown placeholder '{filter}' in \"css=[data-f='{filter}']\"; allowed: {name}, {level} (write "
        "literal "
        "braces as {{ and }})",
    ),
    (
        "bad locator key",
        lambda d: d["candidates"][0]["locators"].update(Preview="css=a"),
        "candidates[0].locators.Preview",
        "key 'Preview' is not allowed; allowed: lowercase letters, digits and '_'",
    ),
    (
        "LUT that is not a .cube file",
        lambda d: d["candidates"][0]["filters"].update(warm={"lut": "luts/warm.png"}),
        "candidates[0].filters.warm.lut",
        "'luts/warm.png' is not a .cube file; allowed: the path of an existing .cube file, relative to the "
        "devices "
        "file's folder",
    ),
]


@pytest.mark.parametrize(
    ("change", "key", "message"), [case[1:] for case in BAD_INPUT], ids=[c[0] for c in BAD_INPUT]
)
def test_bad_input_message(
    devices_file: Path, change: Callable[[dict[str, Any]], object], key: str, message: str
) -> None:
    with pytest.raises(ConfigError, match=exactly(f"{devices_file}: {key}: {message}")) as info:
        load_changed(devices_file, change)
    assert info.value.file == str(devices_file)
    assert info.value.key_path == key


def test_missing_lut_file(devices_file: Path) -> None:
    # The LUT check reads the disk relative to the devices file, so it runs in a temporary folder.
    (devices_file.parent / "luts" / "warm.cube").unlink()
    message = (
        f"{devices_file}: candidates[0].filters.warm.lut: file 'luts/warm.cube' does not exist (looked in "
        f"{devices_file.parent}); allowed: the path of an existing .cube file, relative to the devices "
        "file's folder"
    )
    with pytest.raises(ConfigError, match=exactly(message)):
        load_config(devices_file)


# --- credentials ----------------------------------------------------------------------------------


def test_bad_connection_masks_the_secret(devices_file: Path) -> None:
    url = "ftp://alice:s3cr3t-key@hub.example.com/wd/hub"
    message = (
        f"{devices_file}: devices[0].connection: 'ftp://***@hub.example.com/wd/hub' is not allowed; "
        "allowed: "
        "local, grid, browserstack, saucelabs, lambdatest, aws-device-farm, "
        "or the http(s) URL of an Appium server or Selenium Grid, e.g. http://127.0.0.1:4723"
    )
    with pytest.raises(ConfigError, match=exactly(message)) as info:
        load_changed(devices_file, lambda d: d["devices"][0].update(connection=url))
    assert "s3cr3t" not in str(info.value)


def test_bad_port_in_connection_masks_the_secret(devices_file: Path) -> None:
    url = "https://alice:s3cr3t-key@hub.example.com:99999/wd/hub"
    with pytest.raises(
        ConfigError, match=re.escape("'https://***@hub.example.com:99999/wd/hub'")
    ) as info:
        load_changed(devices_file, lambda d: d["devices"][0].update(connection=url))
    assert "s3cr3t" not in str(info.value)


def test_remote_connection_is_kept_but_never_shown(devices_file: Path) -> None:
    url = "https://alice:s3cr3t-key@hub.example.com/wd/hub"
    device = load_changed(devices_file, lambda d: d["devices"][0].update(connection=url)).devices[0]
    assert device.connection == url
    assert not device.is_local
    assert device.connection_masked == "https://***@hub.example.com/wd/hub"
    assert "s3cr3t" not in repr(device)


@pytest.mark.parametrize(
    ("text", "masked"),
    [
        ("https://u:k@h/wd/hub", "https://***@h/wd/hub"),
        ("see http://onlykey@host:4444 and https://a:b@c", "see http://***@host:4444 and https://***@c"),
        ("http://127.0.0.1:4723", "http://127.0.0.1:4723"),
    ],
)
def test_mask_credentials(text: str, masked: str) -> None:
    assert mask_credentials(text) == masked


# --- files ----------------------------------------------------------------------------------------


def test_bad_yaml_names_line_and_column(tmp_path: Path) -> None:
    path = tmp_path / "devices.yaml"
    path.write_text("devices:\n  - id: a\n   name: b\n")
    # PyYAML's own wording; line 3 column 4 is where the mis-indented `name:` starts (1-based).
    message = (
        f"{path}: line 3, column 4: YAML syntax error: expected <block end>, but found '<block mapping "
        "start>'; "
        "allowed: valid YAML (check indentation and quoting)"
    )
    with pytest.raises(ConfigError, match=exactly(message)):
        load_config(path)


def test_key_written_twice(tmp_path: Path) -> None:
    path = tmp_path / "devices.yaml"
    path.write_text("devices: []\ncandidates: []\ndevices: []\n")
    message = (
        f"{path}: line 3, column 1: the key 'devices' appears twice in one mapping (first at line 1); "
        "allowed: each key once per mapping"
    )
    with pytest.raises(ConfigError, match=exactly(message)):
        load_config(path)


def test_missing_file(tmp_path: Path) -> None:
    path = tmp_path / "nope.yaml"
    message = (
        f"{path}: file not found (working directory {Path.cwd()}); allowed: the path of an existing YAML file"
    )
    with pytest.raises(ConfigError, match=exactly(message)):
        load_config(path)


@pytest.mark.parametrize("text", ["", "# only a comment\n"])
def test_empty_file(tmp_path: Path, text: str) -> None:
    path = tmp_path / "devices.yaml"
    path.write_text(text)
    message = (
        f"{path}: the file is empty; allowed: a mapping with keys devices, candidates (see docs/config.md)"
    )
    with pytest.raises(ConfigError, match=exactly(message)):
        load_config(path)


def test_top_level_list(tmp_path: Path) -> None:
    path = tmp_path / "devices.yaml"
    path.write_text("- pixel7\n")
    message = (
        f"{path}: expected a mapping at the top level, got a list; allowed: a mapping with keys devices, "
        "candidates "
        "(see docs/config.md)"
    )
    with pytest.raises(ConfigError, match=exactly(message)):
        load_config(path)


# --- selection ------------------------------------------------------------------------------------


def test_select_keeps_file_order() -> None:
    config = load_config(DEVICES_YAML)
    chosen = config.select(["pixel-fold", "pixel7"], ["pixkit@1.5"])
    assert [d.id for d in chosen.devices] == ["pixel7", "pixel-fold"]
    assert [c.id for c in chosen.candidates] == ["pixkit@1.5"]
    everything = config.select(None, [])
    assert (len(everything.devices), len(everything.candidates)) == (3, 8)


def test_unknown_device_id() -> None:
    config = load_config(DEVICES_YAML)
    with pytest.raises(
        ConfigError, match=exactly("--device: unknown device 'pixel8'; allowed: pixel7, moto-e13, pixel-fold")
    ) as info:
        config.select(["pixel7", "pixel8"], None)
    assert info.value.key_path == "--device"


def test_unknown_candidate_id() -> None:
    config = load_config(DEVICES_YAML)
    message = ("--candidate: unknown candidate 'glfx@3.0'; allowed: glfx@1.0, glfx@2.0, pixkit@1.4, pixkit@1.5, "
               "face_mesh@0.3.1620248508, face_mesh@0.4.1633559619, face_detection@0.3.1620248423, "
               "face_detection@0.4.1646425229")
    with pytest.raises(ConfigError, match=exactly(message)):
        config.candidate("glfx@3.0")


# --- against the scenarios ------------------------------------------------------------------------


def test_missing_locator_for_a_scenario(devices_file: Path) -> None:
    config = load_config(devices_file)
    scenario_path = devices_file.parent / "effect.yaml"
    scenario = parse_scenario(
        {"name": "effect-crown", "kind": "effect", "steps": [{"launch": "cold"}, {"apply_effect": "crown"}]},
        source=scenario_path,
    )
    message = (
        f"{devices_file}: candidates[0].locators: candidate 'acmefx@1.0' has no locator 'apply_effect', "
        "needed by "
        f'{scenario_path}: steps[1] (apply_effect: crown); allowed: add apply_effect: "<strategy>=<value>" '
        "to its "
        "locators"
    )
    with pytest.raises(ConfigError, match=exactly(message)):
        validate_matrix(config, [scenario])


def test_missing_filter_for_a_scenario(devices_file: Path) -> None:
    config = load_config(devices_file)
    scenario_path = devices_file.parent / "sepia.yaml"
    scenario = parse_scenario(
        {"name": "sepia", "kind": "filter", "steps": [{"launch": "cold"}, {"select_filter": "sepia"}]},
        source=scenario_path,
    )
    message = (
        f"{devices_file}: candidates[0].filters: candidate 'acmefx@1.0' has no filter 'sepia', selected by "
        f"{scenario_path}: steps[1] (select_filter: sepia); allowed: add sepia: {{lut: <file>.cube}} to its "
        "filters "
        "(it has warm)"
    )
    with pytest.raises(ConfigError, match=exactly(message)):
        validate_matrix(config, [scenario])


def test_matrix_check_limited_to_selected_candidates(devices_file: Path) -> None:
    def add_bare_candidate(data: dict[str, Any]) -> None:
        bare = copy.deepcopy(data["candidates"][0])
        bare["version"] = "2.0"
        bare["locators"] = {"preview": "css=canvas"}
        data["candidates"].append(bare)

    config = load_changed(devices_file, add_bare_candidate)
    scenario = parse_scenario(
        {"name": "warm", "kind": "filter", "steps": [{"launch": "cold"}, {"select_filter": "warm"}]},
        source=devices_file.parent / "warm.yaml",
    )
    validate_matrix(config, [scenario], candidates=[config.candidate("acmefx@1.0")])
    gap = r"candidates\[1\]\.locators: candidate 'acmefx@2\.0' has no locator 'select_filter'"
    with pytest.raises(ConfigError, match=gap):
        validate_matrix(config, [scenario])
