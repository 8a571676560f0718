"""Static checks of the demo apps in apps/: LUT files, the locator contract, fault switches, imports.

Pure Python (no browser): the .cube files parse and match their generator, every selector of the locator
contract matches an element in both versions of each app, and every fault switch is handled and documented.
"""

from __future__ import annotations

import importlib.util
import re
from dataclasses import dataclass, field
from html.parser import HTMLParser
from pathlib import Path
from types import ModuleType

import numpy as np
import pytest

APPS = Path(__file__).resolve().parents[1] / "apps"
LUT_DIRS = {"glfx": APPS / "glfx" / "luts", "pixkit": APPS / "pixkit" / "looks"}
LOOK_NAMES = ("warm", "cool", "mono", "vintage")
FILTER_NAMES = ("none", *LOOK_NAMES)
EFFECT_NAMES = ("none", "crown", "sparkles")
VERSIONS = {"glfx": ("1.0", "2.0"), "pixkit": ("1.4", "1.5")}
FAULT_NAMES = (
    "rotate90", "mirror", "stretch", "limited_range", "rb_swap", "green_frames", "black_frames",
    "effect_not_applied", "drop", "slow_start", "crash_on_effect", "track_lag",
)

# The locator contract (the same strings as the locator maps in devices.yaml). "{name}" is a filter or effect.
CONTRACT: dict[str, dict[str, str]] = {
    "glfx": {
        "preview": "canvas#glfx-output",
        "open_filter_panel": "button#glfx-tab-filters",
        "select_filter": "#glfx-filters button[data-filter='{name}']",
        "open_beauty_panel": "button#glfx-tab-beauty",
        "set_beauty": "input#glfx-beauty-level",
        "open_effect_panel": "button#glfx-tab-effects",
        "apply_effect": "#glfx-effects button[data-effect='{name}']",
        "start_recording": "button#glfx-record",
        "stats": "#glfx-stats",
    },
    "pixkit": {
        "preview": ".pk-stage canvas",
        "open_filter_panel": "xpath=//nav[@class='pk-toolbar']/button[@data-panel='looks']",
        "select_filter": ".pk-panel[data-panel='looks'] [data-look='{name}']",
        "open_beauty_panel": "xpath=//nav[@class='pk-toolbar']/button[@data-panel='retouch']",
        "set_beauty": ".pk-panel[data-panel='retouch'] input[type=range]",
        "open_effect_panel": "xpath=//nav[@class='pk-toolbar']/button[@data-panel='fx']",
        "apply_effect": ".pk-panel[data-panel='fx'] [data-fx='{name}']",
        "start_recording": ".pk-shutter",
        "stats": ".pk-debug",
    },
}
# recording_result elements are created by the app when a clip is ready; their markup lives in app.js.
RECORDING_RESULT = {"glfx": "video.id = 'glfx-recording'", "pixkit": "ui.gallery.replaceChildren(video)"}


# ---- a minimal DOM and selector matcher, enough for the contract's selector forms ------------------------


@dataclass
class Element:
    tag: str
    attrs: dict[str, str]
    parent: Element | None
    children: list[Element] = field(default_factory=list)


class _TreeBuilder(HTMLParser):
    VOID = frozenset({"meta", "link", "input", "br", "img", "hr", "source"})

    def __init__(self) -> None:
        super().__init__()
        self.root = Element("#document", {}, None)
        self.current = self.root
        self.all: list[Element] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        element = Element(tag, {k: v or "" for k, v in attrs}, self.current)
        self.current.children.append(element)
        self.all.append(element)
        if tag not in self.VOID:
            self.current = element

    def handle_endtag(self, tag: str) -> None:
        node: Element | None = self.current
        while node is not None and node.tag != tag:
            node = node.parent
        if node is not None and node.parent is not None:
            self.current = node.parent


def parse_html(path: Path) -> list[Element]:
    builder = _TreeBuilder()
    builder.feed(path.read_text(encoding="utf-8"))
    return builder.all


_COMPOUND = re.compile(r"^([a-z]+)?((?:#[\w-]+|\.[\w-]+|\[[\w-]+(?:=['\"]?[^\]'\"]*['\"]?)?\])*)$")
_PART = re.compile(r"#([\w-]+)|\.([\w-]+)|\[([\w-]+)(?:=['\"]?([^\]'\"]*)['\"]?)?\]")


