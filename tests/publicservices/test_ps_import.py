"""`dieuhanh publicservices import FILE --kind dossiers|procedures`: CSV, XLSX, JSON; all or nothing per file."""

from __future__ import annotations

import csv
import json
from datetime import datetime
from pathlib import Path

import pytest
from ps_sync_helpers import counts, current_dossiers, dossier, procedure
from sqlalchemy import select
from typer.testing import CliRunner

from dieuhanh.core.errors import InvalidInput
from dieuhanh.core.security import SYSTEM
from dieuhanh.publicservices import service
from dieuhanh.publicservices.models import Dossier


def cli(settings, *args: str):  # type: ignore[no-untyped-def]
    from dieuhanh.cli import app

    env = {"DIEUHANH_DATA_DIR": str(settings.data_dir), "DIEUHANH_DATABASE_URL": settings.database_url,
           "DIEUHANH_WAREHOUSE_URL": settings.warehouse_url, "DIEUHANH_PROVINCE_CODE": "37",
           "DIEUHANH_SECRET_KEY": "test-secret"}
    return CliRunner().invoke(app, ["publicservices", "import", *args], env=env, catch_exceptions=False)


def write_csv(path: Path, records: list[dict]) -> Path:  # type: ignore[type-arg]
    columns = list(dict.fromkeys(k for r in records for k in r))
    with path.open("w", encoding="utf-8-sig", newline="") as fh:
        writer = csv.DictWriter(fh, fieldnames=columns)
        writer.writeheader()
        for r in records:
            writer.writerow({k: "" if v is None else v for k, v in r.items()})
    return path


def write_xlsx(path: Path, records: list[dict]) -> Path:  # type: ignore[type-arg]
    from openpyxl import Workbook

    columns = list(dict.fromkeys(k for r in records for k in r))
    wb = Workbook()
    ws = wb.active
    ws.append(columns)
    for r in records:
        ws.append([r.get(c) for c in columns])
    wb.save(path)
    return path


def test_csv_import_through_the_cli(tmp_path: Path, settings, db, warehouse) -> None:  # type: ignore[no-untyped-def]
    procedures = write_csv(tmp_path / "thu-tuc.csv", [procedure("1.000001"), procedure("1.000002", agency="SYT")])
    result = cli(settings, str(procedures), "--kind", "procedures")
    assert result.exit_code == 0, result.output
    dossiers = write_csv(tmp_path / "ho-so.csv", [
        dossier("HS-1", HoTenNguoiNop="Phạm Văn Em", MaDonViHanhChinh="xã Thanh Sơn, huyện Kim Bảng, tỉnh Hà Nam"),
        dossier("HS-2", "1.000002", "SYT", KenhThucHien=None, NgayCapNhat="2025-06-13 09:00:00"),
        dossier("HS-1", updated="20250601000000", TrangThaiHoSo=9),  # an older version in the same file
    ])
    result = cli(settings, str(dossiers), "--kind", "dossiers")
    assert result.exit_code == 0, result.output
    assert "2" in result.output
    c = counts(db, warehouse)
    assert (c["ps_procedure"], c["ps_dossier"], c["tthc_thu_tuc"], c["tthc_ho_so"]) == (2, 2, 2, 2)
    with db.session() as session:
        rows = {d.ma_ho_so: d for d in session.scalars(select(Dossier))}
    assert rows["HS-1"].trang_thai_ho_so == 4 and rows["HS-1"].ma_don_vi_hanh_chinh == "13435"
    assert rows["HS-1"].personal == {"HoTenNguoiNop": "Phạm Văn Em"}
    assert rows["HS-2"].kenh_thuc_hien == 1 and rows["HS-2"].ngay_cap_nhat == datetime(2025, 6, 13, 9)
    assert "Phạm Văn Em" not in repr(warehouse.query("SELECT * FROM tthc_ho_so").to_pylist())


def test_csv_with_errors_prints_rows_and_stores_nothing(tmp_path: Path, settings, db, warehouse) -> None:  # type: ignore[no-untyped-def]
    cli(settings, str(write_csv(tmp_path / "thu-tuc.csv", [procedure("1.000001")])), "--kind", "procedures")
    before = counts(db, warehouse)
    bad = write_csv(tmp_path / "ho-so.csv", [dossier("HS-1"), dossier("HS-2", TrangThaiHoSo="12"),
                                             dossier("HS-3", NgayHenTra="2025-02-30")])
    result = cli(settings, str(bad), "--kind", "dossiers")
    assert result.exit_code != 0
    assert "dòng 3" in result.output and "TrangThaiHoSo" in result.output
    assert "dòng 4" in result.output and "NgayHenTra" in result.output
    assert counts(db, warehouse) == before


