"""Demo detector network of the province's main roads (ước lượng mẫu): 40 links on QL1A, the Cầu Giẽ–Ninh Bình
expressway (CT.01), QL10, QL21 and the streets of Hoa Lư, Phủ Lý and Nam Định, with ten days of 5-minute speeds
and volumes up to the demo's day.

The traffic is generated from demand, not drawn as speeds: each link has a capacity and a demand profile
(working-day morning and evening peaks, flatter weekends, Vietnamese public holidays like Sundays, more on
urban streets), speed follows the BPR volume–delay curve ``v = v_free / (1 + a (q/c)^4)``, with AR(1)
fluctuations and incidents (Poisson, about one per link a week, 1–3 hours at 15–40 % of free flow, spilling
partly onto the next link upstream). On the last afternoon an incident on QL1A at Phủ Lý is under way, so the
forecast shows a jam on a main link. Vectorised with numpy.
"""

from __future__ import annotations

import io
import json
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import TYPE_CHECKING

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.csv as pacsv

from dieuhanh.catalog import service as catalog
from dieuhanh.catalog.schemas import ColumnIn, DatasetIn
from dieuhanh.forecasting.traffic import LINKS_DATASET, OBS_DATASET, STEP_MINUTES, STEPS_PER_DAY
from dieuhanh.ingest import service as ingest

if TYPE_CHECKING:
    from dieuhanh.demo.service import DemoContext

DAYS = 10  # every weekday at least once, a weekly seasonal baseline for the backtest days; ~115.000 rows
OWNER = "SXD"  # Sở Xây dựng: transport since the 2025 reorganisation of departments
SAMPLE = "Dữ liệu mẫu (không phải số liệu chính thức)."


@dataclass(frozen=True)
class RoadSpec:
    road: str
    kind: str  # expressway | highway | street
    free_flow: float
    main: bool
    points: tuple[tuple[float, float], ...]  # (lon, lat) along the road; one link between consecutive points
    names: tuple[str, ...]


# Approximate alignments (ước lượng mẫu) of the roads named in the issue, north to south / west to east.
ROADS = (
    RoadSpec("QL1A", "highway", 70, True,
             ((105.925, 20.660), (105.918, 20.610), (105.912, 20.560), (105.913, 20.530), (105.920, 20.470),
              (105.945, 20.400), (105.960, 20.330), (105.972, 20.270), (105.955, 20.200)),
             ("Đồng Văn – Duy Tiên", "Duy Tiên – Bắc Phủ Lý", "Qua trung tâm Phủ Lý", "Nam Phủ Lý – Thanh Liêm",
              "Thanh Liêm – Kiện Khê", "Kiện Khê – Gián Khẩu", "Gián Khẩu – Hoa Lư", "Hoa Lư – Tam Điệp")),
    RoadSpec("Cao tốc Cầu Giẽ – Ninh Bình", "expressway", 100, True,
             ((105.905, 20.720), (105.935, 20.630), (105.945, 20.540), (105.950, 20.460), (105.960, 20.380),
              (105.985, 20.300), (106.005, 20.240)),
             ("Cầu Giẽ – Vực Vòng", "Vực Vòng – Liêm Tuyền", "Liêm Tuyền – Thanh Liêm", "Thanh Liêm – Liêm Sơn",
              "Liêm Sơn – Cao Bồ", "Cao Bồ – Mai Sơn")),
    RoadSpec("QL10", "highway", 60, True,
             ((105.985, 20.265), (106.040, 20.300), (106.090, 20.345), (106.130, 20.390), (106.170, 20.425),
              (106.230, 20.460), (106.290, 20.490)),
             ("Hoa Lư – Cầu Non Nước", "Non Nước – Ý Yên", "Ý Yên – Mỹ Lộc", "Mỹ Lộc – Nam Định",
              "Nam Định – Cầu Tân Đệ", "Tân Đệ – Vũ Thư")),
    RoadSpec("QL21", "highway", 60, True,
             ((105.915, 20.545), (105.990, 20.510), (106.060, 20.480), (106.120, 20.445), (106.170, 20.420),
              (106.190, 20.340), (106.200, 20.250), (106.210, 20.160), (106.220, 20.070)),
             ("Phủ Lý – Liêm Chung", "Liêm Chung – Bình Lục", "Bình Lục – Mỹ Lộc", "Mỹ Lộc – Nam Định",
              "Nam Định – Nam Trực", "Nam Trực – Trực Ninh", "Trực Ninh – Hải Hậu", "Hải Hậu – Thịnh Long")),
    RoadSpec("Đường phố Hoa Lư", "street", 40, False,
             ((105.955, 20.262), (105.968, 20.255), (105.978, 20.252), (105.990, 20.248), (106.002, 20.243)),
             ("Trần Hưng Đạo (đoạn 1)", "Trần Hưng Đạo (đoạn 2)", "Lê Hồng Phong", "Đinh Tiên Hoàng")),
    RoadSpec("Đường phố Phủ Lý", "street", 40, False,
             ((105.900, 20.548), (105.910, 20.544), (105.918, 20.540), (105.926, 20.536), (105.934, 20.532)),
             ("Lê Hoàn", "Trần Phú", "Biên Hòa", "Lê Công Thanh")),
    RoadSpec("Đường phố Nam Định", "street", 40, False,
             ((106.160, 20.430), (106.168, 20.426), (106.176, 20.422), (106.184, 20.418), (106.192, 20.414)),
             ("Trần Hưng Đạo", "Hùng Vương", "Điện Biên", "Giải Phóng")),
)

