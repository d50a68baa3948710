"""A published campaign's results as an open dataset of the catalog (``ket_qua_chuyen_doi_so``): one row per unit
and score (total, each pillar, each main index) with its rank — through the one ingestion path, then published."""

from __future__ import annotations

import csv
import io
from typing import Any

from sqlalchemy.orm import Session

from dieuhanh.catalog import service as catalog
from dieuhanh.catalog.schemas import ColumnIn, DatasetIn
from dieuhanh.core.errors import NotFound
from dieuhanh.core.security import Principal
from dieuhanh.core.warehouse import Warehouse

DATASET = "ket_qua_chuyen_doi_so"
OWNER = "SKHCN"  # the department in charge of digital transformation since 2025 (Sở Khoa học và Công nghệ)
COLUMNS = [("nam", "integer", "Năm đánh giá"), ("cap", "string", "Cấp: so_nganh hoặc xa_phuong"),
           ("ma_don_vi", "string", "Mã cơ quan, đơn vị"), ("ten_don_vi", "string", "Tên cơ quan, đơn vị"),
           ("khu_vuc", "string", "Tỉnh cũ (với xã, phường)"), ("ma_chi_so", "string", "TONG, mã trụ cột hoặc chỉ số"),
           ("ten_chi_so", "string", "Tên trụ cột, chỉ số"), ("diem", "number", "Điểm"),
           ("hang", "integer", "Hạng theo tổng điểm")]


def _ensure_dataset(session: Session, principal: Principal, *, demo: bool = False) -> None:
    try:
        catalog.get_dataset(session, DATASET)
    except NotFound:
        catalog.create_dataset(session, principal=principal, dataset_in=DatasetIn.model_validate({
            "name": DATASET, "title": "Kết quả đánh giá chuyển đổi số các sở, ngành và xã, phường",
            "description": "Điểm DTI của từng cơ quan, đơn vị theo năm: tổng điểm, từng trụ cột và chỉ số chính, "
                           "thứ hạng. Chỉ gồm các đợt đánh giá đã đóng, thẩm định xong và được công bố."
                           + (" Dữ liệu mẫu của tỉnh mẫu, không phải kết quả chính thức." if demo else ""),
            "owner_agency": OWNER, "license_id": "cc-by-4.0", "access": "public", "update_frequency": "yearly",
            "tags": ["chuyển đổi số", "DTI", "chính quyền số", "hệ thống"],
            "schema": [ColumnIn(name=n, type=t, description=d) for n, t, d in COLUMNS]}))


def publish(session: Session, warehouse: Warehouse, *, principal: Principal, results: dict[str, Any],
            province_code: str) -> int:
    """Append the campaign's results to the open dataset and publish it. Returns the rows loaded."""
    from dieuhanh.ingest import service as ingest

    demo = bool(results.get("demo"))
    _ensure_dataset(session, principal, demo=demo)
    names = {p["code"]: p["name"] for p in results["pillars"]} | {i["code"]: i["name"] for i in results["indices"]}
    cap = "so_nganh" if results["level"] == "department" else "xa_phuong"
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow([n for n, _t, _d in COLUMNS])
    for r in results["results"]:
        scores = [("TONG", "Tổng điểm", r["total"])] + [(c, names[c], v) for c, v in r["pillars"].items()] + [
            (c, names[c], v) for c, v in r["indices"].items()]
        for code, name, value in scores:
            writer.writerow([results["year"], cap, r["unit"], r["unit_name"], r.get("area") or "", code, name,
                             value, r["rank"]])
    result = ingest.load(session, warehouse, principal=principal, dataset_name=DATASET,
                         source=out.getvalue().encode("utf-8"), filename=f"dti-{cap}-{results['year']}.csv",
                         source_kind="demo" if demo else "system", province_code=province_code,
                         max_bytes=64 * 1024 * 1024)
    catalog.set_published(session, principal=principal, name=DATASET, published=True)
    return result.rows
