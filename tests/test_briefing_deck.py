"""``qanalysis deck``: chosen charts, in the order asked, as a person runs it."""
from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest
from pptx import Presentation
from pptx.util import Inches

from qanalysis import cli

ROOT = Path(__file__).resolve().parents[1]


def _titles(prs):
    out = []
    for slide in prs.slides:
        boxes = [s for s in slide.shapes if s.has_text_frame and s.top < Inches(1.0)
                 and s.text_frame.text.strip() and s.name != "illustrative_mark"]
        out.append(boxes[0].text_frame.text if boxes else "")
    return out


def _subtitles(prs):
    return [next((s.text_frame.text for s in slide.shapes if s.has_text_frame
                  and Inches(1.0) < s.top < Inches(1.2)), "") for slide in prs.slides]


def test_deck_from_the_command_line(tmp_path):
    out = tmp_path / "meeting.pptx"
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    res = subprocess.run([sys.executable, "-m", "qanalysis", "deck", "--region", "330326", "330300",
                          "--indicator", "pm25_concentration", "mfg_product_pass_rate", "--out", str(out)],
                         capture_output=True, text=True, env=env, cwd=tmp_path, timeout=300)
    assert res.returncode == 0, res.stderr
    assert "wrote" in res.stdout and out.is_file()
    prs = Presentation(str(out))
    titles = _titles(prs)
    assert len(titles) == 2 + 4
    assert titles[-1] == "数据来源与方法说明"
    # one slide per (region, indicator): regions in the order given, then indicators in the order given
    subs = _subtitles(prs)[1:-1]
    assert [s.split("　")[0] for s in subs] == ["平阳县", "平阳县", "温州市", "温州市"]
    assert [t.split("：")[0] for t in titles[1:-1]] == ["城市 PM2.5 平均浓度", "制造业产品质量合格率"] * 2
    # the stamp exactly where a plotted value is illustrative: the county's generated series,
    # not the city's, which rest on published values only (issue 8's precedence rule)
    for slide, stamped in zip(list(prs.slides)[1:-1], (True, True, False, False)):
        pics = [s for s in slide.shapes if s.shape_type == 13]
        assert len(pics) == 1 and len(pics[0].image.blob) > 5000
        assert any(s.name == "illustrative_mark" for s in slide.shapes) is stamped
    note = " ".join(s.text_frame.text for s in list(prs.slides)[-1].shapes if s.has_text_frame)
    assert "示例数据" in note and "达标概率" in note
    assert [p.name for p in tmp_path.iterdir()] == ["meeting.pptx"]   # no temporary file left


@pytest.mark.parametrize("argv, says", [
    (["--region", "999999", "--indicator", "pm25_concentration", "--out", "x.pptx"], "unknown region code(s) 999999"),
    (["--region", "330326", "--indicator", "no_such_thing", "--out", "x.pptx"], "unknown indicator id(s) no_such_thing"),
    (["--region", "330326", "--indicator", "pm25_concentration"], "missing --out"),
    (["--indicator", "pm25_concentration", "--out", "x.pptx"], "missing --region"),
    (["--region", "330326", "--indicator", "pm25_concentration", "--out", "x.pdf"], "must name a .pptx file"),
])
def test_bad_arguments_get_one_line_and_exit_2(tmp_path, monkeypatch, capsys, argv, says):
    monkeypatch.chdir(tmp_path)
    assert cli.main(["deck", *argv]) == 2
    err = capsys.readouterr().err
    assert says in err and err.count("\n") == 1 and "Traceback" not in err
    assert list(tmp_path.iterdir()) == []