# Demand at capacity share by time of day (hourly, interpolated): working days and weekends/holidays.
WORKDAY = np.array([0.12, 0.08, 0.07, 0.07, 0.12, 0.35, 0.70, 1.00, 0.95, 0.70, 0.62, 0.65, 0.60, 0.58, 0.62,
                    0.72, 0.90, 1.02, 0.95, 0.70, 0.55, 0.42, 0.30, 0.18])
WEEKEND = np.array([0.15, 0.10, 0.08, 0.07, 0.09, 0.20, 0.38, 0.55, 0.66, 0.72, 0.75, 0.72, 0.66, 0.62, 0.66,
                    0.72, 0.78, 0.80, 0.74, 0.62, 0.52, 0.42, 0.32, 0.20])
PEAK_LOAD = {"street": 1.12, "highway": 1.02, "expressway": 0.82}  # demand / capacity at the profile's 1.0
CAPACITY = {"street": 180, "highway": 260, "expressway": 520}  # vehicles per 5 minutes (both directions)


def _links() -> list[tuple[str, RoadSpec, str, list[list[float]]]]:
    out = []
    prefix = {"QL1A": "QL1A", "QL10": "QL10", "QL21": "QL21"}
    for spec in ROADS:
        code = prefix.get(spec.road) or {"expressway": "CT01", "street": "DP"}[spec.kind]
        if spec.kind == "street":
            code += {"Đường phố Hoa Lư": "HL", "Đường phố Phủ Lý": "PL", "Đường phố Nam Định": "ND"}[spec.road]
        for i, name in enumerate(spec.names):
            a, b = spec.points[i], spec.points[i + 1]
            out.append((f"{code}-{i + 1:02d}", spec, name, [[a[0], a[1]], [b[0], b[1]]]))
    return out


def _commune_of(points: list[list[float]]) -> list[str | None]:
    """Commune code at each point (packaged 2025 boundaries; the nearest commune when on a border)."""
    from shapely.geometry import Point, shape
    from shapely.strtree import STRtree

    from dieuhanh.geo.boundaries import packaged_boundaries_path

    features = json.loads(packaged_boundaries_path().read_text(encoding="utf-8"))["features"]
    geoms = [shape(f["geometry"]) for f in features]
    codes = [f["properties"]["code"] for f in features]
    tree = STRtree(geoms)
    out: list[str | None] = []
    for lon, lat in points:
        idx = tree.nearest(Point(lon, lat))
        out.append(codes[int(idx)] if idx is not None else None)
    return out


def end_time(today: date) -> datetime:
    """The latest observation: now (rounded down to 5 minutes) on the real today, 17:30 on a pinned day."""
    from dieuhanh.core.formatting import LOCAL_TZ

    now = datetime.now(LOCAL_TZ).replace(tzinfo=None)
    end = now if now.date() == today else datetime(today.year, today.month, today.day, 17, 30)
    return end.replace(second=0, microsecond=0) - timedelta(minutes=end.minute % STEP_MINUTES)


