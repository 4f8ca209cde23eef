"""The helpers the report notebooks call inside their kernel.

``load_assessment`` (cached while the data files are unchanged), the headline
counts and sentence, the labelled assessment table, the report header and data
notes, and ``show`` (display a chart and save it). For the county report:
``chart_provider`` (one :class:`~qanalysis.briefing.charts.ChartProvider` a
report, region-independent charts shared by every report of a warm kernel),
``show_html``, ``write_documents`` (the Word report and the deck from the same
charts), ``write_chart_files`` and ``report_timing``. Notebooks import this
module, never the batch runner.
"""
from __future__ import annotations

import io
import os
import re
import time
from pathlib import Path

import pandas as pd

from .. import load
from ..analysis.assess import assess
from ..analysis.evaluation import parse_as_of
from ..analysis.status import STATUS_ORDER, STATUSES, city_wide, label, row_label
from ..charts import plots
from ..data.series_source import delivery_notes
from ..fingerprint import stat_key
from ..vocab import CITY_WIDE_LABEL, DATA_BASIS, DATA_STATUS, REPORT_VIEW_HEADERS

_CACHE: dict = {}
_TIMING: dict[str, float] = {}   # seconds by step of the report now running in this kernel

def load_assessment(data_dir: str | os.PathLike | None = None, as_of: str | None = None):
    """``(data, assessment)`` for every region, cached while the data files are unchanged.

    A warm report kernel runs many regions; loading and assessing once saves
    most of the per-report time. The cache key is every data file's path,
    modification time and size, and the as-of date (``""``/None: the monitoring assessment;
    a date after the plan's target year makes it a final evaluation, docs/evaluation.md).
    """
    t0 = time.perf_counter()
    _TIMING.clear()  # a new report begins with its data
    data_dir = data_dir or None
    as_of = parse_as_of(as_of) if as_of else None
    key = (str(data_dir), stat_key(data_dir), as_of)
    hit = _CACHE.get("assessment")
    if hit is not None and hit[0] == key:
        _TIMING["data"] = time.perf_counter() - t0
        return hit[1]
    data = load(data_dir=data_dir)
    _TIMING["load"] = time.perf_counter() - t0
    value = (data, assess(data, as_of=as_of))
    _CACHE["assessment"] = (key, value)
    _TIMING["data"] = time.perf_counter() - t0
    _TIMING["assess"] = _TIMING["data"] - _TIMING["load"]
    return value


def chart_provider(assessment, lang: str = "zh"):
    """The report's :class:`~qanalysis.briefing.charts.ChartProvider`: each chart drawn once.

    The notebook shows its PNGs and :func:`write_documents` puts the same bytes
    into the Word report and the deck. Charts that do not depend on the region
    (heatmap pages, 表1) are kept for the next report of this kernel while the
    assessment is the same object (``load_assessment``'s cache).
    """
    from ..briefing.charts import ChartProvider  # matplotlib/PIL: loaded with the first report

    hit = _CACHE.get("shared_charts")
    if hit is None or hit[0] is not assessment or hit[1] != lang:
        hit = (assessment, lang, {})
        _CACHE["shared_charts"] = hit
    provider = ChartProvider(assessment, lang, shared=hit[2])
    _record_charts_used(provider)
    return provider


# Charts keyed on one region (the key's second item); any other kind shows every region
# (the heatmap) or none (表1, whose table every report shares anyway).
_REGION_CHARTS = ("trajectory", "small_multiples")
_NO_REGION_CHARTS = ("review",)


def _record_charts_used(provider) -> None:
    """Note every chart the report asks for, drawn now or taken from the cache, so
    :func:`report_timing` can say which regions the report showed (incremental batch)."""
    inner = getattr(provider, "_image", None)
    if inner is None:  # another provider: report_timing says nothing, the batch assumes every region
        return
    used: set = set()
    seconds: dict[str, float] = {}   # drawing and rendering, by chart kind (cache hits ~0)

    def image(key, draw):
        used.add(tuple(key))
        t0 = time.perf_counter()
        try:
            return inner(key, draw)
        finally:
            seconds[key[0]] = seconds.get(key[0], 0.0) + time.perf_counter() - t0
    provider._image = image
    provider.charts_used = used
    provider.seconds_by_kind = seconds


def regions_shown(charts) -> list[str] | None:
    """The regions the report's charts showed, ``"*"`` for a chart of every region; None
    when not recorded."""
    used = getattr(charts, "charts_used", None)
    if used is None:
        return None
    out: set[str] = set()
    for key in used:
        if key[0] in _REGION_CHARTS and len(key) > 1:
            out.add(str(key[1]))
        elif key[0] not in _NO_REGION_CHARTS:
            out.add("*")
    return sorted(out)


