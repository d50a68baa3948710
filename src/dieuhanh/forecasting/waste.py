"""Solid-waste generation per commune for the coming 1–10 years, with scenarios and the capacity they need.

Model, per commune c and year t (t = 0 the base year):

    population  P_c(t) = P_c(0) · (1 + g)^t                       g: population growth (default: the commune's
                                                                   own 2019–base-year rate from ``dan_so_xa``)
    urban share u_c(t) = min(1, u_c(0) + pace · t)                wards (phường) start at ``WARD_URBAN_SHARE``,
                                                                   communes (xã) at ``COMMUNE_URBAN_SHARE``
    rates       r_u(t) = r_u · k · (1 + y)^(ε t),  r_r likewise   kg/person/day; y: income growth per capita,
                                                                   ε: income elasticity, k: calibration factor
    generation  W_c(t) = P_c(t) · (u r_u(t) + (1 − u) r_r(t)) / 1000   tonnes per day

``k`` makes the base year's modelled total equal the province's reported generation (the monthly dataset
``chat_thai_ran_thang``, its latest 12 months) when that dataset exists. The collection capacity a scenario
needs is what it collects (generation × collection rate, moving linearly from today's rate to the scenario's in
the last year); the treatment capacity is what is collected less what is recycled. Today's capacities come
from the datasets of collection vehicles, collection points and treatment facilities.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from pydantic import BaseModel, Field
from sqlalchemy import select
from sqlalchemy.orm import Session

from dieuhanh.core import audit
from dieuhanh.core.errors import Conflict, InvalidInput, NotFound
from dieuhanh.core.security import Principal, authorize
from dieuhanh.core.warehouse import Warehouse
from dieuhanh.forecasting import permissions as _permissions  # noqa: F401
from dieuhanh.forecasting.errors import on_field
from dieuhanh.forecasting.models import WasteScenario

POPULATION_DATASET = "dan_so_xa"
GENERATION_DATASET = "chat_thai_ran_thang"
VEHICLES_DATASET = "phuong_tien_thu_gom_chat_thai"
POINTS_DATASET = "diem_tap_ket_chat_thai"
FACILITIES_DATASET = "co_so_xu_ly_chat_thai"

# Báo cáo hiện trạng môi trường quốc gia năm 2019 (Bộ TN&MT, chuyên đề chất thải rắn sinh hoạt): 35.624 t/ngày
# ở đô thị và 28.394 t/ngày ở nông thôn; Tổng điều tra dân số và nhà ở 2019 (TCTK): 96,21 triệu người, 34,4 %
# ở thành thị → ≈ 33,10 triệu thành thị và 63,11 triệu nông thôn.
URBAN_TONNES_2019, RURAL_TONNES_2019 = 35_624.0, 28_394.0
URBAN_POP_2019, RURAL_POP_2019 = 96_208_984 * 0.344, 96_208_984 * (1 - 0.344)
URBAN_RATE = round(URBAN_TONNES_2019 * 1000 / URBAN_POP_2019, 3)  # ≈ 1,076 kg/người/ngày
RURAL_RATE = round(RURAL_TONNES_2019 * 1000 / RURAL_POP_2019, 3)  # ≈ 0,450 kg/người/ngày
WARD_URBAN_SHARE, COMMUNE_URBAN_SHARE = 0.95, 0.05
_URBAN_TEXT, _RURAL_TEXT = f"{URBAN_RATE:.3f}".replace(".", ","), f"{RURAL_RATE:.3f}".replace(".", ",")

SOURCES: dict[str, str] = {
    "urban_rate": "Báo cáo hiện trạng môi trường quốc gia năm 2019 (Bộ Tài nguyên và Môi trường): CTRSH đô thị "
                  "35.624 tấn/ngày; chia cho dân số thành thị của Tổng điều tra dân số 2019 (34,4 % của 96,21 triệu "
                  f"người) → {_URBAN_TEXT} kg/người/ngày",
    "rural_rate": "Báo cáo hiện trạng môi trường quốc gia năm 2019: CTRSH nông thôn 28.394 tấn/ngày; chia cho dân "
                  f"số nông thôn năm 2019 (65,6 %) → {_RURAL_TEXT} kg/người/ngày",
    "calibration": "Hệ số hiệu chỉnh để tổng năm gốc bằng khối lượng phát sinh tỉnh báo cáo (bộ dữ liệu "
                   f"«{GENERATION_DATASET}», 12 tháng gần nhất); 1 nếu chưa có số liệu.",
    "income_elasticity": "Ngân hàng Thế giới, What a Waste 2.0 (Kaza và cộng sự, 2018): lượng chất thải bình quân "
                         "đầu người tăng theo thu nhập, chậm dần ở thu nhập cao (quan hệ log–log). Mặc định 0,35 là "
                         "giả định của dieuhanh trong vùng thu nhập trung bình thấp; hãy điều chỉnh theo số liệu "
                         "của tỉnh.",
    "income_growth": "Giả định 6 %/năm tăng GRDP bình quân đầu người (thực tế) — ba tỉnh cũ tăng GRDP 7–10 %/năm "
                     "giai đoạn 2022–2024 (Cục Thống kê), dân số tăng khoảng 1 %/năm.",
    "population_growth": f"Tốc độ tăng dân số bình quân của từng xã, phường theo bộ dữ liệu «{POPULATION_DATASET}» "
                         "(từ năm đầu đến năm mới nhất).",
    "urbanisation_pace": "Tỷ lệ đô thị hóa cả nước tăng khoảng 0,8 điểm %/năm (34,4 % năm 2019 → khoảng 38 % năm "
                         "2023, TCTK); mặc định 0,8 điểm %/năm. Tỷ lệ dân đô thị ban đầu: phường 95 %, xã 5 % "
                         "(giả định của dieuhanh khi bộ dân số chưa có cột thành thị/nông thôn).",
    "collection_rate": "Chiến lược quốc gia về quản lý tổng hợp chất thải rắn đến năm 2025, tầm nhìn 2050 (Quyết "
                       "định 491/QĐ-TTg ngày 07/5/2018): đến 2025 thu gom, xử lý 90 % CTRSH đô thị và 80 % ở khu dân "
                       "cư nông thôn tập trung. Mặc định: tỷ lệ thu gom hiện tại của tỉnh tăng dần lên 95 %.",
    "recycling_share": "What a Waste 2.0: thế giới tái chế và ủ phân khoảng 19 % chất thải (13,5 % tái chế, 5,5 % "
                       "ủ phân). Mặc định 15 %.",
    "capacity": f"Năng lực hiện tại: tổng tải trọng × số chuyến/ngày của phương tiện («{VEHICLES_DATASET}»), "
                f"công suất xử lý thiết kế của các cơ sở («{FACILITIES_DATASET}»).",
}


class WasteParams(BaseModel):
    """A scenario's parameters; None = the default (data-derived where the data exists)."""

    years: int = Field(default=10, ge=1, le=10)
    population_growth: float | None = Field(default=None, ge=-5, le=10, description="%/năm; trống: theo từng xã")
    urbanisation_pace: float = Field(default=0.8, ge=0, le=5, description="điểm %/năm")
    collection_rate: float | None = Field(default=95.0, ge=0, le=100, description="% năm cuối")
    recycling_share: float = Field(default=15.0, ge=0, le=90, description="%")
    income_growth: float = Field(default=6.0, ge=-5, le=20, description="%/năm")
    income_elasticity: float = Field(default=0.35, ge=0, le=1.5)
    urban_rate: float | None = Field(default=None, ge=0.1, le=5, description="kg/người/ngày; trống: đã hiệu chỉnh")
    rural_rate: float | None = Field(default=None, ge=0.05, le=5)


