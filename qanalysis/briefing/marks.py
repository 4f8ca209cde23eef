"""Which marks and notes apply to a table's rows, and a share as a reader sees it.

A note under a table or in the method section names only what the rows have: the illustrative
mark when a value is illustrative, the provisional mark when one is provisional, the pro-rata
mark when a target was shared out, the increment sentence when an indicator is an increment.
"""
from __future__ import annotations


def share_text(share) -> str:
    """A share as a reader sees it: "75%", or "—" when nothing could be judged (never "nan%")."""
    return "—" if share is None or share != share else f"{share:.0%}"


def mark_flags(rows) -> dict[str, bool]:
    """illustrative / provisional / pro_rata / increment / increment_baseline: does any row have it."""
    col = lambda c: rows[c].astype(str) if c in rows else rows.index.to_series().astype(str).iloc[:0]  # noqa: E731
    inc = rows[col("kind") == "increment"] if "kind" in rows else rows.iloc[:0]
    return {"illustrative": "has_illustrative" in rows and bool(rows["has_illustrative"].fillna(False)
                                                                .astype(bool).any()),
            "provisional": bool(col("data_status").str.contains("provisional|mixed").any()),
            "pro_rata": bool((col("target_basis") == "pro_rata").any()),
            "increment": bool(len(inc)),
            "increment_baseline": bool(len(inc) and "baseline" in inc and inc["baseline"].notna().any())}


def mark_sentences(rows, marks: tuple[str, str, str]) -> list[str]:
    """The method note's "表中标记" parts for these rows; ``marks``: illustrative, provisional, pro-rata."""
    f = mark_flags(rows)
    return [t for k, t in (("illustrative", f"“{marks[0]}”为示例数据"),
                           ("provisional", f"“{marks[1]}”为初步数据（未正式发布）"),
                           ("pro_rata", f"“{marks[2]}”为按权重分解的示例目标"),
                           ("increment", "新增类指标各年数值为规划期累计新增"
                            + ("，其基期值为上一规划期的新增数，仅作参考" if f["increment_baseline"] else "")))
            if f[k]]
