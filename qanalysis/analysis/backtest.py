"""Rolling-origin evaluation of the trend forecasts.

For every series and every origin year t with at least ``min_train`` points up
to t that vary, fit on the years ≤ t and predict each observed year t+1 … t+h_max. The
loop runs over origins and horizons (a handful), never over series: each step
is one vectorized fit of the whole panel. Reported per model (and horizon):
mean absolute error, the empirical coverage of the 80% and 95% prediction
intervals, and how many forecasts that rests on. ``qanalysis backtest``
runs it on the published series (data/raw/observations/published.csv) and on
the illustrative panel of the default dataset.
"""
from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd

from . import forecast as fc
from ..data.published import published_paths
from ..data.published import read_published as read_one
from ..errors import QAnalysisError

FORECAST_COLUMNS = ["model", "region", "indicator", "origin", "year", "horizon", "n_train", "actual",
                    "forecast", "pi80_low", "pi80_high", "pi95_low", "pi95_high"]


def _panel(obs: pd.DataFrame):
    need = ["region", "indicator", "year", "value"]
    missing = [c for c in need if c not in obs.columns]
    if missing:
        raise QAnalysisError(f"backtest input lacks column(s) {', '.join(missing)}")
    df = obs[need].dropna(subset=["value"]).copy()
    df["region"] = df["region"].astype(str)
    df["indicator"] = df["indicator"].astype(str)
    df["year"] = df["year"].astype(int)
    dup = df.duplicated(["region", "indicator", "year"], keep=False)
    if dup.any():
        r = df[dup].iloc[0]
        raise QAnalysisError(f"({r['region']}, {r['indicator']}, {r['year']}) appears more than once")
    wide = df.pivot(index=["region", "indicator"], columns="year", values="value")
    years = np.arange(wide.columns.min(), wide.columns.max() + 1) if len(wide.columns) else np.array([], int)
    wide = wide.reindex(columns=years)
    return wide.index, years, wide.to_numpy(dtype=float)


def rolling_origin(obs: pd.DataFrame, model: str = "linear", max_horizon: int = 5, min_train: int = 3,
                   bounds: pd.DataFrame | None = None) -> pd.DataFrame:
    """One row per (series, origin, target year): the forecast and its intervals vs the actual.

    ``bounds``: optional frame indicator → lower_bound, upper_bound (the catalogue) to keep
    forecasts inside them, as the assessment does.
    """
    keys, years, Y = _panel(obs)
    if len(keys) == 0:
        return pd.DataFrame(columns=FORECAST_COLUMNS)
    S, T = Y.shape
    ind = keys.get_level_values(1)
    lo_b, hi_b = np.full(S, np.nan), np.full(S, np.nan)
    if bounds is not None and len(bounds):
        b = bounds.set_index("indicator") if "indicator" in bounds.columns else bounds.set_index("id")
        lo_b = pd.to_numeric(b["lower_bound"].reindex(ind), errors="coerce").to_numpy(dtype=float)
        hi_b = pd.to_numeric(b["upper_bound"].reindex(ind), errors="coerce").to_numpy(dtype=float)
    obs_mask = np.isfinite(Y)
    parts = []
    for k in range(T - 1):
        Ytr = np.where(np.arange(T)[None, :] <= k, Y, np.nan)
        n_train = np.isfinite(Ytr).sum(axis=1)
        fit_ = fc.fit(years, Ytr, model)
        for h in range(1, max_horizon + 1):
            j = k + h
            if j >= T:
                break
            # a line through values without variation (100, 100, 100) has a zero-width interval:
            # nothing to test coverage on (the assessment's 数据无波动 rule), and rounding would
            # count its exact hits as misses
            rows = np.flatnonzero(obs_mask[:, j] & obs_mask[:, k] & (n_train >= min_train)
                                  & fit_.has_interval & (fit_.s2 > 0))
            if len(rows) == 0:
                continue
            M = np.zeros((len(rows), T), dtype=bool)
            M[:, j] = True
            pred = fc.predict_sum(fit_.take(rows), years, M)
            lo, hi = lo_b[rows], hi_b[rows]
            l80, h80 = pred.interval(0.80)
            l95, h95 = pred.interval(0.95)
            parts.append(pd.DataFrame({
                "model": model, "region": keys.get_level_values(0)[rows], "indicator": ind[rows],
                "origin": years[k], "year": years[j], "horizon": h, "n_train": n_train[rows],
                "actual": Y[rows, j], "forecast": fc.bounded(pred.point, lo, hi),
                "pi80_low": fc.bounded(l80, lo, hi), "pi80_high": fc.bounded(h80, lo, hi),
                "pi95_low": fc.bounded(l95, lo, hi), "pi95_high": fc.bounded(h95, lo, hi),
            }))
    if not parts:
        return pd.DataFrame(columns=FORECAST_COLUMNS)
    return pd.concat(parts, ignore_index=True)[FORECAST_COLUMNS]


