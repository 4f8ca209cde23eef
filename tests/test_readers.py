"""Reading yearly values: long CSV/Excel, the wide sheet, encodings, and every
kind of bad input the reader itself reports (file, sheet, row/cell, column, reason)."""
from __future__ import annotations


import numpy as np
import openpyxl
import pytest

from qanalysis.data.readers import parse_number, parse_year, read_observations

from fixtures.bad import make_fixtures as fx  # noqa: E402  (tests/ is on sys.path)
from fixtures.bad.make_fixtures import (CITY, INC, LONGGANG, LONGWAN, LUCHENG, PCT, PM,  # noqa: F401 (some unused)
                                        STOCK, UNQ, only)


@pytest.fixture(scope="module")
def plan():
    return fx.plan_data()


def codes(problems):
    return sorted(p.code for p in problems)


# ------------------------------------------------------------------ good input
def test_long_csv_reads_typed_rows_with_origin(tmp_path, plan):
    f = fx.write_csv(tmp_path / "a.csv", *fx.GOOD_ROWS)
    df, probs = read_observations(f, plan)
    assert probs == []
    assert list(df.columns) == ["region", "indicator", "year", "value", "status", "source", "note",
                                "_file", "_sheet", "_row", "_cell"]
    assert df["year"].dtype == "int64" and df["value"].dtype == "float64" and df["_row"].dtype == "int64"
    assert df["region"].tolist() == [CITY, LUCHENG, LONGWAN]
    assert df["value"].tolist() == [95.5, 9.1, 6.0]
    assert df["_row"].tolist() == [2, 3, 4]
    assert df["_cell"].tolist() == ["", "", ""]
    assert df["_file"].iloc[0] == str(f)
    assert df["source"].iloc[0] == "统计公报2021"


def test_chinese_headers_names_labels_and_status(tmp_path, plan):
    f = fx.write_csv(tmp_path / "zh.csv",
                     "鹿城区,制造业产品质量监督抽查合格率,2021年,95,已发布,年鉴,",
                     "龙港,有效注册商标,2022,3.1,初步,,",
                     "温州市,制定\"浙江制造\"标准,2021,50,,,",
                     "330303,“PM2.5平均浓度”,２０２２,25,示例,,",
                     header=" 地区代码 ,指标,年份,数值,数据状态,来源,备注")
    df, probs = read_observations(f, plan)
    assert probs == []
    assert df["region"].tolist() == [LUCHENG, LONGGANG, CITY, LONGWAN]
    assert df["indicator"].tolist() == [PCT, STOCK, INC, PM]
    assert df["year"].tolist() == [2021, 2022, 2021, 2022]
    assert df["status"].tolist() == ["published", "provisional", "provisional", "illustrative"]


@pytest.mark.parametrize("encoding", ["utf-8", "utf-8-sig", "gb18030", "gbk"])
def test_csv_encodings(tmp_path, plan, encoding):
    f = fx.write_csv(tmp_path / "e.csv", "鹿城区,制造业产品质量合格率,2021,95.2,初步,统计年鉴,备注文字",
                     header="地区,指标,年份,数值,数据状态,来源,备注", encoding=encoding)
    df, probs = read_observations(f, plan)
    assert probs == []
    assert df.loc[0, ["region", "indicator", "source", "note"]].tolist() == [LUCHENG, PCT, "统计年鉴", "备注文字"]


@pytest.mark.parametrize("encoding", ["gb18030", "gbk"])
def test_gbk_after_an_ascii_header(tmp_path, plan, encoding):
    """鹿 in GBK is c2 b9, also valid UTF-8 (¹): the decoder must not stop at the bytes after it."""
    f = tmp_path / "g.csv"
    f.write_bytes("region,indicator,year,value\n鹿城区,制造业产品质量合格率,2021,95.5\n".encode(encoding))
    df, probs = read_observations(f, plan)
    assert probs == []
    assert df[["region", "indicator", "value"]].values.tolist() == [[LUCHENG, PCT, 95.5]]


def test_numbers_full_width_thousands_and_percent(tmp_path, plan):
    f = fx.write_csv(tmp_path / "n.csv",
                     f'{CITY},{PCT},2021,９５．５,provisional,,',
                     f'{CITY},{PCT},2022,96%,provisional,,',
                     f'{CITY},{STOCK},2021,"1,234",provisional,,',
                     f'{CITY},{INC},2021, 12 ,provisional,,')
    df, probs = read_observations(f, plan)
    assert probs == []
    assert df["value"].tolist() == [95.5, 96.0, 1234.0, 12.0]


