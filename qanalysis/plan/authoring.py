"""Writing a plan folder: ``qanalysis plan init``, ``plan import`` and ``plan check``.

* :func:`init_plan` writes a minimal, neutral folder: plan.toml (no illustrative filling,
  ``county_targets = "city"``), regions.csv and an empty indicators.csv.
* :func:`import_targets` reads target sentences (one a line) or a table (.csv / .xlsx / .docx with
  指标 / 单位 / 基期值 / 目标值 / 目标年) with :mod:`.sentences` and writes indicators.csv. Ids are
  readable and stable: an indicator already in the folder keeps its id (matched by its Chinese
  name); a new one gets ``<stem>_<6 hex of the name's SHA-1>`` (``rate_1c9e0b``, ``new_40d2aa``),
  the same on every import of the same name.
* :func:`check_plan` lists every problem of a folder at once (file, row, column, reason).

Two target years for one indicator (阶段性目标) are written as two rows with the same id and their
``target_year``; until milestones are assessed one by one the catalogue assesses the row of the
plan's target year and names the other in its note (docs/plan-format.md).
"""
from __future__ import annotations

import csv
import hashlib
import io
import re
import tomllib
from dataclasses import dataclass, field
from pathlib import Path

import pandas as pd

from .. import atomic, config
from ..errors import InputError, Problem, QAnalysisError
from . import sentences
from .catalogue import (INDICATOR_OPTIONAL, INDICATOR_RAW_COLUMNS, PLAN_KEYS, REVIEW_RAW_COLUMNS,
                        parse_indicators, parse_review, read_plan_info, schema_problems)
from .rawcsv import read_raw_csv
from .regions import REGION_RAW_COLUMNS, read_overrides, read_regions

PLAN_ID = re.compile(r"^[a-z0-9][a-z0-9._-]{1,60}$")
TOML_KEYS = set(PLAN_KEYS) | {"previous_plan_zh", "source_file", "published", "county_share_indicators",
                              "fill_illustrative", "fit_first_year", "county_targets"}
DEFAULT_CATEGORY = ("规划指标", "plan")
TABLE_HEADERS = (("year", ("目标年",)), ("baseline", ("基期", "现状")), ("target", ("目标",)),
                 ("unit", ("单位",)), ("category", ("类别", "领域", "分类")), ("name", ("指标",)))


@dataclass
class ImportResult:
    path: Path
    rows: list[dict]
    unread: list[tuple[int, str, str]] = field(default_factory=list)  # (line/row, text, why)
    warnings: list[tuple[int, str, str]] = field(default_factory=list)
    milestones: list[str] = field(default_factory=list)  # indicators with several target years


def _csv_text(header: list[str], rows: list[dict]) -> str:
    buf = io.StringIO()
    w = csv.DictWriter(buf, fieldnames=header, lineterminator="\n")
    w.writeheader()
    for r in rows:
        w.writerow({k: r.get(k, "") for k in header})
    return buf.getvalue()


def parse_regions(regions) -> list[tuple[str, str]]:
    """Regions as (code, name) pairs, city first: a file (CSV with code,name_zh or "code name"
    lines) or ``["110100=甲市", "110101=乙区", …]`` / ``[("110100", "甲市"), …]``."""
    if isinstance(regions, (str, Path)):
        path = Path(regions)
        if not path.is_file():
            raise QAnalysisError(f"{path}: no such regions file")
        text = path.read_text(encoding="utf-8-sig")
        lines = [l.strip() for l in text.splitlines() if l.strip() and not l.startswith("#")]
        if lines and lines[0].replace(" ", "").startswith("code,"):
            rows = list(csv.DictReader(io.StringIO("\n".join(lines))))
            return [(r["code"].strip(), (r.get("name_zh") or r.get("name") or "").strip()) for r in rows]
        return [tuple((re.split(r"[\s,，]+", l, maxsplit=1) + [""])[:2]) for l in lines]
    out = []
    for r in regions:
        code, name = (r.split("=", 1) + [""])[:2] if isinstance(r, str) else r
        out.append((code.strip(), name.strip()))
    return out


