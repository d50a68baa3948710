"""Typed conversion of one column of raw strings, vectorised with pyarrow for the common shapes.

Cells in the usual Vietnamese forms (1.234,5 — 12/03/2025 — 2025-03-12) are converted in bulk by
pyarrow compute; only cells in other shapes go through the per-cell parsers of ``values.py``, which also
produce the error messages. This keeps full validation close to the speed of a raw columnar load.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from typing import Any

import pyarrow as pa
import pyarrow.compute as pc

from dieuhanh.ingest import values

ARROW_TYPES: dict[str, pa.DataType] = {
    "string": pa.string(),
    "unit_code": pa.string(),
    "integer": pa.int64(),
    "number": pa.float64(),
    "boolean": pa.bool_(),
    "date": pa.date32(),
    # Naive local time (Asia/Ho_Chi_Minh): what provincial files mean, and what indicators group by.
    "datetime": pa.timestamp("us"),
}

CellError = tuple[int, str]  # (index in the batch, message)

_NUMBER_COMMA = r"^-?(\d{1,3}(\.\d{3})+|\d+)(,\d+)?$"
_NUMBER_DOT = r"^-?\d+(\.\d+)?$"
_INT_COMMA = r"^-?(\d{1,3}(\.\d{3})+|\d+)$"
_DATE_VN = r"^\d{1,2}/\d{1,2}/\d{4}$"
_DATE_ISO = r"^\d{4}-\d{2}-\d{2}$"
_DATETIME_ISO = r"^\d{4}-\d{2}-\d{2}[ T]\d{2}:\d{2}(:\d{2})?$"


def _empty_mask(arr: pa.Array) -> pa.Array:
    return pc.or_kleene(pc.is_null(arr), pc.equal(pc.utf8_length(arr), 0))


def _fallback(arr: pa.Array, done: pa.Array, typed: pa.Array, parse: Callable[[str], Any],
              arrow_type: pa.DataType) -> tuple[pa.Array, list[CellError]]:
    """Parse the cells the bulk path did not handle, one by one, and merge them in."""
    todo = pc.invert(pc.or_kleene(done, _empty_mask(arr)))
    todo = pc.fill_null(todo, False)
    indices = pc.indices_nonzero(todo).to_pylist()
    if not indices:
        return typed, []
    out = typed.to_pylist()
    raw = arr.to_pylist()
    errors: list[CellError] = []
    for i in indices:
        try:
            out[i] = parse(raw[i])
        except ValueError as exc:
            out[i] = None
            errors.append((i, str(exc)))
    return pa.array(out, type=arrow_type), errors


def convert(arr: pa.Array, col_type: str, *, decimal: str = ",",
            unit_resolver: Callable[[str], str] | None = None) -> tuple[pa.Array, list[CellError]]:
    """Raw strings (nulls for empty cells) -> typed array and the cells that could not be read."""
    if not pa.types.is_string(arr.type) and not pa.types.is_large_string(arr.type):
        arr = pc.cast(arr, pa.string())
    arr = pc.utf8_trim_whitespace(arr)
    if col_type == "string":
        return pc.if_else(_empty_mask(arr), pa.scalar(None, pa.string()), arr), []
    if col_type == "unit_code":
        return _convert_units(arr, unit_resolver)
    if col_type in ("number", "integer"):
        pattern = (_NUMBER_COMMA if col_type == "number" else _INT_COMMA) if decimal == "," else _NUMBER_DOT
        ok = pc.fill_null(pc.match_substring_regex(arr, pattern), False)
        text = pc.if_else(ok, arr, pa.scalar(None, pa.string()))
        if decimal == ",":
            text = pc.replace_substring(pc.replace_substring(text, ".", ""), ",", ".")
        target = pa.float64() if col_type == "number" else pa.int64()
        typed = pc.cast(text, target) if col_type == "number" else pc.cast(pc.cast(text, pa.float64()), target)

        def parse(v: str) -> Any:
            return values.parse_number(v, decimal) if col_type == "number" else values.parse_integer(v, decimal)

        return _fallback(arr, ok, typed, parse, target)
    if col_type == "date":
        vn = pc.fill_null(pc.match_substring_regex(arr, _DATE_VN), False)
        iso = pc.fill_null(pc.match_substring_regex(arr, _DATE_ISO), False)
        typed_vn = _strict_date(pc.if_else(vn, arr, pa.scalar(None, pa.string())), "/", "%d/%m/%Y", 0, 1)
        typed_iso = _strict_date(pc.if_else(iso, arr, pa.scalar(None, pa.string())), "-", "%Y-%m-%d", 2, 1)
        typed = pc.coalesce(typed_vn, typed_iso)
        done = pc.fill_null(pc.is_valid(typed), False)
        return _fallback(arr, done, typed, lambda v: values.parse_date(v), pa.date32())
    if col_type == "boolean":
        none = pa.array([False] * len(arr))
        return _fallback(arr, none, pa.nulls(len(arr), pa.bool_()), values.parse_boolean, pa.bool_())
    if col_type == "datetime":
        # Bulk path for local ISO date-times without offset ("2026-12-07 14:05[:00]", sensor feeds): read as they
        # are (local time, like parse_datetime does with naive values); everything else cell by cell.
        iso = pc.fill_null(pc.match_substring_regex(arr, _DATETIME_ISO), False)
        text = pc.if_else(iso, pc.utf8_slice_codeunits(pc.replace_substring(arr, "T", " "), 0, 16),
                          pa.scalar(None, pa.string()))
        seconds = pc.utf8_slice_codeunits(arr, 17, 19)
        seconds = pc.if_else(pc.fill_null(pc.equal(pc.utf8_length(seconds), 2), False), seconds, "00")
        typed = pc.strptime(pc.binary_join_element_wise(text, seconds, ":"),
                            format="%Y-%m-%d %H:%M:%S", unit="us", error_is_null=True)
        # strptime rolls 30/02 over to 02/03: keep only values whose day and month read back unchanged.
        same = pc.and_(pc.equal(pc.day(typed), pc.cast(pc.utf8_slice_codeunits(text, 8, 10), pa.int64())),
                       pc.equal(pc.month(typed), pc.cast(pc.utf8_slice_codeunits(text, 5, 7), pa.int64())))
        typed = pc.if_else(pc.fill_null(same, False), typed, pa.scalar(None, pa.timestamp("us")))
        none = pc.fill_null(pc.is_valid(typed), False)

        def parse_dt(v: str) -> datetime | None:
            dt = values.parse_datetime(v)
            return dt.astimezone(values.LOCAL_TZ).replace(tzinfo=None) if dt is not None else None

        return _fallback(arr, none, typed, parse_dt, pa.timestamp("us"))
    raise ValueError(f"unknown column type {col_type}")


def _strict_date(text: pa.Array, sep: str, fmt: str, day_at: int, month_at: int) -> pa.Array:
    """strptime, then reject dates it rolled over (31/02 -> 03/03): day and month must read back unchanged."""
    parsed = pc.cast(pc.strptime(text, format=fmt, unit="s", error_is_null=True), pa.date32())
    parts = pc.split_pattern(text, sep)
    day = pc.cast(pc.list_element(parts, day_at), pa.int64())
    month = pc.cast(pc.list_element(parts, month_at), pa.int64())
    same = pc.and_(pc.equal(pc.day(parsed), day), pc.equal(pc.month(parsed), month))
    return pc.if_else(pc.fill_null(same, False), parsed, pa.scalar(None, pa.date32()))


def _convert_units(arr: pa.Array, resolver: Callable[[str], str] | None) -> tuple[pa.Array, list[CellError]]:
    if resolver is None:
        raise ValueError("unit_code columns need a resolver")
    empty = _empty_mask(arr)
    encoded = pc.dictionary_encode(pc.if_else(empty, pa.scalar(None, pa.string()), arr))
    dictionary = encoded.dictionary.to_pylist()
    mapped: list[str | None] = []
    failed: dict[int, str] = {}
    for k, value in enumerate(dictionary):
        try:
            mapped.append(resolver(value))
        except ValueError as exc:
            mapped.append(None)
            failed[k] = str(exc)
    typed = pc.take(pa.array(mapped, pa.string()), encoded.indices)
    errors: list[CellError] = []
    if failed:
        for i, k in enumerate(encoded.indices.to_pylist()):
            if k is not None and k in failed:
                errors.append((i, failed[k]))
    return typed, errors
