"""Charts show the assessment's numbers: read back from the artists, not pixels."""
from __future__ import annotations

import warnings
import xml.etree.ElementTree as ET

import matplotlib
import numpy as np
import pandas as pd
import pytest
from matplotlib.colors import to_hex, to_rgba

matplotlib.use("Agg")

from qanalysis.charts import export, plots
from qanalysis.charts import heatmap as heatmap_mod
from qanalysis.analysis import status  # noqa: E402
from qanalysis.dataset import (  # noqa: E402
    CATALOGUE_COLUMNS, OBSERVATION_COLUMNS, REGION_COLUMNS, Dataset, PlanInfo, typed,
)
from qanalysis.errors import QAnalysisError  # noqa: E402

CITY, C1, C2 = "330300", "330302", "330303"

from qanalysis.analysis.assess import assess  # noqa: E402
from qanalysis.plan.regions import build_targets  # noqa: E402

# id, name_zh, name_en, category, category_en, unit, kind, comparator, direction, lo, hi, baseline, target
INDICATORS = [
    ("rate_ge", "制造业产品质量合格率", "Product pass rate", "产品质量", "product", "%", "level", ">=", 1, 0, 100, 95.0, 96.0),
    ("std_new", "制定“浙江制造”标准（新增）", "New standards", "产品质量", "product", "项", "increment", ">=", 1, 0, np.nan, 234.0, 300.0),
    ("marks_stock", "国内有效商标注册数（累计）", "Trademarks", "产品质量", "product", "万件", "stock", ">=", 1, 0, np.nan, 46.38, 60.0),
    ("pm25", "城市 PM2.5 平均浓度", "PM2.5", "环境质量", "environment", "微克/立方米", "level", "<=", -1, 0, np.nan, 25.0, 26.0),
    ("water_keep", "县级以上城市集中式饮用水水源地水质达标率", "Drinking water", "环境质量", "environment", "%", "level", "==", 1, 0, 100, 100.0, 100.0),
    ("air_days", "城市空气质量优良天数比例", "Good air days", "环境质量", "environment", "%", "unquantified", ">=", 1, 0, 100, 97.0, np.nan),
    ("few_pts", "现代服务业创新发展区", "Innovation zones", "服务质量", "service", "个", "level", ">=", 1, 0, np.nan, np.nan, 20.0),
]


def _catalogue() -> pd.DataFrame:
    rows = []
    for (i, zh, en, cat, cat_en, unit, kind, comp, d, lo, hi, base, tgt) in INDICATORS:
        rows.append(dict(id=i, name_zh=zh, name_en=en, category=cat, category_en=cat_en, unit=unit,
                         kind=kind, comparator=comp, direction=d, lower_bound=lo, upper_bound=hi,
                         decimals=0, baseline_year=pd.NA if np.isnan(base) else 2020,
                         baseline=base, target_year=2025, target=tgt, labels=zh))
    return typed(pd.DataFrame(rows), CATALOGUE_COLUMNS)


def _observations() -> pd.DataFrame:
    rng = np.random.default_rng(7)
    rows = []
    for region in (CITY, C1, C2):
        for (i, *_rest) in INDICATORS:
            base, tgt = _rest[-2], _rest[-1]
            kind = _rest[5]
            years = range(2024, 2025) if i == "few_pts" else range(2016, 2025)  # one point: no fit
            for y in years:
                if kind == "increment":
                    v = float(rng.integers(40, 70))
                elif i == "few_pts":
                    v = 5.0 + (y - 2023)
                else:
                    start = base if not np.isnan(base) else 10.0
                    slope = 0.0 if i == "water_keep" else (0.15 if i != "pm25" else -0.3)
                    v = start + slope * (y - 2020) + rng.normal(0, 0.2 if i != "water_keep" else 0)
                    if i in ("rate_ge", "water_keep", "air_days"):
                        v = min(v, 100.0)
                # C2 is all published; the city mixes published and illustrative; C1 all illustrative
                st = ("published" if region == C2 else
                      "illustrative" if region == C1 else
                      ("published" if y in (2019, 2020, 2022) else "illustrative"))
                rows.append(dict(region=region, indicator=i, year=y, value=round(v, 2), status=st,
                                 source="http://example.org/bulletin" if st == "published" else "qanalysis.generator"))
    return typed(pd.DataFrame(rows), OBSERVATION_COLUMNS)


