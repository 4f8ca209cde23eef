"""Loading data for a command: the one place a command turns its options into data."""
from __future__ import annotations


def load_data(args):
    """The dataset a command works on: ``--data`` files built in memory, else the
    processed folder given by ``--data-dir``, else the shipped data."""
    from .. import load  # lazy, as every command: `qanalysis --help` stays fast

    files = getattr(args, "data", None) or None
    if files:
        return load(data_files=files)
    data_dir = getattr(args, "data_dir", None)
    return load(data_dir=data_dir) if data_dir else load()


def load_assessment(args):
    """The assessment of every region, for the chart commands."""
    from ..analysis.assess import assess  # lazy: see load_data

    return assess(load_data(args), model=getattr(args, "model", "linear"))