def test_parse_helpers():
    assert parse_year("2021年") == 2021 and parse_year(2021.0) == 2021 and parse_year("２０２１") == 2021
    assert parse_year("2021.5") is None and parse_year("二〇二一") is None and parse_year(True) is None
    assert parse_number("1,234,567.5") == (1234567.5, False)
    assert parse_number("12,34")[0] is None  # not a thousands pattern: refuse rather than guess
    assert parse_number("95%") == (95.0, True)
    assert parse_number("约95")[0] is None and parse_number("n/a")[0] is None
    assert parse_number("1e400")[0] is None and parse_number("-")[0] is None


def test_whitespace_bom_header_and_trailing_empty_rows(tmp_path, plan):
    text = "\ufeff Region ,\tIndicator, YEAR ,value ,status,source\n" + \
           f"{CITY},{PCT},2021,95,provisional,\n,,,,,\n,,,,,\n"
    f = tmp_path / "ws.csv"
    f.write_text(text, encoding="utf-8")
    df, probs = read_observations(f, plan)
    assert probs == []
    assert len(df) == 1 and df["_row"].iloc[0] == 2


def test_long_xlsx_every_sheet_with_the_header(tmp_path, plan):
    head = ["region", "indicator", "year", "value", "status", "source"]
    f = fx.write_xlsx(tmp_path / "l.xlsx", {
        "2021": [head, [CITY, PCT, 2021, 95.1, "published", "公报"]],
        "说明": [["这里是说明"]],
        "2022": [["地区", "指标", "年份", "数值"], [int(LUCHENG), "制造业产品质量合格率", 2022.0, 96]],
    })
    df, probs = read_observations(f, plan)
    assert probs == []
    assert df["_sheet"].tolist() == ["2021", "2022"]
    assert df["region"].tolist() == [CITY, LUCHENG]
    assert df["year"].tolist() == [2021, 2022]
    assert df["_row"].tolist() == [2, 2]


def test_long_table_of_realistic_size_reads_all_rows(tmp_path, plan):
    rng = np.random.default_rng(1)
    rows = [f"{r},{i},{y},{rng.uniform(1, 50):.3f},provisional,,"
            for r in (CITY, LUCHENG, LONGWAN, LONGGANG) for i in (STOCK, INC, PM) for y in range(2016, 2026)] * 1
    df, probs = read_observations(fx.write_csv(tmp_path / "big.csv", *rows), plan)
    assert probs == [] and len(df) == len(rows)
    assert df["value"].round(3).tolist() == [float(r.split(",")[3]) for r in rows]


# ------------------------------------------------------------------ file-level problems
def test_file_not_found(tmp_path, plan):
    df, probs = read_observations(tmp_path / "missing.csv", plan)
    p = only(probs, "file_not_found")
    assert p.file.endswith("missing.csv") and "does not exist" in p.reason and df.empty


@pytest.mark.parametrize("name,content", [("old.xls", b"\xd0\xcf\x11\xe0"), ("a.txt", b"x"), ("a.json", b"{}")])
def test_unsupported_formats(tmp_path, plan, name, content):
    f = tmp_path / name
    f.write_bytes(content)
    p = only(read_observations(f, plan)[1], "unsupported_format")
    assert p.file == str(f) and p.severity == "error"
    assert (".xlsx" in p.reason) and (("97–2003" in p.reason) if name.endswith(".xls") else (f"'{f.suffix}'" in p.reason))


def test_corrupt_excel(tmp_path, plan):
    f = tmp_path / "c.xlsx"
    f.write_bytes(b"PK\x03\x04 truncated zip")
    p = only(read_observations(f, plan)[1], "corrupt_file")
    assert p.file == str(f) and "corrupt" in p.reason


def test_empty_csv_and_blank_csv(tmp_path, plan):
    (tmp_path / "e.csv").write_bytes(b"")
    (tmp_path / "b.csv").write_bytes(b"\xef\xbb\xbf\n,,\n")
    assert "empty" in only(read_observations(tmp_path / "e.csv", plan)[1], "empty_file").reason
    assert only(read_observations(tmp_path / "b.csv", plan)[1], "empty_file").file.endswith("b.csv")


