"""A day in the demo province's operations room (DỮ LIỆU MẪU), the 24 hours ending at the demo's "now" (the end of
``ctx.today``, or the current time when ``ctx.today`` is today): every record goes through the real services —
cameras registered and beating, sensors and the MQTT feed of the hydrological stations, a CAP rain warning from the
weather service followed by an Update, readings of the gauges on the Đáy and Hoàng Long rivers rising through alarm
levels (the rule «above alarm level II» opens a flood incident), a fire alarm at the Gián Khẩu industrial park
confirmed by two detectors (the rule opens an incident handled with the fire procedure and closed), a false alarm at
Rồng market, camera analytics (traffic jams, crowds, an intrusion, a watch-listed plate) on real streets of Hoa Lư,
Phủ Lý and Nam Định, the provincial police's traffic-accident and public-order reports, two cameras gone silent.

Coordinates are real places (street intersections, parks, gauges) to within ~100 m; alarm levels of the gauges are
close to the province's published ones but are demo values. Everything is marked ``demo``.
"""

from __future__ import annotations

from datetime import UTC, datetime, time, timedelta
from typing import Any

from sqlalchemy import func, select

from dieuhanh.core.formatting import LOCAL_TZ
from dieuhanh.core.security import SYSTEM, Principal
from dieuhanh.operations import cap, devices, incidents, procedures, service
from dieuhanh.operations.models import Event, Incident
from dieuhanh.operations.schemas import CameraIn, EventIn, FeedIn, NotifyRuleIn, SensorIn

# code, name, lat, lon, kind, owner
CAMERAS: list[tuple[str, str, float, float, str, str]] = [
    ("HL-01", "Ngã tư Trần Hưng Đạo – Lê Thái Tổ", 20.2640, 105.9745, "ai", "CAT"),
    ("HL-02", "Đường Trần Hưng Đạo – cổng UBND tỉnh", 20.2530, 105.9745, "fixed", "CAT"),
    ("HL-03", "Ngã ba Lê Hồng Phong – Trần Hưng Đạo", 20.2580, 105.9760, "ai", "CAT"),
    ("HL-04", "Đường Tràng An – vòng xuyến", 20.2495, 105.9700, "anpr", "CAT"),
    ("HL-05", "Đường Lương Văn Thăng", 20.2560, 105.9705, "fixed", "CAT"),
    ("HL-06", "Quảng trường Đinh Tiên Hoàng", 20.2457, 105.9765, "ptz", "CAT"),
    ("HL-07", "Cầu Non Nước", 20.2427, 105.9837, "ai", "CAT"),
    ("HL-08", "Đường Nguyễn Huệ – chợ Rồng", 20.2542, 105.9810, "ai", "CAT"),
    ("HL-09", "Đường Nguyễn Huệ – bến xe", 20.2540, 105.9790, "fixed", "CAT"),
    ("HL-10", "Khu công nghiệp Khánh Phú – cổng chính", 20.2280, 106.0080, "ai", "BQLKCN"),
    ("PL-01", "Đường Lê Hoàn – Trần Phú", 20.5425, 105.9130, "ai", "CAT"),
    ("PL-02", "Đường Biên Hòa – bờ sông Đáy", 20.5440, 105.9175, "ptz", "CAT"),
    ("PL-03", "Đường Trần Phú – cầu Hồng Phú", 20.5430, 105.9200, "ai", "CAT"),
    ("PL-04", "Quốc lộ 1A – nút Lê Công Thanh", 20.5340, 105.9150, "anpr", "CAT"),
    ("PL-05", "Cầu Hồng Phú", 20.5460, 105.9205, "fixed", "CAT"),
    ("PL-06", "Đường Trường Chinh – Phủ Lý", 20.5398, 105.9150, "ai", "CAT"),
    ("PL-07", "Chợ Bầu", 20.5455, 105.9120, "fixed", "CAT"),
    ("PL-08", "Trạm thủy văn Phủ Lý", 20.5420, 105.9230, "ptz", "SNNMT"),
    ("PL-09", "Khu công nghiệp Đồng Văn II", 20.6450, 105.9600, "ai", "BQLKCN"),
    ("PL-10", "Quốc lộ 1A – cửa ngõ phía Nam Phủ Lý", 20.5300, 105.9140, "anpr", "CAT"),
    ("ND-01", "Đường Trần Hưng Đạo – Nam Định", 20.4330, 106.1750, "ai", "CAT"),
    ("ND-02", "Chợ Rồng Nam Định", 20.4298, 106.1780, "ai", "CAT"),
    ("ND-03", "Quảng trường 3 tháng 2", 20.4320, 106.1770, "ptz", "CAT"),
    ("ND-04", "Đường Điện Biên", 20.4350, 106.1670, "fixed", "CAT"),
    ("ND-05", "Đường Trường Chinh – Nam Định", 20.4215, 106.1720, "ai", "CAT"),
    ("ND-06", "Cầu Đò Quan", 20.4130, 106.1855, "anpr", "CAT"),
    ("ND-07", "Khu công nghiệp Hòa Xá", 20.4050, 106.1550, "ai", "BQLKCN"),
    ("ND-08", "Đường Giải Phóng", 20.4200, 106.1830, "fixed", "CAT"),
    ("GV-01", "Khu công nghiệp Gián Khẩu – cổng chính", 20.3280, 105.9260, "ai", "BQLKCN"),
    ("GV-02", "Trạm thủy văn Bến Đế – sông Hoàng Long", 20.3270, 105.8700, "ptz", "SNNMT"),
]
OFFLINE = ("PL-07", "ND-08")