def fake_dataset() -> Dataset:
    regions = typed(pd.DataFrame([
        dict(code=CITY, name_zh="温州市", name_en="Wenzhou City", level="city", parent=""),
        dict(code=C1, name_zh="鹿城区", name_en="Lucheng District", level="county", parent=CITY, weight=1),
        dict(code=C2, name_zh="龙湾区", name_en="Longwan District", level="county", parent=CITY, weight=1),
    ]), REGION_COLUMNS)
    plan = PlanInfo(id="test", name_zh="测试规划", name_en="Test plan", city_code=CITY, base_year=2020,
                    first_year=2021, target_year=2025, data_first_year=2016,
                    county_targets="pro_rata")  # the counts shared out to the counties (150 + 150)
    catalogue = _catalogue()
    no_overrides = pd.DataFrame(columns=["region", "indicator", "baseline", "target", "comparator", "note",
                                         "source"])
    targets = build_targets(catalogue, regions, no_overrides, plan)  # county targets as the plan's rule
    return Dataset(plan=plan, catalogue=catalogue, regions=regions, targets=targets,
                   observations=_observations())


def assessed(data: Dataset):
    """The real Assessment of the small test dataset: the charts draw what the library computes."""
    return assess(data)


@pytest.fixture(scope="module")
def fa():
    return assessed(fake_dataset())


def by_gid(ax, gid):
    return [a for a in ax.get_children() if a.get_gid() == gid]


def fig_texts(fig):
    out = [t.get_text() for t in fig.texts]
    for ax in fig.axes:
        out += [t.get_text() for t in ax.texts] + [ax.get_title(loc="left"), ax.get_title()]
        leg = ax.get_legend()
        if leg:
            out += [t.get_text() for t in leg.get_texts()]
    return out


def legend_texts(ax):
    return [t.get_text() for t in ax.get_legend().get_texts()]


def band_limits(coll):
    """Per x, the (low, high) of a fill_between PolyCollection."""
    verts = coll.get_paths()[0].vertices
    out = {}
    for x, y in verts:
        lo, hi = out.get(round(x, 6), (np.inf, -np.inf))
        out[round(x, 6)] = (min(lo, y), max(hi, y))
    return out


# ------------------------------------------------------------------ trajectory

def test_trajectory_plots_the_assessment_numbers(fa):
    fig = plots.trajectory(fa, CITY, "rate_ge")
    ax = fig.axes[0]
    s = fa.series(CITY, "rate_ge")
    (line,) = by_gid(ax, "observed_line")
    np.testing.assert_allclose(line.get_xdata(), s["year"])
    np.testing.assert_allclose(line.get_ydata(), s["value"])
    # markers by status: published filled, illustrative hollow
    (pub,) = by_gid(ax, "obs_published")
    (ill,) = by_gid(ax, "obs_illustrative")
    np.testing.assert_allclose(pub.get_xdata(), s.loc[s.status == "published", "year"])
    np.testing.assert_allclose(ill.get_ydata(), s.loc[s.status == "illustrative", "value"])
    assert to_hex(ill.get_markerfacecolor()) == "#ffffff"
    assert to_hex(pub.get_markerfacecolor()) != "#ffffff"
    # target line at the target, acceptable side shaded above (>=)
    (tl,) = by_gid(ax, "target_line")
    assert set(np.asarray(tl.get_ydata(), float)) == {96.0}
    (zone,) = by_gid(ax, "target_zone")
    data_y = ax.transData.inverted().transform(zone.get_verts())[:, 1]
    assert data_y.min() == pytest.approx(96.0) and data_y.max() == pytest.approx(ax.get_ylim()[1])
    # required path baseline -> target
    (req,) = by_gid(ax, "required_path")
    assert list(req.get_xdata()) == [2020.0, 2025.0]
    assert list(req.get_ydata()) == [95.0, 96.0]
    (base,) = by_gid(ax, "baseline")
    assert (base.get_xdata()[0], base.get_ydata()[0]) == (2020.0, 95.0)
    # forecast and its bands from Assessment.path
    p = fa.path(CITY, "rate_ge")
    (fc,) = by_gid(ax, "forecast")
    np.testing.assert_allclose(fc.get_ydata(), p["forecast"])
    for lvl in ("80", "95"):
        (band,) = by_gid(ax, f"pi{lvl}")
        lim = band_limits(band)
        for _, r in p.iterrows():
            lo, hi = lim[round(float(r["year"]), 6)]
            assert lo == pytest.approx(r[f"pi{lvl}_low"]) and hi == pytest.approx(r[f"pi{lvl}_high"])
    # title, status badge with P(attain), legend
    row = fa.table.set_index(["region", "indicator"]).loc[(CITY, "rate_ge")]
    assert ax.get_title(loc="left") == "制造业产品质量合格率"
    (badge,) = by_gid(ax, "status_badge")
    assert status.label(row["status"], "zh") in badge.get_text()
    assert f"{100 * row['p_attain']:.0f}%" in badge.get_text()
    assert to_hex(badge.get_bbox_patch().get_facecolor()) == status.colour(row["status"]).lower()
    leg = legend_texts(ax)
    assert "公开发布数据" in leg and any("示例数据" in t for t in leg)
    assert any(t.startswith("目标 ≥96%") for t in leg)
    assert "80%预测区间" in leg and "95%预测区间" in leg
    plots.close(fig)


