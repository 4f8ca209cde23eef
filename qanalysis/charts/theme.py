"""One look for every chart: slide-sized type, Okabe–Ito colours, Chinese font.

Status colours are never defined here: they come from :mod:`qanalysis.status`.
The roles below (observed, forecast, target, …) use Okabe–Ito colours that a
reader with a common colour-vision deficiency can still tell apart.
"""
from __future__ import annotations

import matplotlib

from . import fonts
from ..analysis.status import colour as status_colour  # noqa: F401  (re-exported for chart code)

# Okabe & Ito (2008), "Color Universal Design".
OKABE_ITO: dict[str, str] = {
    "black": "#000000",
    "orange": "#E69F00",
    "sky_blue": "#56B4E9",
    "bluish_green": "#009E73",
    "yellow": "#F0E442",
    "blue": "#0072B2",
    "vermillion": "#D55E00",
    "reddish_purple": "#CC79A7",
}
PALETTE: list[str] = list(OKABE_ITO.values())

# What each mark in a chart is drawn with.
INK = "#222222"          # text, observed values
MUTED = "#666666"        # secondary text, notes
GRID = "#DDDDDD"
OBSERVED = INK
FORECAST = OKABE_ITO["blue"]
BAND80 = "#9CC7E4"       # lighter tints of the forecast blue, opaque so overlaps stay legible
BAND95 = "#D3E6F3"
REQUIRED = OKABE_ITO["reddish_purple"]
TARGET = OKABE_ITO["black"]
TARGET_ZONE = OKABE_ITO["bluish_green"]
STAMP = OKABE_ITO["vermillion"]

# Figure sizes in inches.
SLIDE = (13.333, 7.5)            # 16:9 slide
A4_PORTRAIT = (8.27, 11.69)
A4_LANDSCAPE = (11.69, 8.27)
DPI_PNG = 300

# Type sizes in points, for a 13.33-inch-wide slide read from the back of a room.
SIZE_BASE = 15
SIZE_TITLE = 22
SIZE_SUBTITLE = 15
SIZE_TICK = 13
SIZE_LEGEND = 13
SIZE_NOTE = 11
SIZE_SMALL = 10

RC: dict[str, object] = {
    "text.parse_math": False,  # user text ($x$ in a source or file name) is never parsed as mathtext
    "font.size": SIZE_BASE,
    "axes.titlesize": SIZE_TITLE,
    "axes.titleweight": "normal",  # set to strong() in apply()
    "axes.titlelocation": "left",
    "axes.titlepad": 10,
    "axes.labelsize": SIZE_BASE,
    "axes.labelcolor": INK,
    "axes.edgecolor": "#888888",
    "axes.linewidth": 0.8,
    "axes.spines.top": False,
    "axes.spines.right": False,
    "axes.grid": True,
    "axes.grid.axis": "y",
    "axes.axisbelow": True,
    "axes.prop_cycle": matplotlib.cycler(color=PALETTE[1:] + PALETTE[:1]),
    "grid.color": GRID,
    "grid.linewidth": 0.8,
    "xtick.labelsize": SIZE_TICK,
    "ytick.labelsize": SIZE_TICK,
    "xtick.color": INK,
    "ytick.color": INK,
    "legend.fontsize": SIZE_LEGEND,
    "legend.frameon": False,
    "legend.handlelength": 1.8,
    "lines.linewidth": 2.2,
    "lines.markersize": 8,
    "figure.facecolor": "white",
    "savefig.facecolor": "white",
    "figure.titlesize": SIZE_TITLE,
    "figure.titleweight": "normal",
    "svg.fonttype": "path",
}

_applied = False


def apply() -> None:
    """Set the theme and the CJK font on matplotlib's defaults; idempotent, cheap."""
    global _applied
    fonts.use_cjk()
    if _applied and all(matplotlib.rcParams[k] == v for k, v in (("font.size", SIZE_BASE),
                                                                   ("axes.titlesize", SIZE_TITLE))):
        return
    matplotlib.rcParams.update(RC)
    matplotlib.rcParams["axes.titleweight"] = strong()
    matplotlib.rcParams["figure.titleweight"] = strong()
    _applied = True


def strong() -> str:
    """The weight for emphasis: bold when the CJK font has a bold face, else normal."""
    return "bold" if fonts.has_bold() else "normal"


def text_colour_on(background: str) -> str:
    """Black or white, whichever reads better on ``background`` (WCAG luminance)."""
    r, g, b = matplotlib.colors.to_rgb(background)

    def lin(c: float) -> float:
        return c / 12.92 if c <= 0.03928 else ((c + 0.055) / 1.055) ** 2.4

    lum = 0.2126 * lin(r) + 0.7152 * lin(g) + 0.0722 * lin(b)
    # contrast with white vs with near-black ink
    return "white" if (1.05 / (lum + 0.05)) > ((lum + 0.05) / 0.05) else INK
