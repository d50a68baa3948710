"""The inspections domain's datasets of the catalog, through the one ingestion path:

* ``ke_hoach_thanh_tra_kiem_tra`` (public, open data): the signed plans — one row per visit kept in the plan
  (enterprise, kind, content, month, lead and participating agencies, remote or not). No address, no legal
  representative; a household business (named after a person) is neither named nor given its tax code. Replaced
  whole when a plan is signed and when the inspectorate changes a signed plan (the change itself is audited by the
  service), so the portal always shows the plan in force and nothing of a plan before it is signed.
* ``thanh_tra_kiem_tra_so_lieu`` (internal): the board's figures per year for the province and per agency — what
  the indicators of ``indicators.yaml`` read. Replaced whole when plans, proposals or signed plans change.
"""

from __future__ import annotations

import csv
import io
from typing import Any

from sqlalchemy.orm import Session

from dieuhanh.catalog import service as catalog
from dieuhanh.catalog.schemas import ColumnIn, DatasetIn
from dieuhanh.core.errors import NotFound
from dieuhanh.core.security import SYSTEM
from dieuhanh.core.warehouse import Warehouse
from dieuhanh.inspections.reference import INSPECTORATE

PLAN = "ke_hoach_thanh_tra_kiem_tra"
FIGURES = "thanh_tra_kiem_tra_so_lieu"
PLAN_COLUMNS = [
    ("nam", "integer", "Năm kế hoạch", True), ("thang", "integer", "Tháng tiến hành (sau điều chỉnh)", True),
    ("ma_doanh_nghiep", "integer", "Mã doanh nghiệp đã đối chiếu trong hệ thống (cùng doanh nghiệp, cùng mã)", True),
    ("ma_so_thue", "string", "Mã số thuế (trống với hộ kinh doanh)", False),
    ("ten_doanh_nghiep", "string", "Tên doanh nghiệp (hộ kinh doanh không ghi tên cá nhân)", True),
    ("hinh_thuc", "string", "thanh_tra, kiem_tra hoặc kiem_tra_lien_nganh", True),
    ("ten_hinh_thuc", "string", "Hình thức: Thanh tra, Kiểm tra, Kiểm tra liên ngành", True),
    ("ma_noi_dung", "string", "Mã lĩnh vực quản lý nhà nước", True),
    ("noi_dung", "string", "Lĩnh vực quản lý nhà nước", False),
    ("ma_co_quan", "string", "Mã cơ quan chủ trì", True), ("co_quan", "string", "Cơ quan chủ trì", True),
    ("co_quan_phoi_hop", "string", "Các cơ quan phối hợp (mã, cách nhau bởi dấu phẩy)", False),
    ("truc_tuyen", "integer", "1 nếu thanh tra, kiểm tra trực tuyến trên dữ liệu điện tử", True)]
FIGURE_COLUMNS = [
    ("nam", "integer", "Năm kế hoạch", True), ("ky", "string", "Kỳ (năm, dạng 2027)", True),
    ("cap", "string", "tinh hoặc co_quan", True), ("ma_don_vi", "string", "Mã tỉnh hoặc mã cơ quan", True),
    ("chi_so", "string", "Mã số liệu (xem mô tả bộ dữ liệu)", True), ("gia_tri", "number", "Giá trị", False),
    ("tu_so", "number", "Tử số", False), ("mau_so", "number", "Mẫu số", False)]
FIGURE_CODES = {
    "cuoc": "số cuộc còn trong kế hoạch (sau gộp, bỏ)",
    "cuoc_moi_doanh_nghiep": "số cuộc bình quân mỗi doanh nghiệp (tử số: số cuộc; mẫu số: số doanh nghiệp)",
    "doanh_nghiep_tren_mot_lan": "số doanh nghiệp có hơn một cuộc",
    "ty_le_truc_tuyen": "tỷ lệ % cuộc trực tuyến",
    "xung_dot_phat_hien": "số xung đột với Nghị quyết 198/2025/QH15 phát hiện trên kế hoạch các cơ quan nộp",
    "xung_dot_da_xu_ly": "số xung đột đã xử lý (phát hiện trừ còn lại)",
    "xung_dot_con_lai": "số xung đột còn lại"}


