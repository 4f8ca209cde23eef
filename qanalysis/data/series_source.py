"""Which values a series consists of, and how every output names what it rests on.

The precedence rule, per (region, indicator) series — the one place it is
enforced (docs/data.md states it in words):

1. **delivered**: if any value of the series was delivered, the series is
   exactly the delivered values; deliveries apply in order, a later one wins
   year by year (and the value it replaced is recorded);
2. **published**: else the shipped published values (published.csv and the
   plan's own base-year values);
3. **illustrative**: else, only when filling is on (plan.toml
   ``fill_illustrative``, ``--no-fill``), the seeded generator's values.

Illustrative values are never mixed into a series that has a delivered or a
published value, and never used for a baseline or a target
(:func:`real_observations`). The words of the labels are :mod:`qanalysis.vocab`'s
(``DATA_BASIS``, ``DATA_SOURCE``, ``VALUE_STATUS``, ``DELIVERY_NOTES``).
"""
from __future__ import annotations

import numpy as np
import pandas as pd

from .. import vocab
from ..dataset import OBSERVATION_COLUMNS, typed

BASES = ("delivered", "published", "illustrative")
KEY = ["region", "indicator"]
YEAR_KEY = ["region", "indicator", "year"]
REPLACED_COLUMNS = {"region": "string", "indicator": "string", "year": "int64", "value": "float64",
                    "delivery": "string", "replaced_value": "float64", "replaced_delivery": "string"}
# one row per series: what it rests on (written to the processed folder as series_sources.csv)
SOURCE_COLUMNS = ("region", "indicator", "data_basis", "statuses", "files", "addresses", "data_source",
                  "data_source_en")


def _years(ys) -> str:
    ys = sorted(int(y) for y in ys)
    if not ys:
        return ""
    runs, start, prev = [], ys[0], ys[0]
    for y in ys[1:] + [None]:
        if y is not None and y == prev + 1:
            prev = y
            continue
        runs.append(str(start) if start == prev else f"{start}–{prev}")
        if y is not None:
            start = prev = y
    return ",".join(runs)


def _untaken(frame: pd.DataFrame, taken: set) -> np.ndarray:
    """Rows whose series is not yet taken, as a boolean mask (an empty list would select columns)."""
    return np.fromiter((k not in taken for k in zip(frame["region"], frame["indicator"])), dtype=bool,
                       count=len(frame))


def choose(delivered: pd.DataFrame, published: pd.DataFrame,
           illustrative: pd.DataFrame | None) -> tuple[pd.DataFrame, pd.DataFrame]:
    """The observations after the precedence rule, and the delivered values a later delivery replaced.

    ``delivered`` rows carry ``delivery`` and are in delivery order (earliest first).
    """
    empty = typed(pd.DataFrame(columns=list(OBSERVATION_COLUMNS)), OBSERVATION_COLUMNS)
    d = typed(delivered, OBSERVATION_COLUMNS) if delivered is not None and len(delivered) else empty
    replaced = typed(pd.DataFrame(columns=list(REPLACED_COLUMNS)), REPLACED_COLUMNS)
    if len(d):
        later = d.duplicated(YEAR_KEY, keep="last")  # rows a later delivery overrides
        if later.any():
            winners = d[~later].set_index(YEAR_KEY)
            lost = d[later]
            keys = pd.MultiIndex.from_frame(lost[YEAR_KEY])
            rep = lost[YEAR_KEY].assign(
                value=winners["value"].reindex(keys).to_numpy(),
                delivery=winners["delivery"].reindex(keys).to_numpy(),
                replaced_value=lost["value"].to_numpy(), replaced_delivery=lost["delivery"].to_numpy())
            # a value replaced twice is listed once per delivery it came from
            replaced = typed(rep.sort_values(YEAR_KEY + ["replaced_delivery"], kind="stable"), REPLACED_COLUMNS)
        d = d[~later]
    frames = [d]
    taken = set(zip(d["region"], d["indicator"]))
    p = typed(published, OBSERVATION_COLUMNS) if published is not None and len(published) else empty
    p = p[_untaken(p, taken)]
    frames.append(p.drop_duplicates(YEAR_KEY, keep="first"))
    taken |= set(zip(p["region"], p["indicator"]))
    if illustrative is not None and len(illustrative):
        i = typed(illustrative, OBSERVATION_COLUMNS)
        frames.append(i[_untaken(i, taken)])
    obs = pd.concat([f for f in frames if len(f)] or [empty], ignore_index=True)
    obs = obs.sort_values(YEAR_KEY, kind="stable").reset_index(drop=True)
    return typed(obs, OBSERVATION_COLUMNS), replaced.reset_index(drop=True)


