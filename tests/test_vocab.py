"""Every column of the assessment table has its Chinese header, declared once in vocab.py."""
from __future__ import annotations

import re

from qanalysis.vocab import ASSESSMENT_HEADERS_ZH


def test_every_assessment_column_has_a_chinese_header(shipped_assessment):
    missing = [c for c in shipped_assessment.table.columns
               if c not in ASSESSMENT_HEADERS_ZH and c != "data_source_en"]
    assert missing == []
    assert not [h for h in ASSESSMENT_HEADERS_ZH.values() if not re.search(r"[\u4e00-\u9fff]", h)]
