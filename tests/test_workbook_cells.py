"""Excel outputs hold the data as data: no cell written from data is ever a formula (issue 20)."""
import openpyxl

from qanalysis.analysis.assess import assess
from qanalysis.analysis.workbook import write_workbook

import analytics_data as ca


def test_no_cell_is_a_formula_and_text_reads_back_as_written(tmp_path):
    a = assess(ca.dataset())
    i = a.table.index[0]
    a.table.loc[i, "name_zh"] = '=HYPERLINK("http://example.invalid","x")'
    keep = a.table.index[a.table["comparator"] == "=="]
    assert len(keep)  # the fixture has a keep-at target: "==" is what used to become a formula
    for lang in ("zh", "en"):
        out = write_workbook(a, tmp_path / f"t-{lang}.xlsx", lang)
        wb = openpyxl.load_workbook(out)
        cells = [c for ws in wb.worksheets for row in ws.iter_rows() for c in row]
        assert [c.coordinate for c in cells if c.data_type == "f"] == []
        values = {c.value for c in cells}
        assert '=HYPERLINK("http://example.invalid","x")' in values and "==" in values
