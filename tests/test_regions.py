import numpy as np
import pandas as pd
import pytest

from qanalysis.plan.catalogue import read_plan
from qanalysis.errors import InputError


def test_thirteen_regions_city_first(plan_data):
    r = plan_data.regions
    assert len(r) == 13 and r["code"].iat[0] == "330300" and r["level"].iat[0] == "city"
    assert set(r["code"]) >= {"330302", "330383", "330305"}
    assert (r.loc[r["level"] == "county", "parent"] == "330300").all()


def test_city_targets_are_the_plans(plan_data):
    t = plan_data.targets
    city = t[t["region"] == "330300"].set_index("indicator")
    cat = plan_data.catalogue.set_index("id")
    assert (city["target_basis"] == "plan").all()
    np.testing.assert_array_equal(city["target"].to_numpy(), cat.loc[city.index, "target"].to_numpy())


def test_county_level_targets_default_to_city_counts_are_shared(plan_data):
    t = plan_data.targets.set_index(["region", "indicator"])
    cat = plan_data.catalogue.set_index("id")
    level = cat.index[(cat["kind"] == "level") & (cat["target"].notna())][0]
    assert t.loc[("330302", level), "target"] == cat.loc[level, "target"]
    assert t.loc[("330302", level), "target_basis"] == "city_default"
    stock = cat.index[(cat["kind"] == "stock") & cat["target"].notna()][0]
    counties = plan_data.regions.loc[plan_data.regions["level"] == "county", "code"]
    shared = t.loc[[(c, stock) for c in counties], "target"]
    # largest remainder at the unit the plan writes: the shares add up to the city's target
    assert shared.sum() == pytest.approx(cat.loc[stock, "target"])
    assert np.allclose(shared * 10 ** cat.loc[stock, "decimals"], np.round(shared * 10 ** cat.loc[stock, "decimals"]))
    assert (t.loc[[(c, stock) for c in counties], "target_basis"] == "pro_rata").all()


def test_overrides_from_the_plan_apply(plan_data):
    """市区 ≥20% vs 其他县市 ≥12% for star-rated green buildings (plan §五)."""
    t = plan_data.targets
    ov = t[t["target_basis"] == "override"]
    assert len(ov) >= 1
    assert set(ov["target"]) == {12.0}


def test_override_for_unknown_region_is_refused(plan_copy):
    with open(plan_copy / "county_targets.csv", "a", encoding="utf-8") as fh:
        fh.write("999999,mfg_product_pass_rate,,97,,bad,test\n")
    with pytest.raises(InputError) as err:
        read_plan(plan_copy)
    p = err.value.problems[0]
    assert p.code == "unknown_region" and p.column == "region" and p.file.endswith("county_targets.csv")


def test_bad_region_rows(plan_copy):
    df = pd.read_csv(plan_copy / "regions.csv", dtype=str, keep_default_na=False)
    df.loc[1, "code"] = "33030"
    df.loc[2, "level"] = "province"
    df.loc[3, "code"] = df.loc[4, "code"]
    df.to_csv(plan_copy / "regions.csv", index=False)
    with pytest.raises(InputError) as err:
        read_plan(plan_copy)
    codes = {(p.row, p.code) for p in err.value.problems}
    assert {(3, "bad_code"), (4, "bad_level"), (5, "duplicate_region"), (6, "duplicate_region")} <= codes


def test_county_baseline_from_its_own_base_year_value(dataset, tmp_path):
    from qanalysis.data.prepare import build

    # a generated (illustrative) 2020 value is no baseline, and the city's is never borrowed
    t = dataset.targets.set_index(["region", "indicator"])
    assert np.isnan(t.loc[("330302", "mfg_product_pass_rate"), "baseline"])
    # a delivered one is
    f = tmp_path / "base.csv"
    f.write_text("region,indicator,year,value,status,source\n"
                 "330302,mfg_product_pass_rate,2020,94.2,published,年鉴\n",
                 encoding="utf-8")
    t = build(data_files=[f]).targets.set_index(["region", "indicator"])
    assert t.loc[("330302", "mfg_product_pass_rate"), "baseline"] == 94.2
    # the city's baseline stays the plan's number
    assert t.loc[("330300", "mfg_product_pass_rate"), "baseline"] == 95


