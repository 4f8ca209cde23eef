"""The Word report (监测报告) of one region, A4, in the conventions of a government report.

Layout: title and data status; 一、总体情况; 二、指标完成情况表 (a native Word
table on landscape pages, grouped by category, header row repeated on every
page); 三、需关注指标 (one sentence and the trajectory chart an indicator);
四、与全市对比 (a county) or 各县（市、区）比较 (the city); 附：数据来源与方法说明.

Fonts are set on every run, East-Asian (``w:eastAsia``) and Latin alike: body
仿宋 三号 (16 pt) with a 28 pt line pitch as GB/T 9704 sets for official
documents, headings 黑体 / 楷体, tables 宋体, numbers Times New Roman. The
footer carries the page number as a PAGE field (— 1 —).

``write_docx(assessment, region, path, charts)`` writes atomically;
``build_docx`` returns the ``docx.Document`` for callers that add to it.
"""
from __future__ import annotations

import io
from pathlib import Path

import pandas as pd
from docx import Document
from docx.enum.section import WD_ORIENT, WD_SECTION
from docx.enum.table import WD_CELL_VERTICAL_ALIGNMENT, WD_TABLE_ALIGNMENT
from docx.enum.text import WD_ALIGN_PARAGRAPH, WD_BREAK, WD_LINE_SPACING
from docx.oxml import OxmlElement
from docx.oxml.ns import qn
from docx.shared import Cm, Inches, Pt, RGBColor

from .. import atomic
from ..assess import DATA_STATUS_ZH
from ..status import STATUSES
from . import text as tx
from .charts import ChartProvider

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


# ---------------------------------------------------------------- the indicator table
def value_marks(assessment, region: str) -> dict:
    """For each (indicator, year): the value shown in the table and its status.

    ``increment`` indicators show the running total of the plan years (what the
    target is compared with); a running total is illustrative when any addition in it is.
    """
    obs = assessment.data.observations
    first = int(assessment.data.plan.first_year)
    o = obs[obs["region"].astype(str) == str(region)].sort_values("year")
    kinds = tx.region_rows(assessment, region).set_index("indicator")["kind"].astype(str)
    out: dict[tuple[str, int], tuple[float, str]] = {}
    rank = {"published": 0, "provisional": 1, "illustrative": 2}
    for ind, g in o.groupby(o["indicator"].astype(str), sort=False):
        inc = kinds.get(ind) == "increment"
        total, worst = 0.0, "published"
        for y, v, st in zip(g["year"].astype(int), g["value"].astype(float), g["status"].astype(str)):
            if inc:
                if y < first:
                    continue
                total += v
                worst = st if rank.get(st, 0) > rank.get(worst, 0) else worst
                out[(ind, y)] = (total, worst)
            else:
                out[(ind, y)] = (v, st)
    return out


def _marked(value: str, status: str) -> list[tuple[str, bool]]:
    mark = {"illustrative": tx.MARK_ILLUSTRATIVE, "provisional": tx.MARK_PROVISIONAL}.get(status, "")
    return [(value, False)] + ([(mark, True)] if mark and value != "—" else [])


def _baseline_status(assessment, row, marks: dict) -> str:
    """The status of the observation a baseline was taken from, when it was ("基期值取本地区…")."""
    if not (tx.isnum(row["baseline"]) and tx.isnum(row["baseline_year"])) or str(row["kind"]) == "increment":
        return "published"
    hit = marks.get((str(row["indicator"]), int(row["baseline_year"])))
    if hit and abs(hit[0] - float(row["baseline"])) < 1e-9:
        return hit[1]
    return "published"


