"""The final evaluation's sections (终期评估) for the Word report, the deck and the HTML page.

When the assessment was made as of a date past the plan's target year (``period_over``
column, :func:`qanalysis.analysis.evaluation.finalize`), the county report is an
evaluation report: title 《<plan name>实施情况终期评估》, the summary sentence and the
completion table (表1 shape) first. The report writers call :func:`over` and then the
front matter here; everything else of the monitoring report follows unchanged (its
forecasts are already blank on such rows). :func:`write_docx` is ``evaluate --docx``.
"""
from __future__ import annotations

from html import escape
from pathlib import Path

from docx import Document
from docx.enum.text import WD_ALIGN_PARAGRAPH
from docx.shared import Cm, Pt
from pptx.enum.text import PP_ALIGN
from pptx.util import Inches

from .. import atomic
from . import text as tx
from ..analysis import evaluation as ev_mod
from ..analysis import evaluation_text as et
from .docx_style import (HEADING_FONT, INK, TITLE_SIZE, WARN, _add_row, _body, _cell_text, _heading, _new_section,
                         _note, _page_setup, _setup_styles, _table, _table_title, set_fonts)

WIDTHS_CM = (2.2, 4.6, 1.5, 1.7, 1.9, 3.0, 2.4, 2.8, 1.7, 2.2, 5.0)
ROWS_PER_SLIDE = 9


def over(assessment) -> bool:
    """Is this assessment a final evaluation (made as of a date past the target year)?"""
    t = assessment.table
    return "period_over" in t.columns and bool(t["period_over"].any())


def evaluation(assessment):
    """The :class:`~qanalysis.analysis.evaluation.Evaluation` of the assessment's own as-of date."""
    cached = getattr(assessment, "_evaluation", None)
    if cached is None:
        cached = ev_mod.evaluate(assessment, str(assessment.table["as_of"].iloc[0]))
        assessment._evaluation = cached  # the three documents of a report share one
    return cached


def _name(ev, region: str) -> str:
    rows = ev.rows(region)
    return str(rows["region_name"].iloc[0]) if len(rows) else str(region)


def heading(ev, region: str) -> str:
    return f"{_name(ev, region)}{ev.title()}"


def meta_line(ev) -> str:
    line = f"评估基准日：{ev.as_of.isoformat()}；{et.band_text(ev.band)}；完成率＝完成项数÷有完成值的指标数"
    if ev.table["illustrative"].any():
        line += "；标“示例数据”者为程序生成的示例值，非公开发布数据"
    return line


# ---------------------------------------------------------------- Word
def docx_table(doc, ev, region: str) -> None:
    widths = [Cm(w) for w in WIDTHS_CM]
    table = _table(doc, widths, et.COMPLETION_HEADERS, size=Pt(9))
    for values in ev.completion_table(region).itertuples(index=False):
        row = _add_row(table, widths)
        for cell, v in zip(row.cells, values):
            _cell_text(cell, str(v), size=Pt(9))


def docx_front(doc, assessment, region: str) -> None:
    """Title, summary and completion table: the first pages of the evaluation report."""
    ev = evaluation(assessment)
    for line in (ev.title(), f"（{_name(ev, region)}）"):
        p = doc.add_paragraph(style="Title")
        p.paragraph_format.alignment = WD_ALIGN_PARAGRAPH.CENTER
        set_fonts(p.add_run(line), HEADING_FONT, size=TITLE_SIZE, colour=INK)
    _heading(doc, "总体评价", 1)
    _body(doc, ev.summary_sentence(region))
    _note(doc, meta_line(ev))
    note = tx.illustrative_note(tx.region_rows(assessment, region))
    if note:
        _body(doc, "【示例数据】" + note, indent=False, size=Pt(12), colour=WARN, pitch=None,
              align=WD_ALIGN_PARAGRAPH.LEFT)
    _new_section(doc, landscape=True)
    _table_title(doc, f"{ev.plan_name}主要指标完成情况（{_name(ev, region)}，终期评估）")
    docx_table(doc, ev, region)
    _note(doc, "注：" + meta_line(ev) + "。以下为各指标的监测明细（规划期已结束：不再给出预测值和达标概率）。")
    _new_section(doc, landscape=False)