def _matches_compound(element: Element, compound: str) -> bool:
    match = _COMPOUND.match(compound)
    if match is None:
        raise ValueError(f"selector part {compound!r} is not a supported compound selector")
    tag, rest = match.groups()
    if tag and element.tag != tag:
        return False
    for ident, cls, attr, value in _PART.findall(rest):
        if ident and element.attrs.get("id") != ident:
            return False
        if cls and cls not in element.attrs.get("class", "").split():
            return False
        if attr and (attr not in element.attrs or (value and element.attrs[attr] != value)):
            return False
    return True


def css_select(elements: list[Element], selector: str) -> list[Element]:
    """Descendant-combinator CSS selectors made of tag, #id, .class and [attr=value] parts."""
    parts = selector.split()
    found = []
    for element in elements:
        if not _matches_compound(element, parts[-1]):
            continue
        node = element.parent
        pending = list(parts[:-1])
        while pending and node is not None:
            if _matches_compound(node, pending[-1]):
                pending.pop()
            node = node.parent
        if not pending:
            found.append(element)
    return found


def xpath_select(elements: list[Element], xpath: str) -> list[Element]:
    """XPath of the form //a[@x='v']/b[@y='w'] (exact attribute equality, direct children)."""
    match = re.fullmatch(r"//(\w+)\[@([\w-]+)='([^']*)'\]/(\w+)\[@([\w-]+)='([^']*)'\]", xpath)
    if match is None:
        raise ValueError(f"xpath {xpath!r} is not of the form //a[@x='v']/b[@y='w']")
    ptag, pattr, pval, ctag, cattr, cval = match.groups()
    return [
        e for e in elements
        if e.tag == ctag and e.attrs.get(cattr) == cval and e.parent is not None
        and e.parent.tag == ptag and e.parent.attrs.get(pattr) == pval
    ]


def select(elements: list[Element], locator: str) -> list[Element]:
    if locator.startswith("xpath="):
        return xpath_select(elements, locator.removeprefix("xpath="))
    return css_select(elements, locator)


# ---- .cube files ------------------------------------------------------------------------------------------


def parse_cube(path: Path) -> tuple[int, np.ndarray]:
    """Returns (size, table) with table[b, g, r] = (R, G, B), as the .cube format orders rows."""
    size = 0
    rows: list[list[float]] = []
    for line in path.read_text(encoding="ascii").splitlines():
        words = line.split()
        if not words or words[0].startswith("#") or words[0] == "TITLE":
            continue
        if words[0] == "LUT_3D_SIZE":
            size = int(words[1])
        elif words[0] in ("DOMAIN_MIN", "DOMAIN_MAX"):
            assert [float(w) for w in words[1:]] == ([0.0] * 3 if words[0] == "DOMAIN_MIN" else [1.0] * 3)
        else:
            rows.append([float(w) for w in words])
    assert size in (17, 33), f"{path}: LUT_3D_SIZE {size}, expected 17 or 33"
    table = np.array(rows)
    assert table.shape == (size**3, 3), f"{path}: {table.shape[0]} rows, expected {size**3}"
    return size, table.reshape(size, size, size, 3)


def _load_make_luts() -> ModuleType:
    spec = importlib.util.spec_from_file_location("make_luts", APPS / "tools" / "make_luts.py")
    assert spec is not None
    assert spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


@pytest.mark.parametrize("sdk", sorted(LUT_DIRS))
def test_lut_folder_holds_exactly_the_four_looks(sdk: str) -> None:
    assert sorted(p.stem for p in LUT_DIRS[sdk].glob("*.cube")) == sorted(LOOK_NAMES)


@pytest.mark.parametrize(("sdk", "look"), [(s, n) for s in sorted(LUT_DIRS) for n in LOOK_NAMES])
def test_cube_parses_in_range_and_small(sdk: str, look: str) -> None:
    path = LUT_DIRS[sdk] / f"{look}.cube"
    assert path.stat().st_size < 300 * 1024
    assert f'TITLE "{look}"' in path.read_text(encoding="ascii")
    _, table = parse_cube(path)
    assert table.min() >= 0.0
    assert table.max() <= 1.0


