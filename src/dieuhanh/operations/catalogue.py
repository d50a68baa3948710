"""What a new installation starts with: the event types the room knows, the standard operating procedures of the
five incident types the issue names (fire, flood, traffic accident, public-order disturbance, environmental
incident), and the two incident rules (a fire alarm confirmed by two detectors; a water level above alarm level II).

The procedures follow the shape of the provinces' published response plans (phương án chữa cháy, cứu nạn cứu hộ
of the fire police; Luật Phòng, chống thiên tai 2013 and the alarm levels of Quyết định 18/2021/QĐ-TTg for
floods; Nghị định 100/2019 and Thông tư 63/2020/TT-BCA for traffic accidents): analysts edit them as data at
/operations/procedures; these are only the starting point.
"""

from __future__ import annotations

from typing import Any

# code, name, layer group, default severity, incident type, colour
EVENT_TYPES: list[tuple[str, str, str, str, str | None, str]] = [
    ("fire_alarm", "Báo cháy", "fire", "critical", "fire", "#ff4d4f"),
    ("smoke", "Phát hiện khói", "fire", "major", "fire", "#ff7a45"),
    ("water_level", "Mực nước vượt báo động", "water", "major", "flood", "#1890ff"),
    ("flood", "Ngập lụt", "water", "major", "flood", "#2f54eb"),
    ("weather_warning", "Cảnh báo thời tiết nguy hiểm", "weather", "major", "flood", "#13c2c2"),
    ("traffic_accident", "Tai nạn giao thông", "traffic", "major", "traffic_accident", "#fa8c16"),
    ("traffic_jam", "Ùn tắc giao thông", "traffic", "minor", "traffic_accident", "#fadb14"),
    ("public_order", "Mất trật tự công cộng", "order", "major", "public_order", "#eb2f96"),
    ("crowd", "Tụ tập đông người", "order", "minor", "public_order", "#f759ab"),
    ("intrusion", "Xâm nhập trái phép", "order", "major", "public_order", "#c41d7f"),
    ("watchlist_plate", "Biển số xe trong danh sách theo dõi", "order", "major", "public_order", "#9254de"),
    ("environment", "Sự cố môi trường", "environment", "major", "environment", "#52c41a"),
    ("camera_offline", "Camera mất kết nối", "device", "info", None, "#8c8c8c"),
    ("sensor_offline", "Cảm biến mất kết nối", "device", "info", None, "#8c8c8c"),
    ("other", "Sự kiện khác", "other", "minor", "other", "#5aa9e6"),
]
GROUP_LABELS = {"fire": "Cháy, nổ", "water": "Mực nước, ngập", "weather": "Thời tiết", "traffic": "Giao thông",
                "order": "An ninh, trật tự", "environment": "Môi trường", "device": "Thiết bị", "other": "Khác"}
INCIDENT_TYPES = {"fire": "Cháy, nổ", "flood": "Lũ, ngập lụt", "traffic_accident": "Tai nạn giao thông",
                  "public_order": "Gây rối trật tự công cộng", "environment": "Sự cố môi trường", "other": "Khác"}

_ESCALATE_CAT = [{"label": "Chỉ huy Công an tỉnh", "agency_code": "CAT", "role": None},
                 {"label": "Lãnh đạo UBND tỉnh", "agency_code": None, "role": "leader"}]

