"""The explorer and the display helpers the notebooks share.

- :mod:`.widget` — :class:`Explorer`, region × indicator with chart and table (notebook 03,
  ``qanalysis explore``).
- :mod:`.tables` — :func:`table_view`, assessment tables with Chinese headers and numbers as
  the plan writes them (notebooks 01–03).
- :mod:`.page` — the embedded CJK font for a notebook page, charts drawn at a screen size.
- :mod:`.server` — ``qanalysis explore``: the explorer as a local web page (Voilà).
"""
from __future__ import annotations


def __getattr__(name):
    # ipywidgets and pandas only when the explorer is asked for
    if name == "Explorer":
        from .widget import Explorer  # ipywidgets and the charts load only when used

        return Explorer
    raise AttributeError(f"module 'qanalysis.explore' has no attribute {name!r}")


__all__ = ["Explorer"]