# code, name, kind, lat, lon, owner, river, levels (báo động I, II, III, m)
SENSORS: list[tuple[str, str, str, float, float, str, str | None, dict[str, float]]] = [
    ("TV-PHULY", "Trạm thủy văn Phủ Lý (sông Đáy)", "water_level", 20.5420, 105.9230, "SNNMT", "Sông Đáy",
     {"1": 2.9, "2": 3.5, "3": 4.1}),
    ("TV-NINHBINH", "Trạm thủy văn Ninh Bình (sông Đáy)", "water_level", 20.2500, 105.9880, "SNNMT", "Sông Đáy",
     {"1": 2.5, "2": 3.0, "3": 3.5}),
    ("TV-BENDE", "Trạm thủy văn Bến Đế (sông Hoàng Long)", "water_level", 20.3270, 105.8700, "SNNMT",
     "Sông Hoàng Long", {"1": 3.0, "2": 3.5, "3": 4.0}),
    ("TV-GIANKHAU", "Trạm thủy văn Gián Khẩu (sông Hoàng Long)", "water_level", 20.3230, 105.9350, "SNNMT",
     "Sông Hoàng Long", {"1": 2.8, "2": 3.3, "3": 3.8}),
    ("BC-KCN-GIANKHAU", "Tủ báo cháy KCN Gián Khẩu – nhà máy bao bì", "fire_panel", 20.3280, 105.9260, "BQLKCN",
     None, {}),
    ("BC-KCN-KHANHPHU", "Tủ báo cháy KCN Khánh Phú", "fire_panel", 20.2280, 106.0080, "BQLKCN", None, {}),
    ("BC-KCN-DONGVAN2", "Tủ báo cháy KCN Đồng Văn II", "fire_panel", 20.6450, 105.9600, "BQLKCN", None, {}),
    ("BC-KCN-HOAXA", "Tủ báo cháy KCN Hòa Xá", "fire_panel", 20.4050, 106.1550, "BQLKCN", None, {}),
    ("BC-CHO-RONG-NB", "Tủ báo cháy chợ Rồng Ninh Bình", "fire_panel", 20.2542, 105.9810, "SCT", None, {}),
    ("BC-CHO-RONG-ND", "Tủ báo cháy chợ Rồng Nam Định", "fire_panel", 20.4298, 106.1780, "SCT", None, {}),
]