def indicator_table(doc, assessment, region: str) -> None:
    """二、指标完成情况表: one row an indicator, grouped by category; returns nothing, adds the table."""
    rows = tx.region_rows(assessment, region)
    plan = assessment.data.plan
    years = tx.observed_years(assessment, rows)
    marks = value_marks(assessment, region)
    header = ["序号", "指标", "单位", f"{plan.base_year}年\n基期值", f"{plan.target_year}年\n目标值",
              *[f"{y}年" for y in years], f"{plan.target_year}年预计\n（95%区间）", "达标\n概率", "评价"]
    fixed = [Cm(1.1), Cm(5.6), Cm(1.5), Cm(1.7), Cm(1.8)]
    tail = [Cm(3.1), Cm(1.3), Cm(2.1)]   # the interval fits on one line
    spare = LANDSCAPE_TEXT_WIDTH - sum(fixed, Cm(0)) - sum(tail, Cm(0))
    year_w = int(spare / max(1, len(years)))
    widths = fixed + [year_w] * len(years) + tail
    table = _table(doc, widths, header)
    n = 0
    cats = list(dict.fromkeys(rows["category"].astype(str)))
    for k, cat in enumerate(cats, start=1):
        members = rows[rows["category"].astype(str) == cat]
        crow = _add_row(table, widths)
        merged = crow.cells[0].merge(crow.cells[-1])
        _cell_text(merged, f"{tx.section_number(k)}、{cat}（{len(members)}项）", align=WD_ALIGN_PARAGRAPH.LEFT,
                   font=HEADING_FONT)
        _shade(merged, "F2F2F2")
        for _, r in members.iterrows():
            n += 1
            ind = str(r["indicator"])
            cells = _add_row(table, widths).cells
            unit = str(r["unit"]) if isinstance(r["unit"], str) else ""
            _cell_text(cells[0], str(n))
            _cell_text(cells[1], str(r["name_zh"]), align=WD_ALIGN_PARAGRAPH.LEFT)
            _cell_text(cells[2], unit)
            _cell_text(cells[3], _marked(tx.num(r["baseline"]), _baseline_status(assessment, r, marks)))
            basis = str(r["target_basis"])
            if tx.has_target(r):
                t = [(tx.target_text(r, unit=False), False)]
                if basis == "pro_rata":
                    t.append((tx.MARK_PRO_RATA, True))
            else:
                t = [("不分解" if basis == "city_only" else "—", False)]
            _cell_text(cells[4], t)
            for j, y in enumerate(years):
                v = marks.get((ind, y))
                _cell_text(cells[5 + j], _marked(tx.num(v[0]), v[1]) if v else "—")
            fc = "—"
            if tx.isnum(r["forecast"]):
                band = tx.band_text(r)
                fc_parts = _marked(tx.num(r["forecast"], 1), "illustrative" if r["has_illustrative"] else "")
                if band:
                    fc_parts.append((f"\n（{band}）", False))
                fc = fc_parts
            _cell_text(cells[5 + len(years)], fc)
            _cell_text(cells[6 + len(years)], tx.pct(r["p_attain"]))
            status = str(r["status"])
            _cell_text(cells[7 + len(years)], tx.SHORT_STATUS.get(status, status))
            if status in STATUSES and status != "no_target":
                _shade(cells[7 + len(years)], _tint(STATUSES[status].colour))


# ---------------------------------------------------------------- sections
def _title(doc, assessment, region: str) -> None:
    rows = tx.region_rows(assessment, region)
    plan = assessment.data.plan
    for line in (plan.name_zh, f"{tx.region_name(assessment, region)}指标监测报告"):
        p = doc.add_paragraph(style="Title")
        p.paragraph_format.alignment = WD_ALIGN_PARAGRAPH.CENTER
        p.paragraph_format.space_after = Pt(4)
        set_fonts(p.add_run(line), HEADING_FONT, size=TITLE_SIZE, colour=INK)
    upto = tx.data_up_to(rows)
    by_status = rows["data_status"].astype(str).value_counts()
    status = "、".join(f"{DATA_STATUS_ZH.get(k, k) or '无数据'}{v}项" for k, v in by_status.items())
    line = (f"（数据截至{upto}年　数据性质：{status}）" if upto else f"（暂无年度数据　数据性质：{status}）")
    _body(doc, line, indent=False, font=SUBHEADING_FONT, align=WD_ALIGN_PARAGRAPH.CENTER)
    note = tx.illustrative_note(rows)
    if note:
        p = _body(doc, "【示例数据】" + note, indent=False, size=Pt(12), colour=WARN, bold=False,
                  pitch=None, align=WD_ALIGN_PARAGRAPH.LEFT)
        p.paragraph_format.space_before = Pt(8)
        p.paragraph_format.space_after = Pt(8)


