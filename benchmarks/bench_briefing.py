"""Time one region's Word report and deck: charts, docx, pptx; shared charts vs each document its own.

Run: PYTHONPATH=. .venv/bin/python benchmarks/bench_briefing.py [REGION ...]
(default: 330326, a county, and 330300, the city). Prints, per region, the
seconds spent drawing charts and assembling each document, file sizes, and the
same two documents built the plain way (each with its own charts) in the same run.
"""
import sys
import tempfile
import time
import warnings
from pathlib import Path

warnings.simplefilter("ignore")

import qanalysis  # noqa: E402
from qanalysis.analysis.assess import assess  # noqa: E402
from qanalysis.briefing.charts import ChartProvider  # noqa: E402
from qanalysis.briefing.docx_report import write_docx  # noqa: E402
from qanalysis.briefing.pptx_deck import write_pptx  # noqa: E402

regions = sys.argv[1:] or ["330326", "330300"]
a = assess(qanalysis.load())
out = Path(tempfile.mkdtemp())
warm = ChartProvider(a)
warm.trajectory(regions[0], "pm25_concentration")  # font load, theme: once per process
write_docx(a, regions[0], out / "warm.docx", warm)  # imports python-docx/pptx once
write_pptx(a, "330302", out / "warm.pptx", ChartProvider(a, dpi=20))

print(f"{'region':8} {'charts':>7} {'n':>4} {'docx':>6} {'pptx':>6} {'shared':>7} {'plain':>7} {'ratio':>6}  sizes")
for region in regions:
    cp = ChartProvider(a)
    t0 = time.perf_counter()
    write_docx(a, region, out / f"{region}.docx", cp)
    t1 = time.perf_counter()
    docx_charts = cp.seconds
    write_pptx(a, region, out / f"{region}.pptx", cp)
    t2 = time.perf_counter()
    shared = t2 - t0
    charts = cp.seconds
    docx_only = (t1 - t0) - docx_charts
    pptx_only = (t2 - t1) - (charts - docx_charts)
    # the plain way: each document draws its own charts
    t3 = time.perf_counter()
    write_docx(a, region, out / f"{region}_p.docx", ChartProvider(a))
    write_pptx(a, region, out / f"{region}_p.pptx", ChartProvider(a))
    plain = time.perf_counter() - t3
    sizes = f"docx {(out / f'{region}.docx').stat().st_size / 1e6:.1f} MB, pptx {(out / f'{region}.pptx').stat().st_size / 1e6:.1f} MB"
    print(f"{region:8} {charts:7.1f} {sum(cp.drawn.values()):4d} {docx_only:6.1f} {pptx_only:6.1f} "
          f"{shared:7.1f} {plain:7.1f} {plain / shared:5.2f}×  {sizes}")
    print(f"         charts by kind: {dict(cp.drawn)}")
print("charts: seconds drawing+rendering PNG (n charts); docx/pptx: assembling and saving, charts excluded;")
print("shared: both documents with one ChartProvider; plain: each document with its own; ratio = plain/shared")
