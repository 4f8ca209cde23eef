"""The explorer's logic without a browser: the widgets driven as the front end drives them
(setting ``value``, clicking buttons), the shared table helper, the page font, the command."""
from __future__ import annotations

import re
import socket
import subprocess
import sys
import warnings

import pytest

import ipywidgets  # noqa: F401  a runtime dependency: a broken install fails here, it does not skip

from qanalysis.explore import Explorer, page, server, tables  # noqa: E402
from qanalysis.reports.notebook import load_assessment  # noqa: E402


@pytest.fixture(scope="module")
def assessment():
    return load_assessment()[1]


@pytest.fixture
def ex(assessment):
    return Explorer(assessment, font=False)


def _img(ex) -> tuple[str, str, str]:
    m = re.search(r'data-region="([^"]+)" data-indicator="([^"]+)" data-view="([^"]+)" '
                  r'src="data:image/png;base64,', ex.chart.value)
    assert m, ex.chart.value[:200]
    return m.groups()


def test_starts_on_the_city_and_its_first_off_track_indicator_with_chart_and_table(ex, assessment):
    t = assessment.table
    city = str(assessment.data.plan.city_code)
    city_rows = t[t["region"] == city].set_index("indicator")
    assert ex.region == city
    # the first of off_track, missed, at_risk the city has (the demo fills 2025 since issue 30: missed)
    wanted = next(w for w in ("off_track", "missed", "at_risk") if (city_rows["status"] == w).any())
    assert city_rows.loc[ex.indicator, "status"] == wanted
    # no such indicator listed before it
    before = ex.indicators[:ex.indicators.index(ex.indicator)]
    assert all(city_rows.loc[i, "status"] != wanted for i in before)
    assert _img(ex) == (city, ex.indicator, "trend")
    assert ex.draw_count == 1
    assert city_rows.loc[ex.indicator, "name_zh"] in ex.table_html.value
    assert ex.errors == []


def test_indicator_kept_across_region_changes_and_drawn_once_each(ex):
    start = ex.indicator
    for region in [ex.regions[1], ex.regions[5], ex.city]:
        before = ex.draw_count
        ex.region_box.value = region  # what the browser's change event does
        assert ex.indicator == start
        assert ex.draw_count == before + 1
        assert _img(ex) == (region, start, "trend")
        assert f'data-region="{region}" data-indicator="{start}"' in ex.table_html.value
        assert ex.region_names[region] in ex.table_html.value
    assert ex.errors == []


def test_indicator_labels_grouped_by_category_with_unit_and_this_regions_status(ex, assessment):
    labels = [label for label, _ in ex.indicator_box.options]
    cats = [label.split(" | ")[0] for label in labels]
    # each category in one block, in the plan's order
    assert [c for i, c in enumerate(cats) if i == 0 or c != cats[i - 1]] == ex.categories
    county = ex.regions[3]
    ex.region_box.value = county
    t = assessment.table
    rows = t[t["region"] == county].set_index("indicator")
    for label, ind in ex.indicator_box.options:
        r = rows.loc[ind]
        assert r["name_zh"] in label and r["status_zh"].split("(")[0] in label
        if r["unit"]:
            assert f"({r['unit']})" in label


def test_chinese_search_finds_the_indicator_and_keeps_the_region(ex):
    ex.region_box.value = ex.regions[2]
    ex.search_box.value = "数控"
    assert ex.indicator == "equipment_nc_rate"
    assert [v for _, v in ex.indicator_box.options] == ["equipment_nc_rate"]
    assert _img(ex) == (ex.regions[2], "equipment_nc_rate", "trend")
    # the plan's other wording and full-width quotes: “浙江制造”标准 is found as 浙江制造标准
    assert "zhejiang_made_standards_new" in ex.matches("浙江制造标准")
    assert "trademarks_valid_stock" in ex.matches("商标")
    # a region change keeps the filtered list and the indicator
    ex.region_box.value = ex.city
    assert ex.indicator == "equipment_nc_rate" and len(ex.indicator_box.options) == 1


