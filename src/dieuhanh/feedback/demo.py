"""Demo citizen field reports: about 2,000 reports over the last 12 months in the demo province.

Every report is a consistent story told by its events: received (web, at a plausible hour), routed like a real
one (``service.route``), sometimes forwarded to the right agency, accepted, handled within or after the
category's deadline (most on time; each agency has its own pace), answered publicly, rated, sometimes reopened
once and answered again, closed. Some reports repeat an open one a few metres away (flagged as possible
duplicates; most of them merged by the officer); a few are rejected; the most recent ones are still open, some
of them past their deadline. Points lie inside the communes' polygons.

The rows are written in bulk (a few statements, well under a second on SQLite) instead of 2,000 calls of
``service.submit`` and ~8,000 of ``service.transition``: the same columns and events those functions write, but
one audit row for the whole load instead of one per step. Contact data exists only for some reports and is
obviously fake (``nguoidanNNNN@example.com``). Descriptions, places and answers come from templates.
"""

from __future__ import annotations

import json
import math
import random
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any, cast
from zoneinfo import ZoneInfo

from sqlalchemy import Table, bindparam, insert, select, update
from sqlalchemy.orm import Session

from dieuhanh.core import audit
from dieuhanh.core.formatting import LOCAL_TZ, format_date, to_local
from dieuhanh.feedback import service
from dieuhanh.feedback.models import Category, Report, ReportContact, ReportEvent
from dieuhanh.geo import reference
from dieuhanh.geo.models import AdminUnit
from dieuhanh.orgs.catalogue import PROVINCE_COMMITTEE, commune_agency_code
from dieuhanh.orgs.models import Agency

_UTC = ZoneInfo("UTC")
REPORTS = 2000
CAPITAL_WARD = "13285"  # Phường Phủ Lý (the demo officer canbo.phuly works there)
DAYS = 365
CITIZEN = "anonymous"
ALERT_RULE_NAME = "Phản ánh hiện trường quá hạn chưa trả lời"

# Relative frequency of each category (rubbish, roads, lighting and flooding are what people report most).
CATEGORY_WEIGHTS = {"rac-thai": 26, "duong-via-he": 20, "chieu-sang": 14, "ngap-ung": 11, "trat-tu-do-thi": 10,
                    "cay-xanh": 6, "o-nhiem": 6, "an-ninh": 3, "khac": 4}
# Seasons: flooding and fallen trees in the rainy and storm months; rubbish after Tết.
SEASON = {"ngap-ung": {6: 2.2, 7: 2.6, 8: 3.0, 9: 3.0, 10: 2.2, 12: 0.4, 1: 0.3, 2: 0.3},
          "cay-xanh": {7: 2.0, 8: 2.5, 9: 2.5, 10: 1.5},
          "rac-thai": {1: 1.3, 2: 1.6}, "o-nhiem": {11: 1.5, 12: 1.5, 1: 1.3, 6: 1.4}}
# Hour of the day (local) a citizen sends a report.
HOUR_WEIGHTS = [0.2, 0.1, 0.1, 0.1, 0.2, 0.6, 1.5, 2.6, 3.0, 2.6, 2.2, 1.8, 1.4, 1.5, 1.9, 2.1, 2.3, 2.4, 2.2, 2.3,
                2.4, 1.8, 1.0, 0.5]

URBAN_STREETS = ["đường Trần Hưng Đạo", "đường Lê Hồng Phong", "đường Lý Thái Tổ", "đường Biên Hòa", "đường Quy Lưu",
                 "đường Trường Chinh", "phố Lương Khánh Thiện", "đường Nguyễn Văn Trỗi", "đường Đinh Tiên Hoàng",
                 "đường Tràng An", "đường Lê Đại Hành", "đường Hoàng Hoa Thám", "đường Vũ Hữu Lợi",
                 "đường Điện Biên", "đường Hùng Vương", "đường Trần Nhân Tông", "đường Văn Cao", "đường Giải Phóng",
                 "đường Lê Lợi", "đường Nguyễn Huệ", "đường Lê Hoàn", "đường Đinh Công Tráng"]
RURAL_ROADS = ["đường trục xã", "đường liên thôn", "Quốc lộ 1A", "Quốc lộ 21", "Quốc lộ 10", "Quốc lộ 38B",
               "đường tỉnh 491", "đường đê sông Đáy", "đường đê sông Hồng", "đường tỉnh 477", "đường ra đồng",
               "đường tỉnh 490C"]
