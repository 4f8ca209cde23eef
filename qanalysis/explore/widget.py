"""The interactive explorer: one region × one indicator, or one indicator across all regions.

``Explorer().widget`` is an ipywidgets box; a notebook cell (``03_explorer``) or
the ``qanalysis explore`` page only displays it. All logic lives here:

- It starts on the city and its first off-track indicator (else the first at
  risk, else the first), with that chart and table drawn.
- Region and indicator are chosen independently: every region holds the same
  indicators, so the indicator is kept across any region change, and each
  change draws the chart once (``draw_count`` counts the draws).
- Indicators are listed by the plan's category, each label carrying category,
  unit and this region's status; a category filter and a search box narrow the
  list. The search matches any part of the Chinese name, the plan's other
  wordings of it, the category, the status or the id (a part of a name finds it; the box's
  examples are words of the plan's own names).
- ◀ / ▶ step through the regions; "各地对比" shows one indicator across all
  regions (the ranking chart) with a table of the regions; "回归诊断" shows the
  statsmodels regression of the chosen series (``analysis.detail``: the
  diagnostics chart and its table), computed only when shown and following
  every region and indicator change while it is on.
- The table beside the chart always shows the current selection.

ipywidgets 8 resets a Dropdown to its first option whenever its options are
replaced; the explorer replaces options only with its observers held and then
puts the selection back, so nothing is drawn twice and nothing is lost.
"""
from __future__ import annotations

import contextlib
import html
import re
import traceback

import pandas as pd

from ..errors import QAnalysisError
from ..analysis.status import STATUSES, row_label
from . import page, tables

TREND, COMPARE, DIAGNOSTICS = "trend", "compare", "diagnostics"
ALL_CATEGORIES = ""

# Table columns: one region × one indicator (shown as 项目 | 值 lines), and all regions.
TREND_COLUMNS = ["region_name", "name_zh", "category", "current", "target", "latest_year", "forecast",
                 "pi80", "p_attain", "status_zh", "status_reason", "data_status"]
COMPARE_COLUMNS = ["region_name", "current", "target", "forecast", "p_attain", "status_zh"]

# The chart may take the viewport's height less what the controls and the page's own bars
# need: JupyterLab keeps ~130 px of toolbars and status bar, so 1366×768 (a ~657-px-high
# browser viewport) leaves controls, chart and the table beside it in view.
CHART_MAX_HEIGHT = "calc(100vh - 360px)"
# The diagnostics hold three panels: drawn larger than a trajectory and not capped to the
# viewport's height (the reader scrolls), so their year labels stay apart and legible.
DIAGNOSTICS_SIZE = (10.5, 6.0)
CHART_MIN_WIDTH = {DIAGNOSTICS: "660px"}  # beside JupyterLab's sidebar the table gives way (goes below)

_CSS = """
<style>
.qa-explorer .qa-controls{gap:4px 10px;align-items:center;}
.qa-explorer .qa-controls .widget-label{min-width:2.5em;}
.qa-explorer .qa-chart img{width:auto;height:auto;max-width:100%;max-height:var(--qa-chart-max-height);
  min-height:220px;object-fit:contain;display:block;}
.qa-explorer .qa-chart img.qa-diag{max-height:none;}
.qa-explorer .qa-chart .qa-diag-message{padding:12px 4px;font-size:14px;color:#444;}
.qa-explorer table.qa-table{border-collapse:collapse;font-size:13px;line-height:1.35;width:100%%;}
.qa-explorer table.qa-table td,.qa-explorer table.qa-table th{padding:3px 6px;border-bottom:1px solid #e3e3e3;
  text-align:left;vertical-align:top;}
.qa-explorer table.qa-table.qa-compare td,.qa-explorer table.qa-table.qa-compare th{white-space:nowrap;}
.qa-explorer table.qa-table caption{caption-side:top;text-align:left;font-weight:bold;padding:2px 0 4px;}
.qa-explorer .qa-note{color:#666;font-size:12px;}
.qa-explorer .qa-error{color:#b00020;white-space:pre-wrap;font-size:12px;}
</style>
""".replace("%%", "%")


