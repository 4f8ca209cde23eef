"""The processed data a report batch reads, seen from the batch parent (standard library only).

Before the workers start, :func:`prepare_if_stale` prepares the processed folder
again when :func:`qanalysis.fingerprint.processed_state` says it is missing or
stale (the same question ``qanalysis.load()`` asks), in a child process so the
parent never imports pandas. :func:`data_basis` reads what every series rests on
(delivered / published / illustrative) and the deliveries used, for the manifest.

Incremental reports: :func:`region_inputs` is a report's input fingerprint (its
region's rows, the regions it shows — :func:`shown_regions` — the shared files,
code, notebook, options); :func:`changes` says why a report must be built again.
"""
from __future__ import annotations

import ast
import csv
import json
import os
import subprocess
import sys
import tomllib
import datetime
from pathlib import Path

from .. import config
from ..errors import QAnalysisError, UsageError
from ..fingerprint import combined_sha, processed_state


def prepare_if_stale() -> None:
    """Prepare the processed folder again when it is missing or stale (shipped raw files,
    kept deliveries, code), in a child process: this one stays free of pandas."""
    if processed_state()[1]:
        return
    env = dict(os.environ)
    env["PYTHONPATH"] = str(config.PROJECT_DIR) + (os.pathsep + env["PYTHONPATH"] if env.get("PYTHONPATH") else "")
    code = "from qanalysis.data.load import ensure_prepared; ensure_prepared()"
    res = subprocess.run([sys.executable, "-c", code], env=env, stdout=subprocess.DEVNULL,
                         stderr=subprocess.PIPE, text=True)
    if res.returncode:
        lines = res.stderr.strip().splitlines()
        raise QAnalysisError("the processed data are out of date and could not be prepared again: "
                             + (lines[-1] if lines else f"exit code {res.returncode}")
                             + " (run `qanalysis prepare` to see every problem)")
    print(res.stderr.strip(), file=sys.stderr)


def data_basis(data_dir) -> dict:
    """For the manifest: the deliveries used and what every series rests on, read from
    the processed folder's deliveries.csv and series_sources.csv (no pandas here)."""
    plan_name = config.plan_dir().name
    folder = Path(data_dir) if data_dir else config.PROCESSED_DIR / plan_name
    if data_dir and not (folder / "plan.json").is_file():
        folder = folder / plan_name
    if not (folder / "series_sources.csv").is_file():
        return {}  # a processed folder from before deliveries were kept

    def rows(name: str) -> list[dict[str, str]]:
        path = folder / name
        if not path.is_file():
            return []
        with open(path, encoding="utf-8", newline="") as fh:
            return list(csv.DictReader(fh))

    deliveries = [dict(d, values=int(d["values"]), kept=d["kept"] == "True") for d in rows("deliveries.csv")]
    per_series: dict[str, dict[str, str]] = {}
    counts: dict[str, int] = {}
    for r in rows("series_sources.csv"):
        b = r["data_basis"]
        counts[b] = counts.get(b, 0) + 1
        per_series.setdefault(r["region"], {})[r["indicator"]] = (
            f"{b} ({r['statuses']}): {r['files']}" if b == "delivered"
            else f"{b} ({r['statuses']}): {r['addresses']}" if b == "published" else b)
    return {"deliveries": deliveries, "replaced_values": len(rows("replaced.csv")),
            "series_basis_counts": counts, "series_basis": per_series}


# --------------------------------------------------------------------------- incremental reports

EVERY_REGION = "*"   # in a report's ``regions_shown``: it showed every region (e.g. the heatmap)


def city_of(table: list[dict[str, str]]) -> str:
    """The plan's top region (level ``city``; else the one without a parent), "" if none."""
    for r in table:
        if r.get("level", "") == "city":
            return r["code"]
    tops = [r["code"] for r in table if not r.get("parent")]
    return tops[0] if len(tops) == 1 else ""


def shown_regions(code: str, city: str, codes: list[str], charts_shown: list[str] | None) -> list[str]:
    """The other regions whose series ``code``'s report shows.

    Its tables (qanalysis.briefing): the city's report ranks every county (表2, the
    ranking slide), a county's compares itself with the city (四、与全市对比). Its charts:
    what the last build of that report recorded (``regions_shown`` of the notebook's
    ``report_timing``: the regions of the charts it used, ``*`` for a chart of every
    region such as the heatmap). Nothing recorded (another notebook, an older build):
    every region, so nothing is kept that might have changed.
    """
    if charts_shown is None or EVERY_REGION in charts_shown or code == city:
        return [c for c in codes if c != code]
    shown = set(charts_shown) | ({city} if city else set())
    return [c for c in codes if c in shown and c != code]


def region_inputs(code: str, fps: dict, shown: list[str], common: dict) -> dict:
    """The input fingerprint of ``code``'s report, as the manifest records it: its own rows
    file by file, a sha a region it shows, the shared files, and ``common`` (code,
    notebook, options)."""
    regions = fps["regions"]
    return dict(common, own=dict(regions.get(code, {})),
                shows={r: combined_sha(regions.get(r, {})) for r in shown},
                shared=dict(fps["shared"]))


