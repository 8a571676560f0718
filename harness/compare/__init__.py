"""Comparison engine: regression thresholds, two-sample statistics, and comparisons between rows of results
(an upgrade against its baseline, new devices against reference devices, vendors side by side), rendered as
text, HTML and a PNG heatmap. Pure logic: it reads rows, never drives a device."""

from harness.compare.adaptation import AdaptationMatrix, MatrixCell, ScenarioCell, adaptation_matrix
from harness.compare.engine import (
    UpgradeCell,
    UpgradeReport,
    VendorReport,
    compare_rows,
    compare_upgrade,
    compare_vendors,
)
from harness.compare.heatmap import adaptation_heatmap, write_adaptation_png
from harness.compare.render import format_adaptation, format_upgrade, format_vendors, html_page, write_html
from harness.compare.rows import Row, load_run_rows, row_from_mapping, rows_from_mappings
from harness.compare.stats import Comparison, compare_samples, is_confirmed_regression, mann_whitney_u
from harness.compare.thresholds import (
    CompareConfig,
    Threshold,
    default_config,
    direction_of,
    load_compare_config,
    parse_thresholds,
)

__all__ = [
    "AdaptationMatrix",
    "CompareConfig",
    "Comparison",
    "MatrixCell",
    "Row",
    "ScenarioCell",
    "Threshold",
    "UpgradeCell",
    "UpgradeReport",
    "VendorReport",
    "adaptation_heatmap",
    "adaptation_matrix",
    "compare_rows",
    "compare_samples",
    "compare_upgrade",
    "compare_vendors",
    "default_config",
    "direction_of",
    "format_adaptation",
    "format_upgrade",
    "format_vendors",
    "html_page",
    "is_confirmed_regression",
    "load_compare_config",
    "load_run_rows",
    "mann_whitney_u",
    "parse_thresholds",
    "row_from_mapping",
    "rows_from_mappings",
    "write_adaptation_png",
    "write_html",
]
