"""The report notebook's page, section by section, in the order of the Word report.

Each function returns an HTML fragment the county report notebook displays
(``IPython.display.HTML``); nbconvert then keeps those outputs, so the HTML
page reads like the Word report: title, 数据截至 and data status; 一、总体情况;
二、指标完成情况表; 三、需关注指标; 四、与全市对比 / 各县（市、区）比较; 附一 every
indicator's trajectory as small multiples (the deck's pages); 附二 data sources and method. The prose is
:mod:`.text`'s, the table's cells :mod:`.table`'s, and the charts are the
:class:`~.charts.ChartProvider`'s PNG bytes — the very images the Word report
and the deck embed. Images are embedded as ``data:`` URLs: the page fetches nothing.
"""
from __future__ import annotations

import base64
from html import escape

from ..analysis.status import STATUSES
from ..charts import plots
from ..vocab import DATA_STATUS
from . import text as tx
from . import evaluation as ev_front
from .charts import ChartImage, ChartProvider
from .docx_report import chinese_count
from .table import baseline_status, header, mark, table_note, value_marks

MARK_TITLES = {tx.MARK_ILLUSTRATIVE: "示例数据", tx.MARK_PROVISIONAL: "初步数据", tx.MARK_PRO_RATA: "按权重分解的示例目标"}
# CSS pixels a chart is shown at: a trajectory as wide as the text, a slide chart a little wider
TRAJECTORY_PX = 680
SLIDE_CHART_PX = 980


def _p(text: str, cls: str = "") -> str:
    return f'<p{f" class={cls!r}" if cls else ""}>{escape(text)}</p>'


def img_tag(image: ChartImage, width_px: int, alt: str = "") -> str:
    """The chart as an embedded PNG, shown ``width_px`` CSS pixels wide at most (scales down)."""
    data = base64.b64encode(image.png).decode("ascii")
    h = round(width_px * image.aspect)
    return (f'<img class="qa-chart" src="data:image/png;base64,{data}" width="{width_px}" height="{h}" '
            f'alt="{escape(alt or image.title)}" style="max-width:100%;height:auto">')


def figure(image: ChartImage, width_px: int, caption: str) -> str:
    stamp = ' <span class="qa-ill">（示例数据）</span>' if image.illustrative else ""
    return (f'<figure class="qa-figure" style="max-width:{width_px}px">{img_tag(image, width_px, caption)}'
            f"<figcaption>{escape(caption)}{stamp}</figcaption></figure>")


# ---------------------------------------------------------------- sections

def title_block(assessment, region: str) -> str:
    """Title (规划名 / 地区指标监测报告), 数据截至 and data status, the 示例数据 statement;
    once the period is over the evaluation's title, summary and completion table."""
    if ev_front.over(assessment):
        return ev_front.html_front(assessment, region)
    rows = tx.region_rows(assessment, region)
    plan = assessment.data.plan
    upto = tx.data_up_to(rows)
    by_status = rows["data_status"].astype(str).value_counts()
    status = "、".join(f"{DATA_STATUS['zh'].get(k, k) or '无数据'}{v}项" for k, v in by_status.items())
    meta = f"数据截至{upto}年　数据性质：{status}" if upto else f"暂无年度数据　数据性质：{status}"
    note = tx.illustrative_note(rows)
    return (f'<header class="qa-title"><p class="qa-plan">{escape(plan.name_zh)}</p>'
            f"<h1>{escape(tx.region_name(assessment, region))}指标监测报告</h1>"
            f'<p class="qa-meta">（{escape(meta)}）</p>'
            + (f'<p class="qa-warning"><strong>【示例数据】</strong>{escape(note)}</p>' if note else "")
            + "</header>")


def overview(assessment, region: str) -> str:
    """一、总体情况: the paragraphs of :func:`.text.overview_paragraphs` and the counts by status."""
    rows = tx.region_rows(assessment, region)
    counts = tx.status_counts(rows)
    chips = "".join(
        f'<span class="qa-chip" style="border-left-color:{STATUSES[s].colour}">'
        f"{tx.SHORT_STATUS[s]} <b>{counts[s]}</b></span>"
        for s in ("met", "achieved", "on_track", "at_risk", "off_track", "missed", "insufficient_data",
                  "no_target") if counts[s])
    paras = "".join(_p(p) for p in tx.overview_paragraphs(assessment, region, with_note=False))
    return f'<section><h2>一、总体情况</h2><p class="qa-chips">{chips}</p>{paras}</section>'


def _cell(value: str, status: str = "", extra: str = "") -> str:
    m = mark(status) if value != "—" else ""
    sup = f'<sup class="qa-mark" title="{MARK_TITLES[m]}">{m}</sup>' if m else ""
    return f"<td>{escape(value)}{sup}{extra}</td>"


