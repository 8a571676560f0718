"""Allure metadata for a run (environment, executor, failure categories) and per-item labels and attachments.

Categories are declared once here and written both as Allure 2's categories.json and as Allure 3's
`categories` config rules (Allure 3's report reads only the latter).
"""

from __future__ import annotations

import json
import math
import re
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Final

import allure
from allure_commons.types import AttachmentType

from harness.errors import ConfigError, HarnessError
from harness.metric_names import metric_unit
from harness.secrets import MASK, SECRET_KEY_RE, mask_data, mask_secrets, mask_value

__all__ = ["MASK", "SECRET_KEY_RE", "mask_secrets", "mask_value", "metric_unit"]

EXECUTOR_NAME: Final = "sdk-harness"

# --- secrets: the one rule lives in harness.secrets -----------------------------------------------------------
_mask_json = mask_data


_TEXT_ATTACHMENT_SUFFIXES: Final = (".txt", ".log", ".json", ".csv", ".yaml", ".html", ".xml")
_MAX_MASKED_ATTACHMENT_BYTES: Final = 20 * 1024 * 1024


def mask_allure_results(results_dir: Path) -> int:
    """Mask credentials in an Allure results folder before it becomes a report: every string in
    *-result.json / *-container.json / *-globals.json (error messages, traces, parameters) and text attachments up
    to 20 MB. Returns the number of files changed."""
    changed = 0
    for path in sorted(results_dir.iterdir()):
        if not path.is_file():
            continue
        name = path.name
        if name.endswith(("-result.json", "-container.json", "-globals.json")):
            data = json.loads(path.read_text(encoding="utf-8"))
            masked_data = _mask_json(data)
            if masked_data == data:
                continue
            path.write_text(json.dumps(masked_data, ensure_ascii=False), encoding="utf-8")
        elif "-attachment" in name and name.endswith(_TEXT_ATTACHMENT_SUFFIXES):
            if path.stat().st_size > _MAX_MASKED_ATTACHMENT_BYTES:
                continue
            text = path.read_text(encoding="latin-1")  # lossless for any bytes; the patterns are ASCII
            masked = mask_secrets(text)
            if masked == text:
                continue
            path.write_text(masked, encoding="latin-1")
        else:
            continue
        changed += 1
    return changed


# --- environment.properties and executor.json ------------------------------------------------------------
def _escape_property(text: str, *, is_key: bool) -> str:
    """Escape one Java .properties token (the format Allure's environment.properties reader expects)."""
    out = text.replace("\\", "\\\\").replace("\n", "\\n").replace("\r", "\\r").replace("\t", "\\t")
    if is_key:
        out = re.sub(r"([ =:#!])", r"\\\1", out)
    elif out.startswith((" ", "#", "!")):
        out = "\\" + out
    return out


def write_environment(
    results_dir: Path,
    *,
    harness_version: str,
    python_version: str,
    appium_version: str | None,
    chromium_version: str | None,
    platform: str,
    run_id: str,
    devices_path: Path,
    extra: Mapping[str, str] | None = None,
) -> Path:
    """Write environment.properties (values masked); None means "not used in this run". Returns the path."""
    values: dict[str, str | None] = {
        "harness.version": harness_version,
        "python.version": python_version,
        "appium.server.version": appium_version,
        "chromium.version": chromium_version,
        "platform": platform,
        "run.id": run_id,
        "devices.yaml": str(devices_path),
        **(dict(extra) if extra else {}),
    }
    lines = [
        f"{_escape_property(key, is_key=True)}="
        f"{_escape_property(mask_value(key, value if value is not None else 'not used'), is_key=False)}"
        for key, value in values.items()
    ]
    results_dir.mkdir(parents=True, exist_ok=True)
    path = results_dir / "environment.properties"
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path