VILLAGES = ["thôn Đông", "thôn Thượng", "thôn Trung", "thôn Hạ", "xóm 3", "xóm 7", "thôn An Ninh", "thôn Phú Thứ",
            "xóm Chùa", "thôn Yên Thái", "thôn Bắc", "xóm Mới", "thôn Đồng Tâm", "thôn Tiến Thắng"]
TREES = ["xà cừ", "phượng", "bằng lăng", "sấu", "long não"]

DESCRIPTIONS: dict[str, list[str]] = {
    "rac-thai": [
        "Rác thải sinh hoạt ùn ứ {place}, {road}, đã {days} ngày chưa được thu gom, bốc mùi hôi thối ảnh hưởng "
        "đến các hộ dân xung quanh.",
        "Có người đổ trộm phế thải xây dựng {place} ({road}) vào ban đêm. Đề nghị chính quyền kiểm tra, xử lý.",
        "Điểm tập kết rác {place} tràn ra lòng đường {road}, xe qua lại rất mất vệ sinh, nhất là buổi chiều.",
        "Xe thu gom rác không đến {place} đã {days} ngày, rác chất đống, ruồi muỗi nhiều.",
    ],
    "duong-via-he": [
        "Mặt đường {road} đoạn {place} có nhiều ổ gà, sâu khoảng 10–15 cm, trời mưa đọng nước rất nguy hiểm "
        "cho người đi xe máy.",
        "Nắp cống trên vỉa hè {road}, {place} bị vỡ, hở miệng cống, người đi bộ dễ bị sụt chân.",
        "Đoạn {road} {place} bị sụt lún sau đợt mưa vừa qua, đề nghị sửa chữa sớm.",
        "Vỉa hè {road} {place} bị bong gạch, nhiều chỗ lồi lõm, người già và trẻ em đi lại khó khăn.",
    ],
    "chieu-sang": [
        "Cụm {n} bóng đèn đường trên {road} {place} không sáng đã {days} ngày, buổi tối rất tối, tiềm ẩn nguy "
        "cơ mất an toàn.",
        "Đèn chiếu sáng {road} {place} sáng cả ban ngày, gây lãng phí điện.",
        "Cột đèn trên {road} {place} bị nghiêng, hộp điện chân cột mất nắp, nguy hiểm khi trời mưa.",
    ],
    "cay-xanh": [
        "Cây xanh trên vỉa hè {road} {place} bị gãy cành lớn sau trận mưa giông, cành cây đè xuống lòng đường.",
        "Cây {tree} {place} nghiêng nhiều về phía đường {road}, rễ nổi làm vỡ vỉa hè, đề nghị kiểm tra, cắt tỉa "
        "trước mùa mưa bão.",
        "Cành cây {tree} {place} vướng vào đường dây điện, khi có gió phát ra tia lửa.",
    ],
    "ngap-ung": [
        "Sau cơn mưa, {road} đoạn {place} ngập sâu khoảng 30–40 cm, nước rút rất chậm, nhiều xe máy chết máy.",
        "Cống thoát nước {place} ({road}) bị rác làm tắc, nước thải tràn lên mặt đường bốc mùi.",
        "Mương thoát nước {place} bị bồi lấp, mỗi lần mưa to nước tràn vào nhà dân.",
    ],
    "trat-tu-do-thi": [
        "Nhiều hộ kinh doanh {place}, {road} lấn chiếm toàn bộ vỉa hè để bày hàng, người đi bộ phải đi xuống lòng "
        "đường.",
        "Công trình xây dựng {place} ({road}) che chắn không đảm bảo, vật liệu để tràn ra lòng đường.",
        "Biển quảng cáo dựng trái phép trên vỉa hè {road} {place}, che khuất tầm nhìn giao thông.",
    ],
    "o-nhiem": [
        "Xưởng sản xuất {place} gần {road} hoạt động gây tiếng ồn lớn đến 23 giờ đêm, ảnh hưởng sinh hoạt của "
        "người dân.",
        "Khói từ việc đốt rơm rạ, rác thải {place} rất nhiều vào buổi chiều, cả khu dân cư ngột ngạt.",
        "Xe chở vật liệu đi qua {road} {place} không che phủ, bụi mù mịt cả ngày.",
    ],
    "an-ninh": [
        "Thường xuyên có nhóm thanh niên tụ tập {place}, {road} vào ban đêm, rú ga, đua xe gây mất trật tự.",
        "Nghi có người tụ tập sử dụng chất cấm ở {place}, đề nghị lực lượng chức năng kiểm tra.",
    ],
    "khac": [
        "Biển báo giao thông {place} trên {road} bị đổ, đề nghị dựng lại.",
        "Bồn hoa, ghế đá {place} bị hư hỏng, xuống cấp, đề nghị sửa chữa.",
        "Chó thả rông {place} ({road}) nhiều, đã có người bị cắn.",
    ],
}
REPLIES: dict[str, list[str]] = {
    "rac-thai": ["{agency} đã chỉ đạo tổ vệ sinh môi trường thu gom toàn bộ rác tại vị trí phản ánh ngày {date} và "
                 "tăng tần suất thu gom tại điểm này. Cảm ơn ông/bà đã phản ánh.",
                 "Ngày {date}, đơn vị thu gom đã dọn sạch điểm rác; {agency} đã lắp biển cấm đổ rác và giao tổ dân "
                 "phố giám sát."],
    "duong-via-he": ["Ngày {date}, đơn vị quản lý đường bộ đã vá sửa các ổ gà, hoàn trả mặt đường tại vị trí phản "
                     "ánh. Cảm ơn ông/bà.",
                     "{agency} đã thay nắp cống, sửa lại vỉa hè ngày {date}."],
    "chieu-sang": ["Đơn vị quản lý chiếu sáng đã thay bóng, sửa chữa tủ điện; hệ thống đèn hoạt động bình thường "
                   "từ tối ngày {date}.",
                   "{agency} đã cho chỉnh lại chế độ hẹn giờ và gia cố cột đèn ngày {date}."],
    "cay-xanh": ["Ngày {date}, đơn vị cây xanh đã cắt tỉa, dọn cành gãy, bảo đảm an toàn giao thông.",
                 "{agency} đã kiểm tra, chằng chống cây và cắt tỉa tán ngày {date}."],
    "ngap-ung": ["Ngày {date}, đơn vị thoát nước đã nạo vét cống, khơi thông dòng chảy tại vị trí phản ánh.",
                 "{agency} đã bố trí máy bơm tiêu úng và lên kế hoạch cải tạo tuyến cống; trước mắt đã khơi thông "
                 "ngày {date}."],
    "trat-tu-do-thi": ["Ngày {date}, tổ công tác trật tự đô thị của {agency} đã kiểm tra, nhắc nhở và lập biên bản "
                       "các trường hợp lấn chiếm; vỉa hè đã được giải tỏa.",
                       "{agency} đã yêu cầu chủ công trình che chắn, thu dọn vật liệu; đã xử phạt vi phạm hành chính "
                       "ngày {date}."],
    "o-nhiem": ["{agency} đã kiểm tra cơ sở ngày {date}, yêu cầu chấm dứt hoạt động gây ồn sau 22 giờ và cam kết "
                "khắc phục.",
                "Ngày {date}, {agency} đã tuyên truyền, nhắc nhở các hộ không đốt rơm rạ, rác thải."],
    "an-ninh": ["Công an đã tăng cường tuần tra tại khu vực từ ngày {date}, giải tán nhóm tụ tập và xử lý theo quy "
                "định."],
    "khac": ["{agency} đã kiểm tra và khắc phục ngày {date}. Cảm ơn ông/bà đã phản ánh."],
}
REJECTIONS = [
    "Nội dung không thuộc phạm vi tiếp nhận của hệ thống phản ánh hiện trường; đề nghị ông/bà liên hệ Bộ phận "
    "tiếp công dân để được hướng dẫn.",
    "Không đủ thông tin để xác minh (vị trí, nội dung chưa rõ); đề nghị gửi lại phản ánh kèm ảnh và địa chỉ cụ thể.",
    "Qua kiểm tra thực tế, không phát hiện sự việc như nội dung phản ánh.",
]
INTERNAL_NOTES = ["Đã giao tổ công tác kiểm tra hiện trường.", "Đã báo cáo lãnh đạo, chờ bố trí kinh phí.",
                  "Liên hệ đơn vị dịch vụ công ích thực hiện.", "Đã gọi điện cho tổ trưởng tổ dân phố xác minh.",
                  "Phối hợp công an xã kiểm tra."]