def indicator_table(assessment, region: str) -> str:
    """二、指标完成情况表: one row an indicator, grouped by category, marks as in the Word table."""
    rows = tx.region_rows(assessment, region)
    years = tx.observed_years(assessment, rows)
    marks = value_marks(assessment, region)
    head = "".join(f"<th>{escape(h).replace(chr(10), '<br>')}</th>" for h in header(assessment, years))
    body = []
    n = 0
    cats = list(dict.fromkeys(rows["category"].astype(str)))
    for k, cat in enumerate(cats, start=1):
        members = rows[rows["category"].astype(str) == cat]
        body.append(f'<tr class="qa-cat"><td colspan="{8 + len(years)}">'
                    f"{tx.section_number(k)}、{escape(cat)}（{len(members)}项）</td></tr>")
        for _, r in members.iterrows():
            n += 1
            ind = str(r["indicator"])
            unit = str(r["unit"]) if isinstance(r["unit"], str) else ""
            cells = [f"<td>{n}</td>", f'<td class="qa-name">{escape(str(r["name_zh"]))}</td>',
                     f"<td>{escape(unit)}</td>",
                     _cell(tx.num(r["baseline"]), baseline_status(r, marks))]
            basis = str(r["target_basis"])
            if tx.has_target(r):
                pro = (f'<sup class="qa-mark" title="{MARK_TITLES[tx.MARK_PRO_RATA]}">{tx.MARK_PRO_RATA}</sup>'
                       if basis == "pro_rata" else "")
                cells.append(f"<td>{escape(tx.target_text(r, unit=False))}{pro}</td>")
            else:
                cells.append(f"<td>{'不分解' if basis == 'city_only' else '—'}</td>")
            for y in years:
                v = marks.get((ind, y))
                cells.append(_cell(tx.num(v[0]), v[1]) if v else "<td>—</td>")
            if tx.isnum(r["forecast"]):
                band = tx.band_text(r)
                cells.append(_cell(tx.num(r["forecast"], 1), "illustrative" if r["has_illustrative"] else "",
                                   f'<br><span class="qa-band">（{escape(band)}）</span>' if band else ""))
            else:
                cells.append("<td>—</td>")
            cells.append(f"<td>{escape(tx.pct(r['p_attain']))}</td>")
            status = str(r["status"])
            colour = STATUSES[status].colour if status in STATUSES and status != "no_target" else ""
            style = f' style="background:{colour}26;box-shadow:inset 4px 0 {colour}"' if colour else ""
            cells.append(f'<td class="qa-status" data-status="{status}"{style}>'
                         f"{escape(tx.verdict_text(r))}</td>")
            body.append(f'<tr data-indicator="{escape(ind)}">{"".join(cells)}</tr>')
    title = f"表1　{tx.region_name(assessment, region)}{tx.plan_title(assessment)}指标完成情况"
    return (f'<section><h2>二、指标完成情况表</h2><p class="qa-table-title">{escape(title)}</p>'
            f'<div class="qa-table-wrap"><table class="qa-table qa-indicators"><thead><tr>{head}</tr></thead>'
            f"<tbody>{''.join(body)}</tbody></table></div>"
            f'<p class="qa-note">{escape(table_note(assessment, rows))}</p></section>')


def attention_section(assessment, region: str, charts: ChartProvider) -> str:
    """三、需关注指标: each off-track / at-risk / missed indicator, worst first: a sentence and its chart."""
    rows = tx.region_rows(assessment, region)
    att = tx.attention(rows)
    out = ["<section><h2>三、需关注指标</h2>"]
    if att.empty:
        out.append(_p("目前没有进度滞后或存在风险的指标。"))
        return "".join(out) + "</section>"
    out.append(_p(f"以下{len(att)}项指标进度滞后或存在风险，按评价和达标概率由低到高排列。"
                  "图中圆点为年度数据，虚线为趋势外推，阴影为80%和95%预测区间，横虚线为目标值。"))
    name = tx.region_name(assessment, region)
    for k, (_, r) in enumerate(att.iterrows(), start=1):
        status = tx.SHORT_STATUS.get(str(r["status"]), str(r["status"]))
        img = charts.trajectory(region, str(r["indicator"]))
        out.append(f'<article class="qa-attention" data-indicator="{escape(str(r["indicator"]))}">'
                   f"<h3>（{chinese_count(k)}）{escape(str(r['name_zh']))}【{escape(status)}】</h3>"
                   + _p(tx.indicator_sentence(assessment, r))
                   + figure(img, TRAJECTORY_PX, f"图{k}　{name}{r['name_zh']}") + "</article>")
    return "".join(out) + "</section>"