class ScenarioIn(BaseModel):
    name: str = Field(min_length=1, max_length=120)
    description: str = Field(default="", max_length=2000)
    params: WasteParams = Field(default_factory=lambda: WasteParams())


@dataclass
class CommuneBase:
    code: str
    population: float
    urban_share: float
    growth: float  # per year, fraction


@dataclass
class Capacity:
    collection_tpd: float | None = None
    treatment_tpd: float | None = None
    vehicles: int = 0
    facilities: list[dict[str, Any]] = field(default_factory=list)
    points: int = 0


@dataclass
class Base:
    year: int
    communes: list[CommuneBase]
    reported_tpd: float | None  # the province's reported generation, tonnes/day
    reported_collection_rate: float | None  # %
    calibration: float
    capacity: Capacity


def _communes_kind(province_code: str) -> dict[str, bool]:
    from dieuhanh.geo import reference

    return {u.code: u.type == "phường" for u in reference.communes_of(province_code)}


def base(warehouse: Warehouse, *, province_code: str) -> Base:
    wards = _communes_kind(province_code)
    if not warehouse.table_exists(POPULATION_DATASET):
        raise InvalidInput(f"Chưa có bộ dữ liệu dân số «{POPULATION_DATASET}» để dự báo chất thải rắn.")
    rows = warehouse.query(f"SELECT ma_xa, nam, dan_so FROM {POPULATION_DATASET} WHERE dan_so IS NOT NULL "
                           "ORDER BY ma_xa, nam").to_pylist()
    by: dict[str, dict[int, float]] = {}
    for r in rows:
        if r["ma_xa"] in wards:
            by.setdefault(r["ma_xa"], {})[int(r["nam"])] = float(r["dan_so"])
    if not by:
        raise InvalidInput(f"Bộ dữ liệu «{POPULATION_DATASET}» không có dân số của xã, phường nào trong tỉnh.")
    year = max(max(v) for v in by.values())
    communes = []
    for code, series in sorted(by.items()):
        if year not in series:
            continue
        first = min(series)
        growth = (series[year] / series[first]) ** (1 / (year - first)) - 1 if year > first and series[first] else 0.0
        communes.append(CommuneBase(code=code, population=series[year],
                                    urban_share=WARD_URBAN_SHARE if wards[code] else COMMUNE_URBAN_SHARE,
                                    growth=growth))
    reported, collected_rate = _reported(warehouse)
    modelled = sum(c.population * (c.urban_share * URBAN_RATE + (1 - c.urban_share) * RURAL_RATE) / 1000
                   for c in communes)
    calibration = reported / modelled if reported and modelled else 1.0
    return Base(year=year, communes=communes, reported_tpd=reported, reported_collection_rate=collected_rate,
                calibration=calibration, capacity=capacity(warehouse))