# (category, share of its reports, agency they are forwarded to (None: the commune's committee), reason)
FORWARDS = [("duong-via-he", 0.12, "SXD", "Tuyến đường do Sở Xây dựng quản lý, chuyển Sở xử lý theo thẩm quyền."),
            ("o-nhiem", 0.15, "SNNMT", "Cơ sở thuộc thẩm quyền kiểm tra môi trường của Sở Nông nghiệp và Môi trường."),
            ("an-ninh", 0.25, None, "Vụ việc không thuộc an ninh trật tự; chuyển UBND xã, phường xử lý."),
            ("trat-tu-do-thi", 0.06, "SXD", "Công trình do Sở Xây dựng cấp phép, chuyển Sở kiểm tra.")]


@dataclass
class _Draft:
    """One report being written, with its events (dicts for ReportEvent, report_id filled in later)."""

    row: dict[str, Any]
    deadline: timedelta
    events: list[dict[str, Any]] = field(default_factory=list)
    duplicate_of: int | None = None  # index in the drafts list
    possible_duplicate_of: int | None = None
    contact: str | None = None
    end: datetime | None = None  # when it stopped being open (None: still open)


def _open_at(draft: _Draft, at: datetime) -> bool:
    return draft.end is None or draft.end > at


def _table(model: Any) -> Table:
    return cast(Table, model.__table__)