def test_empty_workbook_and_empty_sheet(tmp_path, plan):
    f = fx.write_xlsx(tmp_path / "e.xlsx", {"Sheet1": []})
    assert "every sheet is empty" in only(read_observations(f, plan)[1], "empty_file").reason
    g = fx.write_xlsx(tmp_path / "s.xlsx", {"data": [["region", "indicator", "year", "value"],
                                                     [CITY, PCT, 2021, 95]], "blank": []})
    df, probs = read_observations(g, plan)
    p = only(probs, "empty_sheet")
    assert p.sheet == "blank" and p.severity == "warning" and len(df) == 1


def test_undecodable_bytes(tmp_path, plan):
    f = tmp_path / "u.csv"
    f.write_bytes("地区,指标,年份,数值\n".encode() + b"330300,pm25,2021,\xff\xfe26\n")
    df, probs = read_observations(f, plan)
    p = only(probs, "bad_encoding")
    offset = f.read_bytes().index(b"\xff")
    assert p.row == 2 and f"byte offset {offset}" in p.reason and "UTF-8" in p.reason and df.empty


def test_undecodable_in_ascii_file(tmp_path, plan):
    f = tmp_path / "u2.csv"
    f.write_bytes(b"region,indicator,year,value\n330300,pm25,2021,26\n330300,pm25,2022,\xff\n")
    p = only(read_observations(f, plan)[1], "bad_encoding")
    assert p.row == 3 and "GB18030" in p.reason


def test_missing_required_column(tmp_path, plan):
    f = fx.write_csv(tmp_path / "m.csv", f"{CITY},{PCT},95", header="region,indicator,value")
    df, probs = read_observations(f, plan)
    p = only(probs, "missing_column")
    assert (p.row, p.column) == (1, "year") and "年份" in p.reason and df.empty


def test_misnamed_column_suggests(tmp_path, plan):
    f = fx.write_csv(tmp_path / "v.csv", f"{CITY},{PCT},2021,95", header="region,indicator,year,vaule")
    df, probs = read_observations(f, plan)
    p = only(probs, "misnamed_column")
    assert (p.row, p.column) == (1, "vaule") and "did you mean 'value'" in p.reason
    assert "missing_column" not in codes(probs) and df.empty


def test_no_header_at_all(tmp_path, plan):
    f = tmp_path / "h.csv"
    f.write_text("330300,pm25,2021,26\n", encoding="utf-8")
    p = only(read_observations(f, plan)[1], "no_header")
    assert "region, indicator, year, value" in p.reason


def test_shifted_header_in_csv_and_excel(tmp_path, plan):
    f = tmp_path / "s.csv"
    f.write_text("温州市质量指标数据\n填报单位：市场监管局\nregion,indicator,year,value\n"
                 f"{CITY},{PCT},2021,95\n", encoding="utf-8")
    df, probs = read_observations(f, plan)
    p = only(probs, "shifted_header")
    assert p.row == 3 and p.severity == "warning" and "delete the rows above" in p.reason
    assert df["_row"].tolist() == [4]
    g = fx.write_xlsx(tmp_path / "s.xlsx", {"数据": [["标题"], [], ["地区", "指标", "年份", "数值"],
                                                    [CITY, PCT, 2021, 95]]})
    df, probs = read_observations(g, plan)
    p = only(probs, "shifted_header")
    assert (p.sheet, p.row) == ("数据", 3) and df["_row"].tolist() == [4]


# ------------------------------------------------------------------ cell-level problems (long)
def test_unknown_indicator_with_suggestion(tmp_path, plan):
    f = fx.write_csv(tmp_path / "i.csv", f"{CITY},制造业产品质量合格律,2021,95,provisional,,",
                     f"{CITY},{PCT},2021,95,provisional,,")
    df, probs = read_observations(f, plan)
    p = only(probs, "unknown_indicator")
    assert (p.file, p.row, p.column) == (str(f), 2, "indicator")
    assert "制造业产品质量合格律" in p.reason and PCT in p.reason  # the suggestion
    assert len(df) == 1 and df["_row"].iloc[0] == 3