def _reported(warehouse: Warehouse) -> tuple[float | None, float | None]:
    if not warehouse.table_exists(GENERATION_DATASET):
        return None, None
    t = warehouse.query(
        f"WITH m AS (SELECT DISTINCT thang FROM {GENERATION_DATASET} ORDER BY thang DESC LIMIT 12) "
        f"SELECT sum(phat_sinh_tan) AS gen, sum(thu_gom_tan) AS col, "
        f"sum(date_diff('day', g.thang, g.thang + INTERVAL 1 MONTH)) / count(DISTINCT g.ma_xa) AS days "
        f"FROM {GENERATION_DATASET} g WHERE g.thang IN (SELECT thang FROM m)").to_pylist()[0]
    if not t["gen"] or not t["days"]:
        return None, None
    rate = float(t["col"]) / float(t["gen"]) * 100 if t["col"] else None
    return float(t["gen"]) / float(t["days"]), rate


def capacity(warehouse: Warehouse) -> Capacity:
    cap = Capacity()
    if warehouse.table_exists(VEHICLES_DATASET):
        r = warehouse.query(f"SELECT count(*) AS n, sum(tai_trong_tan * so_chuyen_ngay) AS tpd "
                            f"FROM {VEHICLES_DATASET}").to_pylist()[0]
        cap.vehicles, cap.collection_tpd = int(r["n"] or 0), (float(r["tpd"]) if r["tpd"] is not None else None)
    if warehouse.table_exists(FACILITIES_DATASET):
        rows = warehouse.query(f"SELECT ten_co_so, loai_hinh, ma_xa, cong_suat_tan_ngay FROM {FACILITIES_DATASET} "
                               "ORDER BY cong_suat_tan_ngay DESC").to_pylist()
        cap.facilities = rows
        cap.treatment_tpd = sum(float(r["cong_suat_tan_ngay"] or 0) for r in rows)
    if warehouse.table_exists(POINTS_DATASET):
        cap.points = int(warehouse.query(f"SELECT count(*) FROM {POINTS_DATASET}").column(0)[0].as_py() or 0)
    return cap