def _local_to_utc(value: datetime) -> datetime:
    return value.replace(tzinfo=LOCAL_TZ).astimezone(_UTC).replace(tzinfo=None)


class _Points:
    """Random points inside the communes' polygons (shapely), with a representative point as fallback."""

    def __init__(self, session: Session, rng: random.Random):
        from shapely import prepared
        from shapely.geometry import shape

        self.rng = rng
        self.shapes: dict[str, Any] = {}
        for code, boundary in session.execute(select(AdminUnit.code, AdminUnit.boundary).where(
                AdminUnit.level == "commune", AdminUnit.boundary.is_not(None))):
            try:
                geom = shape(json.loads(boundary or "null"))
            except Exception:  # noqa: BLE001 - a broken polygon: that commune's reports get no point
                continue
            self.shapes[code] = (geom, prepared.prep(geom))

    def contains(self, code: str, lat: float, lon: float) -> bool:
        from shapely.geometry import Point

        item = self.shapes.get(code)
        return item is not None and bool(item[1].contains(Point(lon, lat)))

    def inside(self, code: str) -> tuple[float, float] | None:
        from shapely.geometry import Point

        item = self.shapes.get(code)
        if item is None:
            return None
        geom, prep = item
        minx, miny, maxx, maxy = geom.bounds
        for _ in range(60):
            x, y = self.rng.uniform(minx, maxx), self.rng.uniform(miny, maxy)
            if prep.contains(Point(x, y)):
                return round(y, 6), round(x, 6)
        point = geom.representative_point()
        return round(point.y, 6), round(point.x, 6)


def _near(lat: float, lon: float, rng: random.Random, metres: float) -> tuple[float, float]:
    angle, dist = rng.uniform(0, 2 * math.pi), rng.uniform(3, metres)
    dlat = dist * math.cos(angle) / 111_320.0
    dlon = dist * math.sin(angle) / (111_320.0 * math.cos(math.radians(lat)))
    return round(lat + dlat, 6), round(lon + dlon, 6)


def _router(session: Session, agencies: set[str]) -> Any:
    """``service.route`` with the rules read once (the same order: category + commune, category, the commune's
    committee, the province's committee); ``test_fb_demo`` checks both agree."""
    rules = {(r.category_code, r.unit_code): r.agency_code for r in service.routing_rules(session)}

    def route(category: str, unit_code: str) -> str:
        for key in ((category, unit_code), (category, None)):
            if key in rules:
                return rules[key]
        committee = commune_agency_code(unit_code)
        return committee if committee in agencies else PROVINCE_COMMITTEE[0]

    return route


def _pick(rng: random.Random, weights: dict[str, float]) -> str:
    keys = list(weights)
    return rng.choices(keys, weights=[weights[k] for k in keys])[0]


def _story(rng: random.Random, category: str, unit: reference.Unit) -> tuple[str, str]:
    """(description, address) for a report in this commune."""
    urban = unit.type == "phường"
    short = unit.name.split(" ", 1)[1] if " " in unit.name else unit.name
    road = rng.choice(URBAN_STREETS if urban else RURAL_ROADS)
    village = rng.choice(VILLAGES)
    places = [f"đầu ngõ {rng.randint(2, 160)}", f"trước cổng Trường THCS {short}", f"gần chợ {short}",
              f"đối diện trụ sở UBND {unit.name.lower()}", f"trước số nhà {rng.randint(3, 420)}"]
    if not urban:
        places += [f"cạnh nhà văn hóa {village}", f"đầu {village}", f"khu vực cầu {village}"]
    else:
        places += [f"khu vực tổ dân phố số {rng.randint(1, 24)}"]
    place = rng.choice(places)
    text = rng.choice(DESCRIPTIONS.get(category, DESCRIPTIONS["khac"])).format(
        place=place, road=road, days=rng.randint(2, 9), n=rng.randint(3, 12), tree=rng.choice(TREES))
    if urban:
        address = f"Số {rng.randint(2, 420)} {road}, {unit.name}"
    else:
        address = f"{village.capitalize()}, {unit.name}"
    return text, address


