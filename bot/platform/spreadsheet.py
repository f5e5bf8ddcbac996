"""CSV files for staff (exports of feedback, the ledger, beta participants): one writer, and member text defused
so a spreadsheet never runs it as a formula (CSV injection: a cell starting with ``=``, ``+``, ``-``, ``@``, a tab
or a carriage return gets a leading ``'``)."""

from __future__ import annotations

import csv
import io
from collections.abc import Iterable, Sequence
from datetime import datetime
from typing import Any

FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


def safe_cell(value: Any) -> Any:
    """A value as a CSV cell: ``None`` empty, a time in ISO form, text that a spreadsheet would read as a formula
    quoted with a leading ``'``; numbers as they are (a negative number is not text to defuse)."""
    if value is None:
        return ""
    if isinstance(value, datetime):
        return value.isoformat()
    if isinstance(value, str) and value.startswith(FORMULA_STARTS):
        return "'" + value
    return value


def csv_bytes(header: Sequence[str], rows: Iterable[Sequence[Any]], *, lineterminator: str = "\r\n"
              ) -> tuple[bytes, int]:
    """UTF-8 CSV of ``rows`` under ``header`` (every cell through :func:`safe_cell`), and the number of rows."""
    out = io.StringIO()
    writer = csv.writer(out, lineterminator=lineterminator)
    writer.writerow(header)
    n = 0
    for row in rows:
        writer.writerow([safe_cell(v) for v in row])
        n += 1
    return out.getvalue().encode("utf-8"), n
