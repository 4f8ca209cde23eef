"""Rare events: a Poisson rate with its uncertainty instead of a straight line.

Some plan targets count things that happen a few times in five years (1–2
national inspection centres, 2 provincial quality awards). A straight line
through 0, 0, 0, 0 has no residual variance: its interval is [0, 0] and
P(attain) is exactly 0 — a certainty the data cannot carry. For such series
the additions of a year are modelled as Poisson(λ) with λ unknown:

- Jeffreys prior Gamma(½, 0); after ``total`` events in ``exposure`` years the
  posterior is Gamma(total + ½, rate = exposure);
- the additions in the ``horizon`` years still to come are then negative
  binomial: NB(r = total + ½, p = exposure / (exposure + horizon)) (scipy's
  ``nbinom(r, p)``), mean r·horizon/exposure.

With no event in four years and one year left, P(at least one) = 1 − 0.8^½ ≈ 0.11:
unlikely, not impossible. ``tests/test_verdicts.py`` checks it against
``scipy.stats.nbinom``.

Which series — rare events only (:func:`is_rare_count`): ``increment`` (the year's
additions) and ``stock`` (a running total, its additions are the rises) whose values
are whole numbers ≥ 0 — a stock never falling — and

- at most :data:`RARE_RATE` (2) additions a year on average,
- at least half of the yearly additions 0 or 1 (most years see none or one), and
- a dispersion that does not contradict the Poisson law: with three or more yearly
  additions and a positive mean, the dispersion index Σ(x − x̄)²/x̄ is not in the lower
  :data:`UNDERDISPERSION` tail of χ²(n − 1) (a steady +1 a year is a line, not a Poisson).

A steady stock (22, 27, 32, 37: +5 a year) keeps the linear trend, like 19, 25, 31, 37.

:func:`answer` gives the forecast, the 80%/95% intervals and P(attain) of such
rows; the assessment table, ``Assessment.path`` and the regression detail all
take them from it, so the three agree.
"""
from __future__ import annotations

import numpy as np
from scipy import special

from .forecast import LEVELS, bounded

RARE_RATE = 2.0      # mean additions a year up to which a count is a "rare event"
UNDERDISPERSION = 0.05  # lower-tail χ² probability below which the data contradict the Poisson variance
PRIOR_SHAPE = 0.5    # Jeffreys prior for a Poisson rate


def is_rare_count(Y, kind, n_points) -> np.ndarray:
    """Which rows of ``Y`` (S × T, NaN = missing) are rare-event counts (see the module text)."""
    Y = np.asarray(Y, dtype=float)
    kind = np.asarray(kind, dtype=object)
    counts = (kind == "increment") | (kind == "stock")
    if not counts.any():
        return np.zeros(len(Y), dtype=bool)
    out = np.zeros(len(Y), dtype=bool)
    idx = np.flatnonzero(counts & (np.asarray(n_points) >= 1))
    y = Y[idx]
    obs = np.isfinite(y)
    with np.errstate(invalid="ignore"):
        whole = np.where(obs, (y >= 0) & (np.abs(y - np.round(y)) < 1e-9), True).all(axis=1)
    total, exposure = events(Y[idx], kind[idx])
    with np.errstate(invalid="ignore", divide="ignore"):
        rare = whole & np.isfinite(total) & (total >= 0) & (exposure > 0) & (total / exposure <= RARE_RATE)
    x = yearly_additions(Y[idx], kind[idx])
    has = np.isfinite(x)
    k = has.sum(axis=1)
    with np.errstate(invalid="ignore", divide="ignore"):
        small = np.where(has, x <= 1, False).sum(axis=1) >= 0.5 * k
        mean = np.where(has, x, 0.0).sum(axis=1) / k
        dev = np.where(has, (x - mean[:, None]) ** 2, 0.0).sum(axis=1)
        index = dev / mean
    from scipy import stats  # lazy: scipy.stats takes ~0.3 s to import; only count rows need it

    with np.errstate(invalid="ignore"):
        tail = stats.chi2.cdf(index, np.maximum(k - 1, 1))
    contradicts = (k >= 3) & (mean > 0) & np.isfinite(tail) & (tail < UNDERDISPERSION)
    rare = rare & (small | (k == 0)) & ~contradicts
    out[idx] = rare
    return out


