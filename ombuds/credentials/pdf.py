"""The certificate as a PDF (fpdf2, pure Python): the same words as the printable page, for a
credential that holds today only (the caller checks). The holder's name is printed in a Unicode
font when one is found (OMBUDS_CERTIFICATE_FONT, or DejaVu Sans where the system has it); with only
the PDF's built-in Latin-1 fonts, a name they cannot write is refused rather than misspelt.
"""

from __future__ import annotations

import datetime as dt
from pathlib import Path

from django.conf import settings
from fpdf import FPDF

_SYSTEM_FONTS = (
    "/usr/share/fonts/truetype/dejavu/DejaVuSans.ttf",
    "/usr/share/fonts/dejavu/DejaVuSans.ttf",
)


class CannotWrite(Exception):
    """The text needs a font this machine does not have."""


def _font() -> Path | None:
    configured = getattr(settings, "OMBUDS_CERTIFICATE_FONT", "")
    for candidate in ([configured] if configured else []) + list(_SYSTEM_FONTS):
        if Path(candidate).is_file():
            return Path(candidate)
    return None


def certificate_pdf(
    *,
    body: str,
    holder: str,
    credential: str,
    number: str,
    issued_on: dt.date | None,
    expires_on: dt.date | None,
    conditions: str,
    verification_url: str,
) -> bytes:
    pdf = FPDF(orientation="landscape", format="A4")
    pdf.set_title(f"Certificate {number}")
    pdf.set_author(body)
    font = _font()
    if font is not None:
        pdf.add_font("cert", "", str(font))
        family = "cert"
    else:
        family = "helvetica"
        text = "".join([body, holder, credential, number, conditions])
        try:
            text.encode("latin-1")
        except UnicodeEncodeError:
            raise CannotWrite("no Unicode font for these names (OMBUDS_CERTIFICATE_FONT)") from None
    pdf.add_page()
    pdf.set_draw_color(0, 0, 0)
    pdf.set_line_width(1.2)
    pdf.rect(10, 10, pdf.w - 20, pdf.h - 20)

    def line(text: str, size: int, gap: float = 4) -> None:
        pdf.set_font(family, size=size)
        pdf.multi_cell(0, size * 0.5, text, align="C", new_x="LMARGIN", new_y="NEXT")
        pdf.ln(gap)

    pdf.set_y(28)
    line(body, 18)
    line("Certificate", 30, 8)
    line("This certifies that", 14)
    line(holder, 24)
    line("holds the credential", 14)
    line(credential, 20, 8)
    facts = [f"Number: {number}"]
    if issued_on:
        facts.append(f"Issued: {issued_on:%d %B %Y}")
    if expires_on:
        facts.append(f"Expires: {expires_on:%d %B %Y}")
    line("    ".join(facts), 12)
    if conditions:
        line(f"Conditions: {conditions}", 11)
    line(f"Check this credential's current status at {verification_url}", 10)
    return bytes(pdf.output())
