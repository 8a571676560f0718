"""The one HTML toolkit of every page the harness writes (comparison, adaptation, gate, known issues, vendor
scorecard, ticket excerpt, the report's landing page): one jinja2 Environment over the templates in
harness/pagekit/templates/, whose base.html every page extends and whose style.css is the one stylesheet, inlined.
Pages stay self-contained: the stylesheet is inlined, images are data: URIs. Imports nothing from the harness, so
every layer may use it."""

from __future__ import annotations

import base64
import html
from collections.abc import Sequence
from dataclasses import dataclass
from functools import cache
from importlib import resources
from typing import Final

import jinja2
from markupsafe import Markup

# Verdict colours shared by all pages: green ok/pass, amber degraded/broken, red fails/regression, grey not run.
OK_BG: Final = "#b7e1b9"
WARN_BG: Final = "#ffd57a"
BAD_BG: Final = "#f19a9a"
NONE_BG: Final = "#d9d9d9"
# Light blue: what the machine, not the SDK, limited (ENV on the landing page, `environment` in comparisons).
ENV_BG: Final = "#cfe3ff"

# Written into the head of every whole page (base.html), so a page can be told apart as the toolkit's.
TOOLKIT_MARKER: Final = "sdk-harness pagekit"
_TEMPLATES: Final = "templates"


def _read(name: str) -> str:
    return resources.files(__name__).joinpath(_TEMPLATES, name).read_text(encoding="utf-8")


STYLESHEET: Final = _read("style.css")


@cache
def environment() -> jinja2.Environment:
    """The toolkit's one Environment: templates from harness/pagekit/templates, autoescape on for .html, and a
    missing variable an error (StrictUndefined), never a blank."""
    env = jinja2.Environment(
        loader=jinja2.PackageLoader(__name__, _TEMPLATES),
        autoescape=jinja2.select_autoescape(enabled_extensions=("html",), default_for_string=True),
        undefined=jinja2.StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
        keep_trailing_newline=True,
    )
    env.globals.update(stylesheet=Markup(STYLESHEET), toolkit_marker=TOOLKIT_MARKER)
    return env


def style_block() -> str:
    """The one stylesheet as the style element every page and fragment carries once (_style.html)."""
    return environment().get_template("_style.html").render()


def render_page(template: str, **context: object) -> str:
    """A whole standalone page: `template` extends base.html (`{% extends layout %}`), with the stylesheet in
    its head. `title` is required by base.html; a variable the template uses and `context` lacks raises
    jinja2.UndefinedError."""
    return environment().get_template(template).render(layout="base.html", **context)


def render_fragment(template: str, **context: object) -> str:
    """The same template as a fragment to put inside another document (e.g. an Allure description): the
    stylesheet in a style element of its own (_style.html), then the page's content, no html or head element."""
    return environment().get_template(template).render(layout="fragment.html", **context)


def page_from_fragment(fragment: str, *, title: str) -> str:
    """A fragment of render_fragment as a whole page; the stylesheet stays once, the fragment's own. ValueError
    when `fragment` does not come from render_fragment."""
    if not fragment.startswith(style_block()):
        raise ValueError("page_from_fragment: allowed: a fragment of pagekit.render_fragment (starting with the "
                         "toolkit's stylesheet)")
    return environment().get_template("wrapped.html").render(title=title, fragment=Markup(fragment))


def escape(text: object) -> str:
    """Text for HTML content and attribute values (quotes escaped too), for the few fragments built in code."""
    return html.escape(str(text), quote=True)


def trusted(fragment: str) -> Markup:
    """Markup the harness drew itself (an SVG chart from harness.report.charts): put into a page as it is."""
    return Markup(fragment)


def data_uri(data: bytes, *, mime: str) -> str:
    """`data` as a data: URI, so a page carries its images."""
    return f"data:{mime};base64,{base64.b64encode(data).decode('ascii')}"


@dataclass(frozen=True, kw_only=True)
class Cell:
    """One table cell (_kit.html `table`): text (escaped), optional class, background colour, hover title and
    link; `header` makes it a <th>."""

    text: str = ""
    css: str = ""
    background: str = ""
    title: str = ""
    href: str = ""
    link_title: str = ""
    header: bool = False


@dataclass(frozen=True, kw_only=True)
class TableRow:
    cells: Sequence[Cell]
    css: str = ""


@dataclass(frozen=True, kw_only=True)
class Table:
    """A table of text cells; `sections` wraps the header and the rows in <thead>/<tbody>."""

    headers: Sequence[str]
    rows: Sequence[TableRow] = ()
    css: str = ""
    sections: bool = False


def text_table(headers: Sequence[str], rows: Sequence[Sequence[str]], *, css: str = "") -> Table:
    """A Table of plain text cells."""
    return Table(headers=headers, rows=[TableRow(cells=[Cell(text=t) for t in r]) for r in rows], css=css)


@dataclass(frozen=True, kw_only=True)
class Figure:
    """An image of a figure list (_kit.html `figures`): a data: URI, its caption and a note after it."""

    uri: str
    caption: str
    note: str = ""


__all__ = [
    "BAD_BG",
    "ENV_BG",
    "NONE_BG",
    "OK_BG",
    "STYLESHEET",
    "TOOLKIT_MARKER",
    "WARN_BG",
    "Cell",
    "Figure",
    "Table",
    "TableRow",
    "data_uri",
    "environment",
    "escape",
    "page_from_fragment",
    "render_fragment",
    "render_page",
    "style_block",
    "text_table",
    "trusted",
]