def _hours(rng: random.Random, deadline_hours: int, pace: float) -> float:
    """Handling time as a share of the deadline: most well within it, a tail beyond (agency pace varies)."""
    share = math.exp(rng.gauss(math.log(0.45 * pace), 0.55))
    return max(0.5, share * deadline_hours)


def run(ctx: Any) -> None:
    """The demo generator (``Module.demo``): reports, then the warehouse snapshot, indicators and alert rule."""
    session: Session = ctx.session
    rng = random.Random(ctx.rng.random())
    province = ctx.settings.province_code
    now = ctx.now.replace(microsecond=0)  # the demo's present (DemoContext.today): nothing after it
    service.ensure_catalogue(session)
    if session.scalar(select(Report.id).limit(1)) is not None:
        return  # reports already exist (a demo re-run): never duplicate them
    categories = {c.service_code: c for c in session.scalars(select(Category)) if not c.emergency and c.active}
    weights = {k: float(v) for k, v in CATEGORY_WEIGHTS.items() if k in categories}
    units = [u for u in reference.communes_of(province)]
    if not units or not weights:
        return
    names = dict(session.execute(select(Agency.code, Agency.name)).all())
    agencies = set(names)
    # Wards report more than rural communes; the provincial capital's central ward most of all.
    unit_weights = [12.0 if u.code == CAPITAL_WARD else 3.0 if u.type == "phường" else 1.0 for u in units]
    points = _Points(session, rng)
    pace = {code: math.exp(rng.gauss(0, 0.3)) for code in agencies}
    route = _router(session, agencies)

    # Received times: adoption grows over the year (more reports in recent months), local daytime hours.
    start_local = to_local(now).replace(tzinfo=None) - timedelta(days=DAYS)
    day_weights = [0.55 + 0.9 * d / DAYS for d in range(DAYS)]
    created: list[datetime] = []
    for _ in range(REPORTS):
        day = rng.choices(range(DAYS), weights=day_weights)[0]
        hour = rng.choices(range(24), weights=HOUR_WEIGHTS)[0]
        local = (start_local + timedelta(days=day)).replace(hour=hour, minute=rng.randint(0, 59),
                                                             second=rng.randint(0, 59))
        created.append(min(_local_to_utc(local), now - timedelta(minutes=rng.randint(5, 600))))
    created.sort()

    drafts: list[_Draft] = []
    recent: dict[str, list[int]] = {}  # category -> indexes of drafts, for duplicates
    for i, at in enumerate(created):
        month = to_local(at).month
        seasonal = {k: w * SEASON.get(k, {}).get(month, 1.0) for k, w in weights.items()}
        category = categories[_pick(rng, seasonal)]
        window = recent.setdefault(category.service_code, [])
        while window and created[window[0]] < at - timedelta(days=6):
            window.pop(0)
        candidates = [j for j in window
                      if (_open_at(drafts[j], at))
                      and drafts[j].duplicate_of is None and drafts[j].row["lat"] is not None]
        is_duplicate = bool(candidates) and rng.random() < 0.22
        if is_duplicate:
            main = rng.choice(candidates)
            unit = reference.get_commune(drafts[main].row["unit_code"]) or units[0]
            lat, lon = drafts[main].row["lat"], drafts[main].row["lon"]
            for _ in range(10):  # a few metres away, on the same side of the commune border
                near = _near(lat, lon, rng, 35)
                if points.contains(unit.code, *near):
                    lat, lon = near
                    break
        else:
            unit = rng.choices(units, weights=unit_weights)[0]
            point = points.inside(unit.code)
            lat, lon = point if point else (None, None)
        description, address = _story(rng, category.service_code, unit)
        draft = _draft(rng, i, at, now, category, unit, lat, lon, description, address, route, agencies, pace,
                       names)
        if is_duplicate:
            draft.possible_duplicate_of = main
            draft.events[0]["note_internal"] = "Có thể trùng phản ánh {main}"
            if rng.random() < 0.65:
                _merge(rng, draft, i, drafts[main], main, now)
        drafts.append(draft)
        window.append(i)

    _write(session, drafts, now)
    counts = {"reports": len(drafts),
              "open": sum(1 for d in drafts if d.end is None),
              "overdue_open": sum(1 for d in drafts if d.end is None and d.row["due_at"] < now),
              "merged": sum(1 for d in drafts if d.duplicate_of is not None),
              "reopened": sum(1 for d in drafts if d.row["reopened_count"]),
              "rated": sum(1 for d in drafts if d.row["rating"])}
    audit.record(session, actor=ctx.principal.actor, action="feedback.demo", entity_type="feedback_report",
                 after=counts)
    ctx.summary["feedback"] = counts
    _indicators_and_alert(ctx)


