"""The wide Excel sheet analysts fill with yearly values; ``qanalysis template``.

One sheet a region (named ``"<code> <name>"``), one row an indicator, one column a
year from the plan's first data year to its target year, plus the row's data
status and source. A 说明 sheet says how to fill it. ``readers.py`` reads it back.
The workbook records its plan (custom document property ``qanalysis_plan``), so
``validate`` and ``prepare`` pick that plan when no ``--plan`` is given.
"""
from __future__ import annotations

import math
import re
from pathlib import Path


from .. import atomic, vocab
from ..dataset import OBSERVATION_STATUSES, Dataset
from ..errors import QAnalysisError

TITLE_ROW, NOTE_ROW, HEADER_ROW = 1, 2, 3  # data from row 4
FIRST_DATA_ROW = HEADER_ROW + 1
DEFAULT_STATUS = "provisional"

PLAN_PROPERTY = "qanalysis_plan"

INSTRUCTIONS_ZH = [
    ("填写说明", True),
    ("每个工作表是一个地区（工作表名称为“地区代码 地区名称”，请勿修改），每行是一个指标，每列是一个年份。", False),
    ("只在年份列中填写数字：不要写“约”“以上”“%”等文字，没有数据的年份请留空（不要填 0）。", False),
    ("单位以“单位”列为准{unit_example}。", False),
    ("“类型”为“当年新增”的指标（新增类）：填写当年新增的数量，不要填写累计数。", False),
    ("“类型”为“累计值(存量)”或“水平值”的指标：填写当年年末的水平值。", False),
    ("“数据状态”：published = 已正式发布（必须在“来源”中注明出处），provisional = 初步/快报数（默认），"
     "estimated = 预计数（规划期末统计数尚未出来时的预计值，评估结论写作“预计完成”等），illustrative = 示例数据（不是真实统计数据）。", False),
    ("“来源”：统计公报、年鉴、部门文件名称或网址。", False),
    ("“基期值”“目标值”来自规划（{county_rule}），仅供参考，不会被读取。", False),
    ("不要合并单元格，不要插入公式（如使用公式，请保存后再提交，或粘贴为数值）。", False),
    ("填好后可用命令检查：qanalysis validate 文件名.xlsx（本表记录了所属规划 {plan_id}，无需另加 --plan）", False),
    ("", False),
    ("How to fill (English)", True),
    ("One sheet per region (do not rename the sheets), one row per indicator, one column per year.", False),
    ("Enter numbers only, in the unit of the 单位 column. Leave a year empty when there is no value.", False),
    ("Indicators of type 当年新增 (increment): enter that year's additions, not the running total.", False),
    ("数据状态: published (give the 来源 source), provisional (default), estimated (预计数: an estimate before "
     "the statistics are out), illustrative (not real data).", False),
    ("Check the file with: qanalysis validate FILE.xlsx (the workbook records its plan, {plan_id})", False),
]

COUNTY_RULE_ZH = {"city": "县级目标值默认取全市目标，数量类为全市整体目标", "none": "规划不向县（市、区）分解目标",
                  "pro_rata": "县级目标值默认取全市目标，数量类按权重分解（示例）"}


def _instructions(plan_data: Dataset) -> list[tuple[str, bool]]:
    """The 说明 lines with this plan's id, county rule and a unit example from its own catalogue."""
    plan = plan_data.plan
    units = [str(u) for u in plan_data.catalogue["unit"] if str(u).startswith("万") and len(str(u)) > 1]
    example = (f"，例如单位为“{units[0]}”时，3.5{units[0]}填 3.5，不要填 {35000:d}" if units else
               "，只填数字，不要带单位")
    fields = dict(unit_example=example, plan_id=plan.id,
                  county_rule=COUNTY_RULE_ZH.get(getattr(plan, "county_targets", "city"), COUNTY_RULE_ZH["city"]))
    return [(text.format(**fields), head) for text, head in INSTRUCTIONS_ZH]