def real_observations(observations: pd.DataFrame) -> pd.DataFrame:
    """Only delivered and published values: what a baseline or a target may be computed from."""
    return observations[observations["status"].astype(str) != "illustrative"]


def basis_of(observations: pd.DataFrame) -> pd.Series:
    """Per row: delivered / published / illustrative (what the row's series rests on)."""
    delivered = observations["delivery"].astype(str) != "" if "delivery" in observations else \
        pd.Series(False, index=observations.index)
    st = observations["status"].astype(str)
    return pd.Series(np.where(delivered, "delivered", np.where(st == "illustrative", "illustrative", "published")),
                     index=observations.index)


def series_sources(observations: pd.DataFrame, deliveries: pd.DataFrame | None = None) -> pd.DataFrame:
    """One row per (region, indicator) with values: what the series rests on, labelled.

    Columns: region, indicator, data_basis (delivered / published / illustrative),
    statuses ("published+provisional" …), files (delivered: "001 one.csv"),
    addresses (published sources), data_source (Chinese label), data_source_en.
    """
    cols = list(SOURCE_COLUMNS)
    if observations is None or not len(observations):
        return pd.DataFrame(columns=cols)
    names = {}
    if deliveries is not None and len(deliveries):
        names = dict(zip(deliveries["id"].astype(str), deliveries["name"].astype(str)))
    ill = BASES.index("illustrative")
    basis = basis_of(observations).to_numpy()
    o = observations.assign(_rank=np.select([basis == b for b in BASES], list(range(len(BASES))), ill))
    # one factorization of the series key; a series rests on its best-ranked value
    group = o.groupby(KEY, sort=False).ngroup().to_numpy()
    best = np.full(group.max() + 1, ill, dtype=np.int64)
    np.minimum.at(best, group, o["_rank"].to_numpy(dtype=np.int64))
    series_rank = best[group]
    zh, en = vocab.DATA_SOURCE["zh"], vocab.DATA_SOURCE["en"]
    # an illustrative series has one label (built for all of them at once); only the few real
    # ones are described one by one
    _, first = np.unique(group, return_index=True)
    first = np.sort(first[best == ill])
    keys = o.iloc[first][KEY]
    illustrative = pd.DataFrame({"region": keys["region"].to_numpy(), "indicator": keys["indicator"].to_numpy(),
                                 "data_basis": "illustrative", "statuses": "illustrative", "files": "",
                                 "addresses": "", "data_source": zh["illustrative"],
                                 "data_source_en": en["illustrative"]}, columns=cols)
    rows = []
    real = o[series_rank < ill]
    real = real.assign(_status=real["status"].astype(str),
                       _delivery=real["delivery"].astype(str) if "delivery" in real else "",
                       _source=real["source"].astype(str).str.strip())
    for (r, i), g in real.groupby(KEY, sort=False):
        basis = BASES[int(g["_rank"].min())]
        by_status = {s: _years(g.loc[g["_status"] == s, "year"]) for s in ("published", "provisional", "estimated", "illustrative")
                     if (g["_status"] == s).any()}
        files = [f"{d} {names[d]}" if d in names and names[d] != d else d
                 for d in dict.fromkeys(g["_delivery"]) if d]
        addresses = [s for s in dict.fromkeys(g.loc[g["_status"] == "published", "_source"]) if s]
        labels = [_source_label(w, basis, by_status, files, addresses, lang)
                  for w, lang in ((zh, "zh"), (en, "en"))]
        rows.append((r, i, basis, "+".join(by_status), "; ".join(files), " | ".join(addresses), *labels))
    described = pd.DataFrame(rows, columns=cols)
    if not len(described):
        return illustrative.reset_index(drop=True)
    return pd.concat([illustrative, described], ignore_index=True)


