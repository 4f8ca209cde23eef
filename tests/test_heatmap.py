"""The seaborn heatmap: indicators as rows with full names, grouped by category, regions as
columns (city first), every cell's text equal to the assessment table. Read back from the
artists, not from pixels."""
from __future__ import annotations

import warnings

import matplotlib
import numpy as np
import pytest
from matplotlib.colors import to_hex

matplotlib.use("Agg")

from qanalysis.analysis import status  # noqa: E402
from qanalysis.charts import export, fonts, plots, theme  # noqa: E402
from qanalysis.charts import heatmap as heatmap_mod  # noqa: E402
from qanalysis.errors import QAnalysisError  # noqa: E402
from qanalysis.vocab import STATUS_SHORT  # noqa: E402
from test_plots import assessed, fake_dataset  # noqa: E402


def read_heatmap(fig):
    """Per category block: (category title, row labels, column labels, {(row, col): text},
    {(row, col): hex colour}) from the figure's artists."""
    blocks = []
    for ax in fig.axes:
        meshes = [c for c in ax.collections if c.get_gid() == "heatmap"]
        if not meshes:
            continue
        rows = [t.get_text().replace("\n", "") for t in ax.get_yticklabels()]
        # the region names are shown above the first block only, but every block has them
        cols = [tick.label1.get_text() for tick in ax.xaxis.get_major_ticks()]
        texts = {(int(t.get_position()[1]), int(t.get_position()[0])): t.get_text()
                 for t in ax.texts if t.get_gid() == "cell_value"}
        colours = {}
        for mesh in meshes:  # seaborn: one QuadMesh a layer, masked where the other layer draws
            arr = mesh.get_array().reshape(len(rows), len(cols))
            rgba = mesh.to_rgba(arr)
            for i in range(len(rows)):
                for j in range(len(cols)):
                    if not np.ma.is_masked(arr[i, j]):
                        colours[(i, j)] = to_hex(rgba[i, j][:3])
        blocks.append((ax.get_title(loc="left"), rows, cols, texts, colours))
    return blocks


@pytest.fixture(scope="module")
def fa():
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        return assessed(fake_dataset())


def test_rows_are_full_names_grouped_by_category_columns_city_first(fa):
    fig = plots.heatmap(fa, "p_attain")
    blocks = read_heatmap(fig)
    tab = fa.table.drop_duplicates("indicator").set_index("indicator")
    ids = heatmap_mod._indicator_order(fa)
    names = [n for _, rows, _, _, _ in blocks for n in rows]
    assert names == [tab.loc[k, "name_zh"] for k in ids]  # full names, in the plan's order
    assert "县级以上城市集中式饮用水水源地水质达标率" in names  # not cut to fit
    # one block a category, titled with it, in the order the categories first appear
    assert [b[0] for b in blocks] == list(dict.fromkeys(tab.loc[ids, "category"]))
    for title, rows, *_ in blocks:
        assert {tab.set_index("name_zh").loc[r, "category"] for r in rows} == {title}
    assert blocks[0][2] == ["温州市", "鹿城区", "龙湾区"]
    plots.close(fig)


@pytest.mark.parametrize("value", ["p_attain", "status"])
def test_cell_texts_and_colours_equal_the_table(fa, value):
    fig = plots.heatmap(fa, value)
    tab = fa.table.set_index(["name_zh", "region_name"])
    cmap = heatmap_mod._p_cmap()
    checked = 0
    for _, rows, cols, texts, colours in read_heatmap(fig):
        for i, name in enumerate(rows):
            for j, region in enumerate(cols):
                row = tab.loc[(name, region)]
                code, p = row["status"], row["p_attain"]
                with_p = value == "p_attain" and np.isfinite(p) and code not in ("no_target", "insufficient_data")
                if with_p:
                    assert texts[(i, j)] == f"{100 * p:.0f}"
                    assert colours[(i, j)] == to_hex(cmap(p)[:3])
                else:
                    assert texts.get((i, j), "") == ("" if value == "p_attain" else
                                                     STATUS_SHORT["zh"][code])
                    assert colours[(i, j)] == status.colour(code).lower()
                checked += 1
    assert checked == len(fa.table)
    plots.close(fig)