def init_plan(plan_id: str, title: str, regions, base_year: int, target_year: int,
              plans_dir: Path | None = None) -> Path:
    """A new plan folder under ``data/raw/plans/`` (or ``plans_dir``); refuses an existing one."""
    if not PLAN_ID.match(plan_id):
        raise QAnalysisError(f"plan id {plan_id!r}: use lower-case letters, digits, '-', '.' or '_' "
                             "(e.g. jiashi-2023-2027)")
    pairs = parse_regions(regions)
    problems = []
    for i, (code, name) in enumerate(pairs, start=1):
        if not re.fullmatch(r"\d{6}", code):
            problems.append(Problem("regions", f"code {code!r} is not a 6-digit code", row=i, column="code",
                                    code="bad_code"))
        if not name:
            problems.append(Problem("regions", f"region {code} has no name", row=i, column="name_zh",
                                    code="missing_name"))
    if len(pairs) < 1:
        problems.append(Problem("regions", "no regions given (the city first, then its counties)",
                                code="no_regions"))
    if problems:
        raise InputError(problems)
    if not 1949 <= base_year < target_year <= 2100:
        raise QAnalysisError(f"base year {base_year} must come before the target year {target_year}")
    folder = (plans_dir or config.PLANS_DIR) / plan_id
    if (folder / "plan.toml").exists():
        raise QAnalysisError(f"{folder} already holds a plan; choose another id or edit its files")
    city = pairs[0][0]
    toml = "\n".join([
        f'id = "{plan_id}"', f'name_zh = "{title}"', f'name_en = "{plan_id}"', f'city_code = "{city}"',
        f"base_year = {base_year}", f"first_year = {base_year + 1}", f"target_year = {target_year}",
        f"data_first_year = {base_year - 5}",
        "# no generated values: a series without delivered or published values stays empty",
        "fill_illustrative = false",
        '# county targets when county_targets.csv sets none: "city" | "pro_rata" | "none" (docs/plan-format.md)',
        'county_targets = "city"', ""])
    regions_rows = [{"code": c, "name_zh": n, "name_en": c, "level": "city" if i == 0 else "county",
                     "parent": "" if i == 0 else city, "weight": "" if i == 0 else "1"}
                    for i, (c, n) in enumerate(pairs)]
    folder.mkdir(parents=True, exist_ok=True)
    atomic.write_text(folder / "regions.csv", _csv_text(REGION_RAW_COLUMNS, regions_rows))
    atomic.write_text(folder / "indicators.csv", _csv_text(INDICATOR_RAW_COLUMNS + list(INDICATOR_OPTIONAL), []))
    atomic.write_text(folder / "plan.toml", toml)
    return folder


def stable_id(name_zh: str, kind: str, unit: str) -> str:
    """``<stem>_<6 hex>``: the stem says what it is, the hash of the name keeps it stable."""
    stem = ("goal" if kind == "unquantified" else "new" if kind == "increment" else "total" if kind == "stock"
            else "index" if "指数" in name_zh else "rate" if unit in ("%", "‰") else "level")
    return f"{stem}_{hashlib.sha1(name_zh.encode('utf-8')).hexdigest()[:6]}"


def _table_rows(path: Path) -> list[list[str]]:
    """The first table of a .csv / .xlsx / .docx file whose header names 指标, as text rows."""
    suffix = path.suffix.lower()
    if suffix == ".csv":
        with open(path, encoding="utf-8-sig", newline="") as fh:
            tables = [list(csv.reader(fh))]
    elif suffix == ".xlsx":
        import openpyxl  # lazy: only for an .xlsx table

        wb = openpyxl.load_workbook(path, read_only=True, data_only=True)
        tables = [[["" if v is None else str(v) for v in r] for r in ws.iter_rows(values_only=True)]
                  for ws in wb.worksheets]
        wb.close()
    elif suffix == ".docx":
        import docx  # lazy: only for a .docx table

        tables = [[[c.text for c in row.cells] for row in t.rows] for t in docx.Document(str(path)).tables]
    else:
        raise QAnalysisError(f"{path}: a table must be .csv, .xlsx or .docx; sentences a .txt file")
    for t in tables:
        for i, row in enumerate(t[:5]):
            if any("指标" in c for c in row):
                return t[i:]
    raise QAnalysisError(f"{path}: no table with a header naming 指标 (and 目标值)")


