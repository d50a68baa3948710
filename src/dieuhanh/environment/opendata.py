"""The open datasets of VN_AQI on the portal: ``vn_aqi_ngay`` (daily AQI per station, what the board's «tỷ lệ
ngày có chất lượng không khí tốt» reads) and ``vn_aqi_gio`` (hourly AQI per station, the last 30 days). Both are
recomputed from the readings and replace the previous load (one batch each), so late readings are counted."""

from __future__ import annotations

from datetime import date, datetime, time, timedelta
from typing import Any

from sqlalchemy.orm import Session

from dieuhanh.catalog import service as catalog
from dieuhanh.catalog.schemas import ColumnIn, DatasetIn
from dieuhanh.core.errors import NotFound
from dieuhanh.core.security import Principal
from dieuhanh.core.warehouse import Warehouse
from dieuhanh.environment import aqi, service
from dieuhanh.ingest import service as ingest

DAILY = "vn_aqi_ngay"
HOURLY = "vn_aqi_gio"
HOURLY_DAYS = 30
OWNER = "SNNMT"
SAMPLE = "Dữ liệu mẫu (không phải số liệu chính thức): trạm và số đo là ước lượng mẫu."


def _col(name: str, type_: str, description: str, required: bool = False) -> ColumnIn:
    return ColumnIn(name=name, type=type_, required=required, description=description)


def _ensure(session: Session, principal: Principal, name: str, title: str, description: str,
            columns: list[ColumnIn], frequency: str, demo: bool) -> None:
    try:
        catalog.get_dataset(session, name)
        return
    except NotFound:
        pass
    catalog.create_dataset(session, principal=principal, dataset_in=DatasetIn(
        name=name, title=title, description=f"{SAMPLE} {description}" if demo else description, owner_agency=OWNER,
        license_id="cc-by-4.0", access="public", update_frequency=frequency,
        tags=["môi trường", "không khí", "VN_AQI", *(["dữ liệu mẫu"] if demo else [])], schema=columns))
    catalog.set_published(session, principal=principal, name=name, published=True)


def publish(session: Session, warehouse: Warehouse, *, principal: Principal, first: date, last: date,
            province_code: str, max_bytes: int, demo: bool = False) -> dict[str, int]:
    """Recompute and replace both datasets for the days ``first`` … ``last`` (hourly: the last 30 of them)."""
    stations = service.list_stations(session)
    basis = ("Tính theo Quyết định 1459/QĐ-TCMT từ số đo trung bình 1 giờ của các trạm quan trắc; làm tròn nửa lên "
             "thành số nguyên. Giới hạn theo QCVN 05:2023/BTNMT.")
    _ensure(session, principal, DAILY, "Chỉ số chất lượng không khí VN_AQI ngày theo trạm quan trắc",
            "VN_AQI ngày của từng trạm (bụi: trung bình 24 giờ 01:00–24:00, cần ≥ 18 giờ; khí: giá trị 1 giờ lớn "
            "nhất; O3 cả trung bình 8 giờ lớn nhất), mức chất lượng, thông số chính và có vượt QCVN hay không. "
            f"{basis}",
            [_col("ngay", "date", "Ngày", True), _col("ma_tram", "string", "Mã trạm", True),
             _col("ten_tram", "string", "Tên trạm"), _col("ma_xa", "unit_code", "Mã xã, phường đặt trạm", True),
             _col("aqi", "integer", "VN_AQI ngày (trống khi ngày không đủ số liệu)"),
             _col("muc", "string", "Mức chất lượng không khí"),
             _col("thong_so_chinh", "string", "Thông số có AQI cao nhất"),
             _col("vuot_qcvn", "integer", "1 nếu có giá trị vượt QCVN 05:2023/BTNMT trong ngày", True),
             _col("so_gio_pm", "integer", "Số giờ có số đo bụi hợp lệ trong ngày (0–24)", True)], "daily", demo)
    _ensure(session, principal, HOURLY, "Chỉ số chất lượng không khí VN_AQI giờ theo trạm quan trắc",
            f"VN_AQI giờ của từng trạm trong {HOURLY_DAYS} ngày gần nhất (PM2.5, PM10 theo NowCast 12 giờ; khí theo "
            f"trung bình 1 giờ), thời điểm là cuối giờ đo (giờ Việt Nam). {basis}",
            [_col("thoi_diem", "datetime", "Cuối giờ đo (giờ Việt Nam)", True),
             _col("ma_tram", "string", "Mã trạm", True), _col("ma_xa", "unit_code", "Mã xã, phường đặt trạm", True),
             _col("aqi", "integer", "VN_AQI giờ", True), _col("muc", "string", "Mức chất lượng không khí"),
             _col("thong_so_chinh", "string", "Thông số có AQI cao nhất"),
             _col("nowcast_pm25", "number", "NowCast PM2.5 (µg/m³)"),
             _col("nowcast_pm10", "number", "NowCast PM10 (µg/m³)")], "realtime", demo)
    located = [s for s in stations if s.unit_code]
    daily_rows = service.daily_table(session, located, first, last)
    hourly_rows: list[dict[str, Any]] = []
    units = {s.code: s.unit_code for s in located}
    start = datetime.combine(max(first, last - timedelta(days=HOURLY_DAYS - 1)), time(1))
    end = datetime.combine(last + timedelta(days=1), time(0))
    for r in service.hourly(session, located, start, end):
        if r["aqi"] is None:
            continue
        nc = r["nowcast"]
        hourly_rows.append({"thoi_diem": r["time"][:19].replace("T", " "), "ma_tram": r["station"],
                            "ma_xa": units[r["station"]], "aqi": r["aqi"], "muc": r["category"],
                            "thong_so_chinh": aqi.PARAMETER_LABELS[r["dominant"]],
                            "nowcast_pm25": nc.get("pm25"), "nowcast_pm10": nc.get("pm10")})
    counts: dict[str, int] = {}
    for name, rows in ((DAILY, daily_rows), (HOURLY, hourly_rows)):
        if not rows:
            continue
        result = ingest.load(session, warehouse, principal=principal, dataset_name=name, source=rows,
                             filename=f"{name}.json", mode="replace", source_kind="demo" if demo else "system",
                             province_code=province_code, max_bytes=max_bytes)
        counts[name] = result.rows
    return counts


def _is_demo(session: Session) -> bool:
    try:
        return "dữ liệu mẫu" in (catalog.get_dataset(session, DAILY).tags or [])
    except NotFound:
        return False


def publish_nightly(session: Session, warehouse: Warehouse, *, province_code: str, max_bytes: int,
                    today: date | None = None, days: int = 365) -> dict[str, int]:
    """The scheduler's nightly job: both datasets recomputed up to yesterday (late readings counted), the last
    ``days`` days. Nothing is created while no station is placed in a commune (a new installation without a
    network publishes no empty dataset). Demo datasets stay marked as demo."""
    from dieuhanh.core.security import SYSTEM

    if not any(s.unit_code for s in service.list_stations(session)):
        return {}
    last = (today or service.local_now().date()) - timedelta(days=1)
    return publish(session, warehouse, principal=SYSTEM, first=last - timedelta(days=days - 1), last=last,
                   province_code=province_code, max_bytes=max_bytes, demo=_is_demo(session))