def test_one_category_for_a_slide(fa):
    fig = plots.heatmap(fa, "p_attain", category="环境质量")
    (block,) = read_heatmap(fig)
    tab = fa.table.drop_duplicates("indicator")
    assert block[1] == list(tab.loc[tab["category"] == "环境质量", "name_zh"])
    assert "环境质量" in fig._suptitle.get_text()
    w, h = fig.get_size_inches()
    assert w <= theme.SLIDE[0] and h <= theme.SLIDE[1] + 1e-9  # three regions: narrower than a slide
    with pytest.raises(QAnalysisError, match="no indicators of category"):
        plots.heatmap(fa, category="不存在")
    plots.close(fig)


def test_short_categories_share_a_slide(fa):
    """A list of categories: their blocks in plan order, titled, on one slide-sized figure."""
    tab = fa.table.drop_duplicates("indicator")
    cats = list(dict.fromkeys(tab["category"]))[-2:]
    fig = plots.heatmap(fa, "p_attain", category=cats[::-1])  # asked in any order, drawn in plan order
    blocks = read_heatmap(fig)
    assert [b[0] for b in blocks] == cats
    assert [b[1] for b in blocks] == [list(tab.loc[tab["category"] == c, "name_zh"]) for c in cats]
    assert fig._suptitle.get_text().endswith("、".join(cats))
    w, h = fig.get_size_inches()
    assert w <= theme.SLIDE[0] and h <= theme.SLIDE[1] + 1e-9
    with pytest.raises(QAnalysisError, match="不存在"):
        plots.heatmap(fa, category=[cats[0], "不存在"])
    plots.close(fig)


def test_whole_plan_fits_an_a4_page_with_legible_type():
    """The real plan: 55 indicators × 13 regions on one A4 portrait page, type ≥ 7 pt."""
    import qanalysis
    from qanalysis.analysis.assess import assess

    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        a = assess(qanalysis.load())
    fig = plots.heatmap(a, "p_attain")
    w, h = fig.get_size_inches()
    assert (w, h) <= (theme.A4_PORTRAIT[0] + 1e-9, theme.A4_PORTRAIT[1])
    blocks = read_heatmap(fig)
    assert sum(len(b[1]) for b in blocks) == a.table["indicator"].nunique()
    assert len(blocks[0][2]) == a.table["region"].nunique()
    cells = [t.get_fontsize() for ax in fig.axes for t in ax.texts if t.get_gid() == "cell_value"]
    rows = [t.get_fontsize() for ax in fig.axes for t in ax.get_yticklabels() if t.get_text()]
    # every cell with a probability is written (a city series resting on its published 2020 value
    # alone has none), every indicator has its row label, and no type is under 7 pt
    assert len(cells) == a.table["p_attain"].notna().sum() and len(rows) >= a.table["indicator"].nunique()
    assert min(cells) >= 7 and min(rows) >= 7, (min(cells), min(rows))
    # the project's Chinese font, not seaborn's defaults
    label = fig.axes[0].get_yticklabels()[0]
    assert label.get_fontname() == fonts.cjk_font()
    plots.close(fig)
    # the largest category on a 16:9 slide, 13 regions across, type ≥ 9 pt
    fig = plots.heatmap(a, "p_attain", category="产品质量")
    assert tuple(fig.get_size_inches()) == pytest.approx(theme.SLIDE, abs=0.01)
    (block,) = read_heatmap(fig)
    assert len(block[1]) == (a.table.drop_duplicates("indicator")["category"] == "产品质量").sum()
    assert min(t.get_fontsize() for t in fig.axes[0].texts if t.get_gid() == "cell_value") >= 9
    plots.close(fig)


def test_stamp_exactly_when_illustrative(fa):
    fig = plots.heatmap(fa, "status")
    assert [t for t in fig.texts if t.get_gid() == "illustrative_mark"]
    plots.close(fig)
    data = fake_dataset()
    data.observations["status"] = "published"  # the same data, every value published
    published = assessed(data)
    assert not published.table["has_illustrative"].any()
    fig = plots.heatmap(published, "status", lang="en")
    assert not [t for t in fig.texts if t.get_gid() == "illustrative_mark"]
    plots.close(fig)


def test_no_missing_glyphs(fa):
    with warnings.catch_warnings():
        warnings.filterwarnings("error", message=".*[Gg]lyph.*missing.*")
        for fig in (plots.heatmap(fa), plots.heatmap(fa, "status", lang="en"),
                    plots.heatmap(fa, category="产品质量")):
            export._png_bytes(fig, 40)
            plots.close(fig)
