"""The ticket document as Markdown (GitHub / Jira-style pipe tables): the README.md of a bundle, ready to
paste into a vendor's ticket."""

from __future__ import annotations

from harness.ticket.content import Block, Code, Document, Images, Items, Para, Table, plain_sections


def _cell(text: str) -> str:
    return text.replace("\\", "\\\\").replace("|", "\\|").replace("\n", " ")


def _fence(text: str) -> str:
    """A code fence longer than any run of backticks inside the text."""
    longest, run = 0, 0
    for char in text:
        run = run + 1 if char == "`" else 0
        longest = max(longest, run)
    return "`" * max(3, longest + 1)


def _block(block: Block) -> str:
    if isinstance(block, Para):
        return block.text
    if isinstance(block, Table):
        header = block.header if any(block.header) else ("", "")
        lines = ["| " + " | ".join(_cell(h) for h in header) + " |", "|" + "---|" * len(header)]
        lines += ["| " + " | ".join(_cell(c) for c in row) + " |" for row in block.rows]
        return "\n".join(lines)
    if isinstance(block, Items):
        return "\n".join(
            f"{f'{n}.' if block.ordered else '-'} {item}" for n, item in enumerate(block.items, 1)
        )
    if isinstance(block, Code):
        fence = _fence(block.text)
        return f"{fence}\n{block.text}\n{fence}"
    assert isinstance(block, Images)
    return "\n".join(f"![{image.caption}]({image.member})" for image in block.images)


def render_markdown(doc: Document) -> str:
    """The document without its HTML-only sections, as Markdown."""
    parts = [f"# {doc.title}"]
    for section in plain_sections(doc, html=False):
        parts.append(f"## {section.title}")
        parts += [_block(b) for b in section.blocks]
    return "\n\n".join(parts) + "\n"


__all__ = ["render_markdown"]