def _draft(rng: random.Random, index: int, at: datetime, now: datetime, category: Category, unit: reference.Unit,
           lat: float | None, lon: float | None, description: str, address: str, route: Any, agencies: set[str],
           pace: dict[str, float], names: dict[str, str]) -> _Draft:
    code = category.service_code
    agency = route(code, unit.code)
    deadline = timedelta(hours=category.deadline_hours)
    row: dict[str, Any] = {
        "code": f"tmp-{index}", "category_code": code, "description": description, "lat": lat, "lon": lon,
        "address_string": address if rng.random() < 0.7 or lat is None else None, "address_id": None,
        "unit_code": unit.code, "agency_code": agency, "status": "new", "created_at": at, "updated_at": at,
        "due_at": at + deadline, "resolved_at": None, "closed_at": None, "paused_at": None, "public_reply": None,
        "rating": None, "rated_at": None, "reopened_count": 0, "duplicate_of_id": None,
        "possible_duplicate_of_id": None, "source": "demo", "api_token_id": None, "attributes": {}, "media": [],
        "location_source": ("gps" if rng.random() < 0.6 else "map") if lat is not None else "address",
        # No citizen holds a demo report's tracking link, so none has a key: the demo's ratings and reopenings are
        # written here, and online they are refused like those of reports made before keys existed.
        "owner_key_hash": None,
    }
    draft = _Draft(row=row, deadline=deadline)
    draft.contact = f"nguoidan{index:04d}@example.com" if rng.random() < 0.35 else None
    draft.events.append({"at": at, "actor": CITIZEN, "action": "submit", "from_status": None, "to_status": "new",
                         "note_public": None, "note_internal": None, "agency_from": None, "agency_to": agency})
    officer = f"demo:{agency}"
    t = at
    # A few go to another agency first: the first one forwards them, with the reason, before anything else.
    for category_code, share, target, reason in FORWARDS:
        if code != category_code or rng.random() >= share:
            continue
        target = target or commune_agency_code(unit.code)
        if target not in agencies or target == agency:
            break
        t_forward = t + timedelta(hours=rng.uniform(1, 20))
        if t_forward >= now:
            break
        _event(draft, t_forward, officer, "forward", "forwarded", note_public=reason, agency_from=agency,
               agency_to=target)
        agency = row["agency_code"] = target
        officer = f"demo:{agency}"
        t = t_forward
        break
    steps = _handling(rng, t, category.deadline_hours, pace.get(agency, 1.0))
    if steps["accept"] >= now:
        return draft
    if rng.random() < 0.03:  # rejected (not in scope, not verifiable)
        t_reject = steps["accept"]
        reason = rng.choice(REJECTIONS)
        _event(draft, t_reject, officer, "reject", "rejected", note_public=reason,
               note_internal=rng.choice(INTERNAL_NOTES))
        row.update(public_reply=reason, closed_at=t_reject)
        draft.end = t_reject
        return draft
    # Some reports are forgotten: still open long after their deadline.
    if at > now - timedelta(days=75) and rng.random() < 0.035:
        _event(draft, steps["accept"], officer, "accept", "accepted")
        return draft
    _event(draft, steps["accept"], officer, "accept", "accepted", note_internal=rng.choice(INTERNAL_NOTES)
           if rng.random() < 0.3 else None)
    if steps["start"] >= now:
        return draft
    _event(draft, steps["start"], officer, "start", "in_progress")
    if steps["resolve"] >= now:
        return draft
    agency_name = names.get(agency, agency)
    _resolve(rng, draft, steps["resolve"], officer, code, agency_name)
    # Rating: about half of the citizens answer; satisfaction depends on timeliness.
    t_rate = steps["resolve"] + timedelta(hours=rng.uniform(2, 72))
    on_time = steps["resolve"] <= row["due_at"]
    if t_rate < now and rng.random() < 0.5:
        satisfied = rng.random() < (0.84 if on_time else 0.5)
        _rate(draft, t_rate, satisfied)
        if not satisfied and rng.random() < 0.35:
            t_reopen = t_rate + timedelta(hours=rng.uniform(0.5, 24))
            if t_reopen < now:
                _event(draft, t_reopen, CITIZEN, "reopen", "reopened",
                       note_public="Sự việc vẫn chưa được khắc phục triệt để.")
                row.update(reopened_count=1, resolved_at=None, closed_at=None,
                           due_at=t_reopen + timedelta(hours=category.deadline_hours))
                draft.end = None
                again = _handling(rng, t_reopen, category.deadline_hours, pace.get(agency, 1.0) * 0.8)
                if again["accept"] >= now:
                    return draft
                _event(draft, again["accept"], officer, "accept", "accepted",
                       note_internal="Người dân mở lại: kiểm tra lại hiện trường.")
                if again["resolve"] >= now:
                    return draft
                _resolve(rng, draft, again["resolve"], officer, code, agency_name)
                t_rate = again["resolve"] + timedelta(hours=rng.uniform(2, 72))
                if t_rate < now and rng.random() < 0.45:
                    _rate(draft, t_rate, rng.random() < 0.65)
    # Officers close answered reports after a while (the answer stays public).
    t_close = (row["rated_at"] or row["resolved_at"]) + timedelta(days=rng.uniform(2, 10))
    if row["status"] == "resolved" and t_close < now and rng.random() < 0.7:
        _event(draft, t_close, officer, "close", "closed")
        row["closed_at"] = t_close
    return draft


