"""The built-in indicator library (indicators/library/*.yaml): every definition is well formed and its SQL
computes from the demo province's datasets on both store configurations (DuckDB and PostgreSQL)."""

from __future__ import annotations

import math
import re
from datetime import datetime
from pathlib import Path
from typing import Any

import pytest
import yaml
from sqlalchemy import select

from dieuhanh.catalog.models import DatasetColumn
from dieuhanh.geo.reference import communes_of
from dieuhanh.indicators import service
from dieuhanh.orgs.models import Agency

LIBRARY = Path(__file__).resolve().parents[2] / "src" / "dieuhanh" / "indicators" / "library"
DOMAINS = {"socio_economy", "population", "health", "education", "traffic", "environment", "digital_government",
           "citizen_reports", "data"}
AGENCIES = {"UBND", "VPUBND", "SNV", "STP", "STC", "SCT", "SNNMT", "SXD", "SKHCN", "SGDDT", "SYT", "SVHTTDL",
            "SDTTG", "TTT", "CAT", "THUE", "BHXH", "TKT", "BQLKCN", "TTPVHCC"}
REQUIRED = {"code", "name", "domain", "unit", "periodicity", "levels", "direction", "owner_agency", "legal_basis",
            "source", "public", "description", "sql"}
OPTIONAL = {"targets", "thresholds", "datasets", "publication", "cumulative", "details_url"}
PERIOD = {"month": re.compile(r"^\d{4}-(0[1-9]|1[0-2])$"), "quarter": re.compile(r"^\d{4}-Q[1-4]$"),
          "year": re.compile(r"^\d{4}$")}


def load_library() -> list[tuple[str, dict[str, Any]]]:
    out = []
    for path in sorted(LIBRARY.glob("*.yaml")):
        items = yaml.safe_load(path.read_text(encoding="utf-8"))
        assert isinstance(items, list), f"{path.name}: not a YAML list"
        out.extend((path.name, item) for item in items)
    return out


def definition_problems(item: Any) -> list[str]:
    if not isinstance(item, dict):
        return ["not a mapping"]
    problems = [f"missing {k}" for k in sorted(REQUIRED - item.keys())]
    problems += [f"unknown key {k}" for k in sorted(item.keys() - REQUIRED - OPTIONAL)]
    for key in REQUIRED - {"public", "levels"}:
        if key in item and (not isinstance(item[key], str) or not item[key].strip()):
            problems.append(f"{key} must be a non-empty string")
    if not re.fullmatch(r"[a-z0-9_]{1,60}", str(item.get("code", ""))):
        problems.append("code must match [a-z0-9_]{1,60}")
    if not any(ord(ch) > 127 for ch in str(item.get("name", ""))):
        problems.append("name must be Vietnamese with diacritics")
    if item.get("domain") not in DOMAINS:
        problems.append(f"domain {item.get('domain')!r}")
    if item.get("periodicity") not in PERIOD:
        problems.append(f"periodicity {item.get('periodicity')!r}")
    if item.get("levels") not in (["province"], ["province", "commune"], ["province", "agency"]):
        problems.append(f"levels {item.get('levels')!r}")
    if item.get("direction") not in {"higher_better", "lower_better", "neutral"}:
        problems.append(f"direction {item.get('direction')!r}")
    if item.get("owner_agency") not in AGENCIES:
        problems.append(f"owner_agency {item.get('owner_agency')!r}")
    if not isinstance(item.get("public"), bool):
        problems.append("public must be true or false")
    targets = item.get("targets", {})
    if not isinstance(targets, dict) or not all(
        re.fullmatch(r"\d{4}", str(k)) and isinstance(v, int | float) for k, v in targets.items()
    ):
        problems.append("targets must map years to numbers")
    thresholds = item.get("thresholds", {})
    if not isinstance(thresholds, dict) or not set(thresholds) <= {"warning", "critical"} or not all(
        isinstance(v, int | float) for v in thresholds.values()
    ):
        problems.append("thresholds must be {warning: x, critical: y}")
    elif {"warning", "critical"} <= set(thresholds) and thresholds["critical"] > thresholds["warning"]:
        problems.append("thresholds are % of target: critical must not exceed warning")
    return problems


def test_library_definitions_are_well_formed() -> None:
    library = load_library()
    assert len(library) >= 40, f"only {len(library)} indicators in the library"
    problems = [f"{name}:{item.get('code') if isinstance(item, dict) else '?'}: {p}"
                for name, item in library for p in definition_problems(item)]
    codes = [item["code"] for _, item in library]
    problems += [f"duplicate code {c}" for c in sorted({c for c in codes if codes.count(c) > 1})]
    readme = (LIBRARY / "README.md").read_text(encoding="utf-8")
    problems += [f"{c} is not listed in library/README.md" for c in codes if f"`{c}`" not in readme]
    assert not problems, "\n".join(problems)