@pytest.mark.parametrize("sdk", sorted(LUT_DIRS))
def test_cube_characters(sdk: str) -> None:
    mid = 8  # grid index of 0.5 in a 17-point LUT
    warm = parse_cube(LUT_DIRS[sdk] / "warm.cube")[1][mid, mid, mid]
    cool = parse_cube(LUT_DIRS[sdk] / "cool.cube")[1][mid, mid, mid]
    _, mono = parse_cube(LUT_DIRS[sdk] / "mono.cube")
    assert warm[0] > warm[2] + 0.05  # mid grey turns warm: red above blue
    assert cool[2] > cool[0] + 0.05
    assert np.allclose(mono[..., 0], mono[..., 1])
    assert np.allclose(mono[..., 1], mono[..., 2])
    # every look keeps black darker than white
    for look in LOOK_NAMES:
        _, table = parse_cube(LUT_DIRS[sdk] / f"{look}.cube")
        assert table[-1, -1, -1].mean() > table[0, 0, 0].mean() + 0.5


def test_glfx_warm_golden_value() -> None:
    # Hand-computed from make_luts.py: warm gain (1.08, 1.01, 0.86) + offset (0.015, 0.005, 0), then the
    # contrast curve x + 0.25 * x * (1 - x) * (2x - 1): at 0.5 grey R 0.561792, G 0.511250, B 0.421422.
    _, table = parse_cube(LUT_DIRS["glfx"] / "warm.cube")
    assert table[8, 8, 8] == pytest.approx([0.561792, 0.511250, 0.421422], abs=1e-6)


def test_cube_files_are_what_make_luts_writes(tmp_path: Path) -> None:
    make_luts = _load_make_luts()
    for out_dir, looks in make_luts.LOOKS.items():
        for name, look in looks.items():
            expected = make_luts.cube_text(name, look, size=make_luts.LUT_SIZE)
            committed = (APPS.parent / out_dir / f"{name}.cube").read_text(encoding="ascii")
            assert committed == expected, f"{out_dir}/{name}.cube is stale: run apps/tools/make_luts.py"


def test_no_none_lut_is_shipped() -> None:
    # `none` means no LUT at all (output = input), so no identity file must shadow it.
    assert not any((d / "none.cube").exists() for d in LUT_DIRS.values())


# ---- locator contract -------------------------------------------------------------------------------------


@pytest.mark.parametrize(("sdk", "version"), [(s, v) for s, vs in VERSIONS.items() for v in vs])
def test_every_contract_selector_matches(sdk: str, version: str) -> None:
    elements = parse_html(APPS / sdk / version / "index.html")
    for step, locator in CONTRACT[sdk].items():
        names = FILTER_NAMES if step == "select_filter" else EFFECT_NAMES if step == "apply_effect" else ("",)
        for name in names:
            resolved = locator.replace("{name}", name)
            assert len(select(elements, resolved)) == 1, f"{sdk} {version}: {step} {resolved!r}"


@pytest.mark.parametrize(("sdk", "version"), [(s, v) for s, vs in VERSIONS.items() for v in vs])
def test_beauty_slider_and_hidden_panels(sdk: str, version: str) -> None:
    elements = parse_html(APPS / sdk / version / "index.html")
    (slider,) = select(elements, CONTRACT[sdk]["set_beauty"])
    assert (slider.attrs["type"], slider.attrs["min"], slider.attrs["max"]) == ("range", "0", "100")
    panel_selector = "section.glfx-panel" if sdk == "glfx" else ".pk-panel"
    panels = select(elements, panel_selector)
    assert len(panels) == 3
    assert all("hidden" in p.attrs for p in panels)


@pytest.mark.parametrize("sdk", sorted(VERSIONS))
def test_recording_result_is_created_by_the_app(sdk: str) -> None:
    source = (APPS / sdk / "app.js").read_text(encoding="utf-8")
    assert RECORDING_RESULT[sdk] in source
    assert "data-duration-ms" in source or "dataset.durationMs" in source
    assert "captureStream(30)" in (APPS / "common" / "recorder.js").read_text(encoding="utf-8")