def show_html(fragment: str) -> None:
    """Display an HTML fragment (a section of :mod:`qanalysis.briefing.html_report`)."""
    # IPython only inside a notebook kernel (a light process never loads it)
    from IPython.display import HTML, display

    display(HTML(fragment))


def write_documents(assessment, region: str, out_dir: str | os.PathLike, charts) -> list[Path]:
    """``<region>.docx`` and ``<region>.pptx`` in ``out_dir``, with ``charts``' images (no redraw)."""
    from ..briefing.docx_report import write_docx  # python-docx: only when documents are written
    from ..briefing.pptx_deck import write_pptx  # python-pptx: likewise

    out = Path(out_dir)
    paths = []
    for step, write in (("docx", write_docx), ("pptx", write_pptx)):
        t0, c0 = time.perf_counter(), charts.seconds
        paths.append(write(assessment, region, out / f"{region}.{step}", charts))
        # a chart first asked for by this document is counted under "charts", not here
        _TIMING[step] = time.perf_counter() - t0 - (charts.seconds - c0)
    return paths


def write_chart_files(assessment, region: str, out_dir: str | os.PathLike, formats: str,
                      lang: str = "zh") -> list[Path]:
    """On demand (``qanalysis reports --charts``): every chart of the region as its own file,
    PNG 300 dpi and SVG (:func:`qanalysis.charts.plots.write_region_charts`)."""
    fmts = tuple(f.strip() for f in str(formats).split(",") if f.strip())
    if not fmts:
        return []
    t0 = time.perf_counter()
    paths = plots.write_region_charts(assessment, region, Path(out_dir) / "charts", lang, formats=fmts)
    _TIMING["chart_files"] = time.perf_counter() - t0
    return paths


def report_timing(charts) -> dict:
    """Seconds by step of this report (data = load + assess, 0 when cached in the kernel;
    charts drawn and rendered, docx, pptx, chart files), the charts drawn and their seconds
    (``charts_s``), by kind, and ``regions_shown`` (the regions its charts showed, ``*`` =
    every region); the batch benchmark and the incremental batch read it from the executed notebook."""
    out = {k: round(v, 3) for k, v in _TIMING.items()}
    out["charts"] = round(charts.seconds, 3)
    out["charts_drawn"] = dict(charts.drawn)
    out["charts_s"] = {k: round(v, 3) for k, v in getattr(charts, "seconds_by_kind", {}).items()}
    out["regions_shown"] = regions_shown(charts)  # read by the batch for incremental rebuilds
    return out


def headline_counts(table, region: str, lang: str = "zh"):
    """How many indicators of ``region`` are in each status (every status listed, zeros kept)."""
    sub = table[table["region"] == region]
    wide = city_wide(sub)  # 全市统筹 is counted apart from 无量化目标
    counts = sub["status"].where(~wide, "city_wide").value_counts()
    rows = [{"status": s, "label": label(s, lang), "count": int(counts.get(s, 0))} for s in STATUS_ORDER]
    rows.append({"status": "city_wide", "label": CITY_WIDE_LABEL[0 if lang == "zh" else 1],
                 "count": int(counts.get("city_wide", 0))})
    out = pd.DataFrame(rows)
    total = pd.DataFrame([{"status": "total", "label": "合计" if lang == "zh" else "total",
                           "count": int(len(sub))}])
    return pd.concat([out, total], ignore_index=True)


def headline_table(table, region: str, lang: str = "zh"):
    """The headline counts as a reader sees them: status names in their colours, no index."""
    c = headline_counts(table, region, lang)
    head = ("评估结果", "指标数") if lang == "zh" else ("status", "indicators")
    view = c[["label", "count"]].rename(columns=dict(zip(("label", "count"), head)))
    colours = [STATUSES[s].colour if s in STATUSES else "" for s in c["status"]]

    def swatch(col):
        return [f"border-left: 0.8em solid {k}; padding-left: 0.5em" if k else "font-weight: bold"
                for k in colours]

    return view.style.hide(axis="index").apply(swatch, subset=[head[0]])


def headline_sentence(table, region: str, lang: str = "zh") -> str:
    """One sentence a reader sees first: n indicators, how many achieved / on track / at risk …"""
    c = headline_counts(table, region, lang).set_index("status")["count"]
    if lang == "zh":
        return (f"共 {c['total']} 项指标：已达标或已实现 {c['achieved'] + c['met']} 项，"
                f"进度正常 {c['on_track']} 项，存在风险 {c['at_risk']} 项，"
                f"进度滞后或未实现 {c['off_track'] + c['missed']} 项，"
                f"数据不足 {c['insufficient_data']} 项，无量化目标 {c['no_target']} 项。")
    return (f"{c['total']} indicators: {c['achieved'] + c['met']} achieved or met, "
            f"{c['on_track']} on track, {c['at_risk']} at risk, {c['off_track'] + c['missed']} "
            f"off track or missed, {c['insufficient_data']} with insufficient data, "
            f"{c['no_target']} without a numeric target.")


