"""The catalogue as the plan writes it: 表2, 表1 and the prose targets."""
import json
import subprocess
import sys
from io import StringIO

import jsonschema
import numpy as np
import pandas as pd
import pytest

from qanalysis import config
from qanalysis.plan.catalogue import catalogue_records, read_plan, schema_problems
from qanalysis.errors import InputError

# 表2 as printed in the plan (name fragment, baseline, target). Written out by hand
# from the seed text, independently of data/raw, so a transcription slip fails here.
TABLE2 = [
    ("制造业产品质量合格率", 95, 96), ("主要农产品质量安全省级监测合格率", 99.04, 98),
    ("基本药物抽检合格率", 100, 100), ("规模以上工业新产品产值率", 38.1, 40),
    ("制定“浙江制造”标准", 234, 300), ("主导制修订国家标准", 33, 10),
    ("培育“品字标”企业", 148, 200), ("国际合作认证证书保有量", 11, 30),
    ("创建全国质量品牌提升示范区", None, 1), ("国内有效商标注册数", 46.38, 60),
    ("地理标志培育、申请数", 17, 20), ("每万人高价值发明专利拥有量", 4.2, 9.7),
    ("浙江制造精品", 97, 150), ("服务质量满意度", 87.14, 90),
    ("高品质服务认证证书", 161, 300), ("制修订服务业地方标准", 12, 10),
    ("现代服务业创新发展区", None, 20), ("竣工工程质量验收一次验收合格率", 100, 100),
    ("装配式建筑占新建建筑比例", 30, 35), ("绿色建筑占城镇新建民用建筑比例", 100, 100),
    ("工程质量终身责任制三项制度覆盖率", 100, 100), ("国家级奖项", 4, 8),
    ("创钱江杯（建筑）等省级奖项", 36, 45), ("创瓯江杯奖", 372, 400),
    ("PM2.5", 25, 26), ("城市空气质量优良天数比例", 97, None),
    ("地表水省控及以上断面达到或好于Ⅲ类水体比例", 87.5, 92),
    ("市控以上水环境功能区达标率", 78.9, 90), ("县级以上城市集中式饮用水水源地水质达标率", 100, 100),
]


def table2(plan_data):
    c = plan_data.catalogue
    return c[c["source"].str.startswith("表2")].reset_index(drop=True)


def test_table2_has_all_29_rows_with_the_plans_numbers(plan_data):
    t2 = table2(plan_data)
    assert len(t2) == 29
    for (fragment, base, target), row in zip(TABLE2, t2.to_dict("records")):
        assert fragment in row["name_zh"], (fragment, row["name_zh"])
        if base is None:
            assert pd.isna(row["baseline"]) and pd.isna(row["baseline_year"])
        else:
            assert row["baseline"] == pytest.approx(base) and row["baseline_year"] == 2020
        if target is None:
            assert np.isnan(row["target"]) and row["kind"] == "unquantified"
        else:
            assert row["target"] == pytest.approx(target) and row["target_year"] == 2025


def test_quirks_are_recorded_not_smoothed(plan_data):
    c = plan_data.catalogue.set_index("id")
    sat = c[c["name_zh"] == "服务质量满意度"].iloc[0]
    assert sat["target"] == 90 and "正文" in sat["note"]  # target lost in the table layout
    air = c[c["name_zh"].str.contains("空气质量优良天数比例")].iloc[0]
    assert air["kind"] == "unquantified" and "省定目标" in air["target_text"]
    pm = c[c["name_zh"].str.contains("PM2.5")].iloc[0]
    assert pm["comparator"] == "<=" and pm["direction"] == -1 and pm["target_text"] == "≤ 26"
    new = c[c["baseline_text"] == "-"]
    assert len(new) >= 2 and new["baseline"].isna().all() and new["note"].str.contains("-").all()
    mfg = c[c["name_zh"] == "制造业产品质量合格率"].iloc[0]
    assert mfg["target_text"] == "≥96" and mfg["comparator"] == ">="


def test_increments_and_stocks_follow_the_table_wording(plan_data):
    t2 = table2(plan_data)
    assert (t2.loc[t2["name_zh"].str.contains("新增"), "kind"] == "increment").all()
    assert (t2.loc[t2["name_zh"].str.contains("累计"), "kind"] == "stock").all()


def test_prose_targets_at_least_20_each_with_a_section(plan_data):
    c = plan_data.catalogue
    prose = c[~c["source"].str.startswith("表")]
    assert len(prose) >= 20
    assert prose["source"].str.match(r"^[一二三四五六七八九十]+[（(]").all()
    assert prose["target"].notna().all()
    names = " ".join(prose["name_zh"])
    for must in ("智能工厂", "设备联网率", "数控化率", "标准化试点", "美丽河湖", "美丽海湾", "计量标准"):
        assert must in names


def test_every_row_passes_the_schema(plan_data):
    assert schema_problems(plan_data.catalogue) == []


def test_schema_rejects_a_bad_row(plan_data):
    rec = catalogue_records(plan_data.catalogue)[0]
    schema = json.loads((config.PACKAGE_DIR / "plan" / "indicator.schema.json").read_text())
    for bad in ({"kind": "ratio"}, {"id": "Bad Id"}, {"comparator": ">"}, {"target": None},
                {"name_zh": "only ascii"}, {"extra": 1}):
        with pytest.raises(jsonschema.ValidationError):
            jsonschema.validate({**rec, **bad}, schema)


def test_review_table1_26_rows_with_notes(plan_data):
    r = plan_data.review
    assert len(r) == 26
    assert r["target"].notna().all() and r["achieved"].notna().all()
    brand = r[r["achieved_text"].str.contains("在建")].iloc[0]
    assert brand["achieved"] == 3 and "在建2个" in brand["note"]
    assert r["named_missed_in_plan"].sum() == 8
    assert (r["category"] != "").all()


