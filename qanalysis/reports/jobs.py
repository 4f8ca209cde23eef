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
REPORT_PARAMETERS = ("region", "data_dir", "out_dir", "lang", "chart_files")
HIDE_TAG = "report-hide"  # cells of the report notebook left out of the HTML


def now() -> str:
    return _dt.datetime.now(_dt.timezone.utc).isoformat(timespec="seconds")


def excerpt(text: str, limit: int = 600) -> str:
    text = re.sub(r"\x1b\[[0-9;]*m", "", text or "").strip()
    return text if len(text) <= limit else "…" + text[-limit:]