BASE_DATASETS = (POPULATION_DATASET, GENERATION_DATASET, VEHICLES_DATASET, POINTS_DATASET, FACILITIES_DATASET)


def kept_base(warehouse: Warehouse, *, province_code: str, session: Session | None = None,
              max_age: float | None = None) -> Base:
    """:func:`base`, computed once per data version of the datasets it reads when a ``session`` is given (see
    :mod:`dieuhanh.forecasting.cache`): a scenario, a slider or a commune is then arithmetic on the kept base.
    A refusal (no population data) is not kept. Callers must not change the value."""
    if session is None:
        return base(warehouse, province_code=province_code)
    from dieuhanh.forecasting import cache

    return cache.kept(session, warehouse, ("waste.base", province_code), BASE_DATASETS,
                      lambda: base(warehouse, province_code=province_code), max_age=max_age or cache.TTL_SECONDS)


def forecast(warehouse: Warehouse, *, province_code: str, params: WasteParams,
             unit: str | None = None, session: Session | None = None) -> dict[str, Any]:
    """Per year ``{year, tonnes_per_day, urban, rural, collection_capacity_needed, treatment_capacity_needed,
    population, urban_share}`` for the province (``unit`` empty or the province code) or one commune.
    ``session``: the base year's data is read once per data version (:func:`kept_base`)."""
    b = kept_base(warehouse, province_code=province_code, session=session)
    communes = b.communes
    if unit and unit != province_code:
        communes = [c for c in communes if c.code == unit]
        if not communes:
            raise on_field(NotFound, f"Không có xã, phường mã «{unit}» trong dữ liệu dân số.", "unit")
    urban_rate = params.urban_rate if params.urban_rate is not None else URBAN_RATE * b.calibration
    rural_rate = params.rural_rate if params.rural_rate is not None else RURAL_RATE * b.calibration
    start_rate = b.reported_collection_rate if b.reported_collection_rate is not None else 85.0
    end_rate = params.collection_rate if params.collection_rate is not None else start_rate
    years = []
    for t in range(0, params.years + 1):
        income = (1 + params.income_growth / 100) ** (params.income_elasticity * t)
        ru, rr = urban_rate * income, rural_rate * income
        urban = rural = pop = upop = 0.0
        for c in communes:
            g = params.population_growth / 100 if params.population_growth is not None else c.growth
            p = c.population * (1 + g) ** t
            u = min(1.0, c.urban_share + params.urbanisation_pace / 100 * t)
            urban += p * u * ru / 1000
            rural += p * (1 - u) * rr / 1000
            pop += p
            upop += p * u
        total = urban + rural
        rate = start_rate + (end_rate - start_rate) * (t / params.years if params.years else 1)
        collected = total * rate / 100
        years.append({
            "year": b.year + t, "tonnes_per_day": round(total, 1), "urban": round(urban, 1), "rural": round(rural, 1),
            "collection_capacity_needed": round(collected, 1),
            "treatment_capacity_needed": round(collected * (1 - params.recycling_share / 100), 1),
            "collection_rate": round(rate, 1), "population": round(pop), "urban_share": round(upop / pop * 100, 1)
            if pop else None, "urban_rate": round(ru, 3), "rural_rate": round(rr, 3)})
    whole = not unit or unit == province_code
    return {
        "unit": unit or province_code, "base_year": b.year, "params": params.model_dump(), "years": years,
        "calibration": round(b.calibration, 3), "reported_tonnes_per_day": None if b.reported_tpd is None
        else round(b.reported_tpd, 1), "reported_collection_rate": None if b.reported_collection_rate is None
        else round(b.reported_collection_rate, 1),
        "capacity": {"collection_tonnes_per_day": b.capacity.collection_tpd if whole else None,
                     "treatment_tonnes_per_day": b.capacity.treatment_tpd if whole else None,
                     "vehicles": b.capacity.vehicles, "collection_points": b.capacity.points,
                     "facilities": b.capacity.facilities if whole else []},
        "defaults": {"urban_rate": URBAN_RATE, "rural_rate": RURAL_RATE}, "sources": SOURCES,
        # A year-ahead backtest needs reported generation for at least two full years; the datasets hold
        # monthly figures of the latest year at most, so the model is calibrated, not backtested — said so.
        "backtest": None,
        "backtest_note": "Chưa kiểm định lùi được: cần số liệu phát sinh đủ ít nhất hai năm liền; mô hình được "
                         "hiệu chỉnh theo khối lượng năm gốc tỉnh báo cáo.",
    }


