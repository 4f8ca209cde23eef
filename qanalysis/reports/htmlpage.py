"""The report's HTML page around nbconvert's cells: no script, no CDN, its own style.

nbconvert's ``lab`` and ``classic`` templates load require.js and MathJax from a
CDN (two console errors offline, and a request a reader did not ask for). The
worker exports with the ``basic`` template — the cells' HTML only, no ``<head>``
— and :func:`page` wraps it: a plain document with the style below and the
embedded CJK font subset (:func:`qanalysis.charts.fonts.embed_html_font`).
Nothing on the page points to a network address; the tests scan for it and
open the page in a browser that records every request.
"""
from __future__ import annotations

from html import escape

STYLE = """
:root { --ink:#1f2328; --muted:#5b6470; --rule:#d0d7de; --warn:#b42318; }
html { background:#f6f7f9; }
body { margin:0; color:var(--ink); font-size:16px; line-height:1.8; }
main.qa-report { max-width:1040px; margin:24px auto; padding:32px 48px 48px; background:#fff;
  box-shadow:0 1px 4px rgba(0,0,0,.08); }
.jp-Cell, .jp-OutputArea, .jp-OutputArea-child, .jp-OutputArea-output { margin:0; padding:0; }
.jp-InputPrompt, .jp-OutputPrompt, .jp-Collapser, a.anchor-link { display:none; }
.qa-title { text-align:center; margin-bottom:24px; }
.qa-plan { margin:0; font-size:18px; color:var(--muted); }
h1 { font-size:30px; line-height:1.4; margin:4px 0 6px; }
h2 { font-size:23px; margin:36px 0 12px; padding-bottom:4px; border-bottom:2px solid var(--ink); }
h3 { font-size:17px; margin:28px 0 6px; }
p { margin:6px 0; text-align:justify; }
.qa-meta { color:var(--muted); margin:0; text-align:center; }
.qa-warning { text-align:left; color:var(--warn); border:1px solid var(--warn); background:#fff5f4;
  padding:8px 12px; border-radius:4px; font-size:14px; line-height:1.7; margin-top:14px; }
.qa-chips { text-align:left; }
.qa-chip { display:inline-block; margin:2px 10px 2px 0; padding:0 8px; border-left:6px solid;
  background:#f3f4f6; font-size:14px; }
.qa-table-title { text-align:center; font-weight:bold; margin-top:14px; }
.qa-table-wrap { overflow-x:auto; }
table.qa-table { border-collapse:collapse; margin:6px auto; font-size:13px; line-height:1.45; }
.qa-table th, .qa-table td { border:1px solid #9aa4ae; padding:3px 6px; text-align:center;
  vertical-align:middle; }
.qa-table th { background:#eef1f4; font-weight:bold; white-space:nowrap; }
.qa-table td.qa-name, .qa-versus td:nth-child(2) { text-align:left; min-width:11em; }
.qa-table tr.qa-cat td { text-align:left; font-weight:bold; background:#f6f7f9; }
.qa-table td.qa-status { white-space:nowrap; font-weight:bold; }
.qa-band { color:var(--muted); font-size:12px; white-space:nowrap; }
.qa-mark { color:var(--warn); font-weight:bold; margin-left:1px; }
.qa-dot { display:inline-block; width:.7em; height:.7em; border-radius:50%; margin-right:4px; }
.qa-note { font-size:13px; color:var(--muted); line-height:1.6; }
.qa-figure { margin:10px auto 18px; text-align:center; }
.qa-figure img { display:block; margin:0 auto; border:1px solid #eceef1; }
figcaption { font-size:13px; color:var(--muted); text-align:center; margin-top:4px; }
.qa-ill { color:var(--warn); }
@media (max-width:760px) { main.qa-report { padding:16px; } }
@media print { html { background:#fff; } main.qa-report { box-shadow:none; margin:0; padding:0; }
  .qa-attention, .qa-figure { break-inside:avoid; } }
"""


def page(body: str, title: str, lang: str = "zh") -> str:
    """A whole HTML document around the cells ``body`` (nbconvert's basic template output)."""
    from ..charts.fonts import embed_html_font  # matplotlib: only once a report is exported

    html = (f'<!DOCTYPE html>\n<html lang="{"zh-CN" if lang == "zh" else "en"}">\n<head>\n'
            '<meta charset="utf-8">\n<meta name="viewport" content="width=device-width, initial-scale=1">\n'
            f"<title>{escape(title)}</title>\n<style>{STYLE}</style>\n</head>\n"
            f'<body>\n<main class="qa-report">\n{body}\n</main>\n</body>\n</html>\n')
    # Chinese text must not turn into boxes on a machine without a CJK font
    return embed_html_font(html)
