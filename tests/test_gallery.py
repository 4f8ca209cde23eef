"""The gallery renders every chart type for one region, in Chinese and English."""
from __future__ import annotations

import matplotlib

matplotlib.use("Agg")

from qanalysis.charts import gallery, plots  # noqa: E402
from test_plots import CITY, C2, assessed, _review_df, fake_dataset  # noqa: E402


def test_pick_indicators_covers_every_kind_of_chart():
    fa = assessed(fake_dataset())
    picked = gallery.pick_indicators(fa, CITY)
    rows = fa.table.loc[fa.table.region == CITY].set_index("indicator").loc[picked]
    assert {"level", "stock", "increment", "unquantified"} <= set(rows["kind"])
    assert {">=", "<=", "=="} <= set(rows["comparator"])
    assert "insufficient_data" in set(rows["status"])
    assert len(picked) == len(set(picked))


def test_render_writes_every_chart_type_in_both_languages(tmp_path):
    fa = assessed(fake_dataset())
    paths = gallery.render(fa, CITY, tmp_path, formats=("svg",), review_table=_review_df())
    names = [p.name for p in paths]
    for lang in ("zh", "en"):
        mine = [n for n in names if n.startswith(lang + "_")]
        for kind in ("trajectory", "small_multiples", "heatmap_p_attain", "heatmap_status", "ranking",
                     "review13"):
            assert any(kind in n for n in mine), (lang, kind)
    index = (tmp_path / "index.html").read_text(encoding="utf-8")
    assert all(p.name in index for p in paths if p.suffix == ".svg")
    assert all(p.exists() for p in paths)


def test_gallery_command(tmp_path, monkeypatch):
    from qanalysis import cli

    fa = assessed(fake_dataset())
    monkeypatch.setattr("qanalysis.cli.gallery.load_assessment", lambda args: fa)
    calls = []
    monkeypatch.setattr("qanalysis.cli.gallery.render",
                        lambda a, region, out, **k: calls.append((a, region, out)) or [out / "x.png"])
    assert cli.main(["gallery", "--out", str(tmp_path)]) == 0
    assert cli.main(["gallery", "--region", C2, "--out", str(tmp_path)]) == 0
    assert [(a is fa, r, str(o)) for a, r, o in calls] == [(True, CITY, str(tmp_path)), (True, C2, str(tmp_path))]
