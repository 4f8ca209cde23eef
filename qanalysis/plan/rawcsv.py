"""A raw plan CSV read as text cells, header problems collected (shared by catalogue and regions)."""
from __future__ import annotations

from pathlib import Path

import pandas as pd

from ..errors import Problem


def read_raw_csv(path: Path, required: list[str], problems: list[Problem],
                 optional: tuple[str, ...] | None = None) -> pd.DataFrame | None:
    """A raw plan CSV as text cells; header problems go to ``problems``.

    With ``optional`` given, the file may also carry those columns (added as "" when absent) and
    any other column is an error (a misspelt ``target_year`` must not be silently ignored).
    """
    if not path.exists():
        problems.append(Problem(str(path), "file not found", code="missing_file"))
        return None
    try:
        df = pd.read_csv(path, dtype=str, keep_default_na=False, encoding="utf-8-sig")
    except (UnicodeDecodeError, pd.errors.ParserError, pd.errors.EmptyDataError) as exc:
        problems.append(Problem(str(path), f"cannot be read as UTF-8 CSV: {exc}", code="unreadable"))
        return None
    df.columns = [c.strip() for c in df.columns]
    missing = [c for c in required if c not in df.columns]
    for c in missing:
        problems.append(Problem(str(path), f"required column {c!r} is missing", row=1,
                                column=c, code="missing_column"))
    if optional is not None:
        known = set(required) | set(optional)
        for c in df.columns:
            if c not in known:
                problems.append(Problem(str(path), f"unknown column {c!r} (allowed: {', '.join(list(required) + list(optional))})",
                                        row=1, column=c, code="unknown_column"))
                missing.append(c)
        for c in optional:
            if c not in df.columns:
                df[c] = ""
    if missing:
        return None
    return df.apply(lambda s: s.str.strip())