def _norm(text: str) -> str:
    """Lower-case, no spaces, no quotation marks: "“浙江制造” 标准" and "浙江制造标准" match."""
    return re.sub(r"[\s“”\"'‘’《》「」()（）]", "", str(text)).lower()


class Explorer:
    """Widgets and their logic; ``widget`` is what a notebook displays."""

    def __init__(self, assessment=None, data_dir=None, region: str | None = None,
                 indicator: str | None = None, view: str = TREND, font: bool = True,
                 chart_max_height: str = CHART_MAX_HEIGHT):
        # ipywidgets only in the explorer's kernel (a light process never loads it)
        import ipywidgets as w

        if assessment is None:
            from ..reports.notebook import load_assessment  # data loaded only when no assessment is given

            _, assessment = load_assessment(data_dir)
        self.assessment = assessment
        self.table = assessment.table.copy()
        self.table["region"] = self.table["region"].astype(str)
        self.table["indicator"] = self.table["indicator"].astype(str)
        data = assessment.data
        self.catalogue = getattr(data, "catalogue", None)
        self.city = str(data.plan.city_code)
        self.regions = self._region_order(data.regions)
        self.region_names = {str(r.code): str(r.name_zh) for r in data.regions.itertuples()}
        self.indicators = self._indicator_order()
        self.categories = list(dict.fromkeys(self._first["category"].loc[self.indicators]))
        self._search_text = self._search_texts()
        self.draw_count = 0
        self.errors: list[str] = []
        self._held = False
        self._drawn_key: tuple | None = None
        self.detail_count = 0  # statsmodels fits run for the diagnostics view
        self._detail_key: tuple | None = None
        self._detail_value = None

        region = str(region or self.city)
        if region not in self.regions:
            raise QAnalysisError(f"region {region!r} is not in the data (known: {', '.join(self.regions)})")
        indicator = indicator or self.default_indicator(region)
        if indicator not in self.indicators:
            raise QAnalysisError(f"indicator {indicator!r} is not in the catalogue")

        self.region_box = w.Dropdown(options=[(self._region_label(c), c) for c in self.regions],
                                     value=region, description="地区",
                                     layout=w.Layout(width="190px"), style={"description_width": "2.5em"})
        self.prev_button = w.Button(description="◀ 上一地区", tooltip="上一个地区", layout=w.Layout(width="96px"))
        self.next_button = w.Button(description="下一地区 ▶", tooltip="下一个地区", layout=w.Layout(width="96px"))
        self.view_box = w.ToggleButtons(
            options=[("单地区走势", TREND), ("各地对比", COMPARE), ("回归诊断", DIAGNOSTICS)], value=view,
            tooltips=["本地区该指标的走势与预测", "该指标在各地区的情况", "本地区该指标趋势回归的明细与诊断图"],
            style={"button_width": "88px"})
        self.category_box = w.Dropdown(options=[("全部类别", ALL_CATEGORIES)] + [(c, c) for c in self.categories],
                                       value=ALL_CATEGORIES, description="类别",
                                       layout=w.Layout(width="170px"), style={"description_width": "2.5em"})
        self.search_box = w.Text(value="", placeholder=self._search_placeholder(),
                                 description="查找", continuous_update=True,
                                 layout=w.Layout(width="250px"), style={"description_width": "2.5em"})
        self._listed = list(self.indicators)  # what the indicator dropdown lists now
        self.indicator_box = w.Dropdown(options=self._indicator_options(region, self._listed),
                                        value=indicator, description="指标",
                                        layout=w.Layout(flex="1 1 420px", min_width="320px"),
                                        style={"description_width": "2.5em"})
        self.match_note = w.HTML(layout=w.Layout(margin="0 0 0 8px"))
        self.chart = w.HTML(layout=w.Layout(flex="1 1 520px", min_width=CHART_MIN_WIDTH.get(view, "320px")))
        self.chart.add_class("qa-chart")
        self.table_html = w.HTML(layout=w.Layout(flex="1 1 300px", min_width="280px", max_width="480px"))
        self.table_html.add_class("qa-table-box")
        self.error_html = w.HTML()
        self.error_html.add_class("qa-error")

        self.region_box.observe(self._on_region, names="value")
        self.indicator_box.observe(self._on_indicator, names="value")
        self.view_box.observe(self._on_view, names="value")
        self.category_box.observe(self._on_filter, names="value")
        self.search_box.observe(self._on_filter, names="value")
        self.prev_button.on_click(lambda _: self._guard(self.step, -1))
        self.next_button.on_click(lambda _: self._guard(self.step, 1))

        row = dict(flex_flow="row wrap", align_items="center")
        controls1 = w.HBox([self.region_box, self.prev_button, self.next_button, self.view_box],
                           layout=w.Layout(**row))
        controls2 = w.HBox([self.category_box, self.search_box, self.indicator_box, self.match_note],
                           layout=w.Layout(**row))
        for c in (controls1, controls2):
            c.add_class("qa-controls")
        body = w.HBox([self.chart, self.table_html], layout=w.Layout(flex_flow="row wrap",
                                                                     align_items="flex-start"))
        style = f"<style>.qa-explorer{{--qa-chart-max-height:{html.escape(chart_max_height)};}}</style>"
        self.title_html = w.HTML(self._title_html())
        head = w.HTML(_CSS + style + (page.font_html(self.title_html.value + self.search_box.placeholder)
                                      if font else ""))
        self.widget = w.VBox([head, self.title_html, controls1, controls2, body, self.error_html])
        self.widget.add_class("qa-explorer")
        self._guard(self.refresh)

    # ------------------------------------------------------------ what is shown

    @property
    def region(self) -> str:
        return str(self.region_box.value)

    @property
    def indicator(self) -> str:
        return str(self.indicator_box.value)

    @property
    def view(self) -> str:
        return str(self.view_box.value)

    def row(self, region: str | None = None, indicator: str | None = None) -> pd.Series:
        t = self.table
        m = (t["region"] == (region or self.region)) & (t["indicator"] == (indicator or self.indicator))
        return t.loc[m].iloc[0]

    def default_indicator(self, region: str) -> str:
        """The first off-track indicator (then at risk, then any) in the listed order."""
        status = self.table[self.table["region"] == region].set_index("indicator")["status"]
        for wanted in ("off_track", "missed", "at_risk"):
            for i in self.indicators:
                if status.get(i) == wanted:
                    return i
        return self.indicators[0]

    def matches(self, text: str, category: str = ALL_CATEGORIES) -> list[str]:
        """Indicators (in listed order) whose name, other wordings, category, status or id hold ``text``."""
        needle = _norm(text)
        region_status = self.table[self.table["region"] == self.region].set_index("indicator")["status_zh"]
        out = []
        for i in self.indicators:
            if category and self._first.at[i, "category"] != category:
                continue
            if needle and needle not in self._search_text[i] + _norm(region_status.get(i, "")):
                continue
            out.append(i)
        return out

    def detail(self):
        """The statsmodels regression of the chosen series (:class:`qanalysis.analysis.detail.Detail`:
        ``.summary()``, ``.table``), fitted once per series; raises ``QAnalysisError`` below 2 points."""
        key = (self.region, self.indicator)
        if key != self._detail_key:
            from ..analysis.detail import detail  # statsmodels is imported only when a detail is asked for

            try:
                self._detail_value = detail(self.assessment, *key)
            except QAnalysisError as exc:  # kept, so the message is not recomputed on every redraw
                self._detail_value = exc
            self._detail_key = key
            self.detail_count += 1
        if isinstance(self._detail_value, QAnalysisError):
            raise self._detail_value
        return self._detail_value

    def detail_message(self) -> str:
        """One Chinese line saying why the chosen series has no regression detail."""
        r = self.row()
        n = int(r["n_points"]) if tables._isnum(r["n_points"]) else 0
        what = f"{self.region_names[self.region]}·{r['name_zh']}"
        if n < 2:
            return f"{what}只有{n}个数据点，回归至少需要2个，无法做回归诊断。"
        return f"{what}无法做回归诊断：对数线性模型要求各年数值为正。"

    # ------------------------------------------------------------ actions

    def select(self, region: str | None = None, indicator: str | None = None, view: str | None = None) -> None:
        """Set any of region, indicator and view at once; draws once."""
        with self._hold():
            if region is not None:
                self._set_region(str(region))
            if indicator is not None:
                if indicator not in self.indicators:
                    raise QAnalysisError(f"indicator {indicator!r} is not in the catalogue")
                if indicator not in self._listed:
                    self.category_box.value = ALL_CATEGORIES
                    self.search_box.value = ""
                    self._set_options(self.indicators, indicator)
                self.indicator_box.value = indicator
            if view is not None:
                self.view_box.value = view
        self.refresh()

    def step(self, by: int) -> None:
        """The previous (-1) or next (+1) region, wrapping round."""
        i = self.regions.index(self.region)
        self.select(region=self.regions[(i + by) % len(self.regions)])

    def refresh(self) -> None:
        """Draw the chart (when what it shows changed) and the table for the current selection."""
        # the all-region chart does not depend on the region; the trend and diagnostics do
        key = (self.view, self.indicator) if self.view == COMPARE else (self.view, self.region, self.indicator)
        if key != self._drawn_key:
            self.chart.layout.min_width = CHART_MIN_WIDTH.get(self.view, "320px")
            self._draw_chart()
            self._drawn_key = key
        self._draw_table()

    # ------------------------------------------------------------ drawing

    def _draw_chart(self) -> None:
        # stdlib, needed only on this path
        import base64

        from ..charts import plots  # matplotlib only when a chart is drawn

        css = ""
        if self.view == COMPARE:
            fig = plots.ranking(self.assessment, self.indicator)
            size = (9.5, 5.6)
        elif self.view == DIAGNOSTICS:
            from ..charts.diagnostics import diagnostics  # the figure module only when the view is on

            try:
                d = self.detail()
            except QAnalysisError:  # too few points: one line in the chart's place
                self.chart.value = (f'<div class="qa-diag-message" data-region="{self.region}" '
                                    f'data-indicator="{self.indicator}" data-view="{self.view}">'
                                    f'{html.escape(self.detail_message())}</div>')
                self.draw_count += 1
                return
            fig = diagnostics(d)
            size, css = DIAGNOSTICS_SIZE, ' class="qa-diag"'
        else:
            fig = plots.trajectory(self.assessment, self.region, self.indicator)
            size = page.SCREEN_SIZE
        png = page.figure_png(fig, size)
        what = (f"{self.row()['name_zh']} · 各地对比" if self.view == COMPARE
                else f"{self.region_names[self.region]} · {self.row()['name_zh']}"
                + (" · 回归诊断" if self.view == DIAGNOSTICS else ""))
        self.chart.value = (f'<img{css} alt="{html.escape(what)}" data-region="{self.region}" '
                            f'data-indicator="{self.indicator}" data-view="{self.view}" '
                            f'src="data:image/png;base64,{base64.b64encode(png).decode("ascii")}">')
        self.draw_count += 1

    def _draw_table(self) -> None:
        if self.view == COMPARE:
            rows = self.table[self.table["indicator"] == self.indicator].set_index("region").loc[self.regions]
            rows = rows.reset_index()
            mine = [int(i) for i in (rows["region"] == self.region).to_numpy().nonzero()[0]]
            first = rows.iloc[0]
            caption = f"{first['name_zh']}({first['unit']}):各地对比,{self.region_names[self.region]}加粗"
            short = {"current": "期内累计" if str(first["kind"]) == "increment" else "最新值",
                     "forecast": f"{int(first['target_year'])}年预测" if tables._isnum(first["target_year"])
                     else "目标年预测"}
            view = tables.table_view(rows, COMPARE_COLUMNS, self.catalogue, highlight=mine, caption=caption,
                                     headers=short)
        else:
            rows = self.table[(self.table["region"] == self.region) & (self.table["indicator"] == self.indicator)]
            view = tables.table_view(rows, TREND_COLUMNS, self.catalogue, transpose=True)
        note = ""
        if self.view == DIAGNOSTICS:
            try:
                d = self.detail()
            except QAnalysisError:  # the chart says why; the table stays the series' assessment
                pass
            else:
                caption = f"回归明细(statsmodels):{d.region_name}·{d.name_zh}"
                view = tables.detail_view(d, self.catalogue, caption=caption)
                if d.influential:  # the one year that drives the verdict, said under the table too
                    from ..analysis.detail import influence_sentence  # loaded with the detail it describes

                    note = f'<div class="qa-note qa-influence">⚠ {html.escape(influence_sentence(d))}</div>'
        if bool(rows["has_illustrative"].fillna(False).astype(bool).any()):
            note += '<div class="qa-note">⚠ 含示例数据(程序生成,非公开发布),仅用于演示方法。</div>'
        table_html = view.to_html()
        if self.view == COMPARE:
            table_html = table_html.replace('class="qa-table"', 'class="qa-table qa-compare"', 1)
        self.table_html.value = (f'<div data-region="{self.region}" data-indicator="{self.indicator}" '
                                 f'data-view="{self.view}">{table_html}{note}</div>')

    # ------------------------------------------------------------ observers

    def _on_region(self, change) -> None:
        if not self._held:
            self._guard(self._region_changed, str(change["new"]))

    def _region_changed(self, region: str) -> None:
        with self._hold():
            self._set_region(region)
        self.refresh()

    def _on_indicator(self, change) -> None:
        if not self._held and change["new"] is not None:
            self._guard(self.refresh)

    def _on_view(self, change) -> None:
        if not self._held:
            self._guard(self.refresh)

    def _on_filter(self, change) -> None:
        if not self._held:
            self._guard(self._filter_changed)

    def _filter_changed(self) -> None:
        found = self.matches(self.search_box.value, self.category_box.value)
        text = self.search_box.value.strip()
        if not found:
            self.match_note.value = (f'<span class="qa-note">没有与“{html.escape(text)}”匹配的指标</span>'
                                     if text else "")
            return
        keep = self.indicator if self.indicator in found else found[0]
        with self._hold():
            self._set_options(found, keep)
        self.match_note.value = (f'<span class="qa-note">找到 {len(found)} 项</span>'
                                 if text or self.category_box.value else "")
        self.refresh()

    # ------------------------------------------------------------ helpers

    @contextlib.contextmanager
    def _hold(self):
        was, self._held = self._held, True
        try:
            yield
        finally:
            self._held = was

    def _guard(self, fn, *args) -> None:
        """Run a callback; a failure is shown under the explorer, not lost in a log."""
        try:
            fn(*args)
        except Exception as exc:  # shown to the reader, and kept for tests
            message = str(exc) if isinstance(exc, QAnalysisError) else traceback.format_exc()
            self.errors.append(message)
            self.error_html.value = f"<pre>{html.escape(message)}</pre>"

    def _set_region(self, region: str) -> None:
        if region not in self.regions:
            raise QAnalysisError(f"region {region!r} is not in the data (known: {', '.join(self.regions)})")
        keep = self.indicator
        self.region_box.value = region
        # the labels carry this region's status: rebuild them, keeping the selection
        self._set_options(self._listed, keep, region)

    def _set_options(self, indicators: list[str], keep: str, region: str | None = None) -> None:
        self._listed = list(indicators)
        self.indicator_box.options = self._indicator_options(region or self.region, self._listed)
        self.indicator_box.value = keep

    def _indicator_options(self, region: str, indicators: list[str]) -> list[tuple[str, str]]:
        sub = self.table[self.table["region"] == region].set_index("indicator")
        out = []
        for i in indicators:
            r = sub.loc[i]
            unit = f"({r['unit']})" if str(r["unit"] or "") else ""
            status = row_label(r) if str(r["status"]) in STATUSES else str(r["status_zh"])  # 全市统筹, the flag
            out.append((f"{r['category']} | {r['name_zh']}{unit} · {status}", i))
        return out

    def _region_label(self, code: str) -> str:
        name = self.region_names.get(code, code)
        return f"{name}(全市)" if code == self.city else name

    def _region_order(self, regions: pd.DataFrame) -> list[str]:
        present = set(self.table["region"])
        codes = [str(c) for c in regions["code"] if str(c) in present]
        codes.sort(key=lambda c: c != self.city)  # stable: the city first, then the regions table's order
        return codes

    def _indicator_order(self) -> list[str]:
        """Category by category, in the order the plan lists them."""
        self._first = self.table.drop_duplicates("indicator").set_index("indicator")
        ids = list(self._first.index)
        if self.catalogue is not None and len(self.catalogue):
            order = [str(i) for i in self.catalogue["id"]]
            ids = [i for i in order if i in set(ids)] + [i for i in ids if i not in set(order)]
        cats = list(dict.fromkeys(self._first["category"].loc[ids]))
        return sorted(ids, key=lambda i: cats.index(self._first.at[i, "category"]))

    def _title_html(self) -> str:
        """The plan's own title and target year; the 示例数据 sentence only when the data hold some."""
        plan = self.assessment.data.plan
        years = sorted({int(y) for y in self.table["target_year"].dropna()}) if "target_year" in self.table \
            else [int(plan.target_year)]
        years = years or [int(plan.target_year)]
        when = "、".join(f"{y}年" for y in years)
        intro = (f"选择地区和指标查看走势、目标与{when}预测;“各地对比”显示一项指标在各地区的情况;"
                 "“回归诊断”显示所选序列的回归明细与诊断图。")
        if bool(self.table["has_illustrative"].fillna(False).astype(bool).any()):
            intro += "标有“示例数据”的数值由程序生成,并非公开发布的统计数据。"
        return (f'<div class="qa-title"><b style="font-size:18px">{html.escape(str(plan.name_zh))} · 指标查看器</b>'
                f'<div class="qa-note">{html.escape(intro)}</div></div>')

    def _search_placeholder(self) -> str:
        """Two search words from this plan's own indicator names (the last word of two names)."""
        words = []
        for i in self.indicators:
            name = re.sub(r"[\s“”\"'()（）]", "", str(self._first.at[i, "name_zh"]))
            word = name[-3:] if len(name) >= 3 else name
            if word and word not in words:
                words.append(word)
            if len(words) == 2:
                break
        return "输入中文查找指标" + (",如 " + "、".join(words) if words else "")

    def _search_texts(self) -> dict[str, str]:
        labels = {}
        if self.catalogue is not None and "labels" in self.catalogue:
            labels = {str(r["id"]): ("" if pd.isna(r["labels"]) else str(r["labels"]))
                      for _, r in self.catalogue.iterrows()}
        out = {}
        for i in self.indicators:
            r = self._first.loc[i]
            out[i] = _norm(" ".join([i, str(r["name_zh"]), str(r.get("name_en", "")), labels.get(i, ""),
                                     str(r["category"]), str(r["unit"])]))
        return out

    def _ipython_display_(self):  # a bare `Explorer()` in a cell shows the widgets
        # IPython only inside a notebook kernel (a light process never loads it)
        from IPython.display import display

        display(self.widget)
