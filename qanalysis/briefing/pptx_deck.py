"""The PowerPoint deck of one region, 16:9, for a meeting.

Slides: title; 总体情况 (status counts as a native table, the headline and the
main gains and risks); the assessment heatmap (indicators as rows, a few
categories a slide); one slide a category (small multiples); one slide an
off-track or at-risk indicator (trajectory and its key figures); for the city
the 表1 review and the county ranking, for a county the indicators it differs
from the city on; a data-note slide.

Every run carries a Latin and an East-Asian typeface (``a:latin`` and ``a:ea``);
tables are native PowerPoint tables; charts come from the report's
:class:`~qanalysis.briefing.charts.ChartProvider`, drawn once for the slide's
size. A slide whose content rests on 示例数据 says so in its title bar.
"""
from __future__ import annotations

import io
from pathlib import Path

from lxml import etree
from pptx import Presentation
from pptx.dml.color import RGBColor
from pptx.enum.shapes import MSO_SHAPE
from pptx.enum.text import MSO_ANCHOR, PP_ALIGN
from pptx.oxml.ns import qn
from pptx.util import Emu, Inches, Pt

from .. import atomic
from ..vocab import DATA_STATUS
from ..analysis.status import STATUSES
from . import text as tx
from . import evaluation as ev_front
from .charts import ChartProvider

FONT = "微软雅黑"
LATIN = "Microsoft YaHei"
SLIDE_W, SLIDE_H = Inches(13.333), Inches(7.5)
MARGIN = Inches(0.5)
TITLE_BAND = Inches(1.0)
NAVY = RGBColor(0x1F, 0x3A, 0x5F)
INK = RGBColor(0x22, 0x22, 0x22)
MUTED = RGBColor(0x66, 0x66, 0x66)
WARN = RGBColor(0xC0, 0x39, 0x00)
WHITE = RGBColor(0xFF, 0xFF, 0xFF)
HEADER_FILL = RGBColor(0x1F, 0x3A, 0x5F)
STRIPE = RGBColor(0xF2, 0xF2, 0xF2)


def set_font(run, size=None, bold: bool | None = None, colour: RGBColor | None = None) -> None:
    """Latin and East-Asian typeface on one run; PowerPoint picks by character."""
    font = run.font
    font.name = LATIN
    rpr = run._r.get_or_add_rPr()
    ea = rpr.find(qn("a:ea"))
    if ea is None:
        ea = etree.SubElement(rpr, qn("a:ea"))
        rpr.find(qn("a:latin")).addnext(ea)
    ea.set("typeface", FONT)
    if size is not None:
        font.size = size
    if bold is not None:
        font.bold = bold
    if colour is not None:
        font.color.rgb = colour


def _rgb(hex_colour: str) -> RGBColor:
    return RGBColor.from_string(hex_colour.lstrip("#").upper())


def _tint(hex_colour: str, amount: float = 0.55) -> RGBColor:
    h = hex_colour.lstrip("#")
    return RGBColor(*(round(int(h[i:i + 2], 16) + (255 - int(h[i:i + 2], 16)) * amount) for i in (0, 2, 4)))