def write_docx(ev, path, regions) -> Path:
    """``qanalysis evaluate --docx``: title, summary and completion table of each region."""
    doc = Document()
    _setup_styles(doc)
    _page_setup(doc.sections[0], landscape=True)
    p = doc.add_paragraph(style="Title")
    p.paragraph_format.alignment = WD_ALIGN_PARAGRAPH.CENTER
    set_fonts(p.add_run(ev.title()), HEADING_FONT, size=TITLE_SIZE, colour=INK)
    _note(doc, meta_line(ev))
    for k, r in enumerate(regions, 1):
        _heading(doc, f"{k}. {_name(ev, r)}", 1)
        _body(doc, ev.summary_sentence(r))
        _table_title(doc, f"表{k}　{_name(ev, r)}主要指标完成情况")
        docx_table(doc, ev, r)
    path = Path(path)
    atomic.write_with(path, lambda tmp: doc.save(str(tmp)))
    return path


# ---------------------------------------------------------------- deck
def pptx_front(deck, assessment, region: str, title_slide) -> None:
    """Title slide, the summary, and the completion table over as many slides as it needs."""
    ev = evaluation(assessment)
    ill = bool(ev.rows(region)["illustrative"].any()) or bool(assessment.table["has_illustrative"].any())
    title_slide(deck, assessment, f"{_name(ev, region)}实施情况终期评估",
                [f"评估基准日：{ev.as_of.isoformat()}", ev.summary_sentence(region)[:60] + "…"], ill)
    s = deck.slide(f"总体评价：{_name(ev, region)}", ill)
    deck.text(s, (Inches(0.6), Inches(1.3), Inches(12.1), Inches(4.5)),
              [ev.summary_sentence(region), meta_line(ev)], size=Pt(18))
    table = ev.completion_table(region)
    cols = ["指标名称", "规划目标", "完成值(年份)", "完成情况", "差距", "完成程度", "数据性质"]
    pages = [table.iloc[i:i + ROWS_PER_SLIDE] for i in range(0, len(table), ROWS_PER_SLIDE)]
    for k, page in enumerate(pages, 1):
        s = deck.slide(f"主要指标完成情况（{k}/{len(pages)}）", ill)
        deck.table(s, (Inches(0.4), Inches(1.2), Inches(12.5), Inches(5.6)), cols,
                   page[cols].astype(str).values.tolist(), [4.2, 1.6, 2.2, 1.8, 2.2, 1.3, 1.9], size=Pt(11),
                   aligns=[PP_ALIGN.LEFT] + [PP_ALIGN.CENTER] * 6, row_height=Inches(0.5))


# ---------------------------------------------------------------- HTML
def html_front(assessment, region: str) -> str:
    """The page's header when the period is over: title, summary, completion table."""
    ev = evaluation(assessment)
    note = tx.illustrative_note(tx.region_rows(assessment, region))
    table = ev.completion_table(region)
    head = "".join(f"<th>{escape(h)}</th>" for h in table.columns)
    body = "".join("<tr>" + "".join(f"<td>{escape(str(v))}</td>" for v in r) + "</tr>"
                   for r in table.itertuples(index=False))
    return (f'<header class="qa-title"><p class="qa-plan">{escape(ev.plan_name)}</p>'
            f"<h1>{escape(heading(ev, region))}</h1>"
            f'<p class="qa-meta">（{escape(meta_line(ev))}）</p>'
            + (f'<p class="qa-warning"><strong>【示例数据】</strong>{escape(note)}</p>' if note else "")
            + "</header>"
            f"<section><h2>总体评价</h2><p>{escape(ev.summary_sentence(region))}</p>"
            f"<h3>主要指标完成情况（终期评估）</h3>"
            f'<table class="qa-table qa-evaluation"><thead><tr>{head}</tr></thead><tbody>{body}</tbody></table>'
            "<p class=\"qa-note\">以下为各指标的监测明细（规划期已结束：不再给出预测值和达标概率）。</p></section>")
