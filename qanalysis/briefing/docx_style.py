"""Word formatting for the monitoring report: fonts on every run, page set-up, tables.

East-Asian (``w:eastAsia``) and Latin fonts are set on every run; body 仿宋 三号
with a 28 pt line pitch as GB/T 9704 sets for official documents, headings 黑体 /
楷体, tables 宋体, numbers Times New Roman; the footer's page number is a PAGE field.
"""
from __future__ import annotations

import io

from docx.enum.section import WD_ORIENT, WD_SECTION
from docx.enum.table import WD_CELL_VERTICAL_ALIGNMENT, WD_TABLE_ALIGNMENT
from docx.enum.text import WD_ALIGN_PARAGRAPH, WD_BREAK, WD_LINE_SPACING
from docx.oxml import OxmlElement
from docx.oxml.ns import qn
from docx.shared import Cm, Pt, RGBColor

BODY_FONT = "仿宋"
HEADING_FONT = "黑体"
SUBHEADING_FONT = "楷体"
TABLE_FONT = "宋体"
LATIN_FONT = "Times New Roman"
BODY_SIZE = Pt(16)        # 三号
BODY_PITCH = Pt(28)       # fixed line pitch of body text
TITLE_SIZE = Pt(22)       # 二号
TABLE_SIZE = Pt(9)        # 小五
NOTE_SIZE = Pt(10.5)      # 五号
CAPTION_SIZE = Pt(12)     # 小四
INK = RGBColor(0, 0, 0)
WARN = RGBColor(0xC0, 0x39, 0x00)

A4 = (Cm(21.0), Cm(29.7))
PORTRAIT_MARGINS = dict(top=Cm(3.0), bottom=Cm(2.6), left=Cm(2.8), right=Cm(2.6))
LANDSCAPE_MARGINS = dict(top=Cm(2.2), bottom=Cm(2.0), left=Cm(2.0), right=Cm(2.0))
PORTRAIT_TEXT_WIDTH = A4[0] - PORTRAIT_MARGINS["left"] - PORTRAIT_MARGINS["right"]    # 15.6 cm
LANDSCAPE_TEXT_WIDTH = A4[1] - LANDSCAPE_MARGINS["left"] - LANDSCAPE_MARGINS["right"]  # 25.7 cm


# ---------------------------------------------------------------- fonts and paragraphs
def set_fonts(run, east_asia: str = BODY_FONT, latin: str = LATIN_FONT, size=None,
              bold: bool | None = None, colour: RGBColor | None = None,
              superscript: bool = False) -> None:
    """Latin and East-Asian typefaces on one run (Word picks by character)."""
    run.font.name = latin
    rfonts = run._element.get_or_add_rPr().get_or_add_rFonts()
    rfonts.set(qn("w:eastAsia"), east_asia)
    if size is not None:
        run.font.size = size
    if bold is not None:
        run.font.bold = bold
    if colour is not None:
        run.font.color.rgb = colour
    if superscript:
        run.font.superscript = True


def _style_fonts(style, east_asia: str, latin: str, size, bold: bool = False) -> None:
    """A style's fonts, with the theme-font attributes removed (they would win over names)."""
    style.font.name = latin
    style.font.size = size
    style.font.bold = bold
    style.font.italic = False
    style.font.color.rgb = INK
    rfonts = style.element.get_or_add_rPr().get_or_add_rFonts()
    for attr in ("w:asciiTheme", "w:hAnsiTheme", "w:eastAsiaTheme", "w:cstheme"):
        rfonts.attrib.pop(qn(attr), None)
    rfonts.set(qn("w:eastAsia"), east_asia)
    rpr = style.element.get_or_add_rPr()
    lang = rpr.find(qn("w:lang"))
    if lang is None:
        lang = OxmlElement("w:lang")
        rpr.append(lang)
    lang.set(qn("w:val"), "en-US")
    lang.set(qn("w:eastAsia"), "zh-CN")


