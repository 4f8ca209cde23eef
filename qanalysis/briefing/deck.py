"""A deck of chosen charts: ``qanalysis deck --region CODE… --indicator ID… --out FILE.pptx``.

One slide for each (region, indicator), regions in the order given and, within
a region, indicators in the order given; a title slide before them and a
data-note slide after. Each indicator slide is the one the region deck uses
(trajectory, key figures, one sentence).
"""
from __future__ import annotations

from pathlib import Path

from ..errors import QAnalysisError
from . import text as tx
from .charts import ChartProvider


def check_choice(assessment, regions: list[str], indicators: list[str]) -> None:
    """Raise :class:`QAnalysisError` naming every unknown code and what is known."""
    t = assessment.table
    known_r = list(dict.fromkeys(t["region"].astype(str)))
    known_i = list(dict.fromkeys(t["indicator"].astype(str)))
    bad_r = [r for r in regions if r not in known_r]
    bad_i = [i for i in indicators if i not in known_i]
    if bad_r:
        raise QAnalysisError(f"unknown region code(s) {', '.join(bad_r)}; known: {', '.join(known_r)}")
    if bad_i:
        raise QAnalysisError(f"unknown indicator id(s) {', '.join(bad_i)}; "
                             "`qanalysis catalogue` lists the ids")
    if not regions or not indicators:
        raise QAnalysisError("give at least one --region and one --indicator")


def write_deck(assessment, regions, indicators, path, charts: ChartProvider | None = None) -> Path:
    """Write the deck of chosen charts atomically; return the path."""
    # python-pptx only when a deck is built (start-up speed)
    from pptx.util import Pt

    from .pptx_deck import DeckBuilder, content_box, indicator_slide, title_slide  # python-pptx when used

    regions = [str(r) for r in regions]
    indicators = [str(i) for i in indicators]
    check_choice(assessment, regions, indicators)
    charts = charts or ChartProvider(assessment)
    t = assessment.table
    chosen = t[t["region"].astype(str).isin(regions) & t["indicator"].astype(str).isin(indicators)]
    ill = bool(chosen["has_illustrative"].any())
    names = "、".join(tx.region_name(assessment, r) for r in regions)
    deck = DeckBuilder(f"{assessment.data.plan.name_zh} · 指标图集" + ("　|　含示例数据" if ill else ""))
    upto = tx.data_up_to(chosen)
    title_slide(deck, assessment, "指标图集",
                [f"地区：{names}", f"{len(indicators)}项指标，共{len(regions) * len(indicators)}张图"
                 + (f"；数据截至{upto}年" if upto else "")], ill)
    pairs = [(r, i) for r in regions for i in indicators]
    for k, (r, i) in enumerate(pairs, start=1):
        indicator_slide(deck, assessment, r, i, charts, f"{k}/{len(pairs)}")
    s = deck.slide("数据来源与方法说明", ill)
    deck.text(s, content_box(), tx.deck_note_paragraphs(assessment, chosen), size=Pt(15), spacing=1.1)
    return deck.save(path)