def _read_table(path: Path, result: ImportResult) -> list[sentences.Target]:
    rows = _table_rows(path)
    cols, default_year = {}, None
    for j, h in enumerate(rows[0]):
        h = sentences._clean(h)
        for key, words in TABLE_HEADERS:
            if key not in cols and any(w in h for w in words):
                cols[key] = j
                m = re.search(r"((?:19|20)\d{2})", h)
                if key == "target" and m:
                    default_year = int(m.group(1))
                break
    if "name" not in cols or "target" not in cols:
        raise QAnalysisError(f"{path}: the header {rows[0]} needs 指标 and 目标值 columns")
    out = []
    for n, row in enumerate(rows[1:], start=2):
        cells = {k: (row[j] if j < len(row) else "") for k, j in cols.items()}
        if not "".join(cells.values()).strip():
            continue
        if default_year and not cells.get("year"):
            cells["year"] = str(default_year)
        t, why = sentences.parse_row(cells)
        if t is None:
            result.unread.append((n, " | ".join(row), why))
            continue
        t.category = sentences._clean(cells.get("category", ""))
        t.source = f"{path.name} 第{n}行"
        out.append(t)
    return out


def _read_sentences(path: Path, result: ImportResult) -> list[sentences.Target]:
    out, category = [], ""
    for n, line in enumerate(path.read_text(encoding="utf-8-sig").splitlines(), start=1):
        text = line.strip()
        if not text or text.startswith("#"):
            continue
        head = sentences.heading(text)
        if head:
            category = head
            continue
        t, why = sentences.parse_sentence(text)
        if t is None:
            result.unread.append((n, text, why))
            continue
        t.category, t.source = category, f"{path.name} 第{n}行"
        out.append(t)
    return out


def import_targets(plan: str | Path, file: str | Path) -> ImportResult:
    """Read a plan's targets from ``file`` into the plan folder's indicators.csv (atomically)."""
    folder = config.plan_dir(plan)
    info = read_plan_info(folder)
    path = Path(file)
    if not path.is_file():
        raise QAnalysisError(f"{path}: no such file")
    result = ImportResult(folder / "indicators.csv", [])
    targets = (_read_sentences(path, result) if path.suffix.lower() in (".txt", ".md", "")
               else _read_table(path, result))
    known, edited = {}, {}
    if result.path.exists():
        with open(result.path, encoding="utf-8-sig", newline="") as fh:
            for r in csv.DictReader(fh):
                if r.get("name_zh") and r.get("id"):
                    known.setdefault(r["name_zh"], r["id"])
                    edited.setdefault(r["name_zh"], r)
    categories = list(dict.fromkeys(t.category or DEFAULT_CATEGORY[0] for t in targets))
    years: dict[str, set] = {}
    for t in targets:
        iid = known.get(t.name_zh) or stable_id(t.name_zh, t.kind, t.unit)
        known.setdefault(t.name_zh, iid)
        year = t.target_year or info.target_year
        years.setdefault(iid, set()).add(year)
        cat = t.category or DEFAULT_CATEGORY[0]
        cat_en = DEFAULT_CATEGORY[1] if cat == DEFAULT_CATEGORY[0] else f"category_{chr(97 + categories.index(cat) % 26)}"
        note = "; ".join(t.notes)
        result.rows.append({
            "id": iid, "name_zh": t.name_zh, "name_en": f"Indicator {iid}", "category": cat,
            "category_en": cat_en, "unit": t.unit, "kind": t.kind, "comparator": t.comparator,
            "lower_bound": "" if t.lower_bound is None else f"{t.lower_bound:g}",
            "upper_bound": "" if t.upper_bound is None else f"{t.upper_bound:g}",
            "baseline_text": t.baseline_text, "target_text": t.target_text, "prose_target_text": "",
            "source": t.source, "labels": "", "description": t.name_zh, "note": note,
            "target_year": "" if year == info.target_year else str(year)})
        # what a person wrote by hand into the folder (English name, category, description, labels,
        # note) stays; what the plan's text says (unit, kind, comparator, target, year) is read again
        before = edited.get(t.name_zh, {})
        for col in ("name_en", "category", "category_en", "description", "labels", "note"):
            if before.get(col):
                result.rows[-1][col] = before[col]
        for w in t.warnings:
            result.warnings.append((int(t.source.rsplit("第", 1)[1].rstrip("行")), t.name_zh, w))
    result.milestones = [r["name_zh"] for r in result.rows if len(years[r["id"]]) > 1
                         and r["target_year"] == ""] or sorted({r["name_zh"] for r in result.rows
                                                               if len(years[r["id"]]) > 1})
    if not result.rows:
        raise QAnalysisError(f"{path}: no target could be read"
                             + "".join(f"\n  line {n}: {why}: {text}" for n, text, why in result.unread))
    atomic.write_text(result.path, _csv_text(INDICATOR_RAW_COLUMNS + list(INDICATOR_OPTIONAL), result.rows))
    return result


