"""The vendor scorecard: from the results store, per vendor and SDK version, the devices passing, open
adaptation defects with their tickets and age, the version that fixed each defect and after how many days, and
the release cadence. Definitions: docs/scorecard.md."""

from harness.scorecard.build import build_scorecard, defect_names, version_sort_key
from harness.scorecard.cli import add_parser, main
from harness.scorecard.model import Defect, FailingDevice, Scorecard, SdkCard, VendorCard, VersionRow
from harness.scorecard.render import format_scorecard, scorecard_html, scorecard_section

__all__ = [
    "Defect",
    "FailingDevice",
    "Scorecard",
    "SdkCard",
    "VendorCard",
    "VersionRow",
    "add_parser",
    "build_scorecard",
    "defect_names",
    "format_scorecard",
    "main",
    "scorecard_html",
    "scorecard_section",
    "version_sort_key",
]