def _handling(rng: random.Random, start: datetime, deadline_hours: int, pace: float) -> dict[str, datetime]:
    total = _hours(rng, deadline_hours, pace)
    accept = start + timedelta(hours=min(total * rng.uniform(0.05, 0.25), rng.uniform(0.3, 10)))
    begin = accept + timedelta(hours=max(0.2, (start + timedelta(hours=total) - accept).total_seconds() / 3600
                                         * rng.uniform(0.1, 0.5)))
    resolve = max(begin + timedelta(minutes=20), start + timedelta(hours=total))
    return {"accept": accept, "start": begin, "resolve": resolve}


def _event(draft: _Draft, at: datetime, actor: str, action: str, to_status: str, *, note_public: str | None = None,
           note_internal: str | None = None, agency_from: str | None = None, agency_to: str | None = None) -> None:
    draft.events.append({"at": at, "actor": actor, "action": action, "from_status": draft.row["status"],
                         "to_status": to_status, "note_public": note_public, "note_internal": note_internal,
                         "agency_from": agency_from, "agency_to": agency_to})
    draft.row["status"] = to_status
    draft.row["updated_at"] = at
    if to_status in ("resolved", "closed", "rejected"):
        draft.end = draft.end or at
    elif to_status == "reopened":
        draft.end = None


def _resolve(rng: random.Random, draft: _Draft, at: datetime, officer: str, category: str, agency_name: str) -> None:
    reply = rng.choice(REPLIES.get(category, REPLIES["khac"])).format(agency=agency_name, date=format_date(at))
    _event(draft, at, officer, "resolve", "resolved", note_public=reply,
           note_internal=rng.choice(INTERNAL_NOTES) if rng.random() < 0.25 else None)
    draft.row.update(public_reply=reply, resolved_at=at, rating=None, rated_at=None)
    draft.end = at


def _rate(draft: _Draft, at: datetime, satisfied: bool) -> None:
    draft.events.append({"at": at, "actor": CITIZEN, "action": "rate", "from_status": draft.row["status"],
                         "to_status": draft.row["status"], "note_public": "Hài lòng" if satisfied else "Chưa hài lòng",
                         "note_internal": None, "agency_from": None, "agency_to": None})
    draft.row.update(rating="satisfied" if satisfied else "unsatisfied", rated_at=at, updated_at=at)


def _merge(rng: random.Random, draft: _Draft, index: int, main: _Draft, main_index: int, now: datetime) -> None:
    """The officer merges the duplicate into the main report a few hours later (if it is still open then)."""
    at = draft.row["created_at"] + timedelta(hours=rng.uniform(0.5, 12))
    if at >= now or (main.end is not None and main.end <= at):
        return
    officer = f"demo:{main.row['agency_code']}"
    # The duplicate's own handling (if any) is replaced by the merge.
    draft.events = draft.events[:1]
    draft.row.update(status="new", resolved_at=None, closed_at=None, public_reply=None, rating=None,
                     rated_at=None, reopened_count=0, agency_code=draft.events[0]["agency_to"],
                     due_at=draft.row["created_at"] + draft.deadline)
    draft.end = None
    _event(draft, at, officer, "merge", "closed", note_public="Gộp vào phản ánh {main}.",
           agency_from=draft.row["agency_code"], agency_to=main.row["agency_code"])
    draft.row.update(closed_at=at, public_reply="Phản ánh trùng với {main}; được theo dõi và trả lời cùng phản ánh "
                                                "đó.")
    draft.duplicate_of = main_index
    main.events.append({"at": at, "actor": officer, "action": "merge", "from_status": None, "to_status": None,
                        "note_public": None, "note_internal": "Đã gộp phản ánh trùng {dup} vào đây.",
                        "agency_from": None, "agency_to": None, "_dup": index})