def data_note(table, region: str | None = None, lang: str = "zh") -> str:
    """The honesty statement: how many series rest on illustrative (示例) values."""
    sub = table if region is None else table[table["region"] == region]
    n = int(sub["has_illustrative"].fillna(False).astype(bool).sum())
    if lang == "zh":
        if n:
            return (f"⚠ 注意：本报告中 {n} 项指标的数据含示例数据（illustrative，由程序按固定种子生成，"
                    f"并非公开发布的统计数据），相关图表和结论仅用于演示方法，不能作为实际评估依据。")
        return "本报告全部数据来自公开发布或报送的数值（见数据来源列）。"
    if n:
        return (f"⚠ Note: {n} indicators in this report rest on illustrative values (generated with a "
                f"fixed seed, not published statistics); their charts and findings only demonstrate the method.")
    return "Every value in this report is published or delivered data (see the source column)."


def assessment_view(table, region: str, lang: str = "zh"):
    """The assessment table of one region with the columns a reader needs, labelled."""
    sub = table[table["region"] == region].copy()
    sub["status_label"] = [row_label(r, lang) for _, r in sub.iterrows()]
    if lang == "zh":
        sub["data_status"] = sub["data_status"].map(lambda d: DATA_STATUS["zh"].get(d, d))
    # an increment's target is the sum of the plan years' additions: show that sum, not one year's
    inc = sub["kind"] == "increment"
    sub["latest"] = sub["latest"].where(~inc, sub["cumulative"])
    name = "name_zh" if lang == "zh" else "name_en"
    if "data_source" not in sub:  # a table from before the column existed
        sub["data_source"] = sub["data_source_en"] = sub["data_status"]
    if lang != "zh":
        sub["data_source"] = sub["data_source_en"]
    cols = [name, "unit", "baseline", "target", "latest_year", "latest", "forecast", "pi80_low",
            "pi80_high", "p_attain", "status_label", "data_status", "data_source"]
    view = sub[cols].round({"p_attain": 2})
    view = view.rename(columns=REPORT_VIEW_HEADERS[lang]).reset_index(drop=True)
    # numbers as a reader writes them: 2 decimals, probabilities as percentages
    numeric = [c for c in view.columns if view[c].dtype.kind == "f"]
    p_col = "达标概率" if lang == "zh" else "P(attain)"
    fmt = {c: "{:.2f}" for c in numeric if c != p_col}
    fmt[p_col] = "{:.0%}"
    year_col = "最新年份" if lang == "zh" else "latest_year"
    fmt[year_col] = "{:.0f}"
    return view.style.hide(axis="index").format(fmt, na_rep="—")


def region_name(assessment, region: str, lang: str = "zh") -> str:
    """The region's name; an unknown code is an error the reader understands."""
    return assessment.data.region_name(region, lang)


def report_header(assessment, region: str, lang: str = "zh") -> str:
    """Markdown: title, what the report covers, the headline counts and, when any value
    is illustrative, the 示例数据 warning (first thing a reader sees)."""
    plan = assessment.data.plan
    name = region_name(assessment, region, lang)
    t = assessment.table
    sub = t[t["region"] == str(region)]
    latest = sub["latest_year"].dropna()
    upto = int(latest.max()) if len(latest) else None
    if lang == "zh":
        lines = [f"# {name} · {plan.name_zh} 指标监测报告",
                 f"规划期 {plan.first_year}—{plan.target_year} 年，基期 {plan.base_year} 年；"
                 + (f"数据截至 {upto} 年。" if upto else "暂无年度数据。"),
                 "", f"**总体情况：** {headline_sentence(t, str(region), lang)}"]
    else:
        lines = [f"# {name} · {plan.name_en}: indicator report",
                 f"Plan period {plan.first_year}–{plan.target_year}, baseline {plan.base_year}; "
                 + (f"data up to {upto}." if upto else "no yearly data yet."),
                 "", f"**Overview:** {headline_sentence(t, str(region), lang)}"]
    if sub["has_illustrative"].fillna(False).astype(bool).any():
        lines += ["", f"> {data_note(t, str(region), lang)}"]
    return "\n".join(lines)