def summarize(forecasts: pd.DataFrame, by=("model",)) -> pd.DataFrame:
    """MAE, coverage of the 80%/95% intervals and median 95% width, per group."""
    by = list(by)
    cols = by + ["n_series", "n_forecasts", "mae", "coverage80", "coverage95", "median_width95"]
    if len(forecasts) == 0:
        return pd.DataFrame(columns=cols)
    f = forecasts.assign(
        abs_err=(forecasts["forecast"] - forecasts["actual"]).abs(),
        in80=(forecasts["actual"] >= forecasts["pi80_low"]) & (forecasts["actual"] <= forecasts["pi80_high"]),
        in95=(forecasts["actual"] >= forecasts["pi95_low"]) & (forecasts["actual"] <= forecasts["pi95_high"]),
        width95=forecasts["pi95_high"] - forecasts["pi95_low"],
        series=forecasts["region"].astype(str) + "/" + forecasts["indicator"].astype(str),
    )
    g = f.groupby(by, sort=True)
    out = pd.DataFrame({
        "n_series": g["series"].nunique(), "n_forecasts": g.size(), "mae": g["abs_err"].mean(),
        "coverage80": g["in80"].mean(), "coverage95": g["in95"].mean(), "median_width95": g["width95"].median(),
    }).reset_index()
    return out[cols]


def read_published(path: Path | None = None) -> pd.DataFrame:
    """The published yearly values of every year, earlier ones too: long series test forecasts best.

    Default: the files the plan names in plan.toml (``published = [...]``).
    """
    paths = [Path(path)] if path else published_paths()
    if not paths:
        raise QAnalysisError("the plan names no published-value file (plan.toml: published = [...])")
    return pd.concat([read_one(p, all_years=True) for p in paths], ignore_index=True)


def evaluate(datasets: dict[str, pd.DataFrame], models=fc.MODELS, max_horizon: int = 5,
             bounds: pd.DataFrame | None = None) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Forecast rows and the summary per (dataset, model) and per (dataset, model, horizon)."""
    rows = []
    for name, obs in datasets.items():
        for m in models:
            rows.append(rolling_origin(obs, m, max_horizon, bounds=bounds).assign(dataset=name))
    fcs = pd.concat(rows, ignore_index=True) if rows else pd.DataFrame(columns=FORECAST_COLUMNS + ["dataset"])
    overall = summarize(fcs, by=("dataset", "model")).assign(horizon="all")
    per_h = summarize(fcs, by=("dataset", "model", "horizon"))
    per_h["horizon"] = per_h["horizon"].astype(str)
    summary = pd.concat([overall, per_h], ignore_index=True)
    summary = summary[["dataset", "model", "horizon", "n_series", "n_forecasts", "mae", "coverage80",
                       "coverage95", "median_width95"]]
    return fcs, summary
