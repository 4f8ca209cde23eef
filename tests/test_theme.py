"""One theme: slide-sized type, Okabe–Ito colours, status colours from status.py."""
from __future__ import annotations

import matplotlib
import pytest
from matplotlib.colors import to_rgb

from qanalysis.analysis import status
from qanalysis.charts import theme

# Okabe & Ito (2008), Color Universal Design, as published.
OKABE_ITO = {"#000000", "#E69F00", "#56B4E9", "#009E73", "#F0E442", "#0072B2", "#D55E00", "#CC79A7"}


def _luminance(c):
    def lin(v):
        return v / 12.92 if v <= 0.03928 else ((v + 0.055) / 1.055) ** 2.4

    r, g, b = to_rgb(c)
    return 0.2126 * lin(r) + 0.7152 * lin(g) + 0.0722 * lin(b)


def _contrast(a, b):
    la, lb = sorted((_luminance(a), _luminance(b)), reverse=True)
    return (la + 0.05) / (lb + 0.05)


def test_palette_is_okabe_ito():
    assert {c.upper() for c in theme.PALETTE} == OKABE_ITO
    for role in (theme.FORECAST, theme.REQUIRED, theme.TARGET_ZONE, theme.STAMP, theme.TARGET):
        assert role.upper() in OKABE_ITO


def test_apply_sets_readable_slide_type_and_cjk_font():
    from qanalysis.charts import fonts

    theme.apply()
    rc = matplotlib.rcParams
    assert rc["font.size"] >= 14 and rc["axes.titlesize"] >= 20 and rc["xtick.labelsize"] >= 12
    assert rc["font.sans-serif"][0] == fonts.cjk_font()
    assert rc["svg.fonttype"] == "path"
    before = dict(rc)
    theme.apply()
    assert dict(rc) == before


def test_apply_restores_theme_after_someone_changes_rc():
    theme.apply()
    matplotlib.rcParams["font.size"] = 7
    theme.apply()
    assert matplotlib.rcParams["font.size"] == theme.SIZE_BASE


@pytest.mark.parametrize("code", list(status.STATUSES))
def test_badge_text_readable_on_every_status_colour(code):
    bg = status.colour(code)
    fg = theme.text_colour_on(bg)
    other = "white" if fg != "white" else theme.INK
    assert _contrast(bg, fg) >= _contrast(bg, other)
    assert _contrast(bg, fg) >= 3.0  # WCAG large-text minimum; badges are bold/large


def test_status_colours_come_from_status_module():
    assert theme.status_colour is status.colour


def test_slide_and_a4_sizes():
    w, h = theme.SLIDE
    assert w / h == pytest.approx(16 / 9, rel=1e-3)
    assert theme.A4_PORTRAIT == pytest.approx((8.27, 11.69)) and theme.A4_LANDSCAPE == theme.A4_PORTRAIT[::-1]
