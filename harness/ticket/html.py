"""The ticket document as one self-contained HTML page: inline CSS, images as data: URIs, no script and no
reference to any other file or address, so it opens from a mail or a ticket attachment as it is."""

from __future__ import annotations

import base64

from harness.pagekit import STYLE, escape
from harness.ticket.content import Block, Code, Document, Images, Items, Para, Table, plain_sections


def _cell(text: str, *, header: tuple[str, ...], column: int) -> str:
    css = ""
    if header[column : column + 1] == ("verdict",) and text in ("FAIL", "DEFECT"):
        css = f' class="verdict-{text.lower()}"'
    return f"<td{css}>{escape(text)}</td>"


def _block(block: Block) -> str:
    if isinstance(block, Para):
        return f"<p>{escape(block.text)}</p>"
    if isinstance(block, Table):
        head = (
            f"<tr>{''.join(f'<th>{escape(h)}</th>' for h in block.header)}</tr>" if any(block.header) else ""
        )
        rows = "".join(
            "<tr>" + "".join(_cell(c, header=block.header, column=i) for i, c in enumerate(row)) + "</tr>"
            for row in block.rows
        )
        return f"<table>{head}{rows}</table>"
    if isinstance(block, Items):
        tag = "ol" if block.ordered else "ul"
        return f"<{tag}>{''.join(f'<li>{escape(i)}</li>' for i in block.items)}</{tag}>"
    if isinstance(block, Code):
        return f"<pre>{escape(block.text)}</pre>"
    assert isinstance(block, Images)
    return "".join(
        f'<figure><img alt="{escape(i.caption)}" src="data:{i.mime};base64,'
        f'{base64.b64encode(i.data).decode("ascii")}"><figcaption>{escape(i.caption)} ({escape(i.member)})'
        "</figcaption></figure>"
        for i in block.images
    )


def render_html(doc: Document) -> str:
    """The whole document, HTML-only sections included, as one page."""
    body = [f"<h1>{escape(doc.title)}</h1>"]
    for section in plain_sections(doc, html=True):
        inner = "".join(_block(b) for b in section.blocks)
        if section.html_only:
            body.append(f"<h2>{escape(section.title)}</h2><details><summary>show</summary>{inner}</details>")
        else:
            body.append(f"<h2>{escape(section.title)}</h2>{inner}")
    return (
        '<!DOCTYPE html>\n<html lang="en"><head><meta charset="utf-8">'
        f"<title>{escape(doc.title)}</title><style>{STYLE}</style></head>\n<body>\n"
        + "\n".join(body)
        + "\n</body></html>\n"
    )


__all__ = ["render_html"]
