"""Perk codes: masking one for display, and parsing a perk-code upload (TXT: one code a line; CSV:
``code[,expires YYYY-MM-DD]``), all or nothing.

An upload's problems are :func:`bot.platform.deferred.said` messages: their English text (``str(problem)``, for
tests and the service) and their message, said in the reader's language by ``/perks add-codes`` and the
dashboard (:func:`import_summary`). A code in a problem line is always masked (:func:`mask_code`)."""

from __future__ import annotations

import csv
import io
import re
from dataclasses import dataclass, field
from datetime import UTC, date, datetime

from bot.platform import deferred
from bot.platform.deferred import Said
from bot.platform.i18n import N_, Translator, translator

MAX_UPLOAD_BYTES = 256 * 1024
MAX_CODES = 10_000
MIN_CODE_LENGTH = 8  # shorter codes can be guessed, and a masked one would give too much of itself away
MAX_CODE_LENGTH = 200
_CODE = re.compile(rf"^[A-Za-z0-9][A-Za-z0-9_\-.:/+=]{{{MIN_CODE_LENGTH - 1},{MAX_CODE_LENGTH - 1}}}$")
_HEADER = {"code", "codes"}


@dataclass
class CodeImport:
    codes: list[tuple[str, datetime | None]] = field(default_factory=list)
    duplicates: list[Said] = field(default_factory=list)  # masked, with line numbers
    invalid: list[Said] = field(default_factory=list)  # "line 4: reason" (codes masked)

    @property
    def ok(self) -> bool:
        return not self.duplicates and not self.invalid and bool(self.codes)


def mask_code(code: str) -> str:
    """``ABCD-1234-XYZ`` → ``A•••••••••••Z``: enough to recognise, not enough to use.

    At most a quarter of the code shows (never more than two characters at each end); a code shorter than
    eight characters shows none of itself."""
    keep = min(len(code) // 8, 2)
    if keep == 0:
        return "•" * len(code)
    return code[:keep] + "•" * (len(code) - 2 * keep) + code[-keep:]


def check_upload(filename: str, size: int) -> None:
    """Refuse, before reading it, an upload of codes that can't be one (``/perks add-codes`` and the dashboard)."""
    from bot.platform.errors import InvalidInput

    if size > MAX_UPLOAD_BYTES:
        raise InvalidInput(N_("That file is {value} KB; the limit is {value_b} KB."),
                           value=size // 1024, value_b=MAX_UPLOAD_BYTES // 1024)
    if not filename.lower().endswith((".txt", ".csv")):
        raise InvalidInput(N_("Upload a .txt (one code a line) or .csv (code[,expiry]) file."))


def problem_lines(report: CodeImport, tr: Translator | None = None, *, limit: int = 15) -> list[str]:
    """The first ``limit`` problems of an import in ``tr``'s language (English by default; codes masked)."""
    tr = tr or translator()
    return [str(deferred.render(tr, p)) for p in (report.invalid + report.duplicates)[:limit]]


def import_summary(report: CodeImport, added: int, pool: str, tr: Translator | None = None, *, limit: int = 15
                   ) -> tuple[str, list[str]]:
    """What an import did, for the member who uploaded, in ``tr``'s language: a sentence and its problems."""
    tr = tr or translator()
    if added:
        return tr.ngettext("Added {count} code to {pool}.", "Added {count} codes to {pool}.", added, pool=pool), []
    count = len(report.invalid) + len(report.duplicates)
    if not count:
        return tr("Nothing was imported: the file has no codes."), []
    return (tr.ngettext("Nothing was imported ({count} problem; fix it and upload the whole file again):",
                        "Nothing was imported ({count} problems; fix them and upload the whole file again):", count),
            problem_lines(report, tr, limit=limit))


def parse_codes(data: bytes, filename: str = "codes.txt") -> CodeImport:
    """Read codes; every problem is reported (codes masked), nothing is accepted if any line is bad."""
    result = CodeImport()
    if len(data) > MAX_UPLOAD_BYTES:
        result.invalid.append(deferred.said(N_("the file is {size} KB; the limit is {limit} KB"),
                                            size=len(data) // 1024, limit=MAX_UPLOAD_BYTES // 1024))
        return result
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError:
        result.invalid.append(deferred.said(N_("the file is not UTF-8 text")))
        return result
    if "\x00" in text:  # csv.reader raises on it, and no code holds one
        result.invalid.append(deferred.said(N_("the file contains a NUL character (\\0): it is not a text file of "
                                               "codes")))
        return result
    is_csv = filename.lower().endswith(".csv")
    rows = list(csv.reader(io.StringIO(text))) if is_csv else [[line] for line in text.splitlines()]
    seen: dict[str, int] = {}
    for number, row in enumerate(rows, start=1):
        cells = [c.strip() for c in row]
        if not cells or not any(cells) or cells[0].startswith("#"):
            continue
        if number == 1 and cells[0].lower() in _HEADER:
            continue
        code = cells[0]
        expires: datetime | None = None
        if len(cells) > 1 and cells[1]:
            try:
                day = date.fromisoformat(cells[1])
                expires = datetime(day.year, day.month, day.day, tzinfo=UTC)
            except ValueError:
                result.invalid.append(deferred.said(N_("line {line}: expiry {value} is not a date like 2027-01-31"),
                                                    line=number, value=repr(cells[1][:20])))
                continue
        if len(cells) > 2 and any(cells[2:]):
            result.invalid.append(deferred.said(N_("line {line}: expected code[,expiry date], got {columns} columns"),
                                                line=number, columns=len(cells)))
            continue
        if not _CODE.match(code):
            result.invalid.append(deferred.said(
                N_("line {line}: {code} is not a valid code ({low}-{high} letters, digits, - _ . : / + =)"),
                line=number, code=mask_code(code), low=MIN_CODE_LENGTH, high=MAX_CODE_LENGTH))
            continue
        if code in seen:
            result.duplicates.append(deferred.said(N_("line {line}: {code} repeats line {first}"), line=number,
                                                   code=mask_code(code), first=seen[code]))
            continue
        seen[code] = number
        result.codes.append((code, expires))
    if len(result.codes) > MAX_CODES:
        result.invalid.append(deferred.said(N_("{count} codes; at most {limit} per upload"), count=len(result.codes),
                                            limit=MAX_CODES))
    return result
