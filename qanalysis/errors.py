"""Problems found in input, reported all at once, in plain words.

A :class:`Problem` names where (file, sheet, row, column) and why. Readers and
validators collect problems instead of raising on the first; the command line
prints them and exits non-zero. No traceback reaches the user.
"""
from __future__ import annotations

import re
from collections import Counter
from dataclasses import dataclass, field
from typing import Iterable

SHOWN_PROBLEMS = 40  # beyond this many, the rest are counted by kind, not printed one by one
_CONTROL = re.compile(r"[\x00-\x08\x0b-\x1f\x7f-\x9f\u2028\u2029]")


def printable(text: str) -> str:
    """``text`` with control characters written as escapes (\\x1b): never raw on a terminal."""
    return _CONTROL.sub(lambda m: m.group().encode("unicode_escape").decode("ascii"), str(text))


def problem_lines(problems: Iterable["Problem"], limit: int = SHOWN_PROBLEMS) -> list[str]:
    """Every problem as a line, or the first ``limit`` and the rest counted by kind and severity."""
    problems = list(problems)
    lines = [str(p) for p in problems[:limit]]
    rest = problems[limit:]
    if rest:
        kinds = Counter((p.severity, p.code) for p in rest)
        lines.append(f"… and {len(rest)} more: " + "; ".join(
            f"{n} × {sev} [{code}]" for (sev, code), n in kinds.most_common()))
    return lines


@dataclass(frozen=True)
class Problem:
    file: str
    reason: str
    row: int | None = None  # 1-based, as a spreadsheet shows it (header is row 1)
    column: str | None = None
    sheet: str | None = None
    cell: str | None = None  # e.g. "C7" for Excel
    severity: str = "error"  # "error" refuses the input; "warning" is reported only
    code: str = "invalid"  # short machine-readable kind, e.g. "unknown_indicator"

    def where(self) -> str:
        parts = [self.file]
        if self.sheet is not None:
            parts.append(f"sheet {self.sheet!r}")
        if self.cell is not None:
            parts.append(f"cell {self.cell}")
        elif self.row is not None:
            parts.append(f"row {self.row}")
        if self.column is not None:
            parts.append(f"column {self.column!r}")
        return ", ".join(parts)

    def __str__(self) -> str:
        tag = "error" if self.severity == "error" else "warning"
        return printable(f"{self.where()}: {tag} [{self.code}]: {self.reason}")


class QAnalysisError(Exception):
    """An error the user can act on; the CLI prints its message, no traceback."""

    exit_code = 1


class UsageError(QAnalysisError):
    """A command-line argument (or its Python counterpart) that cannot work: exit status 2."""

    exit_code = 2


class BusyError(QAnalysisError):
    """Another process holds what this command needs (e.g. the output folder); try later.

    Exit status 75 (``EX_TEMPFAIL`` of sysexits.h: a temporary failure, retry later).
    """

    exit_code = 75


@dataclass
class InputError(QAnalysisError):
    """Raised when input has one or more errors; carries every problem found."""

    problems: list[Problem] = field(default_factory=list)

    def __post_init__(self) -> None:
        super().__init__(self.summary())

    @property
    def errors(self) -> list[Problem]:
        return [p for p in self.problems if p.severity == "error"]

    def summary(self) -> str:
        n_err = len(self.errors)
        n_warn = len(self.problems) - n_err
        lines = [f"{n_err} error(s), {n_warn} warning(s) in the input:"]
        lines += [f"  {line}" for line in problem_lines(self.problems)]
        return "\n".join(lines)


def raise_if_errors(problems: Iterable[Problem]) -> list[Problem]:
    """Raise :class:`InputError` when any problem is an error; return them otherwise."""
    problems = list(problems)
    if any(p.severity == "error" for p in problems):
        raise InputError(problems)
    return problems
