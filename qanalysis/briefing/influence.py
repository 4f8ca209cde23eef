"""The appendix sentence of a verdict that one year drives (statsmodels' influence measures, docs/methods.md §3a)."""
from __future__ import annotations

from ..errors import QAnalysisError
from .text import attention, region_rows


def influence_sentences(assessment, region: str) -> list[tuple[str, str]]:
    """(name, sentence) for each indicator needing attention whose verdict one year drives.

    The sentence is :func:`qanalysis.analysis.detail.influence_sentence`; indicators
    where no single year dominates, or too few points to tell, are left out.
    """
    from ..analysis.detail import detail, influence_sentence  # statsmodels: only for this appendix

    if "period_over" in assessment.table.columns and bool(assessment.table["period_over"].any()):
        return []  # after the period a verdict rests on the final value, not on a trend (docs/evaluation.md)
    out = []
    for _, r in attention(region_rows(assessment, region)).iterrows():
        try:
            sentence = influence_sentence(detail(assessment, region, str(r["indicator"])))
        except QAnalysisError:  # fewer than 2 points, or a non-positive value under a log fit
            continue
        if sentence:
            out.append((str(r["name_zh"]), sentence))
    return out