def _attention_section(doc, assessment, region: str, charts: ChartProvider, number: str) -> None:
    rows = tx.region_rows(assessment, region)
    att = tx.attention(rows)
    _heading(doc, f"{number}、需关注指标", 1)
    if att.empty:
        _body(doc, "目前没有进度滞后或存在风险的指标。")
        return
    _body(doc, f"以下{len(att)}项指标进度滞后或存在风险，按评价和达标概率由低到高排列。"
               "图中圆点为年度数据，虚线为趋势外推，阴影为80%和95%预测区间，横虚线为目标值。")
    for k, (_, r) in enumerate(att.iterrows(), start=1):
        status = tx.SHORT_STATUS.get(str(r["status"]), str(r["status"]))
        _heading(doc, f"（{chinese_count(k)}）{r['name_zh']}【{status}】", 2)
        _body(doc, tx.indicator_sentence(assessment, r))
        img = charts.trajectory(region, str(r["indicator"]))
        _picture(doc, img, PORTRAIT_TEXT_WIDTH)
        _caption(doc, f"图{k}　{tx.region_name(assessment, region)}{r['name_zh']}", img.illustrative)


def chinese_count(n: int) -> str:
    """1 → 一, 12 → 十二, 29 → 二十九 (for （一）-style headings)."""
    d = tx.CHINESE_NUMERALS
    if n <= 10:
        return d[n - 1]
    tens, ones = divmod(n, 10)
    return ("" if tens == 1 else d[tens - 1]) + "十" + (d[ones - 1] if ones else "")


def _versus_city_section(doc, assessment, region: str, number: str) -> None:
    _heading(doc, f"{number}、与全市对比", 1)
    _body(doc, tx.versus_city_paragraph(assessment, region))
    vs = tx.versus_city(assessment, region)
    if vs.empty:
        return
    name = tx.region_name(assessment, region)
    city = tx.region_name(assessment, tx.city_code(assessment))
    _table_title(doc, f"表2　{name}与{city}评价不同的指标")
    widths = [Cm(1.2), Cm(6.2), Cm(2.2), Cm(1.9), Cm(2.2), Cm(1.9)]
    table = _table(doc, widths, ["序号", "指标", f"{name}评价", "达标概率", f"{city}评价", "达标概率"],
                   size=NOTE_SIZE)
    for k, (_, r) in enumerate(vs.iterrows(), start=1):
        cells = _add_row(table, widths).cells
        _cell_text(cells[0], str(k), size=NOTE_SIZE)
        _cell_text(cells[1], str(r["name_zh"]), align=WD_ALIGN_PARAGRAPH.LEFT, size=NOTE_SIZE)
        for c, s, p in ((2, r["status"], r["p_attain"]), (4, r["city_status"], r["city_p_attain"])):
            _cell_text(cells[c], tx.SHORT_STATUS[s], size=NOTE_SIZE)
            _shade(cells[c], _tint(STATUSES[s].colour))
            _cell_text(cells[c + 1], tx.pct(p), size=NOTE_SIZE)
    _note(doc, "注：仅列出两地均有量化目标且数据足以判断、而评价不同的指标，本地区评价较差的在前。")


def ranking_table(doc, assessment, title: str) -> None:
    rk = tx.county_ranking(assessment)
    _table_title(doc, title)
    widths = [Cm(1.3), Cm(3.0), Cm(2.0), Cm(2.0), Cm(2.0), Cm(2.0), Cm(2.4), Cm(3.4)]
    head = ["排名", "地区", "已达标", "进度正常", "存在风险", "进度滞后", "无目标或\n数据不足",
            "已达标或进度\n正常占比"]
    table = _table(doc, widths, head)
    for _, r in rk.iterrows():
        cells = _add_row(table, widths).cells
        for c, v in enumerate([r["rank"], r["name"], r["achieved"], r["on_track"], r["at_risk"],
                               r["off_track"], r["other"], f"{r['good_share']:.0%}"]):
            _cell_text(cells[c], str(v), size=Pt(10.5))