def test_le_target_shades_below_and_keep_target_is_a_thin_band(fa):
    fig = plots.trajectory(fa, CITY, "pm25")
    ax = fig.axes[0]
    (zone,) = by_gid(ax, "target_zone")
    y = ax.transData.inverted().transform(zone.get_verts())[:, 1]
    assert y.max() == pytest.approx(26.0) and y.min() == pytest.approx(ax.get_ylim()[0])
    plots.close(fig)

    fig = plots.trajectory(fa, CITY, "water_keep")
    ax = fig.axes[0]
    (zone,) = by_gid(ax, "target_zone")
    y = ax.transData.inverted().transform(zone.get_verts())[:, 1]
    # keep at 100 with 0 decimals: tolerance half a unit, clipped at the bound 100
    assert y.max() == pytest.approx(100.0) and y.min() == pytest.approx(99.5)
    assert any("保持100%" in t for t in legend_texts(ax))
    plots.close(fig)


def test_increment_plots_cumulative_additions(fa):
    fig = plots.trajectory(fa, CITY, "std_new")
    ax = fig.axes[0]
    s = fa.series(CITY, "std_new")
    s = s.loc[s["cumulative"].notna()]
    (line,) = by_gid(ax, "observed_line")
    np.testing.assert_allclose(line.get_ydata(), s["cumulative"])
    np.testing.assert_allclose(line.get_xdata(), s["year"])
    (req,) = by_gid(ax, "required_path")
    assert list(req.get_ydata()) == [0.0, 300.0]
    (tl,) = by_gid(ax, "target_line")
    assert set(np.asarray(tl.get_ydata(), float)) == {300.0}
    assert "累计新增" in ax.get_ylabel()
    plots.close(fig)


def test_unquantified_shows_trend_only(fa):
    fig = plots.trajectory(fa, CITY, "air_days")
    ax = fig.axes[0]
    assert not by_gid(ax, "target_line") and not by_gid(ax, "target_zone") and not by_gid(ax, "required_path")
    assert by_gid(ax, "forecast")
    (note,) = by_gid(ax, "note")
    assert "无量化目标" in note.get_text()
    (badge,) = by_gid(ax, "status_badge")
    assert badge.get_text() == status.label("no_target", "zh")
    plots.close(fig)


def test_insufficient_data_says_so_instead_of_a_band(fa):
    assert fa.path(CITY, "few_pts").empty
    fig = plots.trajectory(fa, CITY, "few_pts")
    ax = fig.axes[0]
    assert not by_gid(ax, "pi80") and not by_gid(ax, "pi95") and not by_gid(ax, "forecast")
    (note,) = by_gid(ax, "note")
    assert "数据不足" in note.get_text()
    assert by_gid(ax, "target_line")
    plots.close(fig)