def recorded_plan(path) -> str | None:
    """The plan id a template workbook records (``None`` for other files or none recorded)."""
    import openpyxl  # lazy: only for .xlsx inputs

    if Path(path).suffix.lower() != ".xlsx":
        return None
    try:
        wb = openpyxl.load_workbook(path, read_only=True)
    except Exception:  # unreadable files are the readers' to report, with file and reason
        return None
    try:
        for prop in wb.custom_doc_props.props:
            if prop.name == PLAN_PROPERTY and str(prop.value).strip():
                return str(prop.value).strip()
        return None
    finally:
        wb.close()


def _number(v) -> float | None:
    try:
        f = float(v)
    except (TypeError, ValueError):
        return None
    return None if math.isnan(f) else f


def _fmt(v: float, decimals: int = 0) -> str:
    if float(v).is_integer():
        return str(int(v))
    return f"{v:.{max(decimals, 1)}f}".rstrip("0").rstrip(".") if decimals else f"{v:g}"


def sheet_name(code: str, name: str) -> str:
    """``"330302 鹿城区"``: Excel allows 31 characters and none of []:*?/\\."""
    return re.sub(r"[\[\]:*?/\\]", "", f"{code} {name}")[:31]


def _target_text(t, row, lang) -> str:
    value = _number(t.get("target")) if t is not None else None
    if value is None:
        value = _number(row["target"])
    if value is None:
        text = str(row.get("target_text") or "")
        return text or ("无量化目标" if lang == "zh" else "no numeric target")
    comp = str((t.get("comparator") if t is not None else "") or row["comparator"])
    sign = vocab.COMPARATOR_SIGNS.get(comp, "")
    if lang == "en" and comp == "==":
        sign = "keep "
    return f"{sign}{_fmt(value, int(row['decimals']))}"


