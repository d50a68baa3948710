"""Spreadsheet cells that cannot run: the one place every CSV and XLSX export writes text through.

A text a spreadsheet would read as a formula (=, +, -, @, tab, carriage return first) gets a leading apostrophe,
so an agency renamed ``=HYPERLINK(...)`` shows as text (OWASP "CSV injection"); characters XLSX cannot store are
dropped. Numbers, dates and booleans stay typed.
"""

from __future__ import annotations

import re
from typing import Any

FORMULA_PREFIXES = ("=", "+", "-", "@", "\t", "\r")
# The control characters an XLSX file cannot hold (openpyxl refuses them with IllegalCharacterError).
_ILLEGAL_XLSX = re.compile(r"[\000-\010]|[\013-\014]|[\016-\037]")


def neutralise(value: Any) -> Any:
    """A text cell a spreadsheet would read as a formula gets a leading apostrophe; numbers stay numbers."""
    if isinstance(value, str) and value.startswith(FORMULA_PREFIXES):
        return "'" + value
    return value


def xlsx_cell(value: Any) -> Any:
    """A value ready for an openpyxl cell: illegal characters removed, formulas neutralised."""
    if isinstance(value, str):
        return neutralise(_ILLEGAL_XLSX.sub("", value))
    return value
