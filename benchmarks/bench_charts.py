"""Time per chart (build, PNG at 300 dpi, SVG) and a region's full set. Run: .venv/bin/python benchmarks/bench_charts.py"""
import time, warnings, tempfile, statistics as st
warnings.simplefilter("ignore")
import qanalysis
from qanalysis.analysis.assess import assess
from qanalysis.charts import plots
d = qanalysis.load(); a = assess(d)
region = "330302"
inds = plots.quantified_indicators(a, region)[:12]
plots.trajectory(a, region, inds[0])  # warm up: font load, theme
b, p, s = [], [], []
out = tempfile.mkdtemp()
for ind in inds:
    t0 = time.perf_counter(); fig = plots.trajectory(a, region, ind); t1 = time.perf_counter()
    plots.save(fig, out, f"x_{ind}", formats=("png",)); t2 = time.perf_counter()
    fig = plots.trajectory(a, region, ind); t3 = time.perf_counter()
    plots.save(fig, out, f"x_{ind}", formats=("svg",)); t4 = time.perf_counter()
    b.append(t1 - t0); p.append(t2 - t1); s.append(t4 - t3)
print(f"trajectory n={len(inds)}: build {st.median(b):.3f}s, png@300dpi {st.median(p):.3f}s, svg {st.median(s):.3f}s (medians)")
t0 = time.perf_counter(); paths = plots.write_region_charts(a, region, out); t1 = time.perf_counter()
print(f"write_region_charts({region}): {len(paths)} files in {t1 - t0:.1f}s")