CAP_TEMPLATE = """<?xml version="1.0" encoding="UTF-8"?>
<alert xmlns="urn:oasis:names:tc:emergency:cap:1.2">
  <identifier>{identifier}</identifier>
  <sender>kttv-ninhbinh@kttv.gov.vn</sender>
  <sent>{sent}</sent>
  <status>Actual</status>
  <msgType>{msg_type}</msgType>
  <scope>Public</scope>{references}
  <info>
    <language>vi-VN</language>
    <category>Met</category>
    <event>Mưa lớn, lũ trên sông Đáy và sông Hoàng Long</event>
    <urgency>Expected</urgency>
    <severity>{severity}</severity>
    <certainty>Likely</certainty>
    <senderName>Đài Khí tượng Thủy văn tỉnh Ninh Bình (DỮ LIỆU MẪU)</senderName>
    <headline>{headline}</headline>
    <description>{description}</description>
    <instruction>Chính quyền các xã, phường ven sông Đáy, sông Hoàng Long kiểm tra đê, cống;
      chuẩn bị phương án sơ tán dân vùng trũng.</instruction>
    <expires>{expires}</expires>
    <area>
      <areaDesc>Lưu vực sông Hoàng Long và sông Đáy: Gia Viễn, Hoa Lư, Phủ Lý</areaDesc>
      <polygon>20.36,105.84 20.36,105.96 20.24,106.00 20.22,105.95 20.30,105.84 20.36,105.84</polygon>
    </area>
  </info>
</alert>"""


def _point(code: str) -> tuple[float, float]:
    for c, _name, lat, lon, *_rest in CAMERAS:
        if c == code:
            return lat, lon
    raise KeyError(code)


class Day:
    """The scenario clock: ``at(hours_before_end)`` → naive UTC time."""

    def __init__(self, today: Any) -> None:
        now = datetime.now(UTC).replace(tzinfo=None)
        end_of_day = datetime.combine(today, time(23, 30), LOCAL_TZ).astimezone(UTC).replace(tzinfo=None)
        self.end = min(now, end_of_day)

    def at(self, hours_before: float) -> datetime:
        return self.end - timedelta(hours=hours_before)

    def iso(self, hours_before: float) -> str:
        return self.at(hours_before).replace(tzinfo=UTC).astimezone(LOCAL_TZ).isoformat(timespec="seconds")


