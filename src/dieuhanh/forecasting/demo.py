"""Forecasting's demo (after the indicator set has computed): the detector network with its first forecasts, the
waste capacity datasets with a default and two saved scenarios, and an alert rule «Dự báo không đạt chỉ tiêu»."""

from __future__ import annotations

import time
from typing import TYPE_CHECKING

from dieuhanh.catalog import service as catalog
from dieuhanh.catalog.schemas import ColumnIn, DatasetIn
from dieuhanh.forecasting import alerting, demo_traffic, traffic, waste

if TYPE_CHECKING:
    from dieuhanh.demo.service import DemoContext

PROVINCE = "37"
OWNER = "SNNMT"
SAMPLE = "Dữ liệu mẫu (không phải số liệu chính thức)."

# (name, kind, commune code, design capacity t/day) — ước lượng mẫu, sized so that today's treatment capacity
# covers most but not all of the province's reported generation.
FACILITIES = [
    ("Khu liên hợp xử lý chất thải rắn Nhân Hà (mẫu)", "Đốt phát điện", "13609", 900),
    ("Nhà máy xử lý rác Thiên Trường (mẫu)", "Đốt và sản xuất phân hữu cơ", "13684", 500),
    ("Bãi chôn lấp hợp vệ sinh phía Nam (mẫu)", "Chôn lấp hợp vệ sinh", "", 400),
    ("Lò đốt chất thải rắn Giao Minh (mẫu)", "Đốt", "14161", 150),
    ("Lò đốt chất thải rắn Lai Thành (mẫu)", "Đốt", "14674", 120),
]
# (vehicle kind, payload t, trips/day, count)
VEHICLES = [("Xe ép rác 10 tấn", 10.0, 1.5, 60), ("Xe ép rác 7 tấn", 7.0, 1.5, 110),
            ("Xe tải nhỏ 2,5 tấn", 2.5, 2.0, 150), ("Xe ba gác máy 1 tấn", 1.0, 2.0, 220)]


def run(ctx: DemoContext) -> None:
    if ctx.settings.province_code != PROVINCE:
        ctx.summary["forecasting"] = {"note": "Dữ liệu mẫu dự báo chỉ có cho tỉnh Ninh Bình (mã 37)."}
        return
    started = time.perf_counter()
    summary: dict[str, object] = dict(demo_traffic.generate(ctx))
    timings = {"traffic_data": time.perf_counter() - started}
    # The first forecasts with the fast model and one backtest day (demo budget); the scheduler's runs add
    # LightGBM and a second backtest day as data arrives.
    run_ = traffic.refresh(ctx.session, ctx.warehouse, principal=ctx.principal, force=True, models=("ridge",),
                           backtest_days=1, demo=True)
    timings["traffic_forecast"] = time.perf_counter() - started - sum(timings.values())
    summary["traffic_run"] = run_.outcome
    summary["jam_events"] = run_.jam_events
    _waste(ctx)
    timings["waste"] = time.perf_counter() - started - sum(timings.values())
    _alert_rule(ctx)
    timings["targets_alert"] = time.perf_counter() - started - sum(timings.values())
    summary["timings"] = {k: round(v, 2) for k, v in timings.items()}
    summary["seconds"] = round(time.perf_counter() - started, 2)
    ctx.summary["forecasting"] = summary