@pytest.mark.parametrize("region,expected", [(CITY, True), (C1, True), (C2, False)])
def test_illustrative_mark_exactly_when_a_plotted_value_is_illustrative(fa, region, expected):
    fig = plots.trajectory(fa, region, "rate_ge")
    marks = [t for t in fig.texts if t.get_gid() == "illustrative_mark"]
    assert len(marks) == (1 if expected else 0)
    if expected:
        assert "示例数据" in marks[0].get_text() and "illustrative" in marks[0].get_text()
    (note,) = [t for t in fig.texts if t.get_gid() == "data_note"]
    assert "数据截至2024年" in note.get_text()
    assert ("示例" in note.get_text()) == expected
    plots.close(fig)


def test_english_labels(fa):
    fig = plots.trajectory(fa, C2, "rate_ge", lang="en")
    ax = fig.axes[0]
    assert ax.get_title(loc="left") == "Product pass rate"
    leg = legend_texts(ax)
    assert "published" in leg and "80% prediction interval" in leg
    (note,) = [t for t in fig.texts if t.get_gid() == "data_note"]
    assert "data up to 2024" in note.get_text()
    plots.close(fig)


def test_trajectory_into_given_axes(fa):
    from matplotlib.figure import Figure

    fig = Figure()
    ax = fig.add_subplot()
    out = plots.trajectory(fa, CITY, "rate_ge", ax=ax)
    assert out is fig and by_gid(ax, "target_line")
    assert not [t for t in fig.texts if t.get_gid() == "data_note"]  # the caller owns the page


def test_unknown_row_is_a_clear_error(fa):
    with pytest.raises(QAnalysisError, match="no assessment row"):
        plots.trajectory(fa, CITY, "nope")


# ------------------------------------------------------------------ other charts

def test_small_multiples_one_panel_per_indicator(fa):
    fig = plots.small_multiples(fa, C2, "产品质量")
    tab = fa.table
    n = ((tab.region == C2) & (tab.category == "产品质量")).sum()
    panels = [ax for ax in fig.axes if ax.get_visible() and by_gid(ax, "status_badge")]
    assert len(panels) == n == 3
    assert not [t for t in fig.texts if t.get_gid() == "illustrative_mark"]
    plots.close(fig)
    fig = plots.small_multiples(fa, CITY, "环境质量")
    assert [t for t in fig.texts if t.get_gid() == "illustrative_mark"]
    assert "温州市" in fig._suptitle.get_text() and "环境质量" in fig._suptitle.get_text()
    plots.close(fig)


def test_heatmap_columns_city_first_and_cells_are_p_attain(fa):
    from test_heatmap import read_heatmap

    fig = plots.heatmap(fa, "p_attain")
    blocks = read_heatmap(fig)
    assert blocks[0][2] == ["温州市", "鹿城区", "龙湾区"]
    tab = fa.table.set_index(["name_zh", "region_name"])
    cells = {(name, region): text for _, rows, cols, texts, _ in blocks
             for (i, j), text in texts.items() for name, region in [(rows[i], cols[j])]}
    expected = {k: f"{100 * p:.0f}" for k, p in tab["p_attain"].items() if np.isfinite(p)}
    assert cells == expected and len(expected) > 5
    # grouped by category: one block a category
    cats = [tab.loc[(rows[0], "温州市"), "category"] for _, rows, *_ in blocks]
    assert len(cats) == len(set(cats)) == fa.table["category"].nunique()
    plots.close(fig)


def test_heatmap_status_colours(fa):
    from test_heatmap import read_heatmap

    fig = plots.heatmap(fa, "status")
    tab = fa.table.set_index(["name_zh", "region_name"])
    for _, rows, cols, _, colours in read_heatmap(fig):
        for (i, j), hexcolour in colours.items():
            assert hexcolour == status.colour(tab.loc[(rows[i], cols[j]), "status"]).lower()
    legend = [t.get_text() for ax in fig.axes if ax.get_legend() for t in ax.get_legend().get_texts()]
    assert {lab.split("（")[0] for lab in legend} == {status.label(c, "zh") for c in set(fa.table["status"])}
    with pytest.raises(QAnalysisError):
        plots.heatmap(fa, "nonsense")
    plots.close(fig)


# Each region's target as the plan's rule gives it, written out: a rate and PM2.5 keep the city's
# number; the count of new standards (300) is split pro rata over the two equal-weight counties.
RANKED_TARGETS = {"rate_ge": {CITY: 96.0, C1: 96.0, C2: 96.0}, "pm25": {CITY: 26.0, C1: 26.0, C2: 26.0},
                  "std_new": {CITY: 300.0, C1: 150.0, C2: 150.0}}