def test_counts_too_small_to_share_stay_with_the_city(plan_data):
    t = plan_data.targets.set_index(["region", "indicator"])
    cat = plan_data.catalogue.set_index("id")
    small = cat.index[cat["kind"].isin(["stock", "increment"]) & (cat["target"] < 12)]
    assert len(small) >= 3   # e.g. one national quality-brand zone, three beautiful bays
    for ind in small:
        assert t.loc[("330302", ind), "target_basis"] == "city_only"
        assert np.isnan(t.loc[("330302", ind), "target"])
        assert t.loc[("330300", ind), "target"] == cat.loc[ind, "target"]


def _set_mode(plan_copy, mode):
    toml = plan_copy / "plan.toml"
    text = "\n".join(l for l in toml.read_text(encoding="utf-8").splitlines()
                     if not l.startswith("county_targets"))
    toml.write_text(text + f'\ncounty_targets = "{mode}"\n', encoding="utf-8")


def test_pro_rata_baselines_are_never_the_countys_own(plan_data):
    t = plan_data.targets
    rows = t[t["target_basis"].isin(["pro_rata", "city_default", "city_only"])]
    assert len(rows) and rows["baseline"].isna().all()


def test_counts_are_not_shared_out_without_pro_rata(plan_copy):
    _set_mode(plan_copy, "city")
    d = read_plan(plan_copy)
    t = d.targets.set_index(["region", "indicator"])
    counts = d.catalogue.loc[d.catalogue["kind"].isin(["stock", "increment"]) & d.catalogue["target"].notna(), "id"]
    level = d.catalogue.loc[(d.catalogue["kind"] == "level") & d.catalogue["target"].notna(), "id"].iat[0]
    assert (d.targets.loc[d.targets["indicator"].isin(counts) & d.targets["region"].ne("330300"),
                          "target_basis"] != "pro_rata").all()
    assert np.isnan(t.loc[("330302", counts.iat[0]), "target"])
    assert t.loc[("330302", level), "target_basis"] == "city_default"
    _set_mode(plan_copy, "none")
    t = read_plan(plan_copy).targets
    county = t[t["region"] != "330300"]
    assert county["target"].isna().sum() == (county["target_basis"] != "override").sum()
    _set_mode(plan_copy, "by_county")
    with pytest.raises(Exception, match="county_targets"):
        read_plan(plan_copy)


def test_overriding_one_county_reshares_the_rest(plan_copy):
    """Issue 18 item 7: one county at 60 of the city's 300 — the other counties share 240."""
    d = read_plan(plan_copy)
    cat = d.catalogue.set_index("id")
    stock = cat.index[(cat["kind"] == "stock") & (cat["target"] >= 100)][0]
    city = cat.loc[stock, "target"]
    with open(plan_copy / "county_targets.csv", "a", encoding="utf-8") as fh:
        fh.write(f"330302,{stock},,{city / 5:g},,县级自定,test\n")
    t = read_plan(plan_copy).targets
    rows = t[(t["indicator"] == stock) & (t["region"] != "330300")].set_index("region")
    assert rows.loc["330302", "target"] == city / 5 and rows.loc["330302", "target_basis"] == "override"
    assert rows["target"].sum() == pytest.approx(city)
    assert "余下" in rows.loc["330303", "target_note"]
    # an override above the city's target leaves nothing to share: the note says so
    with open(plan_copy / "county_targets.csv", "a", encoding="utf-8") as fh:
        fh.write(f"330303,{stock},,{city:g},,县级自定,test\n")
    t = read_plan(plan_copy).targets
    rows = t[(t["indicator"] == stock) & (t["region"] != "330300")].set_index("region")
    assert "不等于全市目标" in rows.loc["330304", "target_note"] and np.isnan(rows.loc["330304", "target"])


def test_a_city_row_in_county_targets_is_refused(plan_copy):
    with open(plan_copy / "county_targets.csv", "a", encoding="utf-8") as fh:
        fh.write("330300,mfg_product_pass_rate,,97,,bad,test\n")
    with pytest.raises(InputError) as err:
        read_plan(plan_copy)
    p = err.value.problems[0]
    n = len((plan_copy / "county_targets.csv").read_text(encoding="utf-8").splitlines())
    assert p.code == "city_override" and p.row == n and p.column == "region"


def test_unknown_column_in_a_plan_file_is_an_error(plan_copy):
    df = pd.read_csv(plan_copy / "regions.csv", dtype=str, keep_default_na=False)
    df.assign(targetyear="").to_csv(plan_copy / "regions.csv", index=False)
    with pytest.raises(InputError) as err:
        read_plan(plan_copy)
    assert {(p.code, p.column) for p in err.value.problems} == {("unknown_column", "targetyear")}
