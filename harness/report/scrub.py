"""The last pass over what a run leaves on disk: every text file of the run folder (results, details.json, logs,
Allure results, gate and summary files) and the shared history.jsonl, masked by the one rule (harness.secrets).

The run's copy of its inputs (`inputs/`) keeps what the user wrote and is left alone.
"""

from __future__ import annotations

import json
import logging
from pathlib import Path
from typing import Final

from harness.secrets import mask_data, mask_secrets

log = logging.getLogger(__name__)

KEPT_AS_WRITTEN: Final = ("inputs",)
TEXT_SUFFIXES: Final = (".json", ".jsonl", ".txt", ".log", ".csv", ".yaml", ".yml", ".html", ".xml", ".md",
                        ".properties")
MAX_SCRUBBED_BYTES: Final = 200 * 1024 * 1024


def _read(path: Path) -> str:
    # surrogateescape keeps any byte as it was, so a file that is not UTF-8 is written back unchanged
    return path.read_bytes().decode("utf-8", errors="surrogateescape")


def _write(path: Path, text: str) -> None:
    tmp = path.with_name(f".{path.name}.masked.tmp")
    tmp.write_bytes(text.encode("utf-8", errors="surrogateescape"))
    tmp.replace(path)


def _masked_json(text: str) -> str | None:
    try:
        data = json.loads(text)
    except ValueError:
        return None
    masked = mask_data(data)
    if masked == data:
        return text
    return json.dumps(masked, ensure_ascii=False, indent=1) + "\n"


def _masked_jsonl(text: str) -> str:
    lines = []
    for line in text.splitlines(keepends=True):
        body = line.rstrip("\n")
        masked = _masked_json(body) if body.strip() else body
        if masked is None:
            masked = mask_secrets(body)
        elif masked != body:
            masked = json.dumps(json.loads(masked), ensure_ascii=False, separators=(",", ":"))
        lines.append(masked + ("\n" if line.endswith("\n") else ""))
    return "".join(lines)


def mask_text_file(path: Path) -> bool:
    """Mask credentials in one text file in place (JSON through its values, other text as text); True when it
    changed. Files over MAX_SCRUBBED_BYTES are left alone and logged."""
    if path.stat().st_size > MAX_SCRUBBED_BYTES:
        log.warning("%s is over %d bytes: not masked", path, MAX_SCRUBBED_BYTES)
        return False
    text = _read(path)
    if path.suffix == ".json":
        masked = _masked_json(text)
        masked = mask_secrets(text) if masked is None else masked
    elif path.suffix == ".jsonl":
        masked = _masked_jsonl(text)
    else:
        masked = mask_secrets(text)
    if masked == text:
        return False
    _write(path, masked)
    return True


def mask_run_folder(run_dir: Path) -> int:
    """Mask every text file under `run_dir` except the run's copy of its inputs; returns the number changed."""
    changed = 0
    for path in sorted(run_dir.rglob("*")):
        rel = path.relative_to(run_dir)
        if rel.parts and rel.parts[0] in KEPT_AS_WRITTEN:
            continue
        if path.is_file() and not path.is_symlink() and path.suffix.lower() in TEXT_SUFFIXES:
            changed += mask_text_file(path)
    if changed:
        log.info("masked credentials in %d files of %s", changed, run_dir)
    return changed


def mask_history(history_path: Path) -> bool:
    """Mask the shared history.jsonl, so a secret written by an older run is not copied into later reports."""
    return history_path.is_file() and mask_text_file(history_path)