def _expected_distance(indicator, region):
    """docs/charts.md's rule from the raw observations: the latest value (an increment: the sum of
    the plan years' additions) minus the target in the good direction, in points for a % indicator,
    as a % of the region's target otherwise."""
    o = _observations()
    o = o[(o["region"] == region) & (o["indicator"] == indicator)]
    v = o.loc[o["year"] >= 2021, "value"].sum() if indicator == "std_new" else \
        o.loc[o["year"] == o["year"].max(), "value"].iloc[0]
    target = RANKED_TARGETS[indicator][region]
    d = target - v if indicator == "pm25" else v - target
    return d if indicator == "rate_ge" else 100 * d / target


@pytest.mark.parametrize("indicator", ["rate_ge", "pm25", "std_new"])
def test_ranking_bars_are_signed_distances_best_first(fa, indicator):
    fig = plots.ranking(fa, indicator)
    ax = fig.axes[0]
    bars = ax.patches[: len(ax.get_yticklabels())]
    names = [t.get_text() for t in ax.get_yticklabels()]
    rows = fa.table.loc[fa.table.indicator == indicator].set_index("region_name")
    got = {n: b.get_width() for n, b in zip(names, bars)}
    code = {"温州市": CITY, "鹿城区": C1, "龙湾区": C2}
    assert sorted(got) == sorted(code)
    for n, w in got.items():
        assert w == pytest.approx(_expected_distance(indicator, code[n]))
    # y grows upward: the last tick (top) is the best
    widths = [got[n] for n in names]
    assert widths == sorted(widths)
    for n, b in zip(names, bars):
        assert to_hex(b.get_facecolor()) == status.colour(rows.loc[n, "status"]).lower()
    assert by_gid(ax, "target_line")
    plots.close(fig)


def _review_df():
    return pd.DataFrame({
        "indicator": ["a", "b", "c", "d"],
        "category": ["质量建设", "质量建设", "标准建设", "品牌建设"],
        "name_zh": ["制造业产品质量合格率", "制定“浙江制造”标准", "主导制修订国际标准", "全市培育市级以上服务业品牌"],
        "unit": ["%", "项", "项", "个"],
        "target": [95.0, 50.0, 1.0, 30.0],
        "achieved": [95.0, 234.0, 0.0, 4.0],
        "met": [True, True, False, False],
        "named_missed_in_plan": [False, False, True, True],
        "comparator": [">="] * 4,
    })


def test_review_bars_are_achieved_as_percent_of_target():
    df = _review_df()
    fig = plots.review(df)
    ax = fig.axes[0]
    bars = ax.patches[:4]
    # first table row at the top: bars were drawn bottom-up in reverse
    ys = [b.get_y() + b.get_height() / 2 for b in bars]
    order = np.argsort(ys)[::-1]
    widths = [bars[i].get_width() for i in order]
    assert widths == pytest.approx([100.0, 200.0, 0.0, 100 * 4 / 30])  # 468% is drawn capped at 200
    labels = [t for t in ax.get_yticklabels()]
    missed = [t.get_text() for t in labels if to_hex(t.get_color()) == status.colour("missed").lower()]
    assert sorted(missed) == sorted(["主导制修订国际标准 †", "全市培育市级以上服务业品牌 †"])
    assert any("468%" in t.get_text() for t in ax.texts)
    assert not [t for t in fig.texts if t.get_gid() == "illustrative_mark"]
    plots.close(fig)


# ------------------------------------------------------------------ export

def test_save_writes_png_300dpi_and_path_svg_atomically(fa, tmp_path):
    from PIL import Image

    fig = plots.trajectory(fa, CITY, "rate_ge")
    paths = plots.save(fig, tmp_path, f"{CITY}_rate_ge_trajectory", size="slide")
    assert [p.name for p in paths] == [f"{CITY}_rate_ge_trajectory.png", f"{CITY}_rate_ge_trajectory.svg"]
    with Image.open(paths[0]) as im:
        assert im.size[0] == pytest.approx(13.333 * 300, abs=2) and im.size[1] == pytest.approx(7.5 * 300, abs=2)
        assert round(im.info["dpi"][0]) == 300
    root = ET.parse(paths[1]).getroot()
    tags = {el.tag.split("}")[-1] for el in root.iter()}
    assert "path" in tags and "text" not in tags  # glyphs as outlines
    assert sorted(p.name for p in tmp_path.iterdir()) == sorted(p.name for p in paths)  # no temp files
    assert fig.axes == []  # closed