class DeckBuilder:
    """A 16:9 presentation with the few layouts the briefing needs."""

    def __init__(self, footer: str):
        self.prs = Presentation()
        self.prs.slide_width, self.prs.slide_height = SLIDE_W, SLIDE_H
        self.footer = footer
        self._blank = self.prs.slide_layouts[6]

    # ------------------------------------------------------------ primitives
    def text(self, slide, box, paragraphs, size=Pt(18), colour=INK, bold=False, align=PP_ALIGN.LEFT,
             anchor=MSO_ANCHOR.TOP, spacing: float = 1.15):
        """A text box; ``paragraphs``: strings, or lists of (text, dict(size, bold, colour)) runs."""
        shape = slide.shapes.add_textbox(*box)
        tf = shape.text_frame
        tf.word_wrap = True
        tf.vertical_anchor = anchor
        tf.margin_left = tf.margin_right = Inches(0.05)
        for k, para in enumerate(paragraphs):
            p = tf.paragraphs[0] if k == 0 else tf.add_paragraph()
            p.alignment = align
            p.line_spacing = spacing
            if k:
                p.space_before = Pt(size.pt * 0.5)
            runs = [(para, {})] if isinstance(para, str) else para
            for t, style in runs:
                r = p.add_run()
                r.text = t
                set_font(r, style.get("size", size), style.get("bold", bold), style.get("colour", colour))
        return shape

    def slide(self, title: str, illustrative: bool = False, subtitle: str = ""):
        """A content slide: title bar, a rule, the footer and the slide number."""
        s = self.prs.slides.add_slide(self._blank)
        # one line in the bar: a long title gets smaller type rather than a second line
        length = sum(2 if ord(c) > 0x2E7F else 1 for c in title)
        size = Pt(26) if length <= 48 else Pt(22) if length <= 58 else Pt(18)
        self.text(s, (MARGIN, Inches(0.28), SLIDE_W - 2 * MARGIN - Inches(1.9), Inches(0.7)), [title],
                  size=size, colour=NAVY, bold=True, anchor=MSO_ANCHOR.MIDDLE, spacing=1.0)
        rule = s.shapes.add_shape(MSO_SHAPE.RECTANGLE, MARGIN, Inches(0.98), SLIDE_W - 2 * MARGIN, Inches(0.035))
        rule.fill.solid()
        rule.fill.fore_color.rgb = NAVY
        rule.line.fill.background()
        if illustrative:
            self.stamp(s)
        if subtitle:
            self.text(s, (MARGIN, Inches(1.05), SLIDE_W - 2 * MARGIN, Inches(0.4)), [subtitle],
                      size=Pt(14), colour=MUTED)
        n = len(self.prs.slides)
        self.text(s, (MARGIN, SLIDE_H - Inches(0.42), Inches(10), Inches(0.3)), [self.footer],
                  size=Pt(10), colour=MUTED)
        self.text(s, (SLIDE_W - MARGIN - Inches(1), SLIDE_H - Inches(0.42), Inches(1), Inches(0.3)),
                  [str(n)], size=Pt(10), colour=MUTED, align=PP_ALIGN.RIGHT)
        return s

    def stamp(self, slide, left=None, top=Inches(0.36)):
        """示例数据, where a reader of the slide sees it."""
        left = SLIDE_W - MARGIN - Inches(1.8) if left is None else left
        box = slide.shapes.add_shape(MSO_SHAPE.ROUNDED_RECTANGLE, left, top, Inches(1.8), Inches(0.5))
        box.fill.solid()
        box.fill.fore_color.rgb = WHITE
        box.line.color.rgb = WARN
        box.line.width = Pt(2)
        tf = box.text_frame
        tf.margin_top = tf.margin_bottom = 0
        p = tf.paragraphs[0]
        p.alignment = PP_ALIGN.CENTER
        r = p.add_run()
        r.text = "示例数据"
        set_font(r, Pt(16), True, WARN)
        box.name = "illustrative_mark"
        return box

    def image(self, slide, img, box):
        """A chart fitted inside ``box`` (left, top, width, height), centred, aspect kept."""
        left, top, width, height = (int(v) for v in box)
        w = width
        h = int(w * img.aspect)
        if h > height:
            h = height
            w = int(h / img.aspect)
        pic = slide.shapes.add_picture(io.BytesIO(img.png), left + (width - w) // 2, top + (height - h) // 2, w, h)
        pic.name = f"chart: {img.title}"
        return pic

    def table(self, slide, box, header: list[str], rows: list[list], widths: list[float],
              size=Pt(14), fills: dict | None = None, aligns: list | None = None, row_height=None):
        """A native table; ``fills``: {(row, col): RGBColor} for body cells (row 0 = first body row)."""
        left, top, width, _ = box
        nrows = len(rows) + 1
        height = row_height * nrows if row_height else Inches(0.4) * nrows
        shape = slide.shapes.add_table(nrows, len(header), left, top, width, height)
        table = shape.table
        total = sum(widths)
        for j, w in enumerate(widths):
            table.columns[j].width = Emu(int(width * w / total))
        fills = fills or {}
        for i in range(nrows):
            if row_height:
                table.rows[i].height = row_height
            for j in range(len(header)):
                cell = table.cell(i, j)
                value = header[j] if i == 0 else rows[i - 1][j]
                cell.margin_left = cell.margin_right = Inches(0.06)
                cell.margin_top = cell.margin_bottom = Inches(0.03)
                cell.vertical_anchor = MSO_ANCHOR.MIDDLE
                tf = cell.text_frame
                tf.word_wrap = True
                p = tf.paragraphs[0]
                align = (aligns[j] if aligns else PP_ALIGN.CENTER) if i else PP_ALIGN.CENTER
                p.alignment = align
                r = p.add_run()
                r.text = str(value)
                set_font(r, size, bold=(i == 0), colour=WHITE if i == 0 else INK)
                cell.fill.solid()
                if i == 0:
                    cell.fill.fore_color.rgb = HEADER_FILL
                else:
                    cell.fill.fore_color.rgb = fills.get((i - 1, j), STRIPE if i % 2 == 0 else WHITE)
        return shape

    def save(self, path) -> Path:
        path = Path(path)
        atomic.write_with(path, lambda tmp: self.prs.save(str(tmp)))
        return path


# ---------------------------------------------------------------- slides
def content_box(top=Inches(1.15)):
    return (MARGIN, top, SLIDE_W - 2 * MARGIN, SLIDE_H - top - Inches(0.5))


def title_slide(deck: DeckBuilder, assessment, heading: str, lines: list[str], illustrative: bool):
    s = deck.prs.slides.add_slide(deck._blank)
    band = s.shapes.add_shape(MSO_SHAPE.RECTANGLE, 0, Inches(2.1), SLIDE_W, Inches(2.2))
    band.fill.solid()
    band.fill.fore_color.rgb = NAVY
    band.line.fill.background()
    deck.text(s, (Inches(0.8), Inches(2.25), SLIDE_W - Inches(1.6), Inches(0.8)),
              [assessment.data.plan.name_zh], size=Pt(24), colour=WHITE)
    deck.text(s, (Inches(0.8), Inches(3.0), SLIDE_W - Inches(1.6), Inches(1.1)), [heading],
              size=Pt(40), colour=WHITE, bold=True)
    deck.text(s, (Inches(0.8), Inches(4.6), SLIDE_W - Inches(1.6), Inches(1.6)), lines, size=Pt(18),
              colour=INK)
    if illustrative:
        deck.stamp(s, left=SLIDE_W - Inches(2.6), top=Inches(1.3))
        deck.text(s, (Inches(0.8), Inches(6.2), SLIDE_W - Inches(1.6), Inches(0.9)),
                  ["本演示中的数值含示例数据（由程序按固定种子生成，并非公开发布的统计数据），"
                   "仅用于演示方法，不能作为实际评估依据。"], size=Pt(14), colour=WARN)
    return s


def overview_slide(deck: DeckBuilder, assessment, region: str):
    rows = tx.region_rows(assessment, region)
    ill = bool(rows["has_illustrative"].any())
    s = deck.slide(f"总体情况：{tx.region_name(assessment, region)}", ill)
    counts = tx.status_counts(rows)
    order = [c for c in ("met", "achieved", "on_track", "at_risk", "off_track", "missed",
                         "insufficient_data", "no_target") if counts[c]]
    body = [[tx.SHORT_STATUS[c], counts[c]] for c in order] + [["合计", len(rows)]]
    fills = {(i, 0): _tint(STATUSES[c].colour) for i, c in enumerate(order)}
    deck.table(s, (MARGIN, Inches(1.4), Inches(3.6), Inches(4)), ["评价", "指标数"], body, [2, 1.2],
               size=Pt(18), fills=fills, row_height=Inches(0.52))
    plan = assessment.data.plan
    paras = [[(tx.headline(assessment, region), {"bold": True, "size": Pt(20)})]]
    g = tx.gains(rows)
    if len(g):
        paras.append([("进展较好：", {"bold": True, "colour": _rgb(STATUSES["achieved"].colour)})]
                     + [("；".join(tx.gain_phrase(r, plan.first_year) for _, r in g.iterrows()) + "。", {})])
    att = tx.attention(rows)
    if len(att):
        more = f"等{len(att)}项" if len(att) > 3 else ""
        paras.append([("需重点关注：", {"bold": True, "colour": _rgb(STATUSES["off_track"].colour)})]
                     + [("；".join(tx.risk_phrase(r, plan.first_year) for _, r in att.head(3).iterrows())
                         + f"{more}。", {})])
    deck.text(s, (MARGIN + Inches(4.0), Inches(1.35), SLIDE_W - 2 * MARGIN - Inches(4.0), Inches(5.5)),
              paras, size=Pt(17), spacing=1.2)
    return s


def chart_slide(deck: DeckBuilder, title: str, img, subtitle: str = ""):
    s = deck.slide(title, img.illustrative, subtitle)
    deck.image(s, img, content_box(Inches(1.5) if subtitle else Inches(1.1)))
    return s


def key_figures(assessment, row) -> list[list[str]]:
    plan = assessment.data.plan
    inc = str(row["kind"]) == "increment"
    unit = str(row["unit"]) if isinstance(row["unit"], str) else ""
    now = (f"{plan.first_year}年起累计" if inc else f"{int(row['latest_year'])}年") if tx.isnum(
        row["latest_year"]) else "最新值"
    band = tx.band_text(row)
    figures = [
        ["基期值", "—" if inc or not tx.isnum(row["baseline"]) else
         f"{tx.with_unit(row['baseline'], unit)}（{int(row['baseline_year'])}年）"],
        [now, tx.with_unit(row["cumulative"] if inc else row["latest"], unit)],
        [f"{int(row['target_year'])}年目标" if tx.isnum(row["target_year"]) else "目标", tx.target_text(row)],
        [f"{plan.target_year}年预计", tx.forecast_text(row) if tx.isnum(row["forecast"]) else "—"],
        ["95%预测区间", band or "—"],
        ["达标概率", tx.pct(row["p_attain"])],
        ["评价", tx.SHORT_STATUS.get(str(row["status"]), str(row["status"]))],
    ]
    if str(row.get("evaluation_verdict") or ""):  # after the period: no forecast rows (docs/evaluation.md)
        return figures[:3] + [["评价", str(row["status_zh"])]]
    return figures


def indicator_slide(deck: DeckBuilder, assessment, region: str, indicator: str, charts: ChartProvider,
                    counter: str = ""):
    """Trajectory on the left, the key figures and the sentence on the right."""
    t = assessment.table
    row = t[(t["region"].astype(str) == str(region)) & (t["indicator"].astype(str) == str(indicator))].iloc[0]
    img = charts.trajectory(region, indicator)
    status = tx.SHORT_STATUS.get(str(row["status"]), str(row["status"]))
    if str(row.get("evaluation_verdict") or ""):  # after the period: the evaluation's word
        status = str(row["status_zh"])
    sub = tx.region_name(assessment, region) + (f"　·　需关注指标 {counter}" if counter else "")
    s = deck.slide(f"{row['name_zh']}：{status}", img.illustrative or bool(row["has_illustrative"]),
                   subtitle=sub)
    deck.image(s, img, (MARGIN - Inches(0.2), Inches(1.45), Inches(8.7), Inches(5.4)))
    figs = key_figures(assessment, row)
    code = str(row["status"])
    fills = {(len(figs) - 1, 1): _tint(STATUSES[code].colour)} if code in STATUSES else {}
    right = MARGIN + Inches(8.6)
    width = SLIDE_W - MARGIN - right
    deck.table(s, (right, Inches(1.55), width, Inches(3)), ["项目", "数值"], figs, [1.1, 1.5], size=Pt(13),
               fills=fills, row_height=Inches(0.4), aligns=[PP_ALIGN.LEFT, PP_ALIGN.CENTER])
    deck.text(s, (right, Inches(4.85), width, Inches(2.1)), [tx.indicator_sentence(assessment, row)],
              size=Pt(12), colour=INK, spacing=1.1)
    return s


def data_note_slide(deck: DeckBuilder, assessment, region: str):
    rows = tx.region_rows(assessment, region)
    s = deck.slide("数据来源与方法说明", bool(rows["has_illustrative"].any()))
    paras = [p for p in tx.method_paragraphs(assessment, region) if not p.startswith("表中标记")]
    deck.text(s, content_box(Inches(1.25)), paras, size=Pt(14), spacing=1.1)
    return s


def versus_city_slide(deck: DeckBuilder, assessment, region: str):
    rows = tx.region_rows(assessment, region)
    vs = tx.versus_city(assessment, region)
    name = tx.region_name(assessment, region)
    city = tx.region_name(assessment, tx.city_code(assessment))
    s = deck.slide(f"与全市对比：{name}与{city}评价不同的指标", bool(rows["has_illustrative"].any()))
    deck.text(s, (MARGIN, Inches(1.15), SLIDE_W - 2 * MARGIN, Inches(0.8)),
              [tx.versus_city_paragraph(assessment, region)], size=Pt(13))
    if vs.empty:
        return s
    top = vs.head(12)
    body = [[r["name_zh"], tx.SHORT_STATUS[r["status"]], tx.pct(r["p_attain"]),
             tx.SHORT_STATUS[r["city_status"]], tx.pct(r["city_p_attain"])] for _, r in top.iterrows()]
    fills = {}
    for i, (_, r) in enumerate(top.iterrows()):
        fills[(i, 1)] = _tint(STATUSES[r["status"]].colour)
        fills[(i, 3)] = _tint(STATUSES[r["city_status"]].colour)
    deck.table(s, (MARGIN, Inches(2.05), SLIDE_W - 2 * MARGIN, Inches(4.6)),
               ["指标", f"{name}评价", "达标概率", f"{city}评价", "达标概率"], body, [5, 1.6, 1.3, 1.6, 1.3],
               size=Pt(12), fills=fills, row_height=Inches(0.36), aligns=[PP_ALIGN.LEFT] + [PP_ALIGN.CENTER] * 4)
    if len(vs) > len(top):
        deck.text(s, (MARGIN, SLIDE_H - Inches(0.8), Inches(10), Inches(0.3)),
                  [f"另有{len(vs) - len(top)}项见Word报告第四部分。"], size=Pt(11), colour=MUTED)
    return s


def ranking_slide(deck: DeckBuilder, assessment):
    rk = tx.county_ranking(assessment)
    s = deck.slide("各县（市、区）比较：已达标或进度正常的指标占比", bool(assessment.table["has_illustrative"].any()))
    body = [[r["rank"], r["name"], r["achieved"], r["on_track"], r["at_risk"], r["off_track"], r["other"],
             tx.share_text(r['good_share'])] for _, r in rk.iterrows()]
    deck.table(s, (MARGIN + Inches(0.6), Inches(1.25), SLIDE_W - 2 * MARGIN - Inches(1.2), Inches(5)),
               ["排名", "地区", "已达标", "进度正常", "存在风险", "进度滞后", "无目标或数据不足", "达标或正常占比"],
               body, [0.8, 1.4, 1.1, 1.1, 1.1, 1.1, 1.7, 1.6], size=Pt(14), row_height=Inches(0.39))
    deck.text(s, (MARGIN, SLIDE_H - Inches(0.85), SLIDE_W - 2 * MARGIN, Inches(0.4)),
              ["占比的分母为有量化目标且数据足以判断的指标数（已达标、进度正常、存在风险、进度滞后之和）。"],
              size=Pt(11), colour=MUTED)
    return s


def review_slides(deck: DeckBuilder, charts: ChartProvider):
    img = charts.review()
    if img is None:
        return
    chart_slide(deck, "“十三五”规划指标完成情况回顾（表1）", img)


def build_pptx(assessment, region: str, charts: ChartProvider | None = None) -> DeckBuilder:
    region = str(region)
    rows = tx.region_rows(assessment, region)
    charts = charts or ChartProvider(assessment)
    name = tx.region_name(assessment, region)
    ill = bool(rows["has_illustrative"].any())
    plan = assessment.data.plan
    kind = "实施情况终期评估" if ev_front.over(assessment) else "指标监测"
    deck = DeckBuilder(f"{plan.name_zh} · {name}{kind}" + ("　|　含示例数据" if ill else ""))
    upto = tx.data_up_to(rows)
    by_status = rows["data_status"].astype(str).value_counts()
    status = "、".join(f"{DATA_STATUS['zh'].get(k, k) or '无数据'}{v}项" for k, v in by_status.items())
    if ev_front.over(assessment):  # the period is over: the evaluation first (briefing/evaluation.py)
        ev_front.pptx_front(deck, assessment, region, title_slide)
    else:
        title_slide(deck, assessment, f"{name}指标监测",
                    [f"数据截至{upto}年" if upto else "暂无年度数据", f"数据性质：{status}"], ill)
    overview_slide(deck, assessment, region)
    for img in charts.heatmap_pages():
        chart_slide(deck, img.title, img)
    for cat in dict.fromkeys(rows["category"].astype(str)):
        cat_rows = rows[rows["category"].astype(str) == cat]
        pages = charts.small_multiples(region, cat) if len(cat_rows) > 1 else []
        if len(cat_rows) == 1:  # one panel stretched over a slide reads badly: its trajectory instead
            pages = [charts.trajectory(region, str(cat_rows["indicator"].iloc[0]))]
        for k, img in enumerate(pages, start=1):
            part = f"（{k}/{len(pages)}）" if len(pages) > 1 else ""
            chart_slide(deck, f"{cat}指标{part}", img,
                        subtitle=f"{len(cat_rows)}项：{tx.counts_sentence(cat_rows)}")
    att = tx.attention(rows)
    for k, (_, r) in enumerate(att.iterrows(), start=1):
        indicator_slide(deck, assessment, region, str(r["indicator"]), charts, f"{k}/{len(att)}")
    if region == tx.city_code(assessment):
        review_slides(deck, charts)
        ranking_slide(deck, assessment)
    else:
        versus_city_slide(deck, assessment, region)
    data_note_slide(deck, assessment, region)
    return deck


def write_pptx(assessment, region: str, path, charts: ChartProvider | None = None) -> Path:
    """Write the deck of ``region`` to ``path`` atomically; return the path."""
    return build_pptx(assessment, region, charts).save(path)
