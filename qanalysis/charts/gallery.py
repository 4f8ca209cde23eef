"""``qanalysis gallery``: every chart type for one region, in Chinese and English.

For a person to look at before a briefing: one folder of PNG/SVG files and an
``index.html`` that shows them all. Trajectories are picked to cover each kind
of target (≥, ≤, keep-at, stock, increment, no numeric target, too few points).
"""
from __future__ import annotations

import html
from pathlib import Path

from .. import atomic
from . import plots
from ..errors import QAnalysisError


def pick_indicators(assessment, region: str) -> list[str]:
    """One indicator per kind of chart a reader will meet, in catalogue order."""
    tab = assessment.table
    rows = tab.loc[tab["region"].astype(str) == region]
    wanted = [
        lambda r: r["kind"] == "level" and r["comparator"] == ">=",
        lambda r: r["kind"] == "level" and r["comparator"] == "<=",
        lambda r: r["comparator"] == "==",
        lambda r: r["kind"] == "stock",
        lambda r: r["kind"] == "increment",
        lambda r: r["kind"] == "unquantified" or r["status"] == "no_target",
        lambda r: r["status"] == "insufficient_data",
    ]
    picked: list[str] = []
    for test in wanted:
        for _, r in rows.iterrows():
            if str(r["indicator"]) not in picked and bool(test(r)):
                picked.append(str(r["indicator"]))
                break
    return picked


def render(assessment, region: str, out_dir, langs=("zh", "en"),
           formats=("png", "svg"), review_table=None) -> list[Path]:
    """Write the gallery for ``region`` into ``out_dir``; return the files written."""
    region = str(region)
    if region not in set(assessment.table["region"].astype(str)):
        raise QAnalysisError(f"region {region!r} is not in the assessment")
    out_dir = Path(out_dir)
    written: list[Path] = []
    indicators = pick_indicators(assessment, region)
    quantified = [i for i in indicators if i in plots.quantified_indicators(assessment, region)]
    cats = list(dict.fromkeys(assessment.table.loc[assessment.table["region"].astype(str) == region,
                                                   "category"].astype(str)))
    if review_table is None:
        review_table = plots._review_table(assessment)
    for lang in langs:
        for ind in indicators:
            written += plots.save(plots.trajectory(assessment, region, ind, lang), out_dir,
                                  f"{lang}_{region}_{ind}_trajectory", formats=formats)
        for cat in cats[:2]:
            written += plots.save(plots.small_multiples(assessment, region, cat, lang), out_dir,
                                  f"{lang}_{region}_{plots._category_slug(assessment, cat)}_small_multiples",
                                  formats=formats)
        for value in ("p_attain", "status"):
            written += plots.save(plots.heatmap(assessment, value, lang), out_dir,
                                  f"{lang}_heatmap_{value}", formats=formats)
        if quantified:
            written += plots.save(plots.ranking(assessment, quantified[0], lang), out_dir,
                                  f"{lang}_{quantified[0]}_ranking", formats=formats)
        if review_table is not None and len(review_table):
            written += plots.save(plots.review(review_table, lang), out_dir, f"{lang}_review13",
                                  formats=formats)
    pngs = [p for p in written if p.suffix == ".png"] or [p for p in written if p.suffix == ".svg"]
    items = "\n".join(
        f'<figure><img src="{html.escape(p.name)}" loading="lazy"><figcaption>{html.escape(p.stem)}'
        f'</figcaption></figure>' for p in pngs)
    page = (f"<!doctype html><meta charset=utf-8><title>qanalysis gallery {html.escape(region)}</title>"
            "<style>body{font-family:sans-serif;margin:2em}img{max-width:100%;border:1px solid #ddd}"
            "figure{margin:0 0 3em}</style>"
            f"<h1>图表样例 / chart gallery: {html.escape(region)}</h1>\n{items}\n")
    index = out_dir / "index.html"
    atomic.write_text(index, page)
    return written + [index]