def test_unknown_and_ambiguous_region_names(tmp_path, plan):
    f = fx.write_csv(tmp_path / "r.csv", f"龙,{PCT},2021,95,provisional,,",
                     f"瓯海区,{PCT},2021,95,provisional,,", f"999999,{PCT},2021,95,provisional,,")
    df, probs = read_observations(f, plan)
    amb = only(probs, "ambiguous_region")
    assert (amb.row, amb.column) == (2, "region") and "龙湾区" in amb.reason and "龙港市" in amb.reason
    unknown = [p for p in probs if p.code == "unknown_region"]
    assert [(p.row, p.column) for p in unknown] == [(3, "region"), (4, "region")]
    assert "瓯海区" in unknown[0].reason and "999999" in unknown[1].reason and df.empty


def test_not_a_number(tmp_path, plan):
    f = fx.write_csv(tmp_path / "n.csv", f"{CITY},{PCT},2021,约95,provisional,,",
                     f"{CITY},{PCT},2022,n/a,provisional,,")
    df, probs = read_observations(f, plan)
    ps = [p for p in probs if p.code == "not_a_number"]
    assert [(p.row, p.column) for p in ps] == [(2, "value"), (3, "value")]
    assert "'约95' is not a number" in ps[0].reason and "'n/a'" in ps[1].reason and df.empty


def test_percent_sign_outside_a_percent_column(tmp_path, plan):
    f = fx.write_csv(tmp_path / "p.csv", f"{CITY},{STOCK},2021,5%,provisional,,")
    p = only(read_observations(f, plan)[1], "unexpected_percent")
    assert (p.row, p.column) == (2, "value") and "万件" in p.reason


def test_bad_year(tmp_path, plan):
    f = fx.write_csv(tmp_path / "y.csv", f"{CITY},{PCT},2021.5,95,provisional,,",
                     f"{CITY},{PCT},二〇二一,95,provisional,,", f"{CITY},{PCT},,95,provisional,,")
    df, probs = read_observations(f, plan)
    ps = [p for p in probs if p.code == "bad_year"]
    assert [(p.row, p.column) for p in ps] == [(2, "year"), (3, "year"), (4, "year")]
    assert "'2021.5' is not a whole year" in ps[0].reason and "empty" in ps[2].reason and df.empty


def test_unknown_status(tmp_path, plan):
    f = fx.write_csv(tmp_path / "s.csv", f"{CITY},{PCT},2021,95,final,,")
    df, probs = read_observations(f, plan)
    p = only(probs, "unknown_status")
    assert (p.row, p.column) == (2, "status") and "'final'" in p.reason and "published" in p.reason
    assert df.empty


def test_missing_value_error_when_published_warning_otherwise(tmp_path, plan):
    f = fx.write_csv(tmp_path / "mv.csv", f"{CITY},{PCT},2021,,published,公报,",
                     f"{CITY},{PCT},2022,,provisional,,")
    df, probs = read_observations(f, plan)
    ps = [p for p in probs if p.code == "missing_value"]
    assert [(p.row, p.column, p.severity) for p in ps] == [(2, "value", "error"), (3, "value", "warning")]
    assert "published" in ps[0].reason and df.empty


# ------------------------------------------------------------------ Excel-only problems
def test_merged_cells_in_data_area(tmp_path, plan):
    rows = [["region", "indicator", "year", "value"], [CITY, PCT, 2021, 95], [None, PCT, 2022, 96]]
    f = fx.write_xlsx(tmp_path / "m.xlsx", {"d": rows}, merge={"d": ["A2:A3"]})
    p = only(read_observations(f, plan)[1], "merged_cells")
    assert (p.sheet, p.cell, p.row) == ("d", "A2", 2) and "A2:A3" in p.reason and "unmerge" in p.reason


def test_formula_without_cached_value(tmp_path, plan):
    f = fx.write_xlsx(tmp_path / "f.xlsx", {"d": [["region", "indicator", "year", "value"],
                                                   [CITY, PCT, 2021, "=90+5"]]})
    wide = tmp_path / "w.xlsx"
    wb = openpyxl.Workbook()
    ws = wb.active
    ws.title = f"{CITY} 温州市"
    ws.append(["指标代码", "指标名称", 2021, 2022])
    ws.append([PCT, "制造业产品质量合格率", "=A1", 96])
    wb.save(wide)
    df, probs = read_observations(wide, plan)
    p = only(probs, "formula_no_value")
    assert (p.sheet, p.cell, p.column) == (f"{CITY} 温州市", "C2", "2021") and "=A1" in p.reason
    assert df["year"].tolist() == [2022]
    df, probs = read_observations(f, plan)
    p = only(probs, "formula_no_value")
    assert (p.sheet, p.cell, p.row, p.column) == ("d", "D2", 2, "value") and "=90+5" in p.reason
    assert codes(probs) == ["formula_no_value"] and df.empty