def test_save_a4_and_bad_names(fa, tmp_path):
    from PIL import Image

    (png,) = plots.save(plots.review(_review_df()), tmp_path, "review13", size="a4", formats=("png",))
    with Image.open(png) as im:
        assert im.size[1] > im.size[0]  # portrait
    with pytest.raises(QAnalysisError, match="ASCII"):
        plots.save(plots.review(_review_df()), tmp_path, "表1")
    with pytest.raises(QAnalysisError, match="format"):
        plots.save(plots.review(_review_df()), tmp_path, "x", formats=("gif",))


def test_write_region_charts_city_and_county(fa, tmp_path):
    county = plots.write_region_charts(fa, C1, tmp_path / "c", formats=("svg",))
    names = {p.name for p in county}
    quantified = [i for (i, *r) in INDICATORS if r[5] != "unquantified"]
    assert {f"{C1}_{i}_trajectory.svg" for i in quantified} <= names
    assert f"{C1}_air_days_trajectory.svg" not in names
    assert {f"{C1}_{c}_small_multiples.svg" for c in ("product", "environment", "service")} <= names
    assert not any("heatmap" in n or "ranking" in n for n in names)
    city = {p.name for p in plots.write_region_charts(fa, CITY, tmp_path / "city", formats=("svg",),
                                                      review_table=_review_df())}
    assert {f"{CITY}_heatmap_p_attain.svg", f"{CITY}_heatmap_status.svg", "review13.svg"} <= city
    assert {f"{i}_ranking.svg" for i in quantified} <= city
    assert all(n.isascii() for n in city | names)
    with pytest.raises(QAnalysisError, match="not in the assessment"):
        plots.write_region_charts(fa, "999999", tmp_path)


def test_charts_command(fa, tmp_path, monkeypatch):
    from qanalysis import cli

    monkeypatch.setattr("qanalysis.cli.charts.load_assessment", lambda args: fa)
    rc = cli.main(["charts", "--region", C2, "--out", str(tmp_path), "--formats", "svg", "--lang", "en"])
    assert rc == 0
    quantified = [i[0] for i in INDICATORS if not np.isnan(i[-1])]   # air_days has no target: no trajectory
    assert {p.name for p in tmp_path.iterdir()} == (
        {f"{C2}_{i}_trajectory.svg" for i in quantified}
        | {f"{C2}_{c}_small_multiples.svg" for c in ("product", "environment", "service")})
    svg = (tmp_path / f"{C2}_rate_ge_trajectory.svg").read_text(encoding="utf-8")
    row = fa.table.set_index(["region", "indicator"]).loc[(C2, "rate_ge")]
    assert "<!-- Longwan District  ·  target ≥96% -->" in svg          # English, the county's own target
    assert f"P(attain) {row['p_attain']:.0%} -->" in svg
    assert 'id="observed_line"' in svg and 'id="forecast"' in svg and 'id="target_line"' in svg


def test_no_missing_glyphs_in_any_chart(fa):
    figs = [plots.trajectory(fa, CITY, "pm25"), plots.heatmap(fa), plots.ranking(fa, "std_new"),
            plots.review(_review_df()), plots.small_multiples(fa, CITY, "产品质量"),
            plots.trajectory(fa, CITY, "marks_stock", lang="en")]
    with warnings.catch_warnings():
        warnings.filterwarnings("error", message=".*[Gg]lyph.*missing.*")
        for fig in figs:
            export._png_bytes(fig, 40)
            plots.close(fig)


# ------------------------------------------------------------------ the real assessment

