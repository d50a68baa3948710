"""The default service catalogue (danh mục lĩnh vực phản ánh), created on first use; admins change it later."""

from __future__ import annotations

from typing import Any

EMERGENCY_MESSAGE = (
    "Đây là tình huống khẩn cấp: hãy gọi ngay 114 (cứu nạn, cứu hộ, phòng cháy chữa cháy), "
    "113 (công an) hoặc 115 (cấp cứu y tế). Hệ thống phản ánh không tiếp nhận tình huống khẩn cấp."
)


def _values(*pairs: tuple[str, str]) -> list[dict[str, str]]:
    return [{"key": k, "name": n} for k, n in pairs]


DEFAULT_CATEGORIES: list[dict[str, Any]] = [
    {
        "service_code": "rac-thai", "name": "Rác thải và vệ sinh môi trường", "group": "Môi trường",
        "description": "Rác thải không được thu gom, đổ trộm rác, điểm tập kết gây mất vệ sinh.",
        "keywords": ["rác", "vệ sinh", "thu gom", "đổ trộm"], "deadline_hours": 48,
        "attributes": [{
            "variable": True, "code": "loai_rac", "datatype": "singlevaluelist", "required": False,
            "datatype_description": "Chọn một loại", "order": 1, "description": "Loại rác thải",
            "values": _values(("sinh_hoat", "Rác sinh hoạt"), ("xay_dung", "Phế thải xây dựng"),
                              ("nguy_hai", "Chất thải nguy hại")),
        }],
    },
    {
        "service_code": "duong-via-he", "name": "Hư hỏng đường, vỉa hè", "group": "Hạ tầng giao thông",
        "description": "Ổ gà, sụt lún, hư hỏng mặt đường, vỉa hè, nắp cống, biển báo.",
        "keywords": ["ổ gà", "đường", "vỉa hè", "sụt lún", "nắp cống"], "deadline_hours": 120,
        "attributes": [{
            "variable": True, "code": "muc_do", "datatype": "singlevaluelist", "required": False,
            "datatype_description": "Chọn một mức", "order": 1, "description": "Mức độ nguy hiểm",
            "values": _values(("thap", "Thấp"), ("trung_binh", "Trung bình"), ("cao", "Nguy hiểm cho người đi đường")),
        }],
    },
    {
        "service_code": "chieu-sang", "name": "Chiếu sáng công cộng", "group": "Hạ tầng đô thị",
        "description": "Đèn đường hỏng, không sáng, sáng ban ngày; cột đèn nghiêng, hở điện.",
        "keywords": ["đèn", "chiếu sáng", "cột điện"], "deadline_hours": 72,
        "attributes": [{
            "variable": True, "code": "so_cot", "datatype": "string", "required": False,
            "datatype_description": "Số hiệu ghi trên cột đèn (nếu có)", "order": 1, "description": "Số hiệu cột đèn",
            "values": [],
        }],
    },
    {
        "service_code": "cay-xanh", "name": "Cây xanh", "group": "Hạ tầng đô thị",
        "description": "Cây đổ, gãy cành, cây nghiêng nguy hiểm, cần cắt tỉa.",
        "keywords": ["cây", "cành", "đổ cây"], "deadline_hours": 48, "attributes": [],
    },
    {
        "service_code": "ngap-ung", "name": "Ngập úng, thoát nước", "group": "Hạ tầng đô thị",
        "description": "Ngập úng, tắc cống, mương thoát nước, nước thải tràn.",
        "keywords": ["ngập", "cống", "thoát nước", "nước thải"], "deadline_hours": 24, "attributes": [],
    },
    {
        "service_code": "trat-tu-do-thi", "name": "Trật tự đô thị, lấn chiếm", "group": "Trật tự đô thị",
        "description": "Lấn chiếm vỉa hè, lòng đường; xây dựng trái phép; quảng cáo sai quy định.",
        "keywords": ["lấn chiếm", "vỉa hè", "xây dựng trái phép", "quảng cáo"], "deadline_hours": 120,
        "attributes": [],
    },
    {
        "service_code": "o-nhiem", "name": "Ô nhiễm tiếng ồn, khói bụi", "group": "Môi trường",
        "description": "Tiếng ồn, khói, bụi, mùi hôi từ cơ sở sản xuất, công trình, hàng quán.",
        "keywords": ["ồn", "khói", "bụi", "mùi"], "deadline_hours": 120, "attributes": [],
    },
    {
        "service_code": "an-ninh", "name": "An ninh trật tự", "group": "An ninh",
        "description": "Tụ tập gây rối, đua xe, tệ nạn xã hội (không khẩn cấp).",
        "keywords": ["gây rối", "đua xe", "tệ nạn"], "deadline_hours": 72, "attributes": [],
    },
    {
        "service_code": "khac", "name": "Khác", "group": "Khác",
        "description": "Các vấn đề khác ở nơi công cộng.", "keywords": [], "deadline_hours": 168, "attributes": [],
    },
    {
        "service_code": "chay-no", "name": "Cháy, nổ", "group": "Khẩn cấp",
        "description": "Cháy, nổ, sự cố cần cứu nạn, cứu hộ.", "keywords": ["cháy", "nổ", "cứu hộ"],
        "deadline_hours": 1, "attributes": [], "emergency": True, "emergency_message": EMERGENCY_MESSAGE,
    },
    {
        "service_code": "tai-nan", "name": "Tai nạn, cấp cứu", "group": "Khẩn cấp",
        "description": "Tai nạn giao thông, người bị thương cần cấp cứu.", "keywords": ["tai nạn", "cấp cứu"],
        "deadline_hours": 1, "attributes": [], "emergency": True, "emergency_message": EMERGENCY_MESSAGE,
    },
]

# Category-wide rules (every commune): security reports go to the provincial police.
DEFAULT_RULES: list[tuple[str, str | None, str]] = [("an-ninh", None, "CAT")]
