#!/usr/bin/env python3
"""Regenerate ``src/dieuhanh/geo/data/vn_units.json.gz`` from the ``vietnam-provinces`` wheel.

The reference layer (``dieuhanh.geo.reference``) is pure Python and must work offline, so the administrative
units it needs are frozen into one gzip-compressed JSON file. This script rebuilds that file:

1. Obtain a ``vietnam-provinces`` wheel (release 2026.9 or later: earlier releases, e.g. 2025.10.1,
   carry wrong commune codes). By default it runs
   ``pip download --no-deps --python-version 3.12 --only-binary=:all:`` into a temporary directory;
   ``--wheel PATH`` uses a wheel file or an already extracted wheel directory.
2. Extract the wheel and import it from there. The package declares Python >= 3.12 but its code imports
   on 3.11. It is never installed into the project environment.
3. Check the result (34 provinces, 3,321 communes, the official Ninh Bình codes of Công văn 1027/CTK-CSCL) and
   write the data file.

Usage::

    uv run python scripts/build_geo_data.py                      # download the newest matching release
    uv run python scripts/build_geo_data.py --wheel /path/to/vietnam_provinces-2026.9.0-py3-none-any.whl
    uv run python scripts/build_geo_data.py --wheel /tmp/vp/x    # directory holding vietnam_provinces/

Licence: the data come from ``vietnam-provinces`` (GPL-3.0-or-later, Nguyễn Hồng Quân), itself built from the
lists of the National Statistics Office (Tổng cục Thống kê / Cục Thống kê).
See ``src/dieuhanh/geo/data/NOTICE.md``.
"""

from __future__ import annotations

import argparse
import gzip
import importlib
import json
import shutil
import subprocess
import sys
import tempfile
import zipfile
from pathlib import Path
from typing import Any

PACKAGE = "vietnam-provinces"
DEFAULT_SPEC = "vietnam-provinces>=2026.9"
MIN_VERSION = (2026, 9)
ROOT = Path(__file__).resolve().parents[1]
DEFAULT_OUT = ROOT / "src" / "dieuhanh" / "geo" / "data" / "vn_units.json.gz"
FORMAT_VERSION = 1

# Official codes that a correct release must have (Công văn 1027/CTK-CSCL, 25 June 2025). Release 2025.10.1
# permutes some of them, which is why it is refused.
PINNED_CODES = {
    13285: "Phường Phủ Lý",
    13291: "Phường Phù Vân",
    13318: "Phường Châu Sơn",
    13669: "Phường Nam Định",
    13708: "Phường Mỹ Lộc",
    14614: "Xã Khánh Hội",
}
EXPECTED_PROVINCES = 34
EXPECTED_COMMUNES = 3321

# Former district names that no longer exist in the legacy (30 June 2025) list because the district was merged
# into another one between 2024 and June 2025. People still write them in addresses. Each alias points to the
# legacy district that absorbed it. Evidence is in the data itself: the absorbing district lists the absorbed
# district's communes (e.g. Xã Mỹ Hà, Mỹ Thắng, Mỹ Tân ... under Thành phố Nam Định; Phường Đông Thành,
# Vân Giang, Bích Đào of the former Thành phố Ninh Bình under Thành phố Hoa Lư).
# Only Ninh Bình (37) is covered.
LEGACY_DISTRICT_ALIASES: list[dict[str, str]] = [
    {
        "name": "Huyện Mỹ Lộc",
        "district_code": "356",
        "note": "Huyện Mỹ Lộc (Nam Định) nhập vào Thành phố Nam Định trước 1/7/2025",
    },
    {
        "name": "Thành phố Ninh Bình",
        "district_code": "374",
        "note": "Thành phố Ninh Bình và huyện Hoa Lư hợp thành Thành phố Hoa Lư trước 1/7/2025",
    },
]

PROVINCE_PREFIXES = ("Thành phố ", "Tỉnh ")
TYPE_PREFIXES = (
    "Thành phố ",
    "Tỉnh ",
    "Huyện ",
    "Quận ",
    "Thị xã ",
    "Thị trấn ",
    "Phường ",
    "Xã ",
    "Đặc khu ",
)


def clean_name(name: str) -> str:
    """Collapse whitespace and write the type prefix in its usual case.

    The source has a few slips such as "xã Bắc Sơn" or "Thành Phố Đồng Hới"; only the prefix is touched.
    """
    name = " ".join(name.split())
    for prefix in TYPE_PREFIXES:
        if name.lower().startswith(prefix.lower()) and not name.startswith(prefix):
            return prefix + name[len(prefix) :]
    return name


