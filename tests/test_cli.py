"""The command-line dispatcher: help, errors without tracebacks, a closed pipe."""
import subprocess
import sys

from qanalysis.cli import COMMANDS


def qa(*args, **kw):
    return subprocess.run([sys.executable, "-m", "qanalysis", *args], capture_output=True, text=True, **kw)


def test_help_lists_every_command():
    out = qa("--help").stdout
    assert all(name in out for name in COMMANDS)


def test_reader_closing_the_pipe_is_not_an_error():
    """`qanalysis assess --csv | head -1`: the reader leaves early; exit 0, no traceback."""
    p = subprocess.Popen(f'"{sys.executable}" -m qanalysis assess --csv | head -1',
                         shell=True, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    out, err = p.communicate(timeout=120)
    assert out.startswith("region,")
    assert "Traceback" not in err and "BrokenPipe" not in err


def test_unknown_region_is_a_message_not_a_traceback():
    res = qa("assess", "--csv", "--region", "999999")
    assert res.returncode != 0
    assert "Traceback" not in res.stderr and "999999" in res.stderr