def write_template(path, plan_data: Dataset, regions=None, lang: str = "zh") -> Path:
    """Write the wide sheet to fill, one sheet a region, atomically; return the path."""
    # openpyxl only when a workbook is read or written (start-up speed)
    import openpyxl
    from openpyxl.styles import Alignment, Font, PatternFill
    from openpyxl.utils import get_column_letter
    from openpyxl.worksheet.datavalidation import DataValidation

    if lang not in vocab.TEMPLATE_HEADERS:
        raise QAnalysisError(f"language {lang!r} is not available; use zh or en")
    path = Path(path)
    if path.suffix.lower() != ".xlsx":
        raise QAnalysisError(f"the template is an Excel workbook: give a file name ending in .xlsx, not {path.name!r}")
    reg = plan_data.regions.copy()
    reg["code"] = reg["code"].astype(str)
    if regions:
        wanted = [str(r) for r in regions]
        unknown = [r for r in wanted if r not in set(reg["code"])]
        if unknown:
            raise QAnalysisError(f"unknown region code(s) {', '.join(unknown)}; the plan's regions are "
                                 + ", ".join(f"{c} {n}" for c, n in zip(reg["code"], reg["name_zh"])))
        reg = reg.set_index("code").loc[wanted].reset_index()
    plan = plan_data.plan
    years = list(range(plan.data_first_year, plan.target_year + 1))
    h = vocab.TEMPLATE_HEADERS[lang]
    header = [h["id"], h["name"], h["unit"], h["kind"], h["baseline"], h["target"], *years, h["status"], h["source"]]
    n_fixed = 6
    status_col = n_fixed + len(years) + 1  # 1-based
    cat = plan_data.catalogue
    targets = {(str(t["region"]), str(t["indicator"])): t for t in plan_data.targets.to_dict("records")}

    bold = Font(bold=True)
    head_fill = PatternFill("solid", fgColor="DDEBF7")
    info_fill = PatternFill("solid", fgColor="F2F2F2")
    input_fill = PatternFill("solid", fgColor="FFF9E5")

    wb = openpyxl.Workbook()
    notes = wb.active
    notes.title = "说明" if lang == "zh" else "notes"
    notes.column_dimensions["A"].width = 120
    notes.append([f"{plan.name_zh} — 指标年度数据填报表" if lang == "zh" else f"{plan.name_en} — yearly values"])
    notes["A1"].font = Font(bold=True, size=14)
    for text, is_head in _instructions(plan_data):
        notes.append([text])
        c = notes.cell(row=notes.max_row, column=1)
        c.alignment = Alignment(wrap_text=True, vertical="top")
        if is_head:
            c.font = bold

    for r in reg.itertuples():
        rname = r.name_zh if lang == "zh" else r.name_en
        ws = wb.create_sheet(sheet_name(r.code, rname))
        last = get_column_letter(len(header))
        ws.cell(TITLE_ROW, 1, f"{rname}（{r.code}） {plan.name_zh} 指标年度数据"
                if lang == "zh" else f"{rname} ({r.code}) — {plan.name_en}: yearly values").font = Font(bold=True, size=13)
        ws.cell(NOTE_ROW, 1, "只填年份列的数字；单位见“单位”列；“当年新增”类指标填当年新增数，不填累计数；"
                             "基期值、目标值仅供参考。详见“说明”工作表。" if lang == "zh" else
                "Numbers only, in the unit shown; increment rows: that year's additions, not the running "
                "total. See the notes sheet.")
        ws.merge_cells(f"A{TITLE_ROW}:{last}{TITLE_ROW}")
        ws.merge_cells(f"A{NOTE_ROW}:{last}{NOTE_ROW}")
        ws.cell(NOTE_ROW, 1).alignment = Alignment(wrap_text=True)
        ws.row_dimensions[NOTE_ROW].height = 30
        for j, name in enumerate(header, start=1):
            c = ws.cell(HEADER_ROW, j, name)
            c.font, c.fill = bold, head_fill
            c.alignment = Alignment(horizontal="center", vertical="center", wrap_text=True)
        for i, row in enumerate(cat.to_dict("records")):
            rr = FIRST_DATA_ROW + i
            t = targets.get((r.code, str(row["id"])))
            baseline = _number(t.get("baseline")) if t is not None else None
            if baseline is None:
                baseline = _number(row["baseline"])
            values = [row["id"], row["name_zh"] if lang == "zh" else (row["name_en"] or row["name_zh"]),
                      row["unit"], vocab.KIND_YEARLY[lang].get(str(row["kind"]), str(row["kind"])),
                      baseline if baseline is not None else "-", _target_text(t, row, lang)]
            for j, v in enumerate(values, start=1):
                c = ws.cell(rr, j, v)
                c.fill = info_fill
            for j in range(n_fixed + 1, n_fixed + len(years) + 1):
                ws.cell(rr, j).fill = input_fill
            ws.cell(rr, status_col, DEFAULT_STATUS).fill = input_fill
            ws.cell(rr, status_col + 1).fill = input_fill
        last_row = FIRST_DATA_ROW + len(cat) - 1
        dv = DataValidation(type="list", formula1='"' + ",".join(OBSERVATION_STATUSES) + '"', allow_blank=True,
                            showErrorMessage=True, errorTitle="数据状态",
                            error="published / provisional / estimated / illustrative")
        ws.add_data_validation(dv)
        col = get_column_letter(status_col)
        dv.add(f"{col}{FIRST_DATA_ROW}:{col}{max(last_row, FIRST_DATA_ROW)}")
        widths = [30, 36, 12, 14, 10, 12] + [9] * len(years) + [14, 36]
        for j, w in enumerate(widths, start=1):
            ws.column_dimensions[get_column_letter(j)].width = w
        ws.freeze_panes = f"C{FIRST_DATA_ROW}"  # the code and name stay in view
    from openpyxl.packaging.custom import StringProperty  # lazy: as openpyxl above

    wb.custom_doc_props.append(StringProperty(name=PLAN_PROPERTY, value=str(plan.id)))
    atomic.write_with(path, wb.save)
    return path
