"""When is a target met? The one rule, used by the assessment, the 表1 review and its chart.

- ``>=`` / ``<=``: strictly, up to float noise (1e-9 relative: sums of additions
  such as 0.1 + 0.2 must not miss a target by 4e-17).
- ``==`` ("保持 100%", keep at the target): the value is the target **at the
  precision the data are reported in** — it rounds to the target at
  ``decimals`` places: |value − target| ≤ 0.5·10^−decimals. ``decimals`` is the
  larger of the decimals the target is written with and the decimals the
  values are reported with (:func:`reported_decimals`). So a rate reported at
  one decimal keeps "100" at 99.95 (which is 100.0) but not at 99.6; a rate
  reported in whole numbers can only show 100 or 99.

Nothing here depends on pandas; every function takes and returns numpy arrays.
"""
from __future__ import annotations

import numpy as np

MAX_DECIMALS = 6          # beyond this a value is "not rounded" (e.g. 33.333333…)
NOISE = 1e-9              # relative float noise tolerated in every comparison


def float_noise(target) -> np.ndarray:
    """The float noise allowed around ``target``: 1e-9 · max(1, |target|)."""
    return NOISE * np.maximum(1.0, np.abs(np.asarray(target, dtype=float)))


def tolerance(decimals) -> np.ndarray:
    """Half a unit in the last reported decimal place: 0.5·10^−decimals."""
    return 0.5 * 10.0 ** (-np.asarray(decimals, dtype=float))


def reported_decimals(values, axis: int = -1) -> np.ndarray:
    """Decimals the values are written with (the most any of them needs), NaN ignored.

    ``values`` (…, T): 99.6 → 1, 100 → 0, 87.14 → 2; a value with more than
    ``MAX_DECIMALS`` decimals counts as ``MAX_DECIMALS``. 0 where no value.
    """
    v = np.asarray(values, dtype=float)
    need = np.full(v.shape, MAX_DECIMALS, dtype=np.int64)
    with np.errstate(invalid="ignore"):
        scaled = np.abs(v)
        for k in range(MAX_DECIMALS - 1, -1, -1):  # the smallest k that represents v
            s = scaled * 10.0 ** k
            exact = np.abs(s - np.round(s)) <= NOISE * np.maximum(1.0, s)
            need = np.where(exact, k, need)
    need = np.where(np.isfinite(v), need, 0)
    return need.max(axis=axis) if need.ndim else need


def within(value, target, comparator, tol=0.0) -> np.ndarray:
    """The comparison itself: ``>=``/``<=`` up to float noise, ``==`` within ``tol``. NaN → False."""
    value = np.asarray(value, dtype=float)
    target = np.asarray(target, dtype=float)
    comparator = np.asarray(comparator, dtype=object)
    tol = np.asarray(tol, dtype=float)
    eps = float_noise(target)
    with np.errstate(invalid="ignore"):
        out = np.select(
            [comparator == ">=", comparator == "<=", comparator == "=="],
            [value >= target - eps, value <= target + eps, np.abs(value - target) <= tol + eps],
            False,
        )
    return out & np.isfinite(value) & np.isfinite(target)


def meets_target(value, target, comparator, decimals=0) -> np.ndarray:
    """Whether ``value`` meets the target (the rule in the module docstring).

    ``decimals``: the precision the comparison is made at (for ``==``), i.e.
    ``max(target's written decimals, values' reported decimals)``; see
    :func:`keep_decimals`.
    """
    return within(value, target, comparator, tolerance(decimals))


def keep_decimals(target_decimals, value_decimals) -> np.ndarray:
    """The precision a keep-at target is judged at: the finer of the two."""
    return np.maximum(np.asarray(target_decimals, dtype=np.int64), np.asarray(value_decimals, dtype=np.int64))