def changes(before: dict | None, now_: dict) -> list[str]:
    """Why a report whose last build had inputs ``before`` must be built again with ``now_``
    (empty: it is up to date). One short phrase a reason."""
    if not before:
        return ["built before input fingerprints were recorded"]
    out = []
    if before.get("code") != now_["code"]:
        out.append("the code changed")
    if before.get("notebook") != now_["notebook"]:
        out.append("the report notebook changed")
    opts = sorted(k for k in set(before.get("options", {})) | set(now_["options"])
                  if before.get("options", {}).get(k) != now_["options"].get(k))
    if opts:
        out.append(f"options changed ({', '.join(opts)})")
    files = _diff(before.get("shared", {}), now_["shared"])
    if files:
        out.append(f"shared data changed ({_short(files)})")
    files = _diff(before.get("own", {}), now_["own"])
    if files:
        out.append(f"its data changed ({_short(files)})")
    regions = _diff(before.get("shows", {}), now_["shows"])
    if regions:
        out.append(f"data it shows of {_short(regions)} changed")
    return out


def _diff(a: dict, b: dict) -> list[str]:
    return sorted(k for k in set(a) | set(b) if a.get(k) != b.get(k))


def _short(items: list[str], n: int = 4) -> str:
    return ", ".join(items[:n]) + (f" +{len(items) - n} more" if len(items) > n else "")


def charts_shown(report: Path) -> list[str] | None:
    """``regions_shown`` of an executed report notebook (its last cell's ``report_timing``),
    None when it recorded none. Read with json and ast: no kernel, no pandas."""
    try:
        nb = json.loads(report.read_text(encoding="utf-8"))
        cells = [c for c in nb.get("cells", []) if c.get("cell_type") == "code"]
        outs = [o for o in (cells[-1].get("outputs", []) if cells else [])
                if o.get("output_type") == "execute_result"]
        if not outs:
            return None
        value = ast.literal_eval("".join(outs[0]["data"]["text/plain"]))
    except (OSError, ValueError, SyntaxError, KeyError, TypeError, MemoryError, RecursionError):
        return None
    shown = value.get("regions_shown") if isinstance(value, dict) else None
    return [str(c) for c in shown] if isinstance(shown, (list, tuple)) else None


GLOBAL_REASONS = ("--force", "the code", "the report notebook", "options", "shared data")


def plan_rebuild(asked: list[tuple[str, str]], previous: dict, inputs_now, out_dir: Path,
                 force: bool = False) -> dict[str, list[str]]:
    """For each region asked, why its report must be built (empty list: keep it as it is).

    ``previous`` is the last manifest's ``regions``; ``inputs_now(code, charts_shown)`` the
    region's input fingerprint now. A report is kept only when its last build was ok, every
    file it wrote is still there and its inputs are the same.
    """
    out: dict[str, list[str]] = {}
    for code, _ in asked:
        prev = previous.get(code)
        if force:
            out[code] = ["--force"]
        elif not prev:
            out[code] = ["no report yet"]
        elif prev.get("status") != "ok":
            out[code] = [f"the last run {prev.get('status', 'failed')}"]
        elif not all((out_dir / code / o).is_file() for o in prev.get("outputs") or [f"{code}.ipynb"]):
            out[code] = ["files of its report are missing"]
        else:
            out[code] = changes(prev.get("inputs"), inputs_now(code, prev.get("charts_shown")))
    return out


def describe_plan(reasons: dict[str, list[str]], names: dict[str, str]) -> str:
    """One paragraph for stderr: which reports are rebuilt and why, how many kept."""
    todo = [c for c, why in reasons.items() if why]
    kept = len(reasons) - len(todo)
    if not todo:
        return (f"all {kept} report(s) up to date (same data, code, notebook and options): nothing "
                "rebuilt (--force rebuilds every region)")
    lines = [f"rebuilding {len(todo)} of {len(reasons)} report(s)"
             + (f"; {kept} unchanged, kept as they are (--force rebuilds every region)" if kept else "") + ":"]
    lines += [f"  {c} {names.get(c, '')}: {'; '.join(reasons[c])}" for c in todo]
    return "\n".join(lines)


def as_of_iso(value) -> str:
    """The evaluation date as YYYY-MM-DD ("" for none); the parent parses it itself (no pandas here)."""
    if not value:
        return ""
    if isinstance(value, (datetime.date, datetime.datetime)):
        return value.isoformat()[:10]
    try:
        return datetime.date.fromisoformat(str(value).strip()).isoformat()
    except ValueError:
        raise UsageError(f"{value!r} is not a date (YYYY-MM-DD, e.g. 2026-03-31)") from None


def report_kind(as_of: str, data_dir) -> str:
    """"evaluation" when ``as_of`` is past the plan's target year, else "monitoring": the reports
    differ in kind, not by the day (a rerun the next day resumes; one across the year end does not)."""
    if not as_of:
        return "monitoring"
    folder = Path(data_dir) if data_dir else config.PROCESSED_DIR / config.plan_dir().name
    if not (folder / "plan.json").exists():
        folder = folder / config.plan_dir().name
    try:
        target_year = int(json.loads((folder / "plan.json").read_text(encoding="utf-8"))["plan"]["target_year"])
    except (OSError, ValueError, KeyError, TypeError):  # no processed plan here: the plan folder's
        try:
            toml = tomllib.loads((config.plan_dir() / "plan.toml").read_text(encoding="utf-8"))
            target_year = int(toml["target_year"])
        except (OSError, ValueError, KeyError, TypeError, tomllib.TOMLDecodeError):
            return f"as_of {as_of}"  # unknown plan: the date itself
    return "evaluation" if int(as_of[:4]) > target_year else "monitoring"