def short_province_name(full: str) -> str:
    for prefix in PROVINCE_PREFIXES:
        if full.startswith(prefix):
            return full[len(prefix) :]
    return full


def _version_tuple(version: str) -> tuple[int, ...]:
    out: list[int] = []
    for part in version.split("."):
        digits = "".join(ch for ch in part if ch.isdigit())
        out.append(int(digits) if digits else 0)
    return tuple(out)


def download_wheel(spec: str, dest: Path) -> Path:
    """Download the wheel with pip (only the wheel, no dependencies, any Python >= 3.12 build)."""
    args = ["download", "--no-deps", "--python-version", "3.12", "--only-binary=:all:", "-d", str(dest), spec]
    commands: list[list[str]] = [[sys.executable, "-m", "pip", *args]]
    pip = shutil.which("pip") or shutil.which("pip3")
    if pip:
        commands.append([pip, *args])
    last_error = ""
    for cmd in commands:
        proc = subprocess.run(cmd, capture_output=True, text=True)
        if proc.returncode == 0:
            wheels = sorted(dest.glob("vietnam_provinces-*.whl"))
            if wheels:
                return wheels[-1]
        last_error = proc.stderr.strip() or proc.stdout.strip()
    raise SystemExit(f"pip download of {spec!r} failed: {last_error}")


def extract_wheel(wheel: Path, dest: Path) -> Path:
    """Return a directory that contains the ``vietnam_provinces`` package."""
    if wheel.is_dir():
        if (wheel / "vietnam_provinces" / "__init__.py").exists():
            return wheel
        if (wheel / "__init__.py").exists() and wheel.name == "vietnam_provinces":
            return wheel.parent
        raise SystemExit(f"{wheel} does not contain a vietnam_provinces package")
    with zipfile.ZipFile(wheel) as zf:
        zf.extractall(dest)
    return dest


def import_package(site: Path) -> Any:
    sys.path.insert(0, str(site))
    for name in list(sys.modules):
        if name == "vietnam_provinces" or name.startswith("vietnam_provinces."):
            del sys.modules[name]
    return importlib.import_module("vietnam_provinces")