def check_plan(plan: str | Path | None = None) -> list[Problem]:
    """Every problem of a plan folder at once: plan.toml, indicators, review, regions, county targets."""
    folder = config.plan_dir(plan)
    toml = folder / "plan.toml"
    try:
        info = read_plan_info(folder)
    except InputError as exc:
        return exc.problems
    except QAnalysisError as exc:
        return [Problem(str(toml), str(exc).replace(f"{toml}: ", ""), code="bad_plan")]
    problems: list[Problem] = []
    meta = tomllib.loads(toml.read_text(encoding="utf-8"))
    for key in sorted(set(meta) - TOML_KEYS):
        problems.append(Problem(str(toml), f"unknown key {key!r} (see docs/plan-format.md)", column=key,
                                severity="warning", code="unknown_key"))
    catalogue = pd.DataFrame(columns=["id", "kind", "target", "decimals", "baseline", "baseline_year",
                                      "target_year", "comparator"])
    raw = read_raw_csv(folder / "indicators.csv", INDICATOR_RAW_COLUMNS, problems, optional=INDICATOR_OPTIONAL)
    if raw is not None:
        catalogue, found = parse_indicators(raw, info, folder / "indicators.csv")
        problems += found + schema_problems(catalogue, str(folder / "indicators.csv"))
        if not len(catalogue):
            problems.append(Problem(str(folder / "indicators.csv"), "no indicators yet: "
                                    "`qanalysis plan import ID FILE`", severity="warning", code="empty"))
    if (folder / "review.csv").exists():
        raw_review = read_raw_csv(folder / "review.csv", REVIEW_RAW_COLUMNS, problems, optional=())
        if raw_review is not None:
            problems += parse_review(raw_review, folder / "review.csv")[1]
    regions, found = read_regions(folder / "regions.csv", info)
    problems += found
    problems += read_overrides(folder / "county_targets.csv", catalogue, regions)[1]
    ids = set(catalogue["id"])
    for iid in info.county_share_indicators:
        if iid not in ids:
            problems.append(Problem(str(toml), f"county_share_indicators names {iid!r}, not in indicators.csv",
                                    column="county_share_indicators", code="unknown_indicator"))
    for rel in info.published:
        if not (folder / rel).is_file():
            problems.append(Problem(str(toml), f"published file {rel!r} not found", column="published",
                                    code="missing_file"))
    return problems