def _waste(ctx: DemoContext) -> None:
    from dieuhanh.catalog.demo import load_communes

    communes = load_communes()
    valid = {c.code for c in communes}
    col = ColumnIn
    catalog.create_dataset(ctx.session, principal=ctx.principal, dataset_in=DatasetIn(
        name=waste.FACILITIES_DATASET, title="Cơ sở xử lý chất thải rắn sinh hoạt", owner_agency=OWNER,
        description=f"{SAMPLE} Lò đốt, nhà máy xử lý và bãi chôn lấp với công suất thiết kế (ước lượng mẫu).",
        license_id="cc-by-4.0", access="public", update_frequency="yearly", tags=["môi trường", "chất thải rắn"],
        schema=[col(name="ten_co_so", type="string", required=True), col(name="loai_hinh", type="string"),
                col(name="ma_xa", type="unit_code"), col(name="cong_suat_tan_ngay", type="number",
                                                         description="Công suất thiết kế (tấn/ngày)")]))
    rows = ["ten_co_so;loai_hinh;ma_xa;cong_suat_tan_ngay"]
    rows += [f"{n};{k};{c if c in valid else ''};{cap}" for n, k, c, cap in FACILITIES]
    _load(ctx, waste.FACILITIES_DATASET, "\n".join(rows))

    catalog.create_dataset(ctx.session, principal=ctx.principal, dataset_in=DatasetIn(
        name=waste.VEHICLES_DATASET, title="Phương tiện thu gom, vận chuyển chất thải rắn", owner_agency=OWNER,
        description=f"{SAMPLE} Phương tiện của các đơn vị thu gom theo xã, phường: tải trọng và số chuyến mỗi "
                    "ngày (ước lượng mẫu).",
        license_id="cc-by-4.0", access="public", update_frequency="yearly", tags=["môi trường", "chất thải rắn"],
        schema=[col(name="loai_phuong_tien", type="string", required=True), col(name="ma_xa", type="unit_code"),
                col(name="tai_trong_tan", type="number"), col(name="so_chuyen_ngay", type="number")]))
    rng = ctx.rng
    wards = [c.code for c in communes if c.ward]
    rows = ["loai_phuong_tien;ma_xa;tai_trong_tan;so_chuyen_ngay"]
    for kind, payload, trips, count in VEHICLES:
        for _ in range(count):
            pool = wards if payload >= 7 and wards else [c.code for c in communes]
            rows.append(f"{kind};{rng.choice(pool)};{str(payload).replace('.', ',')};{str(trips).replace('.', ',')}")
    _load(ctx, waste.VEHICLES_DATASET, "\n".join(rows))

    catalog.create_dataset(ctx.session, principal=ctx.principal, dataset_in=DatasetIn(
        name=waste.POINTS_DATASET, title="Điểm tập kết chất thải rắn sinh hoạt", owner_agency=OWNER,
        description=f"{SAMPLE} Điểm tập kết, trung chuyển theo xã, phường (ước lượng mẫu).",
        license_id="cc-by-4.0", access="public", update_frequency="yearly", tags=["môi trường", "chất thải rắn"],
        schema=[col(name="ma_xa", type="unit_code", required=True), col(name="suc_chua_tan", type="number")]))
    rows = ["ma_xa;suc_chua_tan"]
    for c in communes:
        for _ in range(3 if c.ward else 1 + int(rng.random() < 0.5)):
            rows.append(f"{c.code};{rng.choice([5, 8, 10, 15])}")
    _load(ctx, waste.POINTS_DATASET, "\n".join(rows))
    for name in (waste.FACILITIES_DATASET, waste.VEHICLES_DATASET, waste.POINTS_DATASET):
        catalog.set_published(ctx.session, principal=ctx.principal, name=name, published=True)

    waste.create_scenario(ctx.session, principal=ctx.principal, is_default=True, scenario_in=waste.ScenarioIn(
        name="Cơ sở (mặc định)", description="Các giá trị mặc định có nguồn dẫn trên trang.",
        params=waste.WasteParams()))
    waste.create_scenario(ctx.session, principal=ctx.principal, scenario_in=waste.ScenarioIn(
        name="Đô thị hóa nhanh", description="Đô thị hóa 1,5 điểm %/năm, thu nhập tăng 7 %/năm (mẫu).",
        params=waste.WasteParams(urbanisation_pace=1.5, income_growth=7.0)))
    waste.create_scenario(ctx.session, principal=ctx.principal, scenario_in=waste.ScenarioIn(
        name="Tái chế 30 %", description="Phân loại tại nguồn, tái chế và ủ phân 30 % (mẫu).",
        params=waste.WasteParams(recycling_share=30.0, collection_rate=98.0)))


def _alert_rule(ctx: DemoContext) -> None:
    from dieuhanh.alerts import service as alerts
    from dieuhanh.alerts.schemas import RuleIn

    alerts.create_rule(ctx.session, principal=ctx.principal, rule_in=RuleIn(
        name="Dự báo không đạt chỉ tiêu năm", indicator_code=alerting.SOURCE_NAME, kind="source",
        params={"threshold": 0.5}, severity="warning"))
    alerts.evaluate_sources(ctx.session, names=[alerting.SOURCE_NAME], settings=ctx.settings)


def _load(ctx: DemoContext, name: str, text: str) -> None:
    demo_traffic.load(ctx, name, text, f"{name}.csv")