def _write(session: Session, drafts: list[_Draft], now: datetime) -> None:
    """Reports, then their codes and links, contacts and events, all in bulk."""
    # Core executemany (fastest here on both engines; multi-row VALUES compile slowly, RETURNING of 2,000 rows is
    # slower still), then the ids by the temporary codes.
    session.execute(insert(_table(Report)), [d.row for d in drafts])
    by_code = dict(session.execute(select(Report.code, Report.id).where(Report.code.like("tmp-%"))).all())
    ids = [by_code[d.row["code"]] for d in drafts]
    codes = [service.make_code(rid, d.row["created_at"]) for rid, d in zip(ids, drafts, strict=True)]
    updates = []
    for i, d in enumerate(drafts):
        item: dict[str, Any] = {"_id": ids[i], "code": codes[i], "duplicate_of_id": None,
                                "possible_duplicate_of_id": None, "public_reply": d.row["public_reply"]}
        if d.duplicate_of is not None:
            item["duplicate_of_id"] = ids[d.duplicate_of]
            item["public_reply"] = d.row["public_reply"].format(main=codes[d.duplicate_of])
        elif d.possible_duplicate_of is not None:
            item["possible_duplicate_of_id"] = ids[d.possible_duplicate_of]
        updates.append(item)
    session.execute(update(_table(Report)).where(_table(Report).c.id == bindparam("_id")).values(
        code=bindparam("code"), duplicate_of_id=bindparam("duplicate_of_id"),
        possible_duplicate_of_id=bindparam("possible_duplicate_of_id"), public_reply=bindparam("public_reply")),
        updates)
    events, contacts = [], []
    for i, d in enumerate(drafts):
        for e in d.events:
            e = dict(e)
            main = d.duplicate_of if d.duplicate_of is not None else d.possible_duplicate_of
            dup = e.pop("_dup", None)
            if dup is not None:
                e["note_internal"] = e["note_internal"].format(dup=codes[dup])
            elif main is not None:
                for key in ("note_public", "note_internal"):
                    if e[key]:
                        e[key] = e[key].format(main=codes[main])
            events.append({"report_id": ids[i], **e})
        if d.contact:
            contacts.append({"report_id": ids[i], "email": d.contact})
    events.sort(key=lambda e: (e["at"], e["report_id"]))
    session.execute(insert(_table(ReportEvent)), events)
    if contacts:
        session.execute(insert(_table(ReportContact)), contacts)
    session.flush()
    session.expire_all()


def _indicators_and_alert(ctx: Any) -> None:
    """Snapshot into the warehouse, this module's indicator definitions, and the default overdue alert rule."""
    from pathlib import Path

    from dieuhanh.alerts import service as alerts
    from dieuhanh.alerts.models import AlertRule
    from dieuhanh.alerts.schemas import RuleIn
    from dieuhanh.feedback.snapshot import snapshot_reports
    from dieuhanh.indicators import service as indicators

    session: Session = ctx.session
    snapshot_reports(session, ctx.warehouse, province_code=ctx.settings.province_code,
                     max_bytes=ctx.settings.max_upload_mb * 1024 * 1024, now=ctx.now)
    indicators.load_library(session, paths=[Path(__file__).parent / "indicators.yaml"], principal=ctx.principal)
    if session.scalar(select(AlertRule.id).where(AlertRule.name == ALERT_RULE_NAME)) is None:
        alerts.create_rule(session, principal=ctx.principal, rule_in=RuleIn(
            name=ALERT_RULE_NAME, indicator_code="phan_anh_qua_han_dang_mo", level="agency", kind="threshold",
            # Open overdue reports are a state of now: the rule reads the current (partial) month too.
            params={"op": ">", "value": 0, "partial": True}, severity="warning", channels=[{"type": "inapp"}],
            group_by=["rule"], repeat_interval_minutes=24 * 60))