def test_xlsx_import_in_chunks_is_one_batch(tmp_path: Path, db, warehouse) -> None:  # type: ignore[no-untyped-def]
    with db.session() as session:
        service.upsert_procedures(session, warehouse, [procedure("1.000001")], principal=SYSTEM, province_code="37")
    records = [dossier(f"HS-{i:03d}") for i in range(120)]
    records[5]["NgayTiepNhan"] = datetime(2025, 6, 10, 7, 45)  # a real date cell
    records[6]["NgayCapNhat"] = 20250612083000  # a number cell in the portal's format
    records.append(dossier("HS-000", updated="20250620000000", TrangThaiHoSo=10,
                           NgayKetThucXuLy="20250620000000"))  # a newer version of row 2, in a later chunk
    path = write_xlsx(tmp_path / "ho-so.xlsx", records)
    seen: list[tuple[str, int, int | None]] = []
    with db.session() as session:
        result = service.import_file(session, warehouse, path, kind="dossiers", principal=SYSTEM,
                                     province_code="37", chunk=50, progress=lambda *a: seen.append(a))
    assert (result.rows, result.inserted, result.updated, result.chunks) == (121, 120, 1, 3)
    assert seen[-1] == ("apply", 121, 121) and ("check", 121, None) in seen
    with db.session() as session:
        assert session.get(Dossier, "HS-005").ngay_tiep_nhan == datetime(2025, 6, 10, 7, 45)
        assert session.get(Dossier, "HS-006").ngay_cap_nhat == datetime(2025, 6, 12, 8, 30)
        assert session.get(Dossier, "HS-000").trang_thai_ho_so == 10
    assert warehouse.query("SELECT count(DISTINCT _batch_id) FROM tthc_ho_so").column(0)[0].as_py() == 1
    assert current_dossiers(warehouse)["HS-000"]["trang_thai_ho_so"] == 10
    assert counts(db, warehouse)["tthc_ho_so"] == 121


def test_xlsx_error_in_a_late_chunk_stores_nothing(tmp_path: Path, db, warehouse) -> None:  # type: ignore[no-untyped-def]
    with db.session() as session:
        service.upsert_procedures(session, warehouse, [procedure("1.000001")], principal=SYSTEM, province_code="37")
    before = counts(db, warehouse)
    records = [dossier(f"HS-{i:03d}") for i in range(120)]
    records[110]["MaCoQuan"] = "KHONG-CO"
    path = write_xlsx(tmp_path / "ho-so.xlsx", records)
    with pytest.raises(InvalidInput) as info, db.session() as session:
        service.import_file(session, warehouse, path, kind="dossiers", principal=SYSTEM, province_code="37", chunk=50)
    assert [(e.row, e.field, e.index) for e in info.value.errors] == [(112, "MaCoQuan", 110)]
    assert counts(db, warehouse) == before


def test_json_procedures_import_and_duplicates_across_chunks(tmp_path: Path, db, warehouse) -> None:  # type: ignore[no-untyped-def]
    path = tmp_path / "thu-tuc.json"
    path.write_text(json.dumps([procedure(f"1.{i:06d}") for i in range(60)] + [procedure("1.000003")]),
                    encoding="utf-8")
    with pytest.raises(InvalidInput) as info, db.session() as session:
        service.import_file(session, warehouse, path, kind="procedures", principal=SYSTEM, province_code="37",
                            chunk=25)
    assert [(e.field, e.index) for e in info.value.errors] == [("MaTTHC", 60)]
    assert counts(db, warehouse)["ps_procedure"] == 0
    path.write_text(json.dumps([procedure(f"1.{i:06d}") for i in range(60)]), encoding="utf-8")
    with db.session() as session:
        result = service.import_file(session, warehouse, path, kind="procedures", principal=SYSTEM,
                                     province_code="37", chunk=25)
    assert result.inserted == 60 and counts(db, warehouse)["tthc_thu_tuc"] == 60
