"""PDFs made in the tests with reportlab, in DejaVu Sans (fixtures/fonts) so Lithuanian
letters are real text: a national security strategy in versions, reflowed, hyphenated,
encrypted, image-only and truncated."""

from __future__ import annotations

import io
from pathlib import Path

from reportlab.lib.pagesizes import A4, LETTER
from reportlab.lib.styles import ParagraphStyle
from reportlab.pdfbase import pdfmetrics
from reportlab.pdfbase.ttfonts import TTFont
from reportlab.pdfgen import canvas
from reportlab.platypus import Paragraph, SimpleDocTemplate, Spacer

FONTS = Path(__file__).parent / "fixtures" / "fonts"
pdfmetrics.registerFont(TTFont("DejaVu", str(FONTS / "DejaVuSans.ttf")))
pdfmetrics.registerFont(TTFont("DejaVu-Bold", str(FONTS / "DejaVuSans-Bold.ttf")))

TITLE = "Nacionalinio saugumo strategija"
FILLER = ("Lietuva stiprina savo gynybą kartu su sąjungininkais, plėtoja visuotinę gynybą, "
          "rengia piliečius ir saugo kritinę infrastruktūrą nuo visų grėsmių. ")


def _sections(version: int) -> list[tuple[str, list[str]]]:
    share = "2,5 proc." if version == 1 else "3 proc."
    sections = [
        ("1. Saugumo aplinka", [
            "Rusijos agresija prieš Ukrainą iš esmės pakeitė saugumo aplinką Europoje. " + FILLER * 6,
            FILLER * 5,
        ]),
        ("2. Gynybos finansavimas", [
            f"Valstybė gynybai kasmet skirs ne mažiau kaip {share} bendrojo vidaus produkto. "
            + FILLER * 3,
            "2023 m. liepos 11–12 d. NATO viršūnių susitikimas Vilniuje patvirtino naujus "
            "gynybos planus. " + FILLER * 4,
        ]),
        ("3. Sąjungininkų buvimas", [
            "Vokietijos brigada bus dislokuota Lietuvoje iki 2027 metų. " + FILLER * 7,
        ]),
    ]
    if version >= 2:
        sections.append(("4. Energetinis saugumas", [
            "Lietuva atsijungė nuo BRELL žiedo ir sinchronizavo elektros tinklus su kontinentinės "
            "Europos tinklais 2025 m. vasario 9 d. " + FILLER * 2,
        ]))
    return sections


def strategy(version: int = 1, *, footer_date: str = "2025-01-15", size=A4,
             font_size: float = 10.5, margin: float = 72) -> bytes:
    """The strategy as a PDF: a title, numbered sections over several pages, a running header
    and a footer with a date and the page number."""
    out = io.BytesIO()
    doc = SimpleDocTemplate(out, pagesize=size, leftMargin=margin, rightMargin=margin,
                            topMargin=margin, bottomMargin=margin, title=TITLE)
    body = ParagraphStyle("body", fontName="DejaVu", fontSize=font_size,
                          leading=font_size * 1.35, spaceAfter=font_size * 0.8)
    heading = ParagraphStyle("h", fontName="DejaVu-Bold", fontSize=font_size * 1.3,
                             leading=font_size * 1.7, spaceBefore=font_size, spaceAfter=6)
    title = ParagraphStyle("t", fontName="DejaVu-Bold", fontSize=font_size * 2,
                           leading=font_size * 2.4, spaceAfter=font_size * 1.5)
    story = [Paragraph(TITLE, title)]
    for head, paragraphs in _sections(version):
        story.append(Paragraph(head, heading))
        story += [Paragraph(p, body) for p in paragraphs]
        story.append(Spacer(1, 4))

    def running(c: canvas.Canvas, d) -> None:
        c.saveState()
        c.setFont("DejaVu", 8)
        width, height = size
        c.drawString(margin, height - 36, f"{TITLE} · Lietuvos Respublikos Seimas")
        c.drawString(margin, 30, f"Paskelbta {footer_date} · {d.page} psl.")
        c.restoreState()

    doc.build(story, onFirstPage=running, onLaterPages=running)
    return out.getvalue()


def reflowed(version: int = 1) -> bytes:
    """The same text on another page size, margins and font size: other lines, other pages."""
    return strategy(version, size=LETTER, font_size=12, margin=54, footer_date="2025-03-02")