def test_search_without_match_says_so_and_keeps_the_chart(ex):
    drawn, ind = ex.draw_count, ex.indicator
    ex.search_box.value = "不存在的指标"
    assert "没有与" in ex.match_note.value
    assert ex.indicator == ind and ex.draw_count == drawn


def test_category_filter_then_clear(ex):
    ex.category_box.value = "环境质量"
    values = [v for _, v in ex.indicator_box.options]
    assert values and all(ex._first.at[v, "category"] == "环境质量" for v in values)
    cat = ex._first["category"]
    assert values == [i for i in ex.indicators if cat.get(i) == "环境质量"]   # the whole category, plan order
    chosen = values[-1]            # not the one the filter fell on
    ex.indicator_box.value = chosen
    assert ex.indicator == chosen
    ex.category_box.value = ""
    assert [v for _, v in ex.indicator_box.options] == list(ex.indicators)
    assert ex.indicator == chosen and ex.indicator_box.value == chosen  # clearing keeps what was chosen


def test_prev_next_buttons_wrap_round(ex):
    ind = ex.indicator
    ex.prev_button.click()
    assert ex.region == ex.regions[-1] and ex.indicator == ind
    ex.next_button.click()
    ex.next_button.click()
    assert ex.region == ex.regions[1] and ex.indicator == ind


def test_comparison_view_lists_every_region_and_highlights_the_chosen_one(ex, assessment):
    ex.region_box.value = ex.regions[4]
    drawn = ex.draw_count
    ex.view_box.value = "compare"
    assert ex.draw_count == drawn + 1
    assert _img(ex)[1:] == (ex.indicator, "compare")
    html = ex.table_html.value
    for code in ex.regions:
        assert ex.region_names[code] in html
    assert "加粗" in html and "font-weight: bold" in html
    # changing region only moves the highlight: the all-region chart is not redrawn
    ex.region_box.value = ex.regions[6]
    assert ex.draw_count == drawn + 1
    assert f"{ex.region_names[ex.regions[6]]}加粗" in ex.table_html.value


def test_select_sets_everything_at_once_with_one_draw(ex):
    drawn = ex.draw_count
    ex.search_box.value = "数控"
    drawn = ex.draw_count
    ex.select(region="330302", indicator="pm25_concentration")  # not in the filtered list
    assert (ex.region, ex.indicator) == ("330302", "pm25_concentration")
    assert ex.draw_count == drawn + 1 and ex.search_box.value == ""


# ---------------------------------------------------------------- regression diagnostics

def _png_size(chart_html: str) -> tuple[int, int]:
    import base64
    import struct

    png = base64.b64decode(re.search(r'base64,([^"]+)"', chart_html).group(1))
    assert png[:8] == b"\x89PNG\r\n\x1a\n"
    return struct.unpack(">II", png[16:24])


def test_diagnostics_view_shows_the_chosen_series_regression_and_follows_changes(ex, assessment):
    from qanalysis.analysis.detail import detail
    from qanalysis.explore.widget import DIAGNOSTICS_SIZE

    county = ex.regions[3]
    ex.region_box.value = county
    assert ex.detail_count == 0  # nothing fitted until the view is asked for: the start stays fast
    drawn = ex.draw_count
    ex.view_box.value = "diagnostics"  # the 回归诊断 button
    ind = ex.indicator
    assert _img(ex) == (county, ind, "diagnostics") and ex.draw_count == drawn + 1
    assert 'class="qa-diag"' in ex.chart.value and "回归诊断" in ex.chart.value
    assert _png_size(ex.chart.value) == tuple(round(96 * v) for v in DIAGNOSTICS_SIZE)
    assert ex.detail_count == 1
    # the table is the statsmodels detail of the same series, in the explorer's notation
    d = detail(assessment, county, ind)
    table = ex.table_html.value
    assert f'data-region="{county}" data-indicator="{ind}" data-view="diagnostics"' in table
    assert "回归明细(statsmodels)" in table and "qa-detail" in table
    for item in ("斜率（每年）及95%置信区间", "R²", "Durbin–Watson", "最大Cook距离"):
        assert f">{item}<" in table and f">{d.table.loc[item, '数值']}<" in table
    row = ex.row()
    trend = tables.table_frame(ex.table[(ex.table.region == county) & (ex.table.indicator == ind)],
                               ["forecast", "pi80", "target"], assessment.data.catalogue).iloc[0]
    for text in trend:  # forecast, interval and target written as the trend table writes them
        assert f">{text}<" in table, (text, table)
    assert abs(d.forecast - row["forecast"]) < 1e-6 * max(1.0, abs(row["forecast"]))
    assert "OLS Regression Results" in str(ex.detail().summary())

    # region and indicator changes are followed while the view is on, one fit each
    ex.next_button.click()
    assert _img(ex) == (ex.regions[4], ind, "diagnostics") and ex.detail_count == 2
    assert ex.region_names[ex.regions[4]] in ex.table_html.value
    ex.search_box.value = "数控"
    assert _img(ex) == (ex.regions[4], "equipment_nc_rate", "diagnostics") and ex.detail_count == 3
    assert 'data-indicator="equipment_nc_rate" data-view="diagnostics"' in ex.table_html.value
    # back to the trend and again: the fit is kept, the chart redrawn
    ex.view_box.value = "trend"
    ex.view_box.value = "diagnostics"
    assert _img(ex)[2] == "diagnostics" and ex.detail_count == 3
    assert ex.errors == []


