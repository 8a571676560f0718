"""Run metadata for the results store, read from where the run happened: harness version, host and the git state
of the checkout (commit, branch, uncommitted changes), each None when it cannot be known."""

from __future__ import annotations

import socket
import subprocess
from pathlib import Path
from typing import Any

import harness


def _git(repo_dir: Path, *args: str) -> str | None:
    try:
        done = subprocess.run(
            ["git", "--no-optional-locks", "-C", str(repo_dir), *args],
            capture_output=True, text=True, timeout=10, check=False,
        )
    except (OSError, subprocess.TimeoutExpired):
        return None
    return done.stdout.strip() if done.returncode == 0 else None


def run_metadata(repo_dir: Path) -> dict[str, Any]:
    """`{harness_version, host, git_commit, git_branch, git_dirty}` for Store.ingest_run(metadata=...); git
    fields are None outside a git checkout."""
    commit = _git(repo_dir, "rev-parse", "HEAD")
    status = _git(repo_dir, "status", "--porcelain", "--untracked-files=no") if commit else None
    return {
        "harness_version": harness.__version__,
        "host": socket.gethostname(),
        "git_commit": commit,
        "git_branch": _git(repo_dir, "rev-parse", "--abbrev-ref", "HEAD") if commit else None,
        "git_dirty": None if status is None else bool(status),
    }
