"""Code lists of the inspections domain: contents (lĩnh vực quản lý nhà nước) and the legal bases of the rules."""

from __future__ import annotations

CONTENTS: dict[str, str] = {
    "ATTP": "An toàn thực phẩm",
    "MT": "Bảo vệ môi trường",
    "PCCC": "Phòng cháy, chữa cháy",
    "LD": "Lao động, tiền lương",
    "ATLD": "An toàn, vệ sinh lao động",
    "BHXH": "Bảo hiểm xã hội, bảo hiểm y tế",
    "THUE": "Thuế",
    "DD": "Đất đai",
    "XD": "Trật tự xây dựng",
    "TNN": "Tài nguyên nước",
    "KS": "Khoáng sản",
    "DUOC": "Dược, mỹ phẩm",
    "KCB": "Khám bệnh, chữa bệnh",
    "TDC": "Tiêu chuẩn, đo lường, chất lượng",
    "GIA": "Giá, niêm yết giá",
    "TMDT": "Thương mại điện tử",
    "VHDL": "Văn hóa, du lịch",
    "GDDT": "Giáo dục, đào tạo",
    "DT": "Đầu tư, đăng ký doanh nghiệp",
    "VT": "Vận tải",
}

NQ198 = "Nghị quyết 198/2025/QH15, Điều 4"
LEGAL_BASIS: dict[str, str] = {
    "once_thanh_tra": f"{NQ198}: thanh tra doanh nghiệp không quá 01 lần/năm (trừ khi có dấu hiệu vi phạm rõ ràng)",
    "once_kiem_tra": f"{NQ198}: kiểm tra (kể cả kiểm tra liên ngành) doanh nghiệp không quá 01 lần/năm (trừ khi có "
                     "dấu hiệu vi phạm rõ ràng)",
    "same_content": f"{NQ198}: đã thanh tra thì không kiểm tra và ngược lại về cùng nội dung quản lý nhà nước trong "
                    "cùng năm",
    "mergeable": f"{NQ198}: các cơ quan khác nhau làm việc với cùng doanh nghiệp trong cùng tháng — gộp thành đoàn "
                 "liên ngành hoặc bố trí thời gian khác để không chồng chéo",
    "branch_parent": f"{NQ198}: chi nhánh và trụ sở chính của cùng doanh nghiệp bị làm việc riêng rẽ trong cùng "
                     "tháng",
}
RULE_LABELS = {"once_thanh_tra": "Quá 01 cuộc thanh tra/năm", "once_kiem_tra": "Quá 01 cuộc kiểm tra/năm",
               "same_content": "Vừa thanh tra vừa kiểm tra cùng nội dung", "mergeable": "Có thể gộp liên ngành",
               "branch_parent": "Chi nhánh và trụ sở chính cùng tháng"}
ACTION_LABELS = {"merge": "Gộp", "move": "Dời tháng", "drop": "Bỏ (trùng lặp)"}

# Agencies that plan inspections in the demo province (Thanh tra tỉnh leads joint inspections).
INSPECTORATE = "TTT"