def _setup_styles(doc) -> None:
    normal = doc.styles["Normal"]
    _style_fonts(normal, BODY_FONT, LATIN_FONT, BODY_SIZE)
    pf = normal.paragraph_format
    pf.space_before = pf.space_after = Pt(0)
    for name, font, size in (("Title", HEADING_FONT, TITLE_SIZE), ("Heading 1", HEADING_FONT, BODY_SIZE),
                             ("Heading 2", SUBHEADING_FONT, BODY_SIZE)):
        st = doc.styles[name]
        _style_fonts(st, font, LATIN_FONT, size, bold=False)
        st.paragraph_format.space_before = Pt(6 if name != "Title" else 0)
        st.paragraph_format.space_after = Pt(6)
        st.paragraph_format.keep_with_next = True
        # the template's Title style draws a rule under itself: not in a Chinese report
        pbdr = st.element.get_or_add_pPr().find(qn("w:pBdr"))
        if pbdr is not None:
            st.element.pPr.remove(pbdr)


def _body(doc, text: str, indent: bool = True, size=BODY_SIZE, font: str = BODY_FONT,
          colour: RGBColor | None = None, bold: bool = False, align=WD_ALIGN_PARAGRAPH.JUSTIFY,
          pitch=BODY_PITCH):
    p = doc.add_paragraph()
    pf = p.paragraph_format
    pf.alignment = align
    if pitch is not None:
        pf.line_spacing_rule = WD_LINE_SPACING.EXACTLY
        pf.line_spacing = pitch
    if indent:
        pf.first_line_indent = Pt(size.pt * 2)   # two characters
    set_fonts(p.add_run(text), font, size=size, colour=colour, bold=bold)
    return p


def _heading(doc, text: str, level: int):
    p = doc.add_heading(level=level)
    font = HEADING_FONT if level == 1 else SUBHEADING_FONT
    set_fonts(p.add_run(text), font, size=BODY_SIZE, colour=INK)
    p.paragraph_format.line_spacing_rule = WD_LINE_SPACING.EXACTLY
    p.paragraph_format.line_spacing = BODY_PITCH
    if level == 1:
        p.paragraph_format.space_before = Pt(12)
    return p


def _picture(doc, image, width) -> None:
    """A chart as an inline picture in a paragraph of its own (single spacing, so nothing clips)."""
    p = doc.add_paragraph()
    p.paragraph_format.alignment = WD_ALIGN_PARAGRAPH.CENTER
    p.paragraph_format.keep_with_next = True
    p.add_run().add_picture(io.BytesIO(image.png), width=width)


def _caption(doc, text: str, illustrative: bool) -> None:
    p = doc.add_paragraph()
    p.paragraph_format.alignment = WD_ALIGN_PARAGRAPH.CENTER
    p.paragraph_format.space_after = Pt(10)
    set_fonts(p.add_run(text), HEADING_FONT, size=CAPTION_SIZE)
    if illustrative:
        set_fonts(p.add_run("（示例数据）"), HEADING_FONT, size=CAPTION_SIZE, colour=WARN)


# ---------------------------------------------------------------- page furniture
def _page_number_footer(section) -> None:
    """— PAGE — centred in the footer, as a field Word and LibreOffice update."""
    footer = section.footer
    p = footer.paragraphs[0] if footer.paragraphs else footer.add_paragraph()
    p.paragraph_format.alignment = WD_ALIGN_PARAGRAPH.CENTER

    def run(text=""):
        r = p.add_run(text)
        set_fonts(r, TABLE_FONT, size=Pt(14))
        return r

    run("— ")
    for kind, instr in (("begin", None), (None, " PAGE "), ("separate", None), (None, "1"), ("end", None)):
        r = run()
        if kind:
            fld = OxmlElement("w:fldChar")
            fld.set(qn("w:fldCharType"), kind)
            r._element.append(fld)
        elif instr == "1":
            r.text = "1"
        else:
            it = OxmlElement("w:instrText")
            it.set(qn("xml:space"), "preserve")
            it.text = instr
            r._element.append(it)
    run(" —")