def build(vp: Any) -> dict[str, Any]:
    version: str = vp.__version__
    if _version_tuple(version)[:2] < MIN_VERSION:
        raise SystemExit(f"{PACKAGE} {version} is too old: releases before 2026.9 carry wrong commune codes")

    lookup = importlib.import_module("vietnam_provinces._lookup")
    legacy = importlib.import_module("vietnam_provinces.legacy._lookup")
    ward_conv = importlib.import_module("vietnam_provinces._ward_conversion_2025")
    prov_conv = importlib.import_module("vietnam_provinces._province_conversion_2025")

    provinces = [
        {
            "code": f"{p.code.value:02d}",
            "name": short_province_name(clean_name(p.name)),
            "full_name": clean_name(p.name),
            "type": str(p.division_type.value),
        }
        for p in sorted(lookup.PROVINCE_MAPPING.values(), key=lambda p: p.code.value)
    ]
    communes = [
        {
            "code": f"{w.code.value:05d}",
            "name": clean_name(w.name),
            "type": str(w.division_type.value),
            "province_code": f"{w.province_code.value:02d}",
        }
        for w in sorted(lookup.WARD_MAPPING.values(), key=lambda w: w.code.value)
    ]

    # --- sanity checks: refuse to write a file with wrong codes -------------------------------------------
    if len(provinces) != EXPECTED_PROVINCES:
        raise SystemExit(f"expected {EXPECTED_PROVINCES} provinces, got {len(provinces)}")
    if len(communes) != EXPECTED_COMMUNES:
        raise SystemExit(f"expected {EXPECTED_COMMUNES} communes, got {len(communes)}")
    by_code = {c["code"]: c for c in communes}
    for code, name in PINNED_CODES.items():
        got = by_code.get(f"{code:05d}")
        if got is None or got["name"] != name or got["province_code"] != "37":
            raise SystemExit(f"official code {code:05d} should be {name} (37), got {got}")
    if sum(1 for c in communes if c["province_code"] == "37") != 129:
        raise SystemExit("Ninh Bình (37) should have 129 communes and wards")

    legacy_provinces = [
        {
            "code": f"{p.code.value:02d}",
            "name": short_province_name(clean_name(p.name)),
            "full_name": clean_name(p.name),
            "type": str(p.division_type.value),
        }
        for p in sorted(legacy.PROVINCE_MAPPING.values(), key=lambda p: p.code.value)
    ]
    legacy_districts = [
        {
            "code": f"{d.code.value:03d}",
            "name": clean_name(d.name),
            "type": str(d.division_type.value),
            "province_code": f"{d.province_code.value:02d}",
        }
        for d in sorted(legacy.DISTRICT_MAPPING.values(), key=lambda d: d.code.value)
    ]
    legacy_wards = [
        {
            "code": f"{w.code.value:05d}",
            "name": clean_name(w.name),
            "type": str(w.division_type.value),
            "district_code": f"{w.district_code.value:03d}",
        }
        for w in sorted(legacy.WARD_MAPPING.values(), key=lambda w: w.code.value)
    ]

    ward_conversion: dict[str, dict[str, Any]] = {}
    for old_code, entry in sorted(ward_conv.OLD_TO_NEW.items()):
        new_codes = [f"{n.code:05d}" for n in entry.new_wards]
        unknown = [c for c in new_codes if c not in by_code]
        if unknown:
            raise SystemExit(f"conversion of old ward {old_code} points to unknown new codes {unknown}")
        item: dict[str, Any] = {"new": new_codes, "partly": bool(entry.old_ward.is_partly_merged)}
        ward_conversion[f"{old_code:05d}"] = item
    province_conversion = {
        f"{old:02d}": [f"{n.code:02d}" for n in entry.new_provinces]
        for old, entry in sorted(prov_conv.OLD_TO_NEW.items())
    }

    district_codes = {d["code"] for d in legacy_districts}
    for alias in LEGACY_DISTRICT_ALIASES:
        if alias["district_code"] not in district_codes:
            raise SystemExit(f"alias {alias} points to an unknown legacy district")

    return {
        "format": FORMAT_VERSION,
        "source": {
            "package": PACKAGE,
            "version": version,
            "data_version": getattr(vp, "__data_version__", None),
            "license": "GPL-3.0-or-later",
            "ward_conversion_source": getattr(ward_conv, "SOURCE", None),
        },
        "effective_date": ward_conv.EFFECTIVE_DATE,
        "provinces": provinces,
        "communes": communes,
        "legacy_provinces": legacy_provinces,
        "legacy_districts": legacy_districts,
        "legacy_wards": legacy_wards,
        "legacy_district_aliases": LEGACY_DISTRICT_ALIASES,
        "conversion": {"wards": ward_conversion, "provinces": province_conversion},
    }


def write(data: dict[str, Any], out: Path) -> int:
    raw = json.dumps(data, ensure_ascii=False, separators=(",", ":"), sort_keys=False).encode("utf-8")
    out.parent.mkdir(parents=True, exist_ok=True)
    # mtime=0 and no file name in the header: the same input gives a byte-identical file.
    with (
        open(out, "wb") as fh,
        gzip.GzipFile(filename="", mode="wb", fileobj=fh, mtime=0, compresslevel=9) as gz,
    ):
        gz.write(raw)
    return out.stat().st_size


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument(
        "--wheel", type=Path, help="wheel file or extracted wheel directory (skips the download)"
    )
    parser.add_argument(
        "--spec", default=DEFAULT_SPEC, help=f"pip requirement to download (default {DEFAULT_SPEC!r})"
    )
    parser.add_argument("--out", type=Path, default=DEFAULT_OUT, help="output file (default: %(default)s)")
    args = parser.parse_args(argv)

    with tempfile.TemporaryDirectory(prefix="vp-build-") as tmp:
        tmpdir = Path(tmp)
        wheel = args.wheel or download_wheel(args.spec, tmpdir / "dl")
        site = extract_wheel(wheel, tmpdir / "site")
        vp = import_package(site)
        data = build(vp)
        size = write(data, args.out)

    print(
        f"{PACKAGE} {data['source']['version']}: {len(data['provinces'])} provinces, {len(data['communes'])} "
        f"communes, {len(data['legacy_provinces'])}/{len(data['legacy_districts'])}/"
        f"{len(data['legacy_wards'])} "
        f"legacy provinces/districts/wards, {len(data['conversion']['wards'])} ward conversions "
        f"-> {args.out} ({size:,} bytes)"
    )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
