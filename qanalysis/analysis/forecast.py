"""Vectorized trend fits for a whole panel: OLS linear and log-linear.

Every function works on a (series × years) array ``Y`` with NaN for a missing
year: one numpy pass for all series, no Python loop per series. The
assessment asks one question of each series: what is the predicted quantity
in the target year, with 80% and 95% prediction intervals (t distribution,
n − 2 degrees of freedom) and the probability that it meets the target?

The predicted quantity is ``done + Σ_{j ∈ M} y_j``: for ``level``/``stock``
indicators ``M`` is the target year alone and ``done`` is 0; for ``increment``
indicators ``M`` is every plan year without an observation and ``done`` the
additions already observed. The variance of a sum of OLS predictions includes
the covariance through the shared coefficients (see :func:`predict_sum`).

Formulas (simple regression, centred at the series' mean year x̄):
    ŷ(x) = ȳ + b (x − x̄),   b = Sxy / Sxx,   s² = SSE / (n − 2)
    Var[Σ_M ŷ]        = s² (m²/n + (Σ_M (x_j − x̄))² / Sxx)
    Var[Σ_M y − Σ_M ŷ] = Var[Σ_M ŷ] + m s²
The log-linear model fits the same line to log y (positive values only) and
back-transforms: for one year exactly (the median and the quantiles of a
log-t); for a sum of years by Fenton–Wilkinson moment matching (documented as
an approximation in docs/methods.md).
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from scipy import special

from . import attainment

MODELS = ("linear", "loglinear")
LEVELS = (0.80, 0.95)

# Short machine-readable reasons why a series has no fit or no interval.
REASON_NO_POINTS = "no_points"
REASON_ONE_POINT = "one_point"
REASON_TWO_POINTS = "two_points"
REASON_NONPOSITIVE = "nonpositive"
# residual standard deviation below this share of the series' size is float noise, i.e. 0
ZERO_VARIANCE = 1e-11


@dataclass
class PanelFit:
    """Per-series OLS statistics, each an array of shape (S,)."""

    model: str
    n: np.ndarray      # points used
    xbar: np.ndarray   # mean year of the points
    ybar: np.ndarray   # mean of y (of log y for loglinear)
    sxx: np.ndarray
    slope: np.ndarray
    s2: np.ndarray     # residual variance, NaN when n < 3
    reason: np.ndarray  # object array: "" or one of the REASON_* codes

    @property
    def df(self) -> np.ndarray:
        return self.n - 2

    @property
    def has_line(self) -> np.ndarray:
        return self.n >= 2

    @property
    def has_interval(self) -> np.ndarray:
        return (self.n >= 3) & np.isfinite(self.s2)

    def take(self, idx) -> "PanelFit":
        return PanelFit(self.model, self.n[idx], self.xbar[idx], self.ybar[idx], self.sxx[idx],
                        self.slope[idx], self.s2[idx], self.reason[idx])


def fit(years, Y, model: str = "linear") -> PanelFit:
    """Fit ``y = a + b·year`` (or ``log y``) to every row of ``Y`` (S × T, NaN = missing)."""
    if model not in MODELS:
        raise ValueError(f"model must be one of {MODELS}, not {model!r}")
    x = np.asarray(years, dtype=float)
    Y = np.atleast_2d(np.asarray(Y, dtype=float))
    mask = np.isfinite(Y)
    reason = np.full(Y.shape[0], "", dtype=object)
    if model == "loglinear":
        bad = (mask & (Y <= 0)).any(axis=1)
        reason[bad] = REASON_NONPOSITIVE
        with np.errstate(divide="ignore", invalid="ignore"):
            Y = np.where(mask & ~bad[:, None], np.log(np.where(Y > 0, Y, 1.0)), np.nan)
        mask = np.isfinite(Y)
    n = mask.sum(axis=1)
    w = mask.astype(float)
    Yz = np.where(mask, Y, 0.0)
    with np.errstate(divide="ignore", invalid="ignore"):
        xbar = (w * x).sum(axis=1) / n
        ybar = Yz.sum(axis=1) / n
        dx = np.where(mask, x[None, :] - xbar[:, None], 0.0)
        sxx = (dx * dx).sum(axis=1)
        slope = (dx * Yz).sum(axis=1) / sxx
        resid = np.where(mask, Yz - ybar[:, None] - slope[:, None] * dx, 0.0)
        s2 = np.where(n >= 3, (resid * resid).sum(axis=1) / (n - 2), np.nan)
        # a series that lies on a line leaves float noise (~1e-28), not a variance:
        # below a relative epsilon it is exactly 0, so the verdict cannot depend on the noise
        scale = np.abs(Yz).max(axis=1, initial=0.0)
        s2 = np.where(s2 <= (ZERO_VARIANCE * scale) ** 2, 0.0, s2)
    slope = np.where(n >= 2, slope, np.nan)
    ybar = np.where(n >= 1, ybar, np.nan)
    free = reason == ""
    reason[free & (n == 0)] = REASON_NO_POINTS
    reason[free & (n == 1)] = REASON_ONE_POINT
    reason[free & (n == 2)] = REASON_TWO_POINTS
    return PanelFit(model, n, xbar, ybar, sxx, slope, s2, reason)


@dataclass
class Prediction:
    """The predictive distribution of ``done + Σ_M y_j`` for each series.

    linear:    value = centre + scale·T_df
    loglinear: value = done + exp(centre + scale·T_df)
    ``scale`` is NaN where there is no interval (fewer than 3 points).
    """

    model: str
    centre: np.ndarray
    scale: np.ndarray
    df: np.ndarray
    done: np.ndarray
    point: np.ndarray   # linear: the mean; loglinear: the median

    def quantile(self, q: float) -> np.ndarray:
        # df takes a handful of integer values: one ppf per distinct df, not per series
        df = np.where(self.df >= 1, self.df, 0).astype(np.int64)
        table = np.arange(int(df.max(initial=0)) + 1)
        with np.errstate(invalid="ignore"):
            tq = np.where(table >= 1, special.stdtrit(np.maximum(table, 1), q), np.nan)[df]
            z = self.centre + tq * self.scale
        out = self.done + np.exp(z) if self.model == "loglinear" else z
        return np.where(self.scale == 0, self.point, out)

    def interval(self, level: float) -> tuple[np.ndarray, np.ndarray]:
        a = (1.0 - level) / 2.0
        return self.quantile(a), self.quantile(1.0 - a)

    def cdf(self, v, idx=None, strict: bool = False) -> np.ndarray:
        """P(value ≤ v) (P(value < v) when ``strict``), for the series ``idx`` (all by default).

        A point mass at ``point`` when the residual variance is 0; NaN without an interval.
        """
        sel = slice(None) if idx is None else idx
        centre, scale, done, point = self.centre[sel], self.scale[sel], self.done[sel], self.point[sel]
        df = np.where(self.df[sel] >= 1, self.df[sel], np.nan)
        v = np.broadcast_to(np.asarray(v, dtype=float), centre.shape)
        if self.model == "loglinear":
            with np.errstate(divide="ignore", invalid="ignore"):
                z = np.where(v > done, np.log(np.where(v > done, v - done, 1.0)), -np.inf)
        else:
            z = v
        with np.errstate(divide="ignore", invalid="ignore"):
            p = special.stdtr(df, (z - centre) / scale)
        # a point mass is compared with the same float noise the met rule allows
        eps = 1e-9 * np.maximum(1.0, np.abs(v))
        mass = (point < v - eps) if strict else (point <= v + eps)
        p = np.where(scale == 0, mass.astype(float), p)
        return np.where(np.isfinite(scale), p, np.nan)


def predict_sum(fit_: PanelFit, years_h, M, done=None) -> Prediction:
    """Predictive distribution of ``done + Σ_{j: M[s, j]} y_s(years_h[j])`` per series.

    ``years_h`` (H,) are the years to predict, ``M`` (S, H) which of them each
    series sums (one True for a level), ``done`` (S,) what is already observed.
    """
    xh = np.asarray(years_h, dtype=float)
    M = np.atleast_2d(np.asarray(M, dtype=bool))
    S = M.shape[0]
    done = np.zeros(S) if done is None else np.asarray(done, dtype=float)
    m = M.sum(axis=1).astype(float)
    d = np.where(M, xh[None, :] - fit_.xbar[:, None], 0.0)  # x_j − x̄ over the summed years
    sd_ = d.sum(axis=1)
    n = fit_.n.astype(float)
    s2 = fit_.s2
    with np.errstate(divide="ignore", invalid="ignore"):
        if fit_.model == "linear":
            mean = m * fit_.ybar + fit_.slope * sd_
            var = s2 * (m * m / n + sd_ * sd_ / fit_.sxx) + m * s2
            centre = done + mean
            scale = np.sqrt(var)
            point = centre
        else:
            centre, scale, point = _fenton_wilkinson(fit_, M, d, done)
    none = m == 0  # nothing left to predict: the value is what is done
    centre = np.where(none, done, centre)
    point = np.where(none, done, point)
    scale = np.where(none, 0.0, scale)  # a point mass at `done`
    scale = np.where(fit_.has_interval | none, scale, np.nan)
    point = np.where(fit_.has_line | none, point, np.nan)
    return Prediction(fit_.model, centre, scale, fit_.df, done, point)


def _fenton_wilkinson(fit_: PanelFit, M, d, done):
    """Log-normal approximation to a sum of correlated log-scale predictions."""
    n = fit_.n.astype(float)[:, None, None]
    s2 = np.where(np.isfinite(fit_.s2), fit_.s2, 0.0)[:, None, None]
    mu = fit_.ybar[:, None] + fit_.slope[:, None] * d                     # (S, H)
    eye = np.eye(M.shape[1])[None, :, :]
    C = s2 * (eye + 1.0 / n + d[:, :, None] * d[:, None, :] / fit_.sxx[:, None, None])
    pair = M[:, :, None] & M[:, None, :]
    diag = np.diagonal(C, axis1=1, axis2=2)                               # (S, H)
    e_j = np.where(M, np.exp(mu + diag / 2.0), 0.0)
    E = e_j.sum(axis=1)
    V = np.where(pair, e_j[:, :, None] * e_j[:, None, :] * np.expm1(C), 0.0).sum(axis=(1, 2))
    sig2 = np.log1p(V / (E * E))
    centre = np.log(E) - sig2 / 2.0
    scale = np.sqrt(sig2)
    point = done + np.exp(centre)
    return centre, scale, point


def p_attain(pred: Prediction, target, comparator, tol=0.0, lower=-np.inf, upper=np.inf,
             reported=0.0) -> np.ndarray:
    """P(the predicted value meets the target), the mass beyond a bound counted at the bound.

    ``reported``: half the unit the values are reported in; the value is judged as it will
    be reported, so ``>=`` reads P(Y ≥ target − reported) and ``<=`` P(Y ≤ target + reported)
    (a whole-number count meets "≤ 0" below 0.5). Default 0: the exact comparison.
    ``>=``: P(Y ≥ target); 1 when target ≤ lower bound (the value cannot fall below it).
    ``<=``: P(Y ≤ target); 1 when target ≥ upper bound.
    ``==``: P(|Y − target| ≤ tol); the side of the window that reaches a bound is opened,
    so a series flat at an upper bound of 100 with target 100 gets its mass above 100.
    NaN where there is no interval or no comparator.
    """
    n = len(pred.centre)
    target = np.broadcast_to(np.asarray(target, dtype=float), (n,))
    comparator = np.broadcast_to(np.asarray(comparator, dtype=object), (n,))
    tol = np.broadcast_to(np.asarray(tol, dtype=float), (n,))
    lower = np.broadcast_to(np.where(np.isfinite(lower), lower, -np.inf), (n,))
    upper = np.broadcast_to(np.where(np.isfinite(upper), upper, np.inf), (n,))
    r = np.broadcast_to(np.asarray(reported, dtype=float), (n,))
    p = np.full(n, np.nan)
    ge = np.flatnonzero(comparator == ">=")
    le = np.flatnonzero(comparator == "<=")
    eq = np.flatnonzero(comparator == "==")
    p[ge] = np.where(target[ge] <= lower[ge], 1.0, 1.0 - pred.cdf(target[ge] - r[ge], ge, strict=True))
    p[le] = np.where(target[le] >= upper[le], 1.0, pred.cdf(target[le] + r[le], le))
    if len(eq):
        t, w = target[eq], tol[eq]
        hi_open = t + w >= upper[eq]
        lo_open = t - w <= lower[eq]
        f_hi = np.where(hi_open, 1.0, pred.cdf(t + w, eq))
        f_lo = np.where(lo_open, 0.0, pred.cdf(t - w, eq, strict=True))
        p[eq] = f_hi - f_lo
    p = np.where(np.isfinite(pred.scale) & np.isfinite(target), p, np.nan)
    return np.clip(p, 0.0, 1.0)


def meets(value, target, comparator, tol=0.0) -> np.ndarray:
    """Whether a value meets the target: ``>=``/``<=`` strictly, ``==`` within ``tol``.

    The rule lives in :mod:`qanalysis.analysis.attainment` (``meets_target``); this is its
    comparison with an explicit tolerance. NaN in → False.
    """
    return attainment.within(value, target, comparator, tol)


def tolerance(decimals) -> np.ndarray:
    """Half a unit in the last written decimal place: 0.5·10^−decimals."""
    return attainment.tolerance(decimals)


def bounded(values, lower, upper) -> np.ndarray:
    """Clip to the indicator's bounds (NaN bound = unbounded); NaN stays NaN."""
    lo = np.where(np.isfinite(lower), lower, -np.inf)
    hi = np.where(np.isfinite(upper), upper, np.inf)
    return np.clip(values, lo, hi)
