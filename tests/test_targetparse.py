import pytest

from qanalysis.plan.targetparse import parse_cell


@pytest.mark.parametrize("text, value, comparator, state", [
    ("≥96", 96, ">=", "number"),
    ("≤ 26", 26, "<=", "number"),
    ("100", 100, None, "number"),
    ("90%以上", 90, ">=", "number"),
    ("200 家以上", 200, ">=", "number"),
    ("达到 80% 以上", 80, ">=", "number"),
    ("不超过 5", 5, "<=", "number"),
    ("保持100%", 100, "==", "number"),
    ("-", None, None, "none"),
    ("－", None, None, "none"),
    ("", None, None, "missing"),
    (None, None, None, "missing"),
    ("省定目标", None, None, "unquantified"),
    ("全面消除", 0, "<=", "number"),
    ("１２３", 123, None, "number"),   # full-width digits
    ("1,234", 1234, None, "number"),   # thousands separator
    ("－5", -5, None, "number"),        # full-width minus (NFKC)
])
def test_parse_cell(text, value, comparator, state):
    c = parse_cell(text)
    assert c.state == state
    assert c.comparator == comparator
    assert c.value == (None if value is None else pytest.approx(value))


def test_number_with_note_keeps_the_note():
    c = parse_cell("3(在建2个)")
    assert c.value == 3 and c.remark == "在建2个"
    c = parse_cell("3（在建2个）")  # full-width brackets as the plan writes them
    assert c.value == 3 and c.remark == "在建2个"


def test_decimals_as_written():
    assert parse_cell("87.14").decimals == 2
    assert parse_cell("46.38").decimals == 2
    assert parse_cell("100").decimals == 0


def test_approximate_target():
    c = parse_cell("约 20")
    assert c.approx and c.value == 20