def _wide(tmp_path, name, sheets):
    return fx.write_xlsx(tmp_path / name, sheets)


def test_wide_sheet_not_a_region(tmp_path, plan):
    f = _wide(tmp_path, "w.xlsx", {"Sheet1": [["指标代码", "指标名称", 2021], [PCT, "x", 95]]})
    df, probs = read_observations(f, plan)
    p = only(probs, "unknown_sheet_region")
    assert p.sheet == "Sheet1" and "'330302 鹿城区'" in p.reason and df.empty


def test_wide_year_header_not_a_year(tmp_path, plan):
    f = _wide(tmp_path, "w.xlsx", {f"{LUCHENG} 鹿城区": [["指标代码", "指标名称", 2021, "2022年度合计", "数据状态"],
                                                        [PCT, "制造业产品质量合格率", 95, 96, "provisional"]]})
    df, probs = read_observations(f, plan)
    p = only(probs, "bad_year_header")
    assert (p.sheet, p.cell, p.column) == (f"{LUCHENG} 鹿城区", "D1", "2022年度合计")
    assert df[["region", "year", "value", "_cell"]].values.tolist() == [[LUCHENG, 2021, 95.0, "C2"]]


def test_wide_same_indicator_twice(tmp_path, plan):
    f = _wide(tmp_path, "w.xlsx", {"鹿城区": [["指标代码", "指标名称", 2021],
                                              [PCT, "制造业产品质量合格率", 95],
                                              [STOCK, "国内有效商标注册数", 9],
                                              ["", "制造业产品质量合格率", 97]]})
    df, probs = read_observations(f, plan)
    p = only(probs, "duplicate_indicator_row")
    assert (p.sheet, p.row) == ("鹿城区", 4) and "row 2" in p.reason
    assert df["value"].tolist() == [95.0, 9.0]


def test_wide_cell_problems_name_the_cell(tmp_path, plan):
    f = _wide(tmp_path, "w.xlsx", {f"{CITY} 温州市": [["标题"], ["指标代码", "指标名称", 2020, 2021, "数据状态", "来源"],
                                                     ["nope", "", 1, 2, "provisional", ""],
                                                     [PCT, "", "约95", "９６", "", ""],
                                                     [INC, "", 1, 2, "done", ""]]})
    df, probs = read_observations(f, plan)
    assert only(probs, "unknown_indicator").cell == "A3"
    nn = only(probs, "not_a_number")
    assert (nn.cell, nn.column, nn.row) == ("C4", "2020", 4)
    st = only(probs, "unknown_status")
    assert (st.cell, st.column) == ("E5", "数据状态")
    assert "shifted_header" not in codes(probs)  # title rows above the wide header are expected
    assert df[["indicator", "year", "value", "status", "_cell"]].values.tolist() == [
        [PCT, 2021, 96.0, "provisional", "D4"]]


from hypothesis import HealthCheck, given, settings, strategies as st  # noqa: E402

_CELLS = st.one_of(st.sampled_from(["", " ", CITY, "鹿城区", "龙", PCT, STOCK, "2021", "2031", "约95", "1,234",
                                    "９６", "96%", "published", "初步", "x", "\"", "=1+1", "-3", "1e400"]),
                   st.text(max_size=6))


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(rows=st.lists(st.lists(_CELLS, max_size=8), max_size=6),
       header=st.permutations(["region", "indicator", "year", "value", "status", "source", "vaule", "地区"]),
       raw=st.binary(max_size=40))
def test_any_csv_gives_rows_or_problems_never_an_exception(tmp_path, plan, rows, header, raw):
    import csv as _csv
    import io as _io

    buf = _io.StringIO()
    w = _csv.writer(buf)
    w.writerow(header[:6])
    w.writerows(rows)
    for i, data in enumerate([buf.getvalue().encode("utf-8"), buf.getvalue().encode("gb18030") + raw]):
        f = tmp_path / f"h{i}.csv"
        f.write_bytes(data)
        df, probs = read_observations(f, plan)
        assert list(df.columns)[:7] == ["region", "indicator", "year", "value", "status", "source", "note"]
        assert np.isfinite(df["value"]).all() and df["region"].isin(plan.regions["code"]).all()
        assert all(p.file == str(f) and p.reason for p in probs)