# code, incident type, name, description, escalation, steps [(title, agency or None, minutes, description)]
PROCEDURES: list[tuple[str, str, str, str, list[dict[str, Any]], list[tuple[str, str | None, int, str]]]] = [
    ("QT-CHAY", "fire", "Quy trình xử lý cháy, nổ",
     "Tiếp nhận tin báo cháy (114, báo cháy tự động), xác minh, điều động lực lượng chữa cháy và cứu nạn, cứu hộ, "
     "phong tỏa hiện trường, khắc phục hậu quả.", _ESCALATE_CAT,
     [("Xác minh tin báo qua camera, gọi điện cho cơ sở", "CAT", 3,
       "Xem camera gần nhất, gọi người phụ trách cơ sở; báo động giả thì đóng với kết quả «báo động giả»."),
      ("Điều động xe chữa cháy, cứu nạn cứu hộ", "CAT", 5, "Phòng Cảnh sát PCCC và CNCH điều xe gần nhất."),
      ("Thông báo cấp cứu 115 và điện lực cắt điện khu vực", "SYT", 10, ""),
      ("Phong tỏa, phân luồng giao thông quanh hiện trường", "CAT", 15, ""),
      ("Khống chế đám cháy, tìm kiếm cứu nạn", "CAT", 60, ""),
      ("Báo cáo thiệt hại, bàn giao hiện trường", None, 240, "UBND xã, phường nơi xảy ra lập biên bản.")]),
    ("QT-LU", "flood", "Quy trình ứng phó lũ, ngập lụt",
     "Theo cấp báo động lũ trên sông (Quyết định 18/2021/QĐ-TTg): theo dõi, cảnh báo người dân, sơ tán vùng trũng, "
     "bảo vệ đê, cứu hộ.",
     [{"label": "Ban Chỉ huy phòng thủ dân sự tỉnh (Sở NN&MT)", "agency_code": "SNNMT", "role": None},
      {"label": "Lãnh đạo UBND tỉnh", "agency_code": None, "role": "leader"}],
     [("Kiểm tra số liệu trạm đo, đối chiếu dự báo", "SNNMT", 15, ""),
      ("Phát cảnh báo tới UBND xã, phường ven sông", "SNNMT", 30, ""),
      ("Tuần tra, canh gác đê; chuẩn bị vật tư", None, 60, "UBND xã, phường có đê."),
      ("Sơ tán dân vùng trũng (khi trên báo động III)", None, 180, ""),
      ("Báo cáo tình hình, thiệt hại", "SNNMT", 360, "")]),
    ("QT-TNGT", "traffic_accident", "Quy trình xử lý tai nạn giao thông",
     "Cấp cứu người bị nạn, bảo vệ hiện trường, điều tiết giao thông, khám nghiệm (Thông tư 63/2020/TT-BCA).",
     _ESCALATE_CAT,
     [("Điều xe cấp cứu 115", "SYT", 5, ""),
      ("CSGT có mặt bảo vệ hiện trường, phân luồng", "CAT", 15, ""),
      ("Khám nghiệm hiện trường, giải tỏa phương tiện", "CAT", 90, ""),
      ("Thông tin cho người dân về tuyến đường", None, 120, "")]),
    ("QT-ANTT", "public_order", "Quy trình xử lý gây rối trật tự công cộng",
     "Tiếp nhận tin (113, camera AI, người dân), điều lực lượng cơ động, giải tán, xử lý vi phạm.", _ESCALATE_CAT,
     [("Xác minh qua camera và công an xã, phường", "CAT", 5, ""),
      ("Điều tổ tuần tra, cơ động đến hiện trường", "CAT", 15, ""),
      ("Giải tán, lập biên bản vi phạm", "CAT", 60, "")]),
    ("QT-MT", "environment", "Quy trình xử lý sự cố môi trường",
     "Sự cố tràn dầu, hóa chất, xả thải, cá chết hàng loạt: khoanh vùng, lấy mẫu, ngăn chặn nguồn thải.",
     [{"label": "Sở Nông nghiệp và Môi trường", "agency_code": "SNNMT", "role": None},
      {"label": "Lãnh đạo UBND tỉnh", "agency_code": None, "role": "leader"}],
     [("Kiểm tra hiện trường, khoanh vùng", None, 60, "UBND xã, phường nơi xảy ra."),
      ("Lấy mẫu, quan trắc", "SNNMT", 240, ""),
      ("Ngăn chặn nguồn thải, xử lý", "SNNMT", 720, ""),
      ("Thông tin cho người dân", None, 1440, "")]),
    ("QT-KHAC", "other", "Quy trình xử lý sự việc khác", "Tiếp nhận, giao cơ quan chuyên môn, báo cáo kết quả.",
     [{"label": "Lãnh đạo UBND tỉnh", "agency_code": None, "role": "leader"}],
     [("Tiếp nhận, xác minh", None, 30, ""), ("Xử lý theo chức năng", None, 240, ""),
      ("Báo cáo kết quả", None, 1440, "")]),
]

# name, event type, minimum severity, minimum count (distinct devices), window minutes, radius m, incident type
INCIDENT_RULES: list[tuple[str, str, str, int, int, int, str]] = [
    ("Báo cháy được hai đầu báo xác nhận", "fire_alarm", "major", 2, 5, 300, "fire"),
    ("Mực nước trên báo động II", "water_level", "major", 1, 60, 500, "flood"),
]