def hyphenated() -> bytes:
    """A paragraph whose lines end in a word broken with a hyphen."""
    out = io.BytesIO()
    c = canvas.Canvas(out, pagesize=A4)
    c.setFont("DejaVu-Bold", 16)
    c.drawString(72, 760, "Gynybos politika")
    c.setFont("DejaVu", 11)
    for k, line in enumerate(["Lietuva kasmet skiria daugiau lėšų kraš-",
                              "to gynybai ir stiprina bendradarbiavi-",
                              "mą su sąjungininkais regione."]):
        c.drawString(72, 730 - 14 * k, line)
    c.save()
    return out.getvalue()


def encrypted() -> bytes:
    from pypdf import PdfReader, PdfWriter

    writer = PdfWriter(clone_from=PdfReader(io.BytesIO(strategy())))
    writer.encrypt(user_password="slaptas", owner_password="savininkas")
    out = io.BytesIO()
    writer.write(out)
    return out.getvalue()


def image_only(pages: int = 2) -> bytes:
    """Pages with drawings and no text layer, as a scan without OCR."""
    out = io.BytesIO()
    c = canvas.Canvas(out, pagesize=A4)
    for k in range(pages):
        for row in range(30):
            c.rect(72, 760 - row * 20, 300 + (row * 37 + k) % 150, 8, fill=1)
        c.showPage()
    c.save()
    return out.getvalue()


def truncated() -> bytes:
    body = strategy()
    return body[: len(body) * 2 // 3]


def long_document(pages: int = 50) -> bytes:
    """About `pages` pages of the strategy's sections, repeated."""
    out = io.BytesIO()
    doc = SimpleDocTemplate(out, pagesize=A4, title=TITLE)
    body = ParagraphStyle("body", fontName="DejaVu", fontSize=10.5, leading=14, spaceAfter=8)
    heading = ParagraphStyle("h", fontName="DejaVu-Bold", fontSize=13.5, leading=18,
                             spaceBefore=10, spaceAfter=6)
    story = []
    k = 0
    while len(story) < pages * 7:
        k += 1
        for head, paragraphs in _sections(2):
            story.append(Paragraph(f"{k}.{head}", heading))
            story += [Paragraph(p, body) for p in paragraphs]
    doc.build(story)
    return out.getvalue()


FORM_LINES = ["☐ Prašymas išduoti leidimą ginklui įsigyti",
              "☐ Prašymas pratęsti leidimo galiojimą",
              "☐ Prašymas panaikinti leidimą",
              "☐ Pranešimas apie pakeistą gyvenamąją vietą",
              "☐ Kita (nurodykite)"]


def form(layout: int = 1) -> bytes:
    """A one-page form of checkbox lines: in layout 1 each line stands apart, in layout 2 the
    same lines are set close together, so a reader joins them into one paragraph."""
    out = io.BytesIO()
    c = canvas.Canvas(out, pagesize=A4)
    width, height = A4
    c.setFont("DejaVu-Bold", 16)
    c.drawString(72, height - 90, "Prašymo forma")
    c.setFont("DejaVu", 10.5)
    c.drawString(72, height - 130, "Pažymėkite, ko prašote. Forma pildoma lietuvių kalba.")
    y = height - 170
    for line in FORM_LINES:
        c.drawString(72 if layout == 1 else 60, y, line)
        y -= 34 if layout == 1 else 13
    c.save()
    return out.getvalue()


def two_pages(printed: str) -> bytes:
    """Two pages of text with a running footer "Printed DATE" at the foot of both."""
    out = io.BytesIO()
    c = canvas.Canvas(out, pagesize=A4)
    width, height = A4
    for page in (1, 2):
        c.setFont("DejaVu-Bold", 16)
        if page == 1:
            c.drawString(72, height - 90, "Gynybos ministerijos pranešimas")
        c.setFont("DejaVu", 10.5)
        y = height - 130
        for k in range(6):
            c.drawString(72, y, f"Pastraipa {page * 10 + k}. " + FILLER[:60] + ".")
            y -= 40
        c.setFont("DejaVu", 8)
        c.drawString(72, 110, f"Printed {printed}")
        c.showPage()
    c.save()
    return out.getvalue()