# ------------------------------------------------------------------------------------------------ scenarios


def list_scenarios(session: Session) -> list[WasteScenario]:
    return list(session.scalars(select(WasteScenario).order_by(WasteScenario.is_default.desc(), WasteScenario.name)))


def get_scenario(session: Session, ref: str | int) -> WasteScenario:
    text = str(ref).strip()
    scenario = session.get(WasteScenario, int(text)) if text.isdigit() and len(text) < 10 else None
    if scenario is None:
        scenario = session.scalars(select(WasteScenario).where(WasteScenario.name == text)).first()
    if scenario is None:
        raise on_field(NotFound, f"Không có kịch bản «{text}».", "scenario")
    return scenario


def resolve_params(session: Session, *, scenario: str | None, overrides: dict[str, Any]) -> WasteParams:
    """A saved scenario's parameters (by id or name; none: the default scenario, else the defaults) with the
    given overrides (None values ignored)."""
    if scenario:
        data = dict(get_scenario(session, scenario).params)
    else:
        default = session.scalars(select(WasteScenario).where(WasteScenario.is_default.is_(True))).first()
        data = dict(default.params) if default is not None else {}
    data.update({k: v for k, v in overrides.items() if v is not None})
    try:
        return WasteParams(**data)
    except ValueError as exc:
        raise InvalidInput(f"Tham số kịch bản không hợp lệ: {exc}") from None


def scenario_out(s: WasteScenario) -> dict[str, Any]:
    return {"id": s.id, "name": s.name, "description": s.description, "params": s.params,
            "is_default": s.is_default, "created_by": s.created_by, "created_at": s.created_at.isoformat(),
            "updated_at": s.updated_at.isoformat()}


def _unique_name(session: Session, name: str, exclude: int | None = None) -> None:
    other = session.scalars(select(WasteScenario).where(WasteScenario.name == name)).first()
    if other is not None and other.id != exclude:
        raise on_field(Conflict, f"Đã có kịch bản tên «{name}».", "name")


def create_scenario(session: Session, *, principal: Principal, scenario_in: ScenarioIn,
                    is_default: bool = False) -> WasteScenario:
    authorize(principal, "forecast.scenario.manage")
    name = scenario_in.name.strip()
    _unique_name(session, name)
    s = WasteScenario(name=name, description=scenario_in.description.strip(),
                      params=scenario_in.params.model_dump(), is_default=is_default, created_by=principal.actor)
    session.add(s)
    session.flush()
    audit.record(session, actor=principal.actor, action="forecast.scenario.create", entity_type="waste_scenario",
                 entity_id=str(s.id), after=scenario_out(s))
    return s


def update_scenario(session: Session, *, principal: Principal, ref: str | int,
                    scenario_in: ScenarioIn) -> WasteScenario:
    authorize(principal, "forecast.scenario.manage")
    s = get_scenario(session, ref)
    before = scenario_out(s)
    name = scenario_in.name.strip()
    _unique_name(session, name, exclude=s.id)
    s.name, s.description, s.params = name, scenario_in.description.strip(), scenario_in.params.model_dump()
    session.flush()
    audit.record(session, actor=principal.actor, action="forecast.scenario.update", entity_type="waste_scenario",
                 entity_id=str(s.id), before=before, after=scenario_out(s))
    return s


def delete_scenario(session: Session, *, principal: Principal, ref: str | int) -> None:
    authorize(principal, "forecast.scenario.manage")
    s = get_scenario(session, ref)
    audit.record(session, actor=principal.actor, action="forecast.scenario.delete", entity_type="waste_scenario",
                 entity_id=str(s.id), before=scenario_out(s))
    session.delete(s)
