"""Briefing charts: one call a chart, each returns a matplotlib ``Figure``.

``trajectory``, ``small_multiples``, ``heatmap``, ``ranking``, ``review``;
``save`` writes PNG (300 dpi) and SVG atomically; ``write_region_charts`` writes
the whole set for a region; ``qanalysis charts`` does the same from the shell.

Every chart carries a data note at the bottom (data status, "数据截至 …年",
source) and, exactly when a plotted value is illustrative, a visible
"示例数据 / illustrative data" stamp in the top-right corner.

Figures are built with ``matplotlib.figure.Figure`` (not pyplot): nothing is
kept in pyplot's registry, and a notebook shows the returned figure once.
"""
from __future__ import annotations

from pathlib import Path
from typing import Iterable


from ..analysis.review import review as review_table_of
from ..errors import QAnalysisError
from .export import close, save
from .heatmap import heatmap
from .multiples import small_multiples
from .ranking import ranking
from .review import review
from .text import _category_slug, _quantified, _tx, short_name
from .trajectory import trajectory


def quantified_indicators(assessment, region: str) -> list[str]:
    tab = assessment.table
    rows = tab.loc[tab["region"].astype(str) == region]
    return [str(r["indicator"]) for _, r in rows.iterrows() if _quantified(r)]


def write_region_charts(assessment, region: str, out_dir, lang: str = "zh",
                        formats: Iterable[str] = ("png", "svg"), review_table=None) -> list[Path]:
    """The chart set for a region; for the city also heatmaps, rankings and 表1 review."""
    _tx(lang)
    region = str(region)
    if region not in set(assessment.table["region"].astype(str)):
        raise QAnalysisError(f"region {region!r} is not in the assessment")
    formats = tuple(formats)
    out: list[Path] = []
    for ind in quantified_indicators(assessment, region):
        out += save(trajectory(assessment, region, ind, lang), out_dir,
                    f"{region}_{ind}_trajectory", formats=formats)
    rows = assessment.table.loc[assessment.table["region"].astype(str) == region]
    for cat in dict.fromkeys(rows["category"].astype(str)):
        out += save(small_multiples(assessment, region, cat, lang), out_dir,
                    f"{region}_{_category_slug(assessment, cat)}_small_multiples", formats=formats)
    if region == str(assessment.data.plan.city_code):
        for value in ("p_attain", "status"):
            out += save(heatmap(assessment, value, lang), out_dir, f"{region}_heatmap_{value}",
                        formats=formats)
        for ind in quantified_indicators(assessment, region):
            out += save(ranking(assessment, ind, lang), out_dir, f"{ind}_ranking", formats=formats)
        if review_table is None:
            review_table = _review_table(assessment)
        if review_table is not None and len(review_table):
            out += save(review(review_table, lang), out_dir, "review13", formats=formats)
    return out


def _review_table(assessment):
    """表1 with ``met`` from :func:`qanalysis.analysis.review.review` (the one rule)."""
    if not len(assessment.data.review):
        return None
    return review_table_of(assessment.data)


__all__ = ["trajectory", "small_multiples", "heatmap", "ranking", "review", "save", "close",
           "write_region_charts", "short_name", "quantified_indicators"]
