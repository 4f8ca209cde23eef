import os
import stat

import pytest

from qanalysis.atomic import atomic_dir, write_text


def mode(p):
    return stat.S_IMODE(os.stat(p).st_mode)


def test_write_replaces_whole_and_keeps_the_usual_mode(tmp_path):
    f = tmp_path / "a.txt"
    f.write_text("old", encoding="utf-8")
    write_text(f, "new")
    assert f.read_text(encoding="utf-8") == "new"
    umask = os.umask(0)
    os.umask(umask)
    assert mode(f) == 0o666 & ~umask       # readable like any file, not mkstemp's 0600
    assert sorted(p.name for p in tmp_path.iterdir()) == ["a.txt"]


def test_failed_write_leaves_the_old_file(tmp_path):
    f = tmp_path / "a.txt"
    f.write_text("old", encoding="utf-8")

    class Boom(Exception):
        pass

    from qanalysis.atomic import atomic_path

    with pytest.raises(Boom):
        with atomic_path(f) as tmp:
            tmp.write_text("half", encoding="utf-8")
            raise Boom
    assert f.read_text(encoding="utf-8") == "old"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["a.txt"]


def test_atomic_dir_swaps_and_cleans_up(tmp_path):
    d = tmp_path / "out"
    d.mkdir()
    (d / "old.txt").write_text("x", encoding="utf-8")
    with atomic_dir(d) as tmp:
        (tmp / "new.txt").write_text("y", encoding="utf-8")
    assert sorted(p.name for p in d.iterdir()) == ["new.txt"]
    assert sorted(p.name for p in tmp_path.iterdir()) == ["out"]
    umask = os.umask(0)
    os.umask(umask)
    assert mode(d) == 0o777 & ~umask

    with pytest.raises(RuntimeError):
        with atomic_dir(d) as tmp:
            (tmp / "half.txt").write_text("z", encoding="utf-8")
            raise RuntimeError
    assert sorted(p.name for p in d.iterdir()) == ["new.txt"]
    assert sorted(p.name for p in tmp_path.iterdir()) == ["out"]