def test_on_the_real_assessment():
    import qanalysis
    from qanalysis.analysis.assess import assess

    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        data = qanalysis.load()
    a = assess(data, regions=[data.plan.city_code])
    city = data.plan.city_code
    tab = a.table.loc[a.table.region == city]
    inc = tab.loc[(tab.kind == "increment") & tab.target.notna() & tab.forecast.notna()].iloc[0]
    lev = tab.loc[(tab.kind == "level") & (tab.comparator == ">=") & tab.forecast.notna()].iloc[0]
    one = tab.loc[(tab.kind == "level") & (tab.n_points == 1)].iloc[0]   # one point: no trend to draw
    fig = plots.trajectory(a, city, one["indicator"])
    assert not len(a.path(city, one["indicator"])) and not by_gid(fig.axes[0], "forecast")
    plots.close(fig)
    for row in (inc, lev):
        fig = plots.trajectory(a, city, row["indicator"])
        ax = fig.axes[0]
        s = a.series(city, row["indicator"])
        col = "cumulative" if row["kind"] == "increment" else "value"
        s = s.loc[s[col].notna()]
        (line,) = by_gid(ax, "observed_line")
        np.testing.assert_allclose(line.get_ydata(), s[col].astype(float))
        (tl,) = by_gid(ax, "target_line")
        assert set(np.asarray(tl.get_ydata(), float)) == {float(row["target"])}
        p = a.path(city, row["indicator"])
        assert len(p), row["indicator"]   # both rows have a fitted trend, drawn as the path
        (fc,) = by_gid(ax, "forecast")
        np.testing.assert_allclose(fc.get_ydata(), p["forecast"].dropna().astype(float))
        has_ill = (s["status"] == "illustrative").any() if row["kind"] != "increment" else \
            (a.series(city, row["indicator"])["status"] == "illustrative").any()
        assert bool([t for t in fig.texts if t.get_gid() == "illustrative_mark"]) == bool(has_ill)
        plots.close(fig)
    fig = plots.heatmap(a, "status")
    assert fig.axes[0].get_xticklabels()[0].get_text() == data.region_name(city)
    plots.close(fig)


def test_small_multiples_of_the_largest_category_read_at_notebook_size():
    """Notebook 01 shows the page at 80 dpi, about 80 % wide: ticks sized from the panel stay
    legible, and a baseline square sitting on the axis floor is drawn whole."""
    import qanalysis

    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        data = qanalysis.load()
    a = assess(data, regions=[data.plan.city_code])
    city = str(data.plan.city_code)
    tab = a.table.loc[a.table.region == city]
    category = tab["category"].value_counts().index[0]
    n = int((tab["category"] == category).sum())
    assert n > 12  # the long category the old 6-column grid squeezed
    fig = plots.small_multiples(a, city, category)
    from matplotlib.backends.backend_agg import FigureCanvasAgg

    fig.dpi = 80  # lay out and draw as the notebook shows it (reports.show)
    canvas = FigureCanvasAgg(fig)
    canvas.draw()
    renderer = canvas.get_renderer()
    panels = [ax for ax in fig.axes if ax.get_visible() and by_gid(ax, "status_badge")]
    assert len(panels) == n
    page = fig.bbox
    for ax in panels:
        assert ax.get_position().width > 1 / 6  # four columns at most (six made 8-px ticks)
        sizes = {t.get_fontsize() for t in ax.get_xticklabels() + ax.get_yticklabels()}
        assert min(sizes) >= 11, sizes
        for line in by_gid(ax, "baseline"):
            assert not line.get_clip_on()
            box = line.get_window_extent(renderer)
            assert page.x0 <= box.x0 and box.x1 <= page.x1 and page.y0 <= box.y0 and box.y1 <= page.y1
    # a baseline of 0 for a running total sits on the axis floor: part of it lies below the axes
    floors = [line for ax in panels for line in by_gid(ax, "baseline")
              if line.get_window_extent(renderer).y0 < ax.get_window_extent(renderer).y0]
    assert floors
    plots.close(fig)


def test_new_increment_without_baseline_still_starts_at_zero_in_base_year():
    fa = assessed(fake_dataset())
    m = (fa.table.region == CITY) & (fa.table.indicator == "std_new")
    fa.table.loc[m, "baseline_year"] = np.nan
    fa.table.loc[m, "baseline"] = np.nan
    fig = plots.trajectory(fa, CITY, "std_new")
    (req,) = by_gid(fig.axes[0], "required_path")
    assert list(req.get_xdata()) == [2020.0, 2025.0] and list(req.get_ydata()) == [0.0, 300.0]
    plots.close(fig)