def source_columns(data, keys: pd.DataFrame) -> dict[str, np.ndarray]:
    """``data_basis``, ``data_source``, ``data_source_en`` for each (region, indicator) row of ``keys``
    (the assessment table's columns); "" for a series without values."""
    obs = data.observations
    obs = obs[obs["region"].isin(set(keys["region"].astype(str)))]
    src = series_sources(obs, getattr(data, "deliveries", None)).set_index(KEY)
    k = pd.MultiIndex.from_frame(keys[KEY].astype(str))
    cols = ("data_basis", "data_source", "data_source_en")
    if not len(src):
        return {c: np.full(len(keys), "", dtype=object) for c in cols}
    return {c: src[c].reindex(k).fillna("").to_numpy(dtype=object) for c in cols}


def _source_label(words: dict, basis: str, by_status: dict, files: list, addresses: list, lang: str) -> str:
    """One series' data_source text: delivered with its statuses and files, published with its addresses."""
    status = vocab.VALUE_STATUS[lang]
    if len(by_status) == 1:
        statuses = status[next(iter(by_status))]
    else:
        statuses = words["status_sep"].join(f"{status[s]} {y}" for s, y in by_status.items())
    if basis == "delivered":
        return words["delivered"].format(statuses=statuses, files=words["list_sep"].join(files))
    shown = words["list_sep"].join(addresses[:2])
    more = words["more"].format(n=len(addresses), more=len(addresses) - 2) if len(addresses) > 2 else ""
    return words["published"].format(sources=shown) + more


def delivery_notes(data, lang: str = "zh", region: str | None = None, fit_first_year=None,
                   limit: int = 30) -> list[str]:
    """Lines for a data note: the deliveries used, the values a later delivery replaced, the fit window."""
    w = vocab.DELIVERY_NOTES[lang]
    lines: list[str] = []
    deliveries = getattr(data, "deliveries", None)
    obs = data.observations
    if region is not None:
        obs = obs[obs["region"] == str(region)]
    used = obs["delivery"].astype(str) if "delivery" in obs else pd.Series([], dtype=str)
    if deliveries is not None and len(deliveries):
        counts = used[used != ""].value_counts()
        for d in deliveries.to_dict("records"):
            n = int(counts.get(str(d["id"]), 0))
            if region is not None and not n:
                continue
            date = str(d["kept_at"])[:10]
            when = w["kept"].format(date=date) if date else w["not_kept"]
            lines.append(w["delivery"].format(id=d["id"], name=d["name"], when=when, n=n,
                                              sha=str(d["sha256"])[:12]))
    rep = getattr(data, "replaced", None)
    if rep is not None and len(rep):
        if region is not None:
            rep = rep[rep["region"] == str(region)]
        for r in rep.head(limit).to_dict("records"):
            lines.append(w["replaced"].format(region=r["region"], indicator=r["indicator"], year=r["year"],
                                              old=f"{r['replaced_value']:g}", old_delivery=r["replaced_delivery"],
                                              new=f"{r['value']:g}", new_delivery=r["delivery"]))
        if len(rep) > limit:
            lines.append(w["more_replaced"].format(n=len(rep) - limit))
    if fit_first_year is not None:
        lines.append(w["fit_window"].format(year=int(fit_first_year)))
    return lines
