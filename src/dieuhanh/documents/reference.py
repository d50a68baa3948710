"""Reference lists of the documents domain: document types (NĐ 30/2020/NĐ-CP, Phụ lục III), urgency marks,
the e-office fields (Phụ lục VI) and the central bodies that send documents to a province."""

from __future__ import annotations

# Phụ lục III, NĐ 30/2020/NĐ-CP: tên loại văn bản hành chính và chữ viết tắt; plus the legal-document types a
# province receives from the centre (Luật Ban hành VBQPPL 2015: NĐ, TT, TTLT). A Công văn has no abbreviation:
# its ký hiệu starts with the issuing body's abbreviation ("45/UBND-VX"), so any other first part means CV.
DOC_TYPES: dict[str, str] = {
    "NQ": "Nghị quyết",
    "QĐ": "Quyết định",
    "CT": "Chỉ thị",
    "QC": "Quy chế",
    "QyĐ": "Quy định",
    "TC": "Thông cáo",
    "TB": "Thông báo",
    "HD": "Hướng dẫn",
    "CTr": "Chương trình",
    "KH": "Kế hoạch",
    "PA": "Phương án",
    "ĐA": "Đề án",
    "DA": "Dự án",
    "BC": "Báo cáo",
    "BB": "Biên bản",
    "TTr": "Tờ trình",
    "HĐ": "Hợp đồng",
    "CĐ": "Công điện",
    "BGN": "Bản ghi nhớ",
    "BTT": "Bản thỏa thuận",
    "GUQ": "Giấy ủy quyền",
    "GM": "Giấy mời",
    "GGT": "Giấy giới thiệu",
    "GNP": "Giấy nghỉ phép",
    "PG": "Phiếu gửi",
    "PC": "Phiếu chuyển",
    "PB": "Phiếu báo",
    "NĐ": "Nghị định",
    "TT": "Thông tư",
    "TTLT": "Thông tư liên tịch",
    "CV": "Công văn",
}
# Upper-case title line of each type (how the type is printed above the trích yếu).
TYPE_TITLES: dict[str, str] = {name.upper(): code for code, name in DOC_TYPES.items() if code != "CV"}

# Độ khẩn (NĐ 30, Phụ lục VI field Priority: 0 thường, 1 khẩn, 2 thượng khẩn, 3 hỏa tốc, 4 hỏa tốc hẹn giờ).
PRIORITIES: dict[str, str] = {"thuong": "Thường", "khan": "Khẩn", "thuong_khan": "Thượng khẩn", "hoa_toc": "Hỏa tốc"}
PRIORITY_CODES: dict[str, str] = {"0": "thuong", "1": "khan", "2": "thuong_khan", "3": "hoa_toc", "4": "hoa_toc"}
PRIORITY_RANK: dict[str, int] = {"thuong": 0, "khan": 1, "thuong_khan": 2, "hoa_toc": 3}

# NĐ 30/2020/NĐ-CP, Phụ lục VI (thông tin đầu vào của văn bản đến) → our field names.
EOFFICE_FIELDS: dict[str, str] = {
    "CodeNumber": "code_number",
    "CodeNotation": "code_notation",
    "OrganName": "organ_name",
    "IssuedDate": "issued_date",
    "Subject": "subject",
    "Priority": "priority",
    "DueDate": "due_date",
    "ArrivalDate": "arrival_date",
    "ArrivalNumber": "arrival_number",
    "ToPlaces": "to_places",
}

# Central bodies after the 2025 restructuring (14 ministries, plus the Government's office, inspectorate and the
# State Bank), with the abbreviation their ký hiệu carries. Used to name issuers and to find agencies in a text.
CENTRAL_BODIES: list[tuple[str, str]] = [
    ("TTg", "Thủ tướng Chính phủ"),
    ("CP", "Chính phủ"),
    ("VPCP", "Văn phòng Chính phủ"),
    ("BQP", "Bộ Quốc phòng"),
    ("BCA", "Bộ Công an"),
    ("BNG", "Bộ Ngoại giao"),
    ("BNV", "Bộ Nội vụ"),
    ("BTP", "Bộ Tư pháp"),
    ("BTC", "Bộ Tài chính"),
    ("BCT", "Bộ Công Thương"),
    ("BNNMT", "Bộ Nông nghiệp và Môi trường"),
    ("BXD", "Bộ Xây dựng"),
    ("BVHTTDL", "Bộ Văn hóa, Thể thao và Du lịch"),
    ("BKHCN", "Bộ Khoa học và Công nghệ"),
    ("BGDĐT", "Bộ Giáo dục và Đào tạo"),
    ("BYT", "Bộ Y tế"),
    ("BDTTG", "Bộ Dân tộc và Tôn giáo"),
    ("NHNN", "Ngân hàng Nhà nước Việt Nam"),
    ("TTCP", "Thanh tra Chính phủ"),
]