def generate(ctx: DemoContext) -> dict[str, int]:
    rng = np.random.default_rng(ctx.rng.getrandbits(32))
    links = _links()
    mids = [[(c[0][0] + c[1][0]) / 2, (c[0][1] + c[1][1]) / 2] for _, _, _, c in links]
    communes = _commune_of(mids)
    principal = ctx.principal
    col = ColumnIn
    catalog.create_dataset(ctx.session, principal=principal, dataset_in=DatasetIn(
        name=LINKS_DATASET, title="Đoạn đường có thiết bị đếm xe, đo tốc độ", owner_agency=OWNER,
        description=f"{SAMPLE} Các đoạn đường trên QL1A, cao tốc Cầu Giẽ – Ninh Bình, QL10, QL21 và đường phố "
                    "Hoa Lư, Phủ Lý, Nam Định có thiết bị đo (vòng từ, camera đếm xe). Tọa độ gần đúng (ước lượng "
                    "mẫu); «trục chính»: dự báo ùn tắc trên đoạn này được báo về Trung tâm điều hành.",
        license_id="cc-by-4.0", access="public", update_frequency="irregular",
        tags=["giao thông", "dữ liệu mẫu"], schema=[
            col(name="ma_doan", type="string", description="Mã đoạn", required=True, unique=True),
            col(name="ten_doan", type="string", description="Tên đoạn", required=True),
            col(name="tuyen_duong", type="string", description="Tuyến đường"),
            col(name="ma_xa", type="unit_code", description="Xã, phường"),
            col(name="toc_do_tu_do", type="number", description="Tốc độ dòng tự do (km/h)"),
            col(name="truc_chinh", type="boolean", description="Trục chính"),
            col(name="toa_do", type="string", description="Tọa độ đoạn: kinh độ vĩ độ; …"),
        ]))
    rows = ["ma_doan;ten_doan;tuyen_duong;ma_xa;toc_do_tu_do;truc_chinh;toa_do"]
    for (code, spec, name, coords), commune in zip(links, communes, strict=True):
        line = "; ".join(f"{lon:.5f} {lat:.5f}" for lon, lat in coords)
        rows.append(f"{code};{spec.road}: {name};{spec.road};{commune or ''};{spec.free_flow:.0f};"
                    f"{'có' if spec.main else 'không'};\"{line}\"")
    load(ctx, LINKS_DATASET, "\n".join(rows), "doan-duong.csv")
    catalog.set_published(ctx.session, principal=principal, name=LINKS_DATASET, published=True)

    catalog.create_dataset(ctx.session, principal=principal, dataset_in=DatasetIn(
        name=OBS_DATASET, title="Tốc độ và lưu lượng xe theo đoạn đường (5 phút)", owner_agency=OWNER,
        description=f"{SAMPLE} Tốc độ trung bình (km/h) và số xe qua mỗi đoạn trong từng khoảng 5 phút, từ "
                    "vòng từ và camera đếm xe; sinh theo nhu cầu đi lại (giờ cao điểm, cuối tuần, ngày lễ), "
                    "đường cong lưu lượng – tốc độ BPR và các sự cố ngẫu nhiên (ước lượng mẫu).",
        license_id="cc-by-4.0", access="public", update_frequency="realtime",
        tags=["giao thông", "thời gian thực", "dữ liệu mẫu"], schema=[
            col(name="thoi_diem", type="datetime", description="Thời điểm (đầu khoảng 5 phút)", required=True),
            col(name="ma_doan", type="string", description="Mã đoạn", required=True),
            col(name="toc_do", type="number", description="Tốc độ trung bình (km/h)"),
            col(name="luu_luong", type="integer", description="Số xe trong 5 phút"),
        ]))
    end = end_time(ctx.today)
    n = DAYS * STEPS_PER_DAY
    start = end - timedelta(minutes=STEP_MINUTES * (n - 1))
    speed, volume = simulate(links, start=start, n=n, rng=rng)
    times = np.datetime64(start, "m") + np.arange(n) * np.timedelta64(STEP_MINUTES, "m")
    codes = np.array([c for c, _, _, _ in links])
    table = pa.table({
        "thoi_diem": pc.strftime(pa.array(np.repeat(times, len(links)).astype("datetime64[s]")),
                                 format="%Y-%m-%d %H:%M"),
        "ma_doan": pa.array(np.tile(codes, n)),
        # Vietnamese decimal comma, like every other demo file.
        "toc_do": pc.replace_substring(pc.cast(pa.array(speed.ravel()), pa.string()), ".", ","),
        "luu_luong": pa.array(volume.ravel()),
    })
    sink = io.BytesIO()
    pacsv.write_csv(table, sink, pacsv.WriteOptions(delimiter=";", quoting_style="none"))
    load(ctx, OBS_DATASET, sink.getvalue(), "toc-do-5-phut.csv")
    catalog.set_published(ctx.session, principal=principal, name=OBS_DATASET, published=True)
    return {"links": len(links), "observations": int(n * len(links))}