def _ensure(session: Session, name: str, *, title: str, description: str, access: str, frequency: str,
            columns: list[tuple[str, str, str, bool]], tags: list[str]) -> None:
    try:
        catalog.get_dataset(session, name)
        return
    except NotFound:
        pass
    catalog.create_dataset(session, principal=SYSTEM, dataset_in=DatasetIn(
        name=name, title=title, description=description, owner_agency=INSPECTORATE, license_id="cc-by-4.0",
        access=access, update_frequency=frequency, tags=tags,
        schema=[ColumnIn(name=n, type=t, description=d, required=r) for n, t, d, r in columns]))
    if access == "public":
        catalog.set_published(session, principal=SYSTEM, name=name, published=True)


def _csv(columns: list[tuple[str, str, str, bool]], rows: list[dict[str, Any]]) -> bytes:
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow([c[0] for c in columns])
    for r in rows:
        writer.writerow(["" if r.get(c[0]) is None else r[c[0]] for c in columns])
    return out.getvalue().encode("utf-8")


def _load(session: Session, warehouse: Warehouse, name: str, columns: list[tuple[str, str, str, bool]],
          rows: list[dict[str, Any]], *, province_code: str, demo: bool) -> int:
    from dieuhanh.ingest import service as ingest

    result = ingest.load(session, warehouse, principal=SYSTEM, dataset_name=name, source=_csv(columns, rows),
                         filename=f"{name}.csv", mode="replace", source_kind="demo" if demo else "system",
                         province_code=province_code, max_bytes=256 * 1024 * 1024)
    return result.rows


def publish_plan(session: Session, warehouse: Warehouse, *, rows: list[dict[str, Any]], province_code: str,
                 demo: bool = False) -> int:
    """Replace the open dataset with ``rows`` (every signed year's plan, from ``service.published_rows``)."""
    _ensure(session, PLAN, title="Kế hoạch thanh tra, kiểm tra doanh nghiệp đã ban hành",
            description="Các cuộc thanh tra, kiểm tra doanh nghiệp trong kế hoạch năm đã được Chủ tịch UBND tỉnh ký "
                        "ban hành (sau khi hợp nhất kế hoạch các cơ quan, gộp đoàn liên ngành và dời tháng để không "
                        "chồng chéo theo Nghị quyết 198/2025/QH15): doanh nghiệp, hình thức, nội dung, tháng, cơ "
                        "quan chủ trì và phối hợp. Không có địa chỉ, người đại diện; hộ kinh doanh không ghi tên, mã "
                        "số thuế cá nhân. Cập nhật khi ký ban hành và khi kế hoạch đã ban hành được điều chỉnh.",
            access="public", frequency="irregular", columns=PLAN_COLUMNS,
            tags=["thanh tra", "kiểm tra", "doanh nghiệp", "Nghị quyết 198/2025/QH15", "hệ thống"])
    if not rows:
        return 0
    return _load(session, warehouse, PLAN, PLAN_COLUMNS, rows, province_code=province_code, demo=demo)


def publish_figures(session: Session, warehouse: Warehouse, *, rows: list[dict[str, Any]], province_code: str,
                    demo: bool = False) -> int:
    """Replace the internal figures dataset with ``rows`` (from ``service.figure_rows``)."""
    _ensure(session, FIGURES, title="Số liệu kế hoạch thanh tra, kiểm tra doanh nghiệp theo cơ quan",
            description="Số liệu tổng hợp kế hoạch thanh tra, kiểm tra doanh nghiệp theo năm, cấp tỉnh và từng cơ "
                        "quan (bảng điều hành và bộ chỉ số điều hành đọc từ đây). Mã số liệu: "
                        + "; ".join(f"{k}: {v}" for k, v in FIGURE_CODES.items()) + ".",
            access="internal", frequency="irregular", columns=FIGURE_COLUMNS,
            tags=["thanh tra", "kiểm tra", "doanh nghiệp", "chỉ số điều hành", "hệ thống"])
    if not rows:
        return 0
    return _load(session, warehouse, FIGURES, FIGURE_COLUMNS, rows, province_code=province_code, demo=demo)