def test_ids_unique_ascii(plan_data):
    ids = plan_data.catalogue["id"]
    assert ids.is_unique and ids.str.fullmatch(r"[a-z][a-z0-9_]+").all()


def _write(df, path):
    df.to_csv(path, index=False)


def test_all_problems_reported_together(plan_copy):
    raw = pd.read_csv(plan_copy / "indicators.csv", dtype=str, keep_default_na=False)
    raw.loc[0, "kind"] = "ratio"
    raw.loc[1, "comparator"] = "<="          # contradicts "≥98" in the cell
    raw.loc[2, "id"] = raw.loc[3, "id"]      # duplicate id
    _write(raw, plan_copy / "indicators.csv")
    with pytest.raises(InputError) as err:
        read_plan(plan_copy)
    codes = {(p.row, p.code) for p in err.value.problems}
    assert (2, "bad_kind") in codes and (3, "comparator_mismatch") in codes
    assert (5, "duplicate_id") in codes
    assert all(p.file.endswith("indicators.csv") for p in err.value.problems)


def test_missing_column_named(plan_copy):
    raw = pd.read_csv(plan_copy / "indicators.csv", dtype=str, keep_default_na=False)
    _write(raw.drop(columns=["unit"]), plan_copy / "indicators.csv")
    with pytest.raises(InputError) as err:
        read_plan(plan_copy)
    assert [p.column for p in err.value.problems] == ["unit"]


def test_catalogue_cli_csv():
    out = subprocess.run([sys.executable, "-m", "qanalysis", "catalogue", "--csv"],
                         capture_output=True, text=True, check=True).stdout
    df = pd.read_csv(StringIO(out), dtype={"id": str})
    for col in ("id", "name_zh", "category", "unit", "kind", "comparator", "baseline_year",
                "baseline", "target_year", "target", "source"):
        assert col in df.columns
    assert (df["source"].str.startswith("表2")).sum() == 29


def test_review_cli_csv():
    out = subprocess.run([sys.executable, "-m", "qanalysis", "catalogue", "--review", "--csv"],
                         capture_output=True, text=True, check=True).stdout
    df = pd.read_csv(StringIO(out))
    assert len(df) == 26 and {"target", "achieved"} <= set(df.columns)


def test_broken_plan_cli_exits_nonzero_without_traceback(plan_copy):
    (plan_copy / "regions.csv").write_text("code,name_zh\n1,x\n", encoding="utf-8")
    res = subprocess.run([sys.executable, "-m", "qanalysis", "catalogue", "--plan", str(plan_copy)],
                         capture_output=True, text=True)
    assert res.returncode != 0
    assert "Traceback" not in res.stderr and "regions.csv" in res.stderr


def test_the_schema_and_the_contract_name_the_same_kinds_and_comparators():
    """The schema ships as JSON for other tools; dataset.py is where the code reads them.
    They cannot drift apart."""
    from qanalysis.dataset import COMPARATORS, KINDS

    props = json.loads((config.PACKAGE_DIR / "plan" / "indicator.schema.json").read_text())["properties"]
    assert tuple(props["kind"]["enum"]) == KINDS
    assert tuple(props["comparator"]["enum"]) == COMPARATORS


def test_a_row_target_year_is_read_and_a_second_year_becomes_a_milestone_note(plan_copy):
    """A ``target_year`` column is used, never ignored; two years for one id are not duplicate ids."""
    import pandas as pd
    from qanalysis.plan.catalogue import read_plan

    path = plan_copy / "indicators.csv"
    df = pd.read_csv(path, dtype=str, keep_default_na=False)
    early = df.iloc[[0]].assign(target_text="≥95")
    df = pd.concat([df, early], ignore_index=True)
    df["target_year"] = ""
    df.loc[len(df) - 1, "target_year"] = "2023"
    df.to_csv(path, index=False)
    cat = read_plan(plan_copy).catalogue.set_index("id")
    row = cat.loc[df["id"].iat[0]]
    assert row["target_year"] == 2025 and row["target"] == 96
    assert "阶段性目标 2023年 ≥95" in row["note"] and "尚未单独评估" in row["note"]
    # one indicator's own year differing from the plan's
    df = df.iloc[:-1].copy()
    df.loc[1, "target_year"] = "2024"
    df.to_csv(path, index=False)
    assert read_plan(plan_copy).catalogue.set_index("id").loc[df["id"].iat[1], "target_year"] == 2024
    df.loc[1, "target_year"] = "二〇二四"
    df.to_csv(path, index=False)
    with pytest.raises(InputError) as err:
        read_plan(plan_copy)
    assert [(p.code, p.row, p.column) for p in err.value.problems] == [("bad_year", 3, "target_year")]


def test_the_schema_check_keeps_the_slow_iri_checker_out_and_leaves_it_importable():
    """A plan is checked without importing rfc3987_syntax (1.5 s of grammar building on import, which
    every validate and prepare paid), the check still finds a bad row, and the module is not
    blocked for whoever imports it later in the same process."""
    probe = (
        "import sys\n"
        "from qanalysis.plan.catalogue import read_plan, schema_problems\n"
        "cat = read_plan().catalogue\n"
        "assert schema_problems(cat) == []\n"
        "bad = cat.copy(); bad.loc[bad.index[0], 'kind'] = 'levle'\n"
        "assert [p.column for p in schema_problems(bad)] == ['kind']\n"
        "assert 'jsonschema' in sys.modules and 'rfc3987_syntax' not in sys.modules\n"
        "import rfc3987_syntax\n"
        "print('ok')\n")
    res = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True, timeout=120)
    assert res.returncode == 0 and res.stdout.strip() == "ok", res.stderr