def load(ctx: DemoContext, name: str, data: str | bytes, filename: str) -> None:
    """One demo file through the one ingestion path."""
    source = data.encode() if isinstance(data, str) else data
    ingest.load(ctx.session, ctx.warehouse, principal=ctx.principal, dataset_name=name, source=source,
                filename=filename, source_kind="demo", province_code=ctx.settings.province_code,
                max_bytes=64 * 1024 * 1024)


def simulate(links: list[tuple[str, RoadSpec, str, list[list[float]]]], *, start: datetime, n: int,
             rng: np.random.Generator) -> tuple[np.ndarray, np.ndarray]:
    """Speeds (km/h) and volumes (vehicles per 5 minutes), ``(n, links)``."""
    import holidays

    n_links = len(links)
    times = [start + timedelta(minutes=STEP_MINUTES * i) for i in range(0, n, STEPS_PER_DAY)]
    vn_holidays = holidays.country_holidays("VN", years=sorted({t.year for t in times} | {start.year + 1}))
    minutes = (start.hour * 60 + start.minute + STEP_MINUTES * np.arange(n))
    day_index = minutes // (24 * 60)
    hour = (minutes % (24 * 60)) / 60.0
    first_day = start.date()
    days = [first_day + timedelta(days=int(d)) for d in range(int(day_index[-1]) + 1)]
    rest = np.array([d.weekday() >= 5 or d in vn_holidays for d in days])[day_index]
    friday = np.array([d.weekday() == 4 for d in days])[day_index]
    work = np.interp(hour, np.arange(25), np.append(WORKDAY, WORKDAY[0]))
    weekend = np.interp(hour, np.arange(25), np.append(WEEKEND, WEEKEND[0]))
    base = np.where(rest, weekend, work) * np.where(friday & (hour > 15), 1.06, 1.0)
    free = np.array([spec.free_flow for _, spec, _, _ in links])
    kinds = [spec.kind for _, spec, _, _ in links]
    peak = np.array([PEAK_LOAD[k] for k in kinds]) * rng.uniform(0.85, 1.1, n_links)
    cap = np.array([CAPACITY[k] for k in kinds], dtype=float)
    # Day-to-day variation of demand, and a slowly varying AR(1) fluctuation per link.
    daily = rng.normal(1.0, 0.04, (int(day_index[-1]) + 1, n_links))[day_index]
    noise = np.zeros((n, n_links))
    shocks = rng.normal(0, 0.035, (n, n_links))
    for t in range(1, n):
        noise[t] = 0.9 * noise[t - 1] + shocks[t]
    load = np.clip(base[:, None] * peak[None, :] * daily * (1 + noise), 0.02, None)
    speed = free[None, :] / (1 + 0.55 * load**4)
    # Incidents: about one per link a week, 1–3 hours at 15–40 % of free flow, the link before it slowed too.
    n_incidents = rng.poisson(n_links * n / STEPS_PER_DAY / 7)
    factor = np.ones((n, n_links))
    for _ in range(n_incidents):
        j = int(rng.integers(n_links))
        t0 = int(rng.integers(n))
        length = int(rng.integers(12, 37))
        depth = rng.uniform(0.15, 0.4)
        ramp = np.minimum(1.0, (np.arange(length) + 1) / 3)
        seg = 1 - (1 - depth) * ramp
        t1 = min(n, t0 + length)
        factor[t0:t1, j] = np.minimum(factor[t0:t1, j], seg[: t1 - t0])
        if j > 0 and links[j - 1][1] is links[j][1]:
            factor[t0:t1, j - 1] = np.minimum(factor[t0:t1, j - 1], 1 - (1 - seg[: t1 - t0]) * 0.5)
    # The incident under way at the end: QL1A through Phủ Lý, 45 minutes ago, still blocking two lanes.
    j = next(i for i, (code, *_rest) in enumerate(links) if code == "QL1A-03")
    factor[n - 10:, j] = np.minimum(factor[n - 10:, j], np.concatenate([np.linspace(0.5, 0.12, 4), np.full(6, 0.12)]))
    factor[n - 6:, j - 1] = np.minimum(factor[n - 6:, j - 1], np.linspace(0.8, 0.4, 6))
    speed = np.clip(speed * factor + rng.normal(0, 1.2, (n, n_links)), 3.0, free[None, :] * 1.12)
    volume = np.clip(load * cap[None, :] * np.where(factor < 1, 0.5 + 0.5 * factor, 1.0)
                     + rng.normal(0, 4, (n, n_links)), 0, None).round().astype(int)
    return np.round(speed, 1), volume
