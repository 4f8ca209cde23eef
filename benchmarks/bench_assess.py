"""Benchmark: the assessment on a country-sized synthetic panel, against statsmodels.

3,000 regions × 40 indicators × 10 years (2016–2025 grid, data 2016–2024, ~15%
of the years missing): wall time of the vectorized core (fit + 80%/95% intervals
+ P(attain) + progress ratio + status for every series at once); the whole
``assess()`` on the same panel as a Dataset (the core plus the pandas table and
the reason texts), best of ``--repeat`` runs; the peak memory of each
(tracemalloc, separate runs); and the plain alternative a user would write —
per series one statsmodels OLS fit, one ``get_prediction``, one
``summary_frame`` (the 95% interval) and a scipy t probability — on a
subsample, extrapolated. The ratios compare the same run. Prints a markdown table.

    .venv/bin/python benchmarks/bench_assess.py [--regions 3000] [--sample 300]

All numbers are synthetic: the panel is random, not data.
"""
from __future__ import annotations

import argparse
import platform
import sys
import time
import tracemalloc
from pathlib import Path

import numpy as np
import pandas as pd

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from qanalysis.analysis import forecast as fc  # noqa: E402
from qanalysis.analysis import trend  # noqa: E402
from qanalysis.analysis.assess import assess, status_rule  # noqa: E402
from qanalysis.dataset import (CATALOGUE_COLUMNS, OBSERVATION_COLUMNS, REGION_COLUMNS, TARGET_COLUMNS,  # noqa: E402
                               Dataset, PlanInfo, typed)

YEARS = np.arange(2016, 2026)
TARGET_YEAR = 2025


def make_panel(S: int, seed: int = 1):
    rng = np.random.default_rng(seed)
    level = rng.uniform(20, 90, (S, 1))
    slope = rng.normal(0.5, 1.0, (S, 1))
    Y = level + slope * (YEARS - 2016) + rng.normal(0, 1.5, (S, len(YEARS)))
    Y[:, -1] = np.nan                       # the target year is not observed yet
    miss = rng.random(Y.shape) < 0.15
    miss[:, :2] = False
    Y[miss] = np.nan
    target = level[:, 0] + rng.uniform(0, 8, S)
    comparator = rng.choice(np.array([">=", "<=", "=="], dtype=object), S, p=[0.7, 0.2, 0.1])
    return Y, target, comparator


def core(Y, target, comparator):
    """Everything assess() computes per series, as arrays: the part that scales."""
    S = Y.shape[0]
    lower, upper = np.zeros(S), np.full(S, 100.0)
    M = np.broadcast_to(YEARS == TARGET_YEAR, Y.shape)
    f = fc.fit(YEARS, Y)
    pred = fc.predict_sum(f, YEARS, M)
    point = fc.bounded(pred.point, lower, upper)
    bands = [tuple(fc.bounded(b, lower, upper) for b in pred.interval(lv)) for lv in fc.LEVELS]
    tol = np.full(S, 0.5)
    p = fc.p_attain(pred, target, comparator, tol, lower, upper)
    obs = np.isfinite(Y)
    last = Y.shape[1] - 1 - np.argmax(obs[:, ::-1], axis=1)
    latest = Y[np.arange(S), last]
    latest_year = YEARS[last].astype(float)
    base = np.where(obs[:, 4], Y[:, 4], Y[:, 0])
    achieved = fc.meets(latest, target, comparator, tol)
    tr = trend.progress(kind=np.full(S, "level", dtype=object), comparator=comparator,
                        direction=np.ones(S), lower=lower, upper=upper, target=target,
                        target_year=np.full(S, 2025.0), base_year=np.full(S, 2020.0), base=base,
                        first_year=np.full(S, 2021.0), latest_year=latest_year, latest=latest,
                        cumulative=np.full(S, np.nan), achieved=achieved)
    status = status_rule(has_target=np.ones(S, bool), target_year_observed=np.zeros(S, bool),
                         met_observed=np.zeros(S, bool), n_points=obs.sum(axis=1),
                         kind=np.full(S, "level", dtype=object), achieved_now=achieved,
                         has_interval=f.has_interval, p_attain=p, category=tr["progress_category"])
    return point, bands, p, status


def statsmodels_loop(Y, target, comparator, idx):
    import statsmodels.api as sm
    from scipy import stats

    out = []
    for s in idx:
        ok = np.isfinite(Y[s])
        x = YEARS[ok] - 2000.0
        res = sm.OLS(Y[s, ok], sm.add_constant(x)).fit()
        frame = res.get_prediction(np.array([[1.0, TARGET_YEAR - 2000.0]])).summary_frame(alpha=0.05)
        mean, se = frame["mean"].iloc[0], np.sqrt(frame["mean_se"].iloc[0] ** 2 + res.scale)
        z = (target[s] - mean) / se
        p = stats.t.sf(z, res.df_resid) if comparator[s] == ">=" else stats.t.cdf(z, res.df_resid)
        out.append((frame["obs_ci_lower"].iloc[0], frame["obs_ci_upper"].iloc[0], p))
    return out


