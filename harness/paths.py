"""Where the harness finds its own parts: the project folder with apps/, .tools/ (Appium, Allure) and reports/."""

from __future__ import annotations

import os
from pathlib import Path


def project_root() -> Path:
    """The folder holding apps/ and .tools/: $HARNESS_HOME, else the checkout this package lives in, else cwd."""
    env = os.environ.get("HARNESS_HOME")
    if env:
        return Path(env).resolve()
    here = Path(__file__).resolve().parent.parent
    if (here / "apps").is_dir():
        return here
    return Path.cwd().resolve()


def apps_dir() -> Path:
    return project_root() / "apps"


def vendor_sdk_dir() -> Path:
    """The pinned third-party SDK packages scripts/setup.sh installs (served by the app server at /vendor/)."""
    return project_root() / ".tools" / "sdk"


def cache_dir() -> Path:
    return project_root() / ".cache"