def test_diagnostics_say_when_a_single_year_drives_the_verdict(assessment):
    from qanalysis.analysis.detail import detail, influence_sentence

    t = assessment.table
    flagged = next((r.region, r.indicator) for r in t.itertuples()
                   if r.n_points >= 5 and detail(assessment, r.region, r.indicator).influential)
    ex = Explorer(assessment, region=flagged[0], indicator=flagged[1], view="diagnostics", font=False)
    sentence = influence_sentence(detail(assessment, *flagged))
    assert sentence and f"⚠ {sentence}" in ex.table_html.value and "qa-influence" in ex.table_html.value
    assert ex.errors == []


def test_diagnostics_of_a_series_with_one_point_is_one_chinese_line():
    import qanalysis
    from qanalysis.analysis.assess import assess
    from qanalysis.errors import QAnalysisError

    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # "built in memory": fill=False never reads the processed folder
        published = assess(qanalysis.load(fill=False))  # published values only: most series are short
    t = published.table
    one = t[t["n_points"] == 1].iloc[0]
    ex = Explorer(published, region=one["region"], indicator=one["indicator"], font=False)
    ex.view_box.value = "diagnostics"
    assert "<img" not in ex.chart.value
    message = re.search(r'<div class="qa-diag-message"[^>]*>([^<]*)</div>', ex.chart.value).group(1)
    assert message == f"{one['region_name']}·{one['name_zh']}只有1个数据点，回归至少需要2个，无法做回归诊断。"
    assert 'data-view="diagnostics"' in ex.table_html.value and one["name_zh"] in ex.table_html.value
    assert ex.errors == []
    with pytest.raises(QAnalysisError, match="at least 2"):
        ex.detail()
    # a series that has a trend draws its diagnostics
    enough = t[(t["n_points"] >= 3) & (t["region"] == one["region"])].iloc[0]
    ex.select(indicator=enough["indicator"])
    assert _img(ex) == (one["region"], enough["indicator"], "diagnostics") and ex.errors == []


def test_unknown_region_is_a_message(assessment):
    from qanalysis.errors import QAnalysisError

    with pytest.raises(QAnalysisError, match="region '999999' is not in the data"):
        Explorer(assessment, region="999999", font=False)


# ---------------------------------------------------------------- the shared table helper