def events(Y, kind) -> tuple[np.ndarray, np.ndarray]:
    """(events observed, years of exposure) per row.

    increment: the sum of the observed additions over the observed years;
    stock: the rise from the first to the latest value over the years between
    (NaN when the stock ever falls: then it is no count of events).
    """
    Y = np.asarray(Y, dtype=float)
    kind = np.asarray(kind, dtype=object)
    obs = np.isfinite(Y)
    n = obs.sum(axis=1)
    T = Y.shape[1]
    first = np.argmax(obs, axis=1)
    last = T - 1 - np.argmax(obs[:, ::-1], axis=1)
    rows = np.arange(len(Y))
    inc_total = np.where(obs, Y, 0.0).sum(axis=1)
    rise = Y[rows, last] - Y[rows, first]
    # a stock that ever falls is not a running count of events
    filled = np.where(obs, Y, np.nan)
    steps = np.diff(_ffill(filled), axis=1)
    falls = (np.nan_to_num(steps, nan=0.0) < 0).any(axis=1)
    stock_total = np.where(falls, np.nan, rise)
    total = np.where(kind == "increment", inc_total, stock_total)
    exposure = np.where(kind == "increment", n, last - first).astype(float)
    return np.where(n > 0, total, np.nan), np.where(n > 0, exposure, 0.0)


def yearly_additions(Y, kind) -> np.ndarray:
    """The additions of each year (S × T, NaN where unknown): increment values as they are;
    stock rises between consecutive years both observed."""
    Y = np.asarray(Y, dtype=float)
    kind = np.asarray(kind, dtype=object)
    rises = np.full(Y.shape, np.nan)
    rises[:, 1:] = Y[:, 1:] - Y[:, :-1]
    return np.where((kind == "increment")[:, None], Y, rises)


def _ffill(a: np.ndarray) -> np.ndarray:
    idx = np.where(np.isfinite(a), np.arange(a.shape[1])[None, :], 0)
    np.maximum.accumulate(idx, axis=1, out=idx)
    return a[np.arange(a.shape[0])[:, None], idx]


def predictive(total, exposure, horizon) -> tuple[np.ndarray, np.ndarray]:
    """Negative-binomial parameters (r, p) of the additions over ``horizon`` more years."""
    r = np.asarray(total, dtype=float) + PRIOR_SHAPE
    exposure = np.asarray(exposure, dtype=float)
    p = exposure / (exposure + np.asarray(horizon, dtype=float))
    return r, p


def sf(k, r, p) -> np.ndarray:
    """P(X ≥ k) for X ~ NB(r, p) (scipy's parametrisation); 1 for k ≤ 0."""
    k = np.ceil(np.asarray(k, dtype=float) - 1e-9)
    with np.errstate(invalid="ignore"):
        # P(X ≤ k−1) = I_p(r, k) (regularised incomplete beta)
        below = special.betainc(r, np.maximum(k, 1.0), p)
    return np.where(k <= 0, 1.0, 1.0 - below)


def cdf(k, r, p) -> np.ndarray:
    """P(X ≤ k) for X ~ NB(r, p); 0 for k < 0."""
    k = np.floor(np.asarray(k, dtype=float) + 1e-9)
    with np.errstate(invalid="ignore"):
        out = special.betainc(r, k + 1.0, p)
    return np.where(k < 0, 0.0, out)


def quantile(q: float, r, p) -> np.ndarray:
    """The smallest k with P(X ≤ k) ≥ q."""
    from scipy import stats  # lazy: scipy.stats takes ~0.3 s to import and only rare-event rows need it

    return stats.nbinom.ppf(q, np.asarray(r, dtype=float), np.asarray(p, dtype=float))


def answer(Y, kind, start, horizon, target, comparator, tol, lower, upper):
    """Forecast, intervals and P(attain) of rare-event rows of ``Y`` (S × T), as arrays.

    ``start``: what is already there (increment: the additions observed in the plan
    years; stock: the latest value); ``horizon``: years still to come (increment:
    the plan years not observed); ``lower``/``upper``: bounds of the forecast
    quantity; ``tol``: the met rule's tolerance for ``==``. Returns
    ``(point, {level: (low, high)}, p_attain, rate)`` — ``point`` the predictive
    mean, ``rate`` the rate observed (events / years of exposure: 0 when none was seen —
    the sentences say 观测年均新增 with it, never the posterior mean).
    """
    start = np.asarray(start, dtype=float)
    total, exposure = events(Y, kind)
    r, q = predictive(total, exposure, horizon)
    point = bounded(start + r * (1 - q) / q, lower, upper)
    bands = {}
    for lv in LEVELS:
        a = (1.0 - lv) / 2.0
        bands[lv] = (bounded(start + quantile(a, r, q), lower, upper),
                     bounded(start + quantile(1.0 - a, r, q), lower, upper))
    need, w = np.asarray(target, dtype=float) - start, np.asarray(tol, dtype=float)
    c = np.asarray(comparator, dtype=object)
    prob = np.select([c == ">=", c == "<="], [sf(need, r, q), cdf(need, r, q)],
                     cdf(need + w, r, q) - cdf(np.ceil(need - w - 1e-9) - 1, r, q))
    with np.errstate(divide="ignore", invalid="ignore"):
        rate = total / exposure
    return point, bands, prob, rate
