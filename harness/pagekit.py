"""The one stylesheet and the one escape helper of every HTML page the harness writes (comparison, gate,
adaptation, known issues, vendor scorecard, ticket excerpt, the report's landing page). Pages stay self-contained:
the stylesheet is inlined, images are data: URIs. Imports nothing from the harness, so every layer may use it."""

from __future__ import annotations

import html
from typing import Final

# Verdict colours shared by all pages: green ok/pass, amber degraded/broken, red fails/regression, grey not run.
OK_BG: Final = "#b7e1b9"
WARN_BG: Final = "#ffd57a"
BAD_BG: Final = "#f19a9a"
NONE_BG: Final = "#d9d9d9"

STYLE: Final = """
body{font:14px/1.4 system-ui,sans-serif;margin:24px;color:#222}
h1{font-size:20px}h2{font-size:17px;margin-top:24px}h3{font-size:15px}
table{border-collapse:collapse;margin:6px 0 14px;max-width:100%}
th,td{border:1px solid #bbb;padding:4px 8px;text-align:left;vertical-align:top;overflow-wrap:anywhere}
th{background:#f2f2f2}td.num{text-align:right;font-variant-numeric:tabular-nums}
td.cell{min-width:92px}td.cell b{display:block}
ul.reasons{margin:2px 0 0 0;padding-left:16px;font-size:12px}
.warn{background:#fff4e5;border-left:4px solid #f0a020;padding:6px 10px;margin:6px 0}
.legend span{display:inline-block;padding:2px 8px;margin-right:6px;border:1px solid #bbb}
.best{font-weight:bold}.meta,.small{color:#555}.small{font-size:12px}
pre{background:#f6f6f6;padding:.6em;overflow-x:auto;font-size:12px;white-space:pre-wrap}
figure{display:inline-block;margin:.5em 1em .5em 0}figure img{max-width:100%;max-height:32em;border:1px solid #ccc}
figcaption{font-size:12px;color:#555}
.verdict-fail,.verdict-defect{color:#b00020;font-weight:600}
.all,.fixed{background:#b7e1b9}.some{background:#ffd57a}.none,.open{background:#f19a9a}.not_verified{background:#d9d9d9}
.ev{display:inline-block;margin:0 10px 10px 0;vertical-align:top;max-width:440px}
.ev img{max-width:420px;max-height:240px;border:1px solid #bbb}.ev svg{max-width:440px;height:auto}
"""


def escape(text: object) -> str:
    """Text for HTML content and attribute values (quotes escaped too)."""
    return html.escape(str(text), quote=True)


def page(title: str, body: str) -> str:
    """A whole standalone page with the one stylesheet."""
    return (f'<!doctype html>\n<html lang="en"><head><meta charset="utf-8"><title>{escape(title)}</title>'
            f"<style>{STYLE}</style></head><body>\n{body}\n</body></html>\n")


__all__ = ["BAD_BG", "NONE_BG", "OK_BG", "STYLE", "WARN_BG", "escape", "page"]