def as_dataset(Y, target, comparator, n_regions, n_ind) -> Dataset:
    regions = typed(pd.DataFrame({"code": [f"{100000 + i}" for i in range(n_regions)],
                                  "name_zh": [f"区{i}" for i in range(n_regions)], "name_en": "r",
                                  "level": "county", "parent": "100000", "weight": 1.0}), REGION_COLUMNS)
    ids = [f"ind{j:02d}" for j in range(n_ind)]
    cat = typed(pd.DataFrame({"id": ids, "name_zh": ids, "name_en": ids, "category": "c", "category_en": "c",
                              "unit": "%", "kind": "level", "comparator": ">=", "direction": 1,
                              "lower_bound": 0.0, "upper_bound": 100.0, "decimals": 1,
                              "baseline_year": 2020, "baseline": 50.0, "target_year": 2025,
                              "target": 60.0}), CATALOGUE_COLUMNS)
    reg = np.repeat(regions["code"].to_numpy(), n_ind)
    ind = np.tile(np.array(ids), n_regions)
    tg = typed(pd.DataFrame({"region": reg, "indicator": ind, "baseline_year": 2020, "baseline": np.nan,
                             "target_year": 2025, "target": target, "comparator": comparator,
                             "target_basis": "override"}), TARGET_COLUMNS)
    s_idx, y_idx = np.nonzero(np.isfinite(Y))
    obs = typed(pd.DataFrame({"region": reg[s_idx], "indicator": ind[s_idx], "year": YEARS[y_idx],
                              "value": Y[s_idx, y_idx], "status": "illustrative", "source": "bench"}),
                OBSERVATION_COLUMNS)
    plan = PlanInfo("bench", "基准", "bench", "100000", 2020, 2021, 2025, 2016)
    return Dataset(plan=plan, catalogue=cat, regions=regions, targets=tg, observations=obs)


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--regions", type=int, default=3000)
    ap.add_argument("--indicators", type=int, default=40)
    ap.add_argument("--sample", type=int, default=300)
    ap.add_argument("--repeat", type=int, default=5)
    args = ap.parse_args()
    S = args.regions * args.indicators
    Y, target, comparator = make_panel(S)

    core(Y[:100], target[:100], comparator[:100])  # warm up imports
    times = []
    for _ in range(args.repeat):
        t0 = time.perf_counter()
        core(Y, target, comparator)
        times.append(time.perf_counter() - t0)
    t_core = min(times)

    tracemalloc.start()
    core(Y, target, comparator)
    _, peak = tracemalloc.get_traced_memory()
    tracemalloc.stop()

    data = as_dataset(Y, target, comparator, args.regions, args.indicators)
    times = []
    for _ in range(args.repeat):
        t0 = time.perf_counter()
        a = assess(data)
        times.append(time.perf_counter() - t0)
    t_assess = min(times)
    assert len(a.table) == S
    del a
    tracemalloc.start()
    assess(data)
    _, peak_assess = tracemalloc.get_traced_memory()
    tracemalloc.stop()

    rng = np.random.default_rng(0)
    idx = rng.choice(S, args.sample, replace=False)
    statsmodels_loop(Y, target, comparator, idx[:10])  # warm up
    t0 = time.perf_counter()
    ref = statsmodels_loop(Y, target, comparator, idx)
    t_sm = time.perf_counter() - t0
    t_sm_all = t_sm / args.sample * S

    # the two agree on the subsample
    _, bands, p, _ = core(Y[idx], target[idx], comparator[idx])
    ge = np.isin(comparator[idx], (">=", "<="))
    dev = max(np.nanmax(np.abs(bands[1][0] - np.array([r[0] for r in ref]).clip(0, 100))),
              np.nanmax(np.abs(bands[1][1] - np.array([r[1] for r in ref]).clip(0, 100))),
              np.nanmax(np.abs(p[ge] - np.array([r[2] for r in ref])[ge])))

    print(f"machine: {platform.processor() or platform.machine()}, Python {platform.python_version()}, "
          f"numpy {np.__version__}")
    print(f"panel: {args.regions:,} regions × {args.indicators} indicators × {len(YEARS)} years "
          f"= {S:,} series, {int(np.isfinite(Y).sum()):,} points (synthetic)\n")
    print("| what | time | note |")
    print("| --- | ---: | --- |")
    print(f"| vectorized core (fit, 80/95% PI, P(attain), progress, status) | {t_core:.3f} s | "
          f"best of {args.repeat}; peak memory {peak / 2**20:.0f} MiB (tracemalloc) |")
    print(f"| `assess()` whole table incl. pandas and reason texts | {t_assess:.2f} s | "
          f"best of {args.repeat}; peak memory {peak_assess / 2**20:.0f} MiB (tracemalloc) |")
    print(f"| statsmodels + scipy per series, {args.sample} series | {t_sm:.2f} s | "
          f"{t_sm / args.sample * 1e3:.2f} ms a series (fit, get_prediction, summary_frame, t) |")
    print(f"| statsmodels + scipy, extrapolated to {S:,} series | {t_sm_all:.0f} s | |")
    print(f"| speed-up of the core over the loop | {t_sm_all / t_core:,.0f}× | max abs diff "
          f"{dev:.1e} on the subsample |")
    print(f"| speed-up of the whole `assess()` over the loop | {t_sm_all / t_assess:,.0f}× | same run |")
    try:
        import os
        print(f"\nload average during the run: {os.getloadavg()[0]:.1f} on {os.cpu_count()} cores")
    except (AttributeError, OSError):
        pass


if __name__ == "__main__":
    main()
