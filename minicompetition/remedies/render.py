"""Blocks rendered as archival PDF (PDF/A-2u, fonts embedded) and as a self-contained HTML page."""

import hashlib
import re
from datetime import UTC, datetime
from functools import cache
from html import escape
from pathlib import Path

from fontTools.ttLib import TTFont
from fpdf import FPDF

from minicompetition.remedies.compose import Block
from minicompetition.remedies.texts import T

FONTS = Path(__file__).parent / "fonts"
FAMILY = "DejaVu"  # vendored: Finnish letters, the euro sign and dashes, embedded in every PDF

_STYLE = (
    "body{font-family:sans-serif;max-width:60rem;margin:1rem auto;padding:0 1rem;color:#111;line-height:1.45}"
    "table{border-collapse:collapse;width:100%;margin:.5rem 0 1rem}th,td{border:1px solid #666;"
    "padding:.25rem .4rem;text-align:left;vertical-align:top;font-size:.9rem}th{background:#e8e8e8}"
    "dl{display:grid;grid-template-columns:max-content 1fr;gap:.2rem 1rem}dt{font-weight:bold}dd{margin:0}"
)


def sha256(data: bytes) -> str:
    """The hex SHA-256 of the bytes."""
    return hashlib.sha256(data).hexdigest()


def to_html(blocks: list[Block], *, lang: str, title: str) -> str:
    """A standalone HTML page of the blocks (no scripts, no external files)."""
    parts = [
        f'<!DOCTYPE html>\n<html lang="{lang}"><head><meta charset="utf-8">'
        f"<title>{escape(title)}</title><style>{_STYLE}</style></head><body><main>"
    ]
    for b in blocks:
        if b.kind in ("h1", "h2"):
            parts.append(f"<{b.kind}>{escape(b.text)}</{b.kind}>")
        elif b.kind == "p":
            parts.append("".join(f"<p>{escape(x)}</p>" for x in b.text.split("\n\n")))
        elif b.kind == "fields":
            parts.append(
                "<dl>" + "".join(f"<dt>{escape(k)}</dt><dd>{escape(v)}</dd>" for k, v in b.rows) + "</dl>"
            )
        elif b.kind == "table":
            head = "".join(f'<th scope="col">{escape(c)}</th>' for c in b.rows[0])
            body = "".join("<tr>" + "".join(f"<td>{escape(c)}</td>" for c in r) + "</tr>" for r in b.rows[1:])
            parts.append(f"<table><thead><tr>{head}</tr></thead><tbody>{body}</tbody></table>")
    parts.append("</main></body></html>\n")
    return "".join(parts)


@cache
def _glyphs() -> frozenset[int]:
    """The code points the vendored fonts can draw (both faces cover the same set)."""
    with TTFont(FONTS / "DejaVuSans.ttf", lazy=True) as font:
        return frozenset(font.getBestCmap())


def printable(value: str) -> str:
    """Text the PDF can show: a tab as a space, a character the font lacks as U+FFFD (the HTML keeps it)."""
    glyphs = _glyphs()
    value = value.replace("\r\n", "\n").replace("\r", "\n")
    return "".join(" " if c == "\t" else c if c == "\n" or ord(c) in glyphs else "\ufffd" for c in value)


class _Pdf(FPDF):
    lang = "fi"
    seed = ""

    def file_id(self) -> str:
        # The file identifier from the content, not from the clock: the same decision gives the same bytes.
        return f"<{self.seed}><{self.seed}>"

    def footer(self) -> None:
        self.set_y(-12)
        self.set_font(FAMILY, "", 8)
        self.cell(0, 6, f"{T[self.lang]['page']} {self.page_no()}/{{nb}}", align="C")


def to_pdf(
    blocks: list[Block], *, lang: str, title: str, created_at: datetime, author: str
) -> tuple[bytes, int]:
    """The PDF/A-2u bytes and page count; the same blocks and moment give the same bytes."""
    pdf = _Pdf(format="A4", enforce_compliance="PDF/A-2U")
    pdf.lang = lang
    pdf.seed = hashlib.sha256(repr((blocks, title, created_at)).encode()).hexdigest()[:32].upper()
    pdf.add_font(FAMILY, "", str(FONTS / "DejaVuSans.ttf"))
    pdf.add_font(FAMILY, "B", str(FONTS / "DejaVuSans-Bold.ttf"))
    pdf.set_lang(lang)
    pdf.set_title(title)
    pdf.set_author(author)
    pdf.set_creator("dynamic-procurement-ring")
    pdf.set_creation_date(created_at)  # the decision's moment: rendering twice gives identical bytes
    pdf.set_auto_page_break(auto=True, margin=16)
    pdf.add_page()
    for b in blocks:
        _block(pdf, b)
    return _pinned(bytes(pdf.output()), created_at), pdf.pages_count


def _pinned(pdf: bytes, created_at: datetime) -> bytes:
    """The XMP modify and metadata dates set to the decision's moment (the library writes the clock's).

    The replacement has the same length, so the cross-reference offsets stay right.
    """
    stamp = created_at.astimezone(UTC).isoformat(timespec="seconds").encode()
    for name in (b"xmp:ModifyDate", b"xmp:MetadataDate"):
        pdf = re.sub(name + rb'="[^"]{25}"', name + b'="' + stamp + b'"', pdf, count=1)
    return pdf


def _block(pdf: FPDF, b: Block) -> None:
    width = pdf.epw
    if b.kind == "h1":
        pdf.set_font(FAMILY, "B", 16)
        pdf.multi_cell(width, 9, printable(b.text), new_x="LMARGIN", new_y="NEXT")
        pdf.ln(2)
    elif b.kind == "h2":
        pdf.ln(2)
        pdf.set_font(FAMILY, "B", 11)
        pdf.multi_cell(width, 6, printable(b.text), new_x="LMARGIN", new_y="NEXT")
    elif b.kind == "p":
        pdf.set_font(FAMILY, "", 9)
        pdf.multi_cell(width, 4.6, printable(b.text), new_x="LMARGIN", new_y="NEXT")
        pdf.ln(1)
    elif b.kind == "fields":
        pdf.set_font(FAMILY, "", 9)
        for label, value in b.rows:
            pdf.set_font(FAMILY, "B", 9)
            pdf.cell(48, 5, printable(label))
            pdf.set_font(FAMILY, "", 9)
            pdf.multi_cell(width - 48, 5, printable(value), new_x="LMARGIN", new_y="NEXT")
    elif b.kind == "table":
        pdf.set_font(FAMILY, "", 7)
        with pdf.table(col_widths=b.widths, line_height=3.6, first_row_as_headings=True) as table:
            for row in b.rows:
                cells = table.row()
                for value in row:
                    cells.cell(printable(value))
        pdf.ln(1)
