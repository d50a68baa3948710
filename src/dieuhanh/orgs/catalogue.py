"""The standard agencies of a province after the 2025 reorganisation.

Departments follow Nghị định 45/2025/NĐ-CP (tổ chức các cơ quan chuyên môn thuộc UBND cấp tỉnh); sectors are the
provincially based central agencies that feed the operations centre. One People's Committee per commune is added
from the unit list. A province adds or renames agencies in the admin pages.
"""

DEPARTMENTS: list[tuple[str, str]] = [
    ("VPUBND", "Văn phòng UBND tỉnh"),
    ("SNV", "Sở Nội vụ"),
    ("STP", "Sở Tư pháp"),
    ("STC", "Sở Tài chính"),
    ("SCT", "Sở Công Thương"),
    ("SNNMT", "Sở Nông nghiệp và Môi trường"),
    ("SXD", "Sở Xây dựng"),
    ("SKHCN", "Sở Khoa học và Công nghệ"),
    ("SGDDT", "Sở Giáo dục và Đào tạo"),
    ("SYT", "Sở Y tế"),
    ("SVHTTDL", "Sở Văn hóa, Thể thao và Du lịch"),
    ("SDTTG", "Sở Dân tộc và Tôn giáo"),
    ("TTT", "Thanh tra tỉnh"),
]

SECTORS: list[tuple[str, str]] = [
    ("CAT", "Công an tỉnh"),
    ("THUE", "Thuế tỉnh"),
    ("BHXH", "Bảo hiểm xã hội tỉnh"),
    ("TKT", "Thống kê tỉnh"),
    ("BQLKCN", "Ban Quản lý các khu công nghiệp tỉnh"),
    ("TTPVHCC", "Trung tâm Phục vụ hành chính công tỉnh"),
]

PROVINCE_COMMITTEE = ("UBND", "Ủy ban nhân dân tỉnh")


def commune_agency_code(unit_code: str) -> str:
    return f"UBND{unit_code}"