def test_table_view_chinese_headers_and_numbers_as_the_plan_writes_them(assessment):
    t = assessment.table
    city = str(assessment.data.plan.city_code)
    rows = t[t["region"] == city]
    cols = ["name_zh", "unit", "baseline", "target", "current", "change_since_baseline", "cagr",
            "p_attain", "status_zh", "pi80"]
    frame = tables.table_frame(rows, cols, assessment.data.catalogue).set_index("指标")
    assert not any(re.search(r"[a-z]_[a-z]", c) for c in frame.columns)
    mfg = frame.loc["制造业产品质量合格率"]
    assert mfg["目标值"] == "≥96%" and mfg["基期值"] == "95%"
    # the city's series rests on its published 2020 value alone (no illustrative value mixed in)
    assert mfg["最新值(新增类为期内累计)"] == "95.0%" and mfg["评估结果"] == "数据不足"
    name = "地表水省控及以上断面达到或好于Ⅲ类水体比例"   # a published series with several years
    water = frame.loc[name]
    assert water["目标值"] == "≥92%" and water["基期值"] == "87.5%"
    assert water["最新值(新增类为期内累计)"] == "93.8%"
    assert water["较基期变化"] == "+6.3个百分点"
    row = rows.set_index("name_zh").loc[name]
    assert water["达标概率"] == f"{round(100 * row['p_attain'])}%"
    assert water["年均增速"] == f"{100 * row['cagr']:.2f}%"
    # an increment shows the running sum its period target is compared with
    inc = rows.set_index("name_zh").loc["制定“浙江制造”标准（新增）"]
    assert frame.loc["制定“浙江制造”标准（新增）", "最新值(新增类为期内累计)"] == f"{inc['cumulative']:.0f}"
    assert frame.loc["城市空气质量优良天数比例", "目标值"] == "无量化目标"
    # the plan writes 99.04: two decimals kept
    assert frame.loc["主要农产品质量安全省级监测合格率", "基期值"] == "99.04%"
    html = tables.table_view(rows, cols, assessment.data.catalogue).to_html()
    assert "border-left: 0.8em solid" in html and "<th" in html


def test_format_helpers():
    assert tables.format_value(96.2, "%", 1, ">=") == "≥96.2%"
    assert tables.format_value(-0.04, "%", 1, signed=True) == "0.0个百分点"
    assert tables.format_value(float("nan"), "%") == tables.MISSING
    assert tables.format_percent(0.539) == "54%"
    with pytest.raises(KeyError, match="no Chinese header"):
        tables.table_frame(__import__("pandas").DataFrame({"x": [1]}), ["x"])


# ---------------------------------------------------------------- page font, the command

def test_font_html_embeds_every_character_the_explorer_shows(assessment):
    from fontTools.ttLib import TTFont
    import base64
    import io

    css = page.font_html()
    m = re.search(r"base64,([A-Za-z0-9+/=]+)\)", css)
    assert m and "qanalysis-cjk" in css and "select,option" in css
    cmap = TTFont(io.BytesIO(base64.b64decode(m.group(1)))).getBestCmap()
    ex = Explorer(assessment, font=False, view="diagnostics")
    diagnostics = ex.table_html.value
    ex.view_box.value = "compare"
    shown = "".join([ex.table_html.value, diagnostics, ex.widget.children[0].value, server.PAGE_TITLE, server.PAGE_INTRO]
                    + [label for label, _ in ex.indicator_box.options]
                    + [label for label, _ in ex.region_box.options]
                    + [b.description for b in (ex.prev_button, ex.next_button)] + list(ex.view_box._options_labels)
                    + [ex.search_box.placeholder])
    missing = {c for c in shown if ord(c) >= 0x4E00 and ord(c) <= 0x9FFF and ord(c) not in cmap}
    assert not missing, "".join(sorted(missing))


def test_voila_argv_keeps_the_page_local_and_codeless():
    # that the served page fetches nothing from outside is checked on the page itself, served by
    # `qanalysis explore` (tests/test_explore_command.py), not on the template's replace strings
    argv = server.voila_argv(server.JUPYTER_DIR / "x.ipynb", 9999, open_browser=False)
    assert "--Voila.ip=127.0.0.1" in argv and "--strip_sources=True" in argv
    assert f"--template={server.TEMPLATE}" in argv and "--no-browser" in argv


def test_explore_refuses_a_port_in_use_with_a_message():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        s.listen()
        port = s.getsockname()[1]
        r = subprocess.run([sys.executable, "-m", "qanalysis", "explore", "--port", str(port), "--no-browser"],
                           capture_output=True, text=True, timeout=60)
    assert r.returncode == 1
    assert f"port {port} on 127.0.0.1 is in use" in r.stderr and "Traceback" not in r.stderr