def test_definition_checks_can_fail() -> None:
    good = dict(load_library()[0][1])
    assert definition_problems(good) == []
    bad = {**good, "code": "Bad-Code", "domain": "weather", "levels": ["commune"], "owner_agency": "XYZ",
           "periodicity": "week", "targets": {"năm": "x"}, "colour": "red"}
    bad.pop("source")
    found = " | ".join(definition_problems(bad))
    for word in ("missing source", "unknown key colour", "code", "domain", "levels", "owner_agency", "periodicity",
                 "targets"):
        assert word in found


def result_problems(item: dict[str, Any], rows: list[dict[str, Any]], columns: list[str],
                    communes: set[str], pii: set[str], agencies: set[str] | None = None) -> list[str]:
    problems = [f"no column {c}" for c in ("period", "unit_code", "value") if c not in columns]
    if problems:
        return problems
    sql_words = set(re.findall(r"[a-z0-9_]+", item["sql"].lower()))
    problems += [f"reads the personal-data column {c}" for c in sorted(pii & sql_words)]
    pattern = PERIOD[item["periodicity"]]
    bad_periods = sorted({str(r["period"]) for r in rows if not isinstance(r["period"], str)
                          or not pattern.match(r["period"])})
    if bad_periods:
        problems.append(f"periods not {item['periodicity']}: {bad_periods[:5]}")
    known = communes | (agencies or set() if "agency" in item["levels"] else set())
    bad_units = sorted({str(r["unit_code"]) for r in rows if r["unit_code"] is not None
                        and str(r["unit_code"]) not in known})
    if bad_units:
        problems.append(f"unit codes not communes of province 37: {bad_units[:5]}")
    keys = [(r["period"], r["unit_code"]) for r in rows]
    if len(keys) != len(set(keys)):
        problems.append("more than one row for a (period, unit_code)")
    for r in rows:
        for col in ("value", "numerator", "denominator"):
            v = r.get(col)
            if v is not None and (isinstance(v, bool) or not math.isfinite(float(v))):
                problems.append(f"{col} {v!r} is not a finite number")
                break
    if not any(r["unit_code"] is None and r["value"] is not None for r in rows):
        problems.append("no province-level (unit_code NULL) value")
    has_commune = any(r["unit_code"] in communes and r["value"] is not None for r in rows)
    if "commune" in item["levels"] and not has_commune:
        problems.append("levels include commune but no commune value")
    if "commune" not in item["levels"] and has_commune:
        problems.append("commune values but levels are [province]")
    return problems


def test_every_indicator_computes_from_the_demo(demo_province) -> None:  # type: ignore[no-untyped-def]
    # A private copy of the demo province, loaded once per store kind by `run_demo` (conftest.demo_template).
    db, warehouse = demo_province.db, demo_province.warehouse
    communes = {u.code for u in communes_of("37")}
    assert len(communes) == 129
    with db.session() as session:
        pii = {str(n).lower() for n in session.scalars(select(DatasetColumn.name).where(DatasetColumn.pii))}
        agencies = {str(c) for c in session.scalars(select(Agency.code))}
    assert "so_cccd" in pii
    failures: list[str] = []
    for name, item in load_library():
        try:
            # As the engine runs it: with the computation instant in the table `as_of` (the demo's day).
            table = warehouse.query(service.with_as_of(item["sql"], datetime(2026, 12, 7, 10, 0)))
        except Exception as exc:  # noqa: BLE001 - every failing code is reported together
            failures.append(f"{name}:{item['code']}: SQL failed on {warehouse.kind}: {str(exc).splitlines()[0]}")
            continue
        for p in result_problems(item, table.to_pylist(), table.column_names, communes, pii, agencies):
            failures.append(f"{name}:{item['code']} ({warehouse.kind}): {p}")
    assert not failures, "\n".join(failures)


def test_result_checks_can_fail() -> None:
    item = {"code": "x", "periodicity": "month", "levels": ["province", "commune"], "sql": "SELECT so_cccd"}
    rows = [{"period": "2025", "unit_code": "99999", "value": 1.0},
            {"period": "2025", "unit_code": "99999", "value": None}]
    found = " | ".join(result_problems(item, rows, ["period", "unit_code", "value"], {"13285"}, {"so_cccd"}))
    for word in ("personal-data", "periods not month", "unit codes not communes", "more than one row",
                 "no province-level"):
        assert word in found
    province_only = [{"period": "2025-06", "unit_code": None, "value": 2.0}]
    assert result_problems(item, province_only, ["period", "unit_code", "value"], set(), set()) == [
        "levels include commune but no commune value"]
    assert result_problems(item, [], ["period", "value"], set(), set()) == ["no column unit_code"]


@pytest.mark.parametrize("domain", ["socio_economy", "population", "health", "education", "traffic", "environment",
                                    "digital_government"])
def test_required_domains_are_covered(domain: str) -> None:
    assert any(item["domain"] == domain for _, item in load_library())