def run(ctx: Any) -> None:
    session, rng, province = ctx.session, ctx.rng, ctx.settings.province_code
    service.ensure_catalogue(session)
    day = Day(ctx.today)
    police = Principal(kind="system", name="demo:cong-an", role="officer", agency_code="CAT")

    # Registry: cameras, sensors, the hydrological stations' MQTT feed, the vendors' webhook feed, subscriptions.
    for code, name, lat, lon, kind, owner in CAMERAS:
        camera, _created = devices.save_camera(session, principal=SYSTEM, data=CameraIn(
            code=code, name=name, lat=lat, lon=lon, kind=kind, owner_agency=owner,  # type: ignore[arg-type]
            vendor=rng.choice(["Hikvision", "Dahua", "VNPT-IoT", "Viettel AI Camera"]),
            address=name, offline_after_seconds=300))
        camera.demo = True
        camera.status = "online"
        camera.last_heartbeat_at = day.at(2.5 if code in OFFLINE else rng.uniform(0, 0.02))
    for code, name, kind, lat, lon, owner, river, levels in SENSORS:
        sensor = devices.save_sensor(session, principal=SYSTEM, data=SensorIn(
            code=code, name=name, kind=kind, lat=lat, lon=lon, owner_agency=owner, river=river,  # type: ignore[arg-type]
            levels=levels, value_unit="m" if levels else ""))  # type: ignore[arg-type]
        sensor.demo, sensor.status, sensor.last_at = True, "online", day.at(0.1)
    gauges = devices.save_feed(session, principal=SYSTEM, data=FeedIn(
        slug="tram-thuy-van", name="Trạm thủy văn tự động (MQTT)", kind="mqtt", topic="thuyvan/{sensor_code}/muc-nuoc",
        source="thuy-van", owner_agency="SNNMT", mapping={"value": "h", "occurred_at": "ts"},
        defaults={"type": "water_level"}))
    fire = devices.save_feed(session, principal=SYSTEM, data=FeedIn(
        slug="bao-chay-tu-dong", name="Báo cháy tự động (MQTT)", kind="mqtt", topic="baochay/{sensor_code}/{device}",
        source="bao-chay", owner_agency="CAT", mapping={"type": "state", "occurred_at": "ts", "title": "msg"},
        type_map={"FIRE": "fire_alarm", "SMOKE": "smoke"}, severity_map={}, defaults={"severity": "critical"}))
    devices.save_feed(session, principal=SYSTEM, data=FeedIn(
        slug="camera-ai", name="Phân tích hình ảnh của nhà cung cấp camera (webhook)", kind="webhook",
        source="camera-ai", owner_agency="CAT",
        mapping={"source_event_id": "alarm_id", "type": "event_type", "occurred_at": "time",
                 "camera_code": "channel", "title": "description", "severity": "level"},
        type_map={"traffic_congestion": "traffic_jam", "crowd_gathering": "crowd", "intrusion": "intrusion",
                  "plate_blacklist": "watchlist_plate"},
        severity_map={"1": "info", "2": "minor", "3": "major", "4": "critical"}))
    for rule in (
            NotifyRuleIn(name="Công an tỉnh: cháy, an ninh trật tự", agency_code="CAT",
                         kinds=["event_critical", "incident_new", "incident_assigned", "incident_escalated"],
                         types=["fire", "public_order", "traffic_accident", "fire_alarm", "intrusion"],
                         min_severity="minor", channel="inapp", repeat_minutes=10),
            NotifyRuleIn(name="Sở NN&MT: lũ, môi trường (thư điện tử)", agency_code="SNNMT",
                         kinds=["incident_new", "incident_escalated"], types=["flood", "environment"],
                         channel="email", target="trucban.pctt@snnmt.ninhbinh.gov.vn", quiet_start="22:00",
                         quiet_end="06:00"),
            NotifyRuleIn(name="Lãnh đạo tỉnh: sự cố leo thang", role="leader",
                         kinds=["incident_escalated", "event_critical"], min_severity="major", channel="inapp")):
        procedures.save_notify_rule(session, principal=SYSTEM, data=rule)

    def push(hours: float, items: list[dict[str, Any]], principal: Principal = SYSTEM,
             agency: str | None = None) -> service.PushResult:
        return service.push_events(session, principal=principal, items=[EventIn.model_validate(i) for i in items],
                                   province_code=province, now=day.at(hours), demo=True, agency_code=agency)

    def gauge(hours: float, code: str, level: float) -> None:
        payload = {"h": round(level, 2), "ts": day.iso(hours)}
        devices.apply_feed(session, gauges, [(payload, {"sensor_code": code}, repr((code, hours)).encode())],
                           province_code=province, now=day.at(hours), all_or_nothing=False, demo=True)

    def camera_ai(hours: float, camera: str, kind: str, text: str, level: str = "2") -> None:
        lat, lon = _point(camera)
        push(hours, [{"source": "camera-ai", "source_event_id": f"AI-{camera}-{int(day.at(hours).timestamp())}",
                      "type": kind, "severity": {"2": "minor", "3": "major"}.get(level, "minor"),
                      "occurred_at": day.iso(hours), "camera_code": camera, "title": text,
                      "payload": {"vendor_level": level, "confidence": round(rng.uniform(0.82, 0.98), 2)}}],
             agency="CAT")

    # 1. The night: an intrusion at the Khánh Phú industrial park, caught by its AI camera.
    camera_ai(21.5, "HL-10", "intrusion", "Phát hiện người vượt hàng rào kho hàng KCN Khánh Phú", "3")
    # 2. Morning: the weather service's CAP warning, then the gauges start to rise.
    sent = day.iso(18)
    cap.receive(session, CAP_TEMPLATE.format(
        identifier=f"KTTV-NB-{day.at(18):%Y%m%d}-01", sent=sent, msg_type="Alert", references="",
        severity="Severe", headline="Cảnh báo mưa lớn diện rộng, lũ trên sông Hoàng Long và sông Đáy",
        description="Từ đêm nay đến hết ngày mai mưa vừa, mưa to đến rất to, lượng mưa phổ biến 80-150 mm. Mực "
                    "nước sông Hoàng Long tại Bến Đế có khả năng lên mức báo động II.",
        expires=day.iso(-12)).encode(), principal=SYSTEM, province_code=province, now=day.at(18), demo=True)
    for hours, level in ((17, 2.6), (15, 2.85), (13, 3.05), (11, 3.3), (9.5, 3.58), (7, 3.7), (4, 3.78)):
        gauge(hours, "TV-BENDE", level)
    for hours, level in ((16, 2.3), (12, 2.6), (8, 2.95), (3, 3.02)):
        gauge(hours, "TV-GIANKHAU", level)
    for hours, level in ((16, 2.1), (10, 2.4), (5, 2.62)):
        gauge(hours, "TV-NINHBINH", level)
    for hours, level in ((14, 2.5), (6, 2.96)):
        gauge(hours, "TV-PHULY", level)
    # Morning rush hour: congestion on the main roads.
    camera_ai(16.5, "HL-01", "traffic_jam", "Ùn tắc kéo dài tại ngã tư Trần Hưng Đạo – Lê Thái Tổ")
    camera_ai(16.2, "PL-04", "traffic_jam", "Mật độ phương tiện cao, ùn tắc Quốc lộ 1A qua Phủ Lý")
    camera_ai(16.0, "ND-05", "traffic_jam", "Ùn tắc đường Trường Chinh giờ cao điểm sáng")
    # 3. A traffic accident reported by the provincial police; the duty officer opens an incident.
    accident = push(15.4, [{"source": "cong-an-tinh", "source_event_id": f"TNGT-{day.at(15.4):%Y%m%d}-014",
                            "type": "traffic_accident", "severity": "major", "occurred_at": day.iso(15.45),
                            "lat": 20.5340, "lon": 105.9150, "address": "Quốc lộ 1A, nút giao Lê Công Thanh, Phủ Lý",
                            "title": "Va chạm giữa xe tải và xe máy trên Quốc lộ 1A",
                            "description": "01 người bị thương nặng, đã gọi cấp cứu 115."}], police, "CAT")
    inc = incidents.create(session, principal=police, province_code=province, now=day.at(15.3), demo=True,
                           data=incidents.IncidentIn(title="Tai nạn giao thông Quốc lộ 1A – Lê Công Thanh",
                                                     type="traffic_accident",
                                                     event_ids=[accident.items[0]["id"]]))
    _work(session, inc, province, day, start=15.3, minutes=[4, 11, 70, 95], close="Đã đưa người bị nạn đi cấp "
          "cứu, giải tỏa hiện trường, thông xe lúc 10 giờ sáng.")
    # 4. Late morning: the fire alarm at Gián Khẩu, two detectors within two minutes → the fire procedure.
    for hours, detector, state in ((5.0, "D-12", "SMOKE"), (4.97, "D-12", "FIRE"), (4.95, "D-14", "FIRE")):
        devices.apply_feed(session, fire, [({"state": state, "ts": day.iso(hours),
                                             "msg": f"Kho bao bì nhà máy B3 – đầu báo {detector}: "
                                                    f"{'phát hiện khói' if state == 'SMOKE' else 'báo cháy'}"},
                                            {"sensor_code": "BC-KCN-GIANKHAU", "device": detector},
                                            f"{detector}-{hours}".encode())],
                           province_code=province, now=day.at(hours), all_or_nothing=False, demo=True)
    fire_incident = _latest(session, "fire")
    if fire_incident is not None:
        _work(session, fire_incident, province, day, start=4.95, minutes=[2, 5, 8, 14, 55, 100],
              close="Đã khống chế đám cháy kho bao bì lúc 11 giờ 40, không thiệt hại về người; thiệt hại tài sản "
                    "đang thống kê.")
    # A single detector at Rồng market: no incident by rule; the false alarm is noted by its event.
    devices.apply_feed(session, fire, [({"state": "FIRE", "ts": day.iso(3.5), "msg": "Tầng 2 khu B – đầu báo D-03"},
                                        {"sensor_code": "BC-CHO-RONG-NB", "device": "D-03"}, b"cho-rong-d03")],
                       province_code=province, now=day.at(3.5), all_or_nothing=False, demo=True)
    # 5. Afternoon: public order, a watch-listed plate, another accident, crowds at the squares.
    push(3.2, [{"source": "cong-an-tinh", "source_event_id": f"ANTT-{day.at(3.2):%Y%m%d}-007", "type": "public_order",
                "severity": "major", "occurred_at": day.iso(3.2), "lat": 20.4298, "lon": 106.1780,
                "address": "Chợ Rồng, phường Nam Định", "title": "Xô xát giữa hai nhóm tiểu thương tại chợ Rồng",
                "description": "Công an phường Nam Định đã có mặt."}], police, "CAT")
    push(2.4, [{"source": "cong-an-tinh", "source_event_id": f"TNGT-{day.at(2.4):%Y%m%d}-015",
                "type": "traffic_accident", "severity": "minor", "occurred_at": day.iso(2.4), "lat": 20.4215,
                "lon": 106.1720, "address": "Đường Trường Chinh, phường Nam Định",
                "title": "Va chạm giữa hai xe máy, không có người bị thương nặng"}], police, "CAT")
    camera_ai(2.8, "PL-10", "watchlist_plate", "Biển số 90A-123.45 trong danh sách truy tìm đi qua cửa ngõ phía Nam",
              "3")
    camera_ai(1.6, "ND-03", "crowd", "Tụ tập đông người tại Quảng trường 3 tháng 2")
    camera_ai(1.2, "HL-06", "crowd", "Tụ tập đông người tại Quảng trường Đinh Tiên Hoàng")
    camera_ai(0.8, "HL-03", "traffic_jam", "Ùn tắc giờ tan tầm ngã ba Lê Hồng Phong – Trần Hưng Đạo")
    # 6. The weather service updates its warning (raises it); the flood incident goes on, its step overdue.
    cap.receive(session, CAP_TEMPLATE.format(
        identifier=f"KTTV-NB-{day.at(6):%Y%m%d}-02", sent=day.iso(6), msg_type="Update",
        references=f"\n  <references>kttv-ninhbinh@kttv.gov.vn,KTTV-NB-{day.at(18):%Y%m%d}-01,{sent}</references>",
        severity="Extreme",
        headline="Lũ trên sông Hoàng Long tại Bến Đế vượt báo động II, có khả năng lên báo động III",
        description="Mực nước sông Hoàng Long tại Bến Đế 3,70 m, trên báo động II 0,20 m. Sông Đáy tại Phủ Lý lên "
                    "mức báo động I.", expires=day.iso(-18)).encode(), principal=SYSTEM, province_code=province,
        now=day.at(6), demo=True)
    flood = _latest(session, "flood")
    if flood is not None:
        incidents.acknowledge(session, flood, principal=Principal(kind="system", name="demo:snnmt", role="officer",
                                                                  agency_code="SNNMT"),
                              province_code=province, now=flood.created_at + timedelta(minutes=6))
        for position, minutes in ((1, 12), (2, 35)):
            incidents.complete_step(session, flood, position, principal=Principal(
                kind="system", name="demo:snnmt", role="officer", agency_code="SNNMT"), province_code=province,
                now=flood.created_at + timedelta(minutes=minutes), note="Đã thực hiện (dữ liệu mẫu).")
    incidents.escalate_due(session, province_code=province, now=day.end)
    # 7. Two cameras silent for hours; one camera still beats with the latest frame.
    devices.check_offline(session, province_code=province, now=day.end)
    from dieuhanh.operations import snapshot

    snapshot.snapshot(session, ctx.warehouse, province_code=province,
                      max_bytes=ctx.settings.max_upload_mb * 1024 * 1024, now=day.end)
    ctx.summary["operations"] = {"cameras": len(CAMERAS), "sensors": len(SENSORS),
                                 "events": session.scalar(select(func.count(Event.id)))}


def _latest(session: Any, incident_type: str) -> Any:
    return session.scalar(select(Incident).where(Incident.type == incident_type).order_by(Incident.id.desc()))


def _work(session: Any, inc: Any, province: str, day: Day, *, start: float, minutes: list[int], close: str) -> None:
    """The agency in charge acknowledges within a minute and does each step at the given minute after the start."""
    officer = Principal(kind="system", name="demo:truc-ban", role="officer", agency_code=inc.agency_code)
    begin = day.at(start)
    incidents.acknowledge(session, inc, principal=officer, province_code=province, now=begin + timedelta(minutes=1))
    for step, minute in zip(inc.steps, minutes, strict=False):
        at = begin + timedelta(minutes=minute)
        if at > day.end:
            return
        doer = Principal(kind="system", name="demo:truc-ban", role="officer", agency_code=step.agency_code)
        incidents.complete_step(session, inc, step.position, principal=doer if step.agency_code else officer,
                                province_code=province, now=at, note="Đã thực hiện (dữ liệu mẫu).")
    end = begin + timedelta(minutes=max(minutes) + 5)
    if end <= day.end:
        incidents.close(session, inc, principal=SYSTEM, outcome="resolved", result=close, province_code=province,
                        now=end)
