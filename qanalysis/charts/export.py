"""Export: PNG (300 dpi) and SVG, written atomically; figures closed."""
from __future__ import annotations

import io
import re
from pathlib import Path
from typing import Iterable

import numpy as np
from matplotlib.figure import Figure

from .. import atomic
from . import theme
from ..errors import QAnalysisError
from .frame import _reserve
from .frame import frame_state


SIZES = {"slide": theme.SLIDE, "a4": theme.A4_PORTRAIT, "a4-landscape": theme.A4_LANDSCAPE}


# ---------------------------------------------------------------- export

def _png_bytes(fig: Figure, dpi: int) -> bytes:
    """Render with Agg and encode as RGB PNG (no alpha: about a third less to compress)."""
    # matplotlib/PIL pieces only when a chart is drawn (start-up speed)
    from matplotlib.backends.backend_agg import FigureCanvasAgg
    from PIL import Image

    old_canvas, old_dpi = fig.canvas, fig.dpi
    canvas = FigureCanvasAgg(fig)
    try:
        fig.dpi = dpi
        canvas.draw()
        rgba = np.asarray(canvas.buffer_rgba())
        img = Image.fromarray(rgba, "RGBA").convert("RGB")
    finally:
        fig.dpi = old_dpi
        fig.set_canvas(old_canvas)
    out = io.BytesIO()
    img.save(out, format="png", compress_level=6, dpi=(dpi, dpi))
    return out.getvalue()


def _freeze_layout(fig: Figure) -> None:
    """After the first render keep the computed positions: later formats skip the layout pass."""
    try:
        fig.set_layout_engine("none")
    except RuntimeError:  # an engine that cannot be swapped: keep it, it only costs time
        pass


def save(fig: Figure, out_dir, stem: str, size: str | None = None,
         formats: Iterable[str] = ("png", "svg")) -> list[Path]:
    """Write ``fig`` as ``out_dir/stem.png`` (300 dpi) and ``.svg``, atomically; close it.

    ``size``: "slide" (13.33×7.5 in, 16:9), "a4" (the chart's preferred A4
    orientation) or None (the size the chart was drawn at).
    """
    if not re.fullmatch(r"[A-Za-z0-9._-]+", stem):
        raise QAnalysisError(f"chart file name must be ASCII letters, digits, '._-': {stem!r}")
    out_dir = Path(out_dir)
    if size is not None:
        if size == "slide":
            dims = theme.SLIDE
        elif size == "a4":
            st = frame_state(fig)
            dims = theme.A4_LANDSCAPE if st is not None and st.a4 == "landscape" else theme.A4_PORTRAIT
        elif size in SIZES:
            dims = SIZES[size]
        else:
            raise QAnalysisError(f"size must be 'slide' or 'a4', not {size!r}")
        resize(fig, dims)
    formats = [f.lower().lstrip(".") for f in formats]
    bad = [f for f in formats if f not in ("png", "svg", "pdf")]
    if bad:
        close(fig)
        raise QAnalysisError(f"unsupported chart format(s) {bad} (png, svg, pdf)")
    written: list[Path] = []
    try:
        for fmt in formats:
            target = out_dir / f"{stem}.{fmt}"
            if fmt == "png":
                atomic.write_bytes(target, _png_bytes(fig, theme.DPI_PNG))
            elif fmt in ("svg", "pdf"):
                atomic.write_with(target, lambda p, f=fmt: fig.savefig(p, format=f))
            else:
                raise QAnalysisError(f"unsupported chart format {fmt!r} (png, svg, pdf)")
            written.append(target)
            _freeze_layout(fig)
    finally:
        close(fig)
    return written


def resize(fig: Figure, dims: tuple[float, float]) -> None:
    """Give ``fig`` a new size in inches, its data note re-wrapped and margins kept."""
    fig.set_size_inches(*dims)
    st = frame_state(fig)
    if fig.get_layout_engine() is not None and st is not None and st.footer_lines is not None:
        _reserve(fig)


def close(fig: Figure) -> None:
    """Release a figure (pyplot's or not)."""
    # pyplot only when a chart is drawn (start-up speed)
    import matplotlib.pyplot as plt

    plt.close(fig)
    fig.clear()