def test_versions_are_different_builds() -> None:
    def build_of(sdk: str, version: str) -> str:
        html = (APPS / sdk / version / "index.html").read_text(encoding="utf-8")
        match = re.search(r"start\w+\((\{.*?\})\);", html, re.S)
        assert match is not None, f"{sdk} {version}: no start call"
        return match.group(1)

    assert "beautyKernel: 'bilateral2d'" in build_of("glfx", "1.0")
    assert "beautyKernel: 'separable'" in build_of("glfx", "2.0")
    assert "warm: 0.7" in build_of("glfx", "2.0")
    assert "beautyScale: 1" in build_of("pixkit", "1.4")
    assert "beautyScale: 2" in build_of("pixkit", "1.5")


# ---- fault switches, stats, self-containment --------------------------------------------------------------


def test_every_fault_is_declared_handled_and_documented() -> None:
    faults_js = (APPS / "common" / "faults.js").read_text(encoding="utf-8")
    declared = re.search(r"FAULT_NAMES = Object\.freeze\(\[(.*?)\]\)", faults_js, re.S)
    assert declared is not None
    assert re.findall(r"'(\w+)'", declared.group(1)) == list(FAULT_NAMES)
    code = faults_js.replace(declared.group(0), "")
    sdk_code = "".join((APPS / sdk / "app.js").read_text(encoding="utf-8") for sdk in VERSIONS)
    readme = (APPS / "README.md").read_text(encoding="utf-8")
    fault_section = readme.split("## Fault switches (test only)", 1)[1]
    for name in FAULT_NAMES:
        assert f"'{name}'" in code, f"faults.js never acts on {name}"
        assert f"| `{name}` |" in fault_section, f"README does not document {name}"
    for hook in ("faults.effectsOff", "faults.crashesOnEffect(", "faults.shouldDrop(", "faults.slowStart()"):
        assert sdk_code.count(hook) == 2, f"both apps must call {hook}"


def test_stats_line_has_exactly_the_vendor_keys() -> None:
    stats_js = (APPS / "common" / "stats.js").read_text(encoding="utf-8")
    template = re.search(r"return `(frames=.*?)`;", stats_js, re.S)
    assert template is not None
    keys = re.findall(r"(\w+)=\$\{", template.group(1).replace("` +\n      `", ""))
    assert keys == ["frames", "cost_ms", "fps", "first_frame_ms"]
    assert "console.log(`[${this.sdk}] ${this.line()}`)" in stats_js


def test_apps_are_self_contained() -> None:
    sources = [p for p in APPS.rglob("*") if p.suffix in {".html", ".js", ".css"}]
    assert len(sources) >= 14
    for path in sources:
        text = path.read_text(encoding="utf-8")
        assert not re.search(r"(?:src|href|from|import|fetch)\s*\(?\s*['\"]https?://", text), path
        for target in re.findall(r"(?:from|import)\s+'(\.{1,2}/[^']+)'", text):
            assert (path.parent / target).resolve().is_file(), f"{path}: import {target} does not exist"
        for target in re.findall(r"(?:href|src)=\"(\.{1,2}/[^\"]+|[\w./-]+\.(?:css|js|html))\"", text):
            assert (path.parent / target).resolve().is_file(), f"{path}: link {target} does not exist"


def test_selector_matcher_negative_controls() -> None:
    # The matcher must reject near misses, or the contract test above would pass on anything.
    pixkit = parse_html(APPS / "pixkit" / "1.4" / "index.html")
    glfx = parse_html(APPS / "glfx" / "1.0" / "index.html")
    assert select(pixkit, ".pk-panel[data-panel='looks'] [data-look='sepia']") == []
    assert select(pixkit, ".pk-panel[data-panel='fx'] [data-look='warm']") == []
    assert select(pixkit, "xpath=//nav[@class='pk-toolbar']/button[@data-panel='stickers']") == []
    assert select(pixkit, "xpath=//div[@class='pk-toolbar']/button[@data-panel='looks']") == []
    assert select(glfx, "#glfx-effects button[data-filter='warm']") == []
    assert select(glfx, "canvas#glfx-stats") == []
