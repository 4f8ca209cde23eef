"""The job protocol the batch parent and the worker subprocess share.

Standard library only: the parent process never imports pandas or papermill.
"""
from __future__ import annotations

import datetime as _dt
import re

PROTOCOL_PREFIX = "@@qreport "
# Region codes become folder names: only these characters, and they must be in the table.
CODE_RE = re.compile(r"^[0-9A-Za-z][0-9A-Za-z_-]{0,31}$")
STATES = ("ok", "failed", "timeout")
# What the runner passes to the report notebook (its `parameters` cell must define exactly these).
REPORT_PARAMETERS = ("region", "data_dir", "out_dir", "lang", "chart_files", "as_of")
HIDE_TAG = "report-hide"  # cells of the report notebook left out of the HTML
# A worker's private folder (kernel sockets and connection files) in the temp dir:
# qreport-ipc-<worker pid>-XXXX, so a later batch can tell a dead worker's from a live one's.
IPC_PREFIX = "qreport-ipc-"
# Set in a worker's environment (inherited by its kernel): the PID of the process that
# started it. The worker checks it is still its parent; tests find the processes by it.
PARENT_ENV = "QANALYSIS_REPORT_PARENT"
# Escape sequences: colours (CSI … m), cursor moves and titles (OSC) from tracebacks and tqdm.
_ANSI = re.compile(r"\x1b(?:\[[0-?]*[ -/]*[@-~]|\][^\x07\x1b]*(?:\x07|\x1b\\)|[@-Z\\-_])")


def now() -> str:
    return _dt.datetime.now(_dt.timezone.utc).isoformat(timespec="seconds")


def plain(text: str | None) -> str:
    """Text for a log file: without terminal escape sequences."""
    return _ANSI.sub("", text or "")


def excerpt(text: str, limit: int = 600) -> str:
    text = plain(text).strip()
    return text if len(text) <= limit else "…" + text[-limit:]
