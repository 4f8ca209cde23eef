"""Published values: each with its source, inside the plan's window, never invented."""
import pytest

from qanalysis.errors import InputError
from qanalysis.data.published import plan_baselines, published_paths, read_published


def test_every_published_row_has_an_address_and_a_scope_note(plan_data):
    [path] = published_paths(info=plan_data.plan)
    pub = read_published(path, data=plan_data, all_years=True)
    assert len(pub) >= 15
    assert pub["source"].str.match(r"^https?://").all()
    assert (pub["note"].str.len() > 0).all()
    assert (pub["status"] == "published").all()
    assert pub["year"].min() < plan_data.plan.data_first_year   # long series kept for backtests


def test_plan_window_filter(plan_data):
    [path] = published_paths(info=plan_data.plan)
    pub = read_published(path, data=plan_data)
    assert pub["year"].between(plan_data.plan.data_first_year, plan_data.plan.target_year).all()


def test_unknown_indicator_in_published_file_is_refused(plan_data, tmp_path):
    f = tmp_path / "pub.csv"
    f.write_text("region,indicator,year,value,status,source,note\n"
                 "330300,pm25,2021,25,published,https://x,y\n", encoding="utf-8")
    with pytest.raises(InputError) as err:
        read_published(f, data=plan_data)
    assert err.value.problems[0].code == "unknown_indicator" and err.value.problems[0].row == 2


def test_plan_baselines_are_the_plans_but_not_for_increments(plan_data):
    b = plan_baselines(plan_data)
    cat = plan_data.catalogue.set_index("id")
    assert (cat.loc[b["indicator"], "kind"] != "increment").all()
    assert (b["year"] == 2020).all() and (b["region"] == "330300").all()
    assert b.set_index("indicator").loc["mfg_product_pass_rate", "value"] == 95
    assert b["source"].str.contains("表2").any()


def test_observations_status_honest(dataset):
    obs = dataset.observations
    gen = obs["source"].str.contains("qanalysis.generator")
    assert (obs.loc[gen, "status"] == "illustrative").all()
    assert (obs.loc[~gen, "status"] != "illustrative").all()
