"""Briefing deliverables: the Word report (监测报告), the PowerPoint deck and a deck of chosen charts.

- :mod:`.text` — the prose, written from the verdicts (总体情况, one sentence an indicator).
- :mod:`.charts` — :class:`ChartProvider`: each chart drawn once, at the size the page or
  slide shows it, kept as PNG bytes for every document of the report.
- :mod:`.docx_report` — :func:`write_docx` (A4, python-docx); :mod:`.docx_style` its fonts and tables.
- :mod:`.pptx_deck` — :func:`write_pptx` (16:9, python-pptx).
- :mod:`.deck` — :func:`write_deck` and ``qanalysis deck``.
- :mod:`.html_report` — the county report notebook's page, section by section (HTML fragments);
  :mod:`.table` — the indicator table's values and marks, for the Word and the HTML table.

Submodules are imported when used: python-docx and python-pptx cost time to import.
"""
from __future__ import annotations

__all__ = ["ChartProvider", "write_docx", "write_pptx", "write_deck"]


def __getattr__(name):
    # python-docx / python-pptx / matplotlib load only when a document is asked for
    if name == "ChartProvider":
        from .charts import ChartProvider  # on first use: see the note above

        return ChartProvider
    if name == "write_docx":
        from .docx_report import write_docx  # on first use: see the note above

        return write_docx
    if name == "write_pptx":
        from .pptx_deck import write_pptx  # on first use: see the note above

        return write_pptx
    if name == "write_deck":
        from .deck import write_deck  # on first use: see the note above

        return write_deck
    raise AttributeError(f"module 'qanalysis.briefing' has no attribute {name!r}")
