"""The previous plan's review (表1): was each target met, by the same rule as the assessment?

``Dataset.review`` holds each 13th-plan target and what was achieved by 2020,
both as written (``target_text``, ``achieved_text``) and parsed (``target``,
``achieved``). ``met`` applies :func:`qanalysis.attainment.meets_target` — ``>=``/``<=``
strictly, ``==`` when the achieved figure is the target at the precision the two
are written in. The plan's note under 表1 names the targets it missed
(``named_missed_in_plan``); ``agrees_with_plan`` says whether our verdict is
the plan's own. ``qanalysis review13`` prints the table.
"""
from __future__ import annotations

import re

import numpy as np
import pandas as pd

from ..dataset import Dataset
from ..errors import QAnalysisError
from .attainment import keep_decimals, meets_target

COLUMNS = ["indicator", "category", "name_zh", "unit", "target_text", "achieved_text", "target",
           "achieved", "comparator", "kind", "met", "named_missed_in_plan", "agrees_with_plan", "note",
           "source"]

_DECIMALS = re.compile(r"\d+(?:\.(\d+))?")


def written_decimals(text: str) -> int:
    """Decimals of the first number written in a cell ("87.14" → 2, "3(在建2个)" → 0)."""
    m = _DECIMALS.search(str(text))
    return len(m.group(1)) if m and m.group(1) else 0


def review_decimals(df: pd.DataFrame) -> np.ndarray:
    """The precision each row is judged at: the finer of the target and the achieved figure as written."""
    written = lambda col: [written_decimals(t) for t in df[col].astype(str)] if col in df else 0  # noqa: E731
    return keep_decimals(written("target_text"), written("achieved_text"))


def review(data_or_review) -> pd.DataFrame:
    """The 表1 table with ``met`` (boolean, <NA> when a number is missing)."""
    df = data_or_review.review if isinstance(data_or_review, Dataset) else data_or_review
    if df is None or len(df) == 0:
        raise QAnalysisError("the dataset has no review table (表1): is review.csv in the plan folder?")
    missing = [c for c in ("id", "target", "achieved", "comparator") if c not in df.columns]
    if missing:
        raise QAnalysisError(f"review table lacks column(s) {', '.join(missing)}")
    target = pd.to_numeric(df["target"], errors="coerce").to_numpy(dtype=float, na_value=np.nan)
    achieved = pd.to_numeric(df["achieved"], errors="coerce").to_numpy(dtype=float, na_value=np.nan)
    comparator = df["comparator"].astype(str).to_numpy(dtype=object)
    met = pd.array(meets_target(achieved, target, comparator, review_decimals(df)), dtype="boolean")
    known = np.isfinite(target) & np.isfinite(achieved) & np.isin(comparator, (">=", "<=", "=="))
    met[~known] = pd.NA
    out = df.rename(columns={"id": "indicator"}).copy()
    out["met"] = met
    named = out["named_missed_in_plan"].astype("boolean") if "named_missed_in_plan" in out else pd.NA
    out["named_missed_in_plan"] = named
    out["agrees_with_plan"] = (out["met"] == ~out["named_missed_in_plan"]).astype("boolean")
    for c in COLUMNS:
        if c not in out.columns:
            out[c] = ""
    return out[COLUMNS].reset_index(drop=True)