def write_executor(
    results_dir: Path,
    *,
    run_id: str,
    report_name: str,
    executor_type: str = "local",
    report_url: str | None = None,
    build_url: str | None = None,
) -> Path:
    """Write executor.json (name sdk-harness, buildName = run id). Returns the path."""
    data: dict[str, str] = {
        "name": EXECUTOR_NAME,
        "type": executor_type,
        "buildName": run_id,
        "reportName": report_name,
    }
    if report_url:
        data["reportUrl"] = mask_secrets(report_url)
    if build_url:
        data["buildUrl"] = mask_secrets(build_url)
    results_dir.mkdir(parents=True, exist_ok=True)
    path = results_dir / "executor.json"
    path.write_text(json.dumps(data, indent=2) + "\n", encoding="utf-8")
    return path


# --- failure categories --------------------------------------------------------------------------------
@dataclass(frozen=True)
class Category:
    """One failure category: statuses it covers and a regex searched in the failure message.

    The regex must mean the same in Python, JavaScript (Allure 3) and Java (Allure 2): plain groups,
    classes, anchors and \\b only.
    """

    name: str
    statuses: tuple[str, ...]
    message_pattern: str
    description: str


# First match wins (Allure 3 and Allure 2 both stop at the first matching category), so explicit harness error
# classes come before the heuristics that recognise a failure by its library's name.
CATEGORIES: Final[tuple[Category, ...]] = (
    Category(
        name="SDK defect",
        statuses=("failed", "broken"),
        message_pattern=r"(^|\.)SdkDefectError\b|\[sdk\]",
        description="The app or SDK under test misbehaved: crash, missing control, wrong output.",
    ),
    Category(
        name="Configuration error",
        statuses=("failed", "broken"),
        message_pattern=r"(^|\.)ConfigError\b|\[config\]",
        description="devices.yaml, a scenario file or an option is wrong; nothing was measured.",
    ),
    Category(
        name="Infrastructure failure",
        statuses=("broken",),
        message_pattern=(
            r"(^|\.)InfrastructureError\b|\[infrastructure\]|WebDriverException|SessionNotCreated"
            r"|urllib3|ConnectionRefused|[Ss]ession not created"
        ),
        description="Appium, the browser, the device farm or the network failed: not the SDK's fault.",
    ),
    Category(
        name="Capture not analysable",
        statuses=("failed", "broken"),
        message_pattern=r"(^|\.)AnalysisError\b|\[analysis\]",
        description="A capture could not be analysed (not a video, no frame index code found).",
    ),
    Category(
        name="Expectation not met",
        statuses=("failed",),
        message_pattern=r"AssertionError|\[expectation\]",
        description="A measured value missed its threshold (e.g. content_fps below the scenario's minimum).",
    ),
)


def classify_failure(status: str, message: str | None) -> str | None:
    """The first category matching (status, message), in the order Allure applies them; None if none match."""
    for category in CATEGORIES:
        if status in category.statuses and re.search(category.message_pattern, message or ""):
            return category.name
    return None


def allure2_categories() -> list[dict[str, Any]]:
    """Categories in Allure 2's categories.json form (messageRegex must match the WHOLE message there)."""
    return [
        {
            "name": c.name,
            "description": c.description,
            "matchedStatuses": list(c.statuses),
            "messageRegex": f"(?s).*(?:{c.message_pattern}).*",
        }
        for c in CATEGORIES
    ]


def allure3_category_rules() -> list[dict[str, Any]]:
    """Categories as Allure 3 config rules (`categories: {rules}`; the message regex is searched)."""
    return [
        {
            "id": c.name,
            "name": c.name,
            "matchers": {"statuses": list(c.statuses), "message": c.message_pattern},
        }
        for c in CATEGORIES
    ]


def write_categories(results_dir: Path) -> Path:
    """Write categories.json (read by Allure 2 and Allure 3's classic/allure2 plugins). Returns the path."""
    results_dir.mkdir(parents=True, exist_ok=True)
    path = results_dir / "categories.json"
    path.write_text(json.dumps(allure2_categories(), indent=2) + "\n", encoding="utf-8")
    return path


# --- per-item labels and attachments (called from inside a running test) ------------------------------
def device_tag_labels(tags: Mapping[str, str | bool]) -> list[str]:
    """Device tags as Allure tag strings: {tier: flagship, new: false} -> ["tier=flagship", "new=false"]."""
    out = []
    for key, value in tags.items():
        text = str(value).lower() if isinstance(value, bool) else str(value)
        out.append(f"{key}={text}")
    return out


