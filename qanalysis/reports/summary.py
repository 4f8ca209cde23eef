"""``summary.xlsx``: every region's assessment in one workbook, written in a warm kernel."""
from __future__ import annotations

import os
from pathlib import Path

from .notebook import load_assessment


def write_summary(path: str | os.PathLike, data_dir: str | os.PathLike | None = None,
                  lang: str = "zh") -> Path:
    """``summary.xlsx``: every region's assessment (written atomically by ``to_excel``)."""
    _, assessment = load_assessment(data_dir)
    assessment.to_excel(path, lang=lang)
    return Path(path)
