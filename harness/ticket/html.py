"""The ticket document as one self-contained HTML page (the page toolkit's ticket.html): inline CSS, images as
data: URIs, no script and no reference to any other file or address, so it opens from a mail or a ticket
attachment as it is."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Literal

from harness.pagekit import Cell, Figure, Table, TableRow, data_uri, render_page
from harness.ticket.content import Block, Code, Document, Images, Items, Para, plain_sections
from harness.ticket.content import Table as DocTable


@dataclass(frozen=True, kw_only=True)
class _BlockView:
    """One block as ticket.html draws it; `kind` picks the markup."""

    kind: Literal["para", "table", "items", "code", "images"]
    text: str = ""
    table: Table | None = None
    tag: str = "ul"
    items: Sequence[str] = ()
    figures: Sequence[Figure] = field(default_factory=tuple)


@dataclass(frozen=True, kw_only=True)
class _SectionView:
    title: str
    html_only: bool
    blocks: Sequence[_BlockView]


def _cell(text: str, *, header: tuple[str, ...], column: int) -> Cell:
    failing = header[column : column + 1] == ("verdict",) and text in ("FAIL", "DEFECT")
    return Cell(text=text, css=f"verdict-{text.lower()}" if failing else "")


def _block(block: Block) -> _BlockView:
    if isinstance(block, Para):
        return _BlockView(kind="para", text=block.text)
    if isinstance(block, DocTable):
        rows = [TableRow(cells=[_cell(c, header=block.header, column=i) for i, c in enumerate(row)])
                for row in block.rows]
        return _BlockView(kind="table", table=Table(headers=block.header if any(block.header) else (), rows=rows))
    if isinstance(block, Items):
        return _BlockView(kind="items", tag="ol" if block.ordered else "ul", items=block.items)
    if isinstance(block, Code):
        return _BlockView(kind="code", text=block.text)
    assert isinstance(block, Images)
    return _BlockView(kind="images", figures=[Figure(uri=data_uri(i.data, mime=i.mime), caption=i.caption,
                                                     note=i.member) for i in block.images])


def render_html(doc: Document) -> str:
    """The whole document, HTML-only sections (folded in <details>) included, as one page."""
    sections = [_SectionView(title=s.title, html_only=s.html_only, blocks=[_block(b) for b in s.blocks])
                for s in plain_sections(doc, html=True)]
    return render_page("ticket.html", title=doc.title, sections=sections)


__all__ = ["render_html"]