def allure_item_labels(
    *,
    scenario: str,
    scenario_kind: str,
    device: str,
    platform: str,
    sdk: str,
    version: str,
    tags: Mapping[str, str | bool],
    device_name: str | None = None,
    repeat: int = 1,
) -> None:
    """Label the current test for Allure: parameters device/platform/sdk/version (they feed historyId, so each
    device x candidate cell keeps its own history instead of collapsing into retries), suites
    platform > scenario > device, a `platform` label (the report's environments match on it), one tag per
    device tag and feature = scenario kind; a repeat (--repeat) beyond the first gets a `repeat` parameter, so it
    is its own result rather than a retry. A no-op when Allure reporting is off."""
    allure.dynamic.parameter("device", device)
    if repeat > 1:
        allure.dynamic.parameter("repeat", repeat)
    allure.dynamic.parameter("platform", platform)
    allure.dynamic.parameter("sdk", sdk)
    allure.dynamic.parameter("version", version)
    allure.dynamic.parent_suite(platform)
    allure.dynamic.suite(scenario)
    allure.dynamic.sub_suite(device)
    allure.dynamic.label("platform", platform)
    allure.dynamic.label("device", device)
    allure.dynamic.feature(scenario_kind)
    for tag in device_tag_labels(tags):
        allure.dynamic.tag(tag)
    if device_name:
        allure.dynamic.label("device_name", device_name)


def format_metric_value(value: float) -> str:
    """A metric value for tables: integers plainly, others with up to 3 significant decimals."""
    if math.isfinite(value) and value == int(value) and abs(value) < 1e15:
        return str(int(value))
    return f"{value:.4g}" if abs(value) < 1000 else f"{value:.1f}"


def metrics_table(metrics: Mapping[str, float]) -> str:
    """A plain-text table of metrics: name, value, unit."""
    if not metrics:
        return "(no metrics)\n"
    width = max(len(name) for name in metrics)
    rows = [f"{'metric'.ljust(width)}  value"]
    for name, value in metrics.items():
        rows.append(f"{name.ljust(width)}  {format_metric_value(value)} {metric_unit(name)}".rstrip())
    return "\n".join(rows) + "\n"


def attach_metrics(metrics: Mapping[str, float], *, name: str = "metrics") -> None:
    """Attach the item's metrics to the current test as JSON and as a readable table."""
    allure.attach(
        json.dumps(dict(metrics), indent=2, sort_keys=True, allow_nan=False),
        name=f"{name}.json",
        attachment_type=AttachmentType.JSON,
    )
    allure.attach(metrics_table(metrics), name=f"{name} (table)", attachment_type=AttachmentType.TEXT)


ATTACHMENT_KINDS: Final[dict[str, AttachmentType]] = {
    "png": AttachmentType.PNG,
    "jpg": AttachmentType.JPG,
    "jpeg": AttachmentType.JPG,
    "webm": AttachmentType.WEBM,
    "mp4": AttachmentType.MP4,
    "json": AttachmentType.JSON,
    "log": AttachmentType.TEXT,
    "txt": AttachmentType.TEXT,
    "csv": AttachmentType.CSV,
    "html": AttachmentType.HTML,
    "yaml": AttachmentType.YAML,
}


def attachment_type_for(path: Path, kind: str | None = None) -> AttachmentType:
    """The Allure attachment type for `kind` (or, when None, the file's suffix)."""
    key = (kind if kind is not None else path.suffix.lstrip(".")).lower()
    try:
        return ATTACHMENT_KINDS[key]
    except KeyError:
        allowed = ", ".join(sorted(ATTACHMENT_KINDS))
        raise ConfigError(
            f"attachment {path.name}: kind {key!r} is not supported; allowed: {allowed}",
            key_path="attachment.kind",
        ) from None


def attach_file(path: Path, name: str, kind: str | None = None) -> None:
    """Attach a file (screenshot, capture video, stats JSON, log) to the current test."""
    attachment_type = attachment_type_for(path, kind)
    if not path.is_file():
        raise HarnessError(f"attachment {name!r}: file {path} does not exist (write it before attaching)")
    allure.attach.file(str(path), name=name, attachment_type=attachment_type)