def comparison_section(assessment, region: str, charts: ChartProvider) -> str:
    """四、与全市对比 (a county: where its verdict differs from the city's) or
    四、各县（市、区）比较 (the city: the ranking and the heatmap pages)."""
    if str(region) == tx.city_code(assessment):
        rk = tx.county_ranking(assessment)
        head = ["排名", "地区", "已达标", "进度正常", "存在风险", "进度滞后", "无目标或数据不足", "已达标或进度正常占比"]
        body = "".join(
            "<tr>" + "".join(f"<td>{escape(str(v))}</td>" for v in
                             (r["rank"], r["name"], r["achieved"], r["on_track"], r["at_risk"],
                              r["off_track"], r["other"], tx.share_text(r['good_share']))) + "</tr>"
            for _, r in rk.iterrows())
        figs = "".join(figure(img, SLIDE_CHART_PX, f"图{k}　{img.title}")
                       for k, img in enumerate(charts.heatmap_pages(), start=1))
        return ("<section><h2>四、各县（市、区）比较</h2>" + _p(tx.ranking_paragraph(assessment))
                + '<p class="qa-table-title">表2　各县（市、区）指标评价汇总</p>'
                + '<div class="qa-table-wrap"><table class="qa-table qa-ranking"><thead><tr>'
                + "".join(f"<th>{h}</th>" for h in head) + f"</tr></thead><tbody>{body}</tbody></table></div>"
                + _p("注：占比的分母为有量化目标且数据足以判断的指标数（表中前四项之和）。", "qa-note")
                + figs + "</section>")
    vs = tx.versus_city(assessment, region)
    out = ["<section><h2>四、与全市对比</h2>", _p(tx.versus_city_paragraph(assessment, region))]
    if not vs.empty:
        name = tx.region_name(assessment, region)
        city = tx.region_name(assessment, tx.city_code(assessment))
        rows = []
        for k, (_, r) in enumerate(vs.iterrows(), start=1):
            cells = [str(k), escape(str(r["name_zh"]))]
            for s, p in ((r["status"], r["p_attain"]), (r["city_status"], r["city_p_attain"])):
                colour = STATUSES[s].colour
                cells += [f'<span class="qa-dot" style="background:{colour}"></span>{tx.SHORT_STATUS[s]}', tx.pct(p)]
            rows.append("<tr>" + "".join(f"<td>{c}</td>" for c in cells) + "</tr>")
        out += [f'<p class="qa-table-title">表2　{escape(name)}与{escape(city)}评价不同的指标</p>',
                '<div class="qa-table-wrap"><table class="qa-table qa-versus"><thead><tr>'
                f"<th>序号</th><th>指标</th><th>{escape(name)}评价</th><th>达标概率</th>"
                f"<th>{escape(city)}评价</th><th>达标概率</th></tr></thead><tbody>{''.join(rows)}</tbody></table></div>",
                _p("注：仅列出两地均有量化目标且数据足以判断、而评价不同的指标，本地区评价较差的在前。", "qa-note")]
    return "".join(out) + "</section>"


def trajectory_appendix(assessment, region: str, charts: ChartProvider) -> str:
    """附一: every indicator's trajectory, category by category, as small multiples.

    The same pages the deck shows for its category slides (drawn once for both):
    each panel is one indicator's trajectory — values, target, trend with its
    80%/95% bands, verdict and P(attain) — at most 12 to a page. A category of
    one indicator shows that indicator's trajectory.
    """
    rows = tx.region_rows(assessment, region)
    figs = []
    k = 0
    for cat in dict.fromkeys(rows["category"].astype(str)):
        members = rows[rows["category"].astype(str) == cat]
        if len(members) == 1:
            ind = str(members["indicator"].iloc[0])
            pages = [(charts.trajectory(region, ind), [ind])]
        else:
            pages = list(zip(charts.small_multiples(region, cat), charts.small_multiples_pages(region, cat)))
        for img, ids in pages:
            k += 1
            figs.append(f'<div class="qa-appendix-page" data-indicators="{escape(" ".join(ids))}">'
                        + figure(img, SLIDE_CHART_PX if len(ids) > 1 else TRAJECTORY_PX,
                                 f"附图{k}　{img.title}") + "</div>")
    n = len(plots.quantified_indicators(assessment, region))
    return ('<section class="qa-appendix"><h2>附一：各指标走势与预测</h2>'
            + _p(f"全部{len(rows)}项指标（其中有量化目标的{n}项）按规划类别排列。每个小图：圆点为历年数值，"
                 "横虚线为目标值，虚线及阴影为线性趋势及其80%/95%预测区间，左上角为评价结果和达标概率。", "qa-note")
            + "".join(figs) + "</section>")


def notes_section(assessment, region: str) -> str:
    """附二：数据来源与方法说明 (the Word report's appendix text)."""
    return ("<section><h2>附二：数据来源与方法说明</h2>"
            + "".join(_p(p) for p in tx.method_paragraphs(assessment, region)) + "</section>")