def _counties_section(doc, assessment, charts: ChartProvider, number: str) -> None:
    _heading(doc, f"{number}、各县（市、区）比较", 1)
    _body(doc, tx.ranking_paragraph(assessment))
    ranking_table(doc, assessment, "表2　各县（市、区）指标评价汇总")
    _note(doc, "注：占比的分母为有量化目标且数据足以判断的指标数（表中前四项之和）。")
    pages = charts.heatmap_pages()
    for k, img in enumerate(pages, start=1):
        doc.add_paragraph().add_run().add_break(WD_BREAK.PAGE)
        _picture(doc, img, LANDSCAPE_TEXT_WIDTH - Cm(0.5))
        _caption(doc, f"图{k}　{img.title}", img.illustrative)


def _appendix(doc, assessment, region: str) -> None:
    _heading(doc, "附：数据来源与方法说明", 1)
    for para in tx.method_paragraphs(assessment, region):
        # left-aligned: justifying a line that holds a long address spreads its characters apart
        _body(doc, para, size=Pt(14), pitch=Pt(24), align=WD_ALIGN_PARAGRAPH.LEFT)


def build_docx(assessment, region: str, charts: ChartProvider | None = None):
    """The report of ``region`` as a ``docx.Document`` (nothing written)."""
    region = str(region)
    rows = tx.region_rows(assessment, region)   # an unknown region fails here, in plain words
    charts = charts or ChartProvider(assessment)
    is_city = region == tx.city_code(assessment)
    doc = Document()
    _setup_styles(doc)
    props = doc.core_properties
    props.title = f"{assessment.data.plan.name_zh} · {tx.region_name(assessment, region)} · 指标监测报告"
    props.author = "qanalysis"
    props.language = "zh-CN"
    first = doc.sections[0]
    _page_setup(first, landscape=False)
    _page_number_footer(first)

    _title(doc, assessment, region)
    _heading(doc, "一、总体情况", 1)
    for para in tx.overview_paragraphs(assessment, region, with_note=False):  # the title shows it
        _body(doc, para)

    _new_section(doc, landscape=True)
    _heading(doc, "二、指标完成情况表", 1)
    plan = assessment.data.plan
    _table_title(doc, f"表1　{tx.region_name(assessment, region)}{tx.plan_title(assessment)}指标完成情况")
    indicator_table(doc, assessment, region)
    years = tx.observed_years(assessment, rows)
    span = tx.period(years[0], years[-1]) if years else ""
    _note(doc, f"注：1. 带“{tx.MARK_ILLUSTRATIVE}”的数值为示例数据（由程序按固定种子生成，非公开发布统计数据）；"
               f"带“{tx.MARK_PROVISIONAL}”的为初步数据；带“{tx.MARK_PRO_RATA}”的目标为按权重分解的示例目标，"
               "并非县级正式目标。2. 新增类指标（名称标“新增”）"
               f"{span}各列为{plan.first_year}年起的累计新增，目标为规划期累计新增；其基期值为上一规划期新增数，仅作参考。"
               f"3. {plan.target_year}年预计为线性趋势外推值，括号内为95%预测区间；"
               "达标概率为按预测区间计算的达到目标的概率。"
               + ("4. 目标值为“不分解”的，是全市整体目标，数量过少不分解到县（市、区），只分析趋势。"
                  if (rows["target_basis"].astype(str) == "city_only").any() else ""))

    _new_section(doc, landscape=False)
    _attention_section(doc, assessment, region, charts, "三")
    if is_city:
        _new_section(doc, landscape=True)
        _counties_section(doc, assessment, charts, "四")
        _new_section(doc, landscape=False)
    else:
        _versus_city_section(doc, assessment, region, "四")
    _appendix(doc, assessment, region)
    return doc


def write_docx(assessment, region: str, path, charts: ChartProvider | None = None) -> Path:
    """Write the Word report of ``region`` to ``path`` atomically; return the path."""
    doc = build_docx(assessment, region, charts)
    path = Path(path)
    atomic.write_with(path, lambda tmp: doc.save(str(tmp)))
    return path