def data_notes(assessment, region: str, lang: str = "zh") -> str:
    """Markdown: what the series rest on, deliveries and replaced values, sources, methods."""
    t = assessment.table
    sub = t[t["region"] == str(region)]
    by_status = sub["data_status"].value_counts()
    by_basis = sub["data_basis"].value_counts() if "data_basis" in sub else by_status.iloc[:0]
    obs = assessment.data.observations
    o = obs[obs["region"] == str(region)]
    # published and provisional sources are listed apart: provisional is never called published
    sources = [x for x in dict.fromkeys(o.loc[o["status"] == "published", "source"].dropna()) if x][:8]
    prov = [x for x in dict.fromkeys(o.loc[o["status"] == "provisional", "source"].dropna()) if x][:8]
    basis = sub["target_basis"].value_counts()
    deliveries = delivery_notes(assessment.data, lang, region=str(region),
                                fit_first_year=assessment.data.plan.fit_first_year)
    if lang == "zh":
        lines = ["数据依据（按指标序列计）："
                 + "，".join(f"{DATA_BASIS['zh'].get(k, k)} {v} 项" for k, v in by_basis.items()) + "。"
                 "一个序列只用一种依据：有报送数据的只用报送数据，否则用公开发布数据，都没有时才用示例数据。",
                 "", "数据性质（按指标序列计）："
                 + "，".join(f"{DATA_STATUS['zh'].get(k, k)} {v} 项" for k, v in by_status.items()) + "。",
                 "", data_note(t, str(region), lang), "",
                 "目标来源：" + "，".join(f"{k} {v} 项" for k, v in basis.items())
                 + "（plan = 规划原文；city_default = 沿用全市目标；pro_rata = 按权重分解；"
                 "city_only = 全市整体目标、不分解到县；override = 区县自定）。",
                 "", "方法：线性趋势（OLS）外推至目标年，给出 80%/95% 预测区间及达标概率；"
                 "进度比率法与时序进度法见 docs/methods.md。"]
        if deliveries:
            lines += ["", "报送数据："] + [f"- {x}" for x in deliveries]
        if sources:
            lines += ["", "公开数据来源："] + [f"- {x}" for x in sources]
        if prov:
            lines += ["", "初步数据（未正式发布）来源："] + [f"- {x}" for x in prov]
    else:
        lines = ["What the series rest on: " + ", ".join(f"{k} {v}" for k, v in by_basis.items())
                 + ". A series uses one basis: delivered values if any, else published values, "
                 "illustrative ones only when there is neither.",
                 "", "Data status of the series: " + ", ".join(f"{k} {v}" for k, v in by_status.items()) + ".",
                 "", data_note(t, str(region), lang), "",
                 "Target basis: " + ", ".join(f"{k} {v}" for k, v in basis.items()) + ".",
                 "", "Method: OLS linear trend to the target year with 80%/95% prediction intervals "
                 "and the probability of meeting the target; see docs/methods.md."]
        if deliveries:
            lines += ["", "Deliveries:"] + [f"- {x}" for x in deliveries]
        if sources:
            lines += ["", "Published sources:"] + [f"- {x}" for x in sources]
        if prov:
            lines += ["", "Provisional (not yet published) sources:"] + [f"- {x}" for x in prov]
    return "\n".join(lines)


def fit_width(svg: str) -> str:
    """An SVG that scales to the page width (its viewBox kept) instead of a fixed 960 pt."""
    head_end = svg.find(">", svg.find("<svg"))
    head = svg[:head_end]
    head = re.sub(r'\swidth="[^"]*"', ' width="100%"', head, count=1)
    head = re.sub(r'\sheight="[^"]*"', "", head, count=1)
    return head + svg[head_end:]


def show(fig, out_dir: str | os.PathLike = "", stem: str | None = None, dpi: int = 80):
    """Display ``fig`` in the notebook and, when ``out_dir`` is set, save it as PNG+SVG.

    With ``out_dir`` the chart is written by ``qanalysis.plots.save`` (PNG 300 dpi
    and SVG) and the SVG just written is what the notebook shows: no extra
    render. Without it, one PNG render at screen resolution and without
    ``bbox_inches="tight"`` (which renders twice). The figure is closed afterwards.
    """
    # IPython only inside a notebook kernel (a light process never loads it)
    from IPython.display import SVG, Image, display

    if out_dir and stem:
        # Saved anyway: show the SVG just written instead of rendering a third time.
        paths = plots.save(fig, out_dir, stem)
        svg = [p for p in paths if p.suffix == ".svg"]
        if svg:
            display(SVG(data=fit_width(svg[0].read_text(encoding="utf-8"))))
        return None  # nothing for the notebook to echo under the chart
    buf = io.BytesIO()
    fig.savefig(buf, format="png", dpi=dpi)
    display(Image(data=buf.getvalue(), format="png"))
    plots.close(fig)
    return None