def _page_setup(section, landscape: bool) -> None:
    w, h = A4
    section.orientation = WD_ORIENT.LANDSCAPE if landscape else WD_ORIENT.PORTRAIT
    section.page_width, section.page_height = (h, w) if landscape else (w, h)
    margins = LANDSCAPE_MARGINS if landscape else PORTRAIT_MARGINS
    section.top_margin, section.bottom_margin = margins["top"], margins["bottom"]
    section.left_margin, section.right_margin = margins["left"], margins["right"]
    section.footer_distance = Cm(1.2)


def _new_section(doc, landscape: bool):
    section = doc.add_section(WD_SECTION.NEW_PAGE)
    _page_setup(section, landscape)
    return section


# ---------------------------------------------------------------- tables
def _shade(cell, hex_colour: str) -> None:
    tcpr = cell._element.get_or_add_tcPr()
    shd = OxmlElement("w:shd")
    shd.set(qn("w:val"), "clear")
    shd.set(qn("w:color"), "auto")
    shd.set(qn("w:fill"), hex_colour.lstrip("#").upper())
    tcpr.append(shd)


def _tint(hex_colour: str, amount: float = 0.55) -> str:
    """The colour mixed with white: a cell fill that black text still reads on."""
    h = hex_colour.lstrip("#")
    rgb = [int(h[i:i + 2], 16) for i in (0, 2, 4)]
    return "".join(f"{round(c + (255 - c) * amount):02X}" for c in rgb)


def _row_props(row, header: bool = False) -> None:
    trpr = row._tr.get_or_add_trPr()
    cant = OxmlElement("w:cantSplit")
    trpr.append(cant)
    if header:
        th = OxmlElement("w:tblHeader")   # repeated at the top of every page
        trpr.append(th)


def _cell_text(cell, parts, size=TABLE_SIZE, align=WD_ALIGN_PARAGRAPH.CENTER, bold: bool = False,
               font: str = TABLE_FONT) -> None:
    """Fill a cell with runs: ``parts`` is a string or a list of (text, superscript) pairs;
    a "\\n" in a text starts a new line in the same paragraph."""
    if isinstance(parts, str):
        parts = [(parts, False)]
    p = cell.paragraphs[0]
    p.paragraph_format.alignment = align
    p.paragraph_format.space_before = p.paragraph_format.space_after = Pt(0)
    p.paragraph_format.line_spacing = 1.0
    for text, sup in parts:
        lines = str(text).split("\n")
        for k, line in enumerate(lines):
            if k:
                p.add_run().add_break(WD_BREAK.LINE)
            if line:
                set_fonts(p.add_run(line), font, size=size, bold=bold, superscript=sup)
    cell.vertical_alignment = WD_CELL_VERTICAL_ALIGNMENT.CENTER


def _table(doc, widths, header: list[str], size=TABLE_SIZE):
    table = doc.add_table(rows=1, cols=len(widths))
    table.style = doc.styles["Table Grid"]
    table.alignment = WD_TABLE_ALIGNMENT.CENTER
    table.autofit = False
    for col, w in zip(table.columns, widths):
        col.width = w
    hdr = table.rows[0]
    _row_props(hdr, header=True)
    for cell, w, h in zip(hdr.cells, widths, header):
        cell.width = w
        _cell_text(cell, h, size=size, font=HEADING_FONT)
        _shade(cell, "D9D9D9")
    return table


def _add_row(table, widths):
    row = table.add_row()
    _row_props(row)
    for cell, w in zip(row.cells, widths):
        cell.width = w
    return row


def _table_title(doc, text: str) -> None:
    p = doc.add_paragraph()
    p.paragraph_format.alignment = WD_ALIGN_PARAGRAPH.CENTER
    p.paragraph_format.space_after = Pt(4)
    p.paragraph_format.keep_with_next = True
    set_fonts(p.add_run(text), HEADING_FONT, size=Pt(14))


def _note(doc, text: str) -> None:
    _body(doc, text, indent=False, size=NOTE_SIZE, pitch=None, align=WD_ALIGN_PARAGRAPH.LEFT)
