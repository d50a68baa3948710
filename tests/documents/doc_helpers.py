"""Shared builders for the documents tests: texts in the NĐ 30 layout, files (DOCX, PDF) and confirmed routings."""

from __future__ import annotations

import io
from datetime import date

FINANCE_TEXT = """BỘ TÀI CHÍNH\t\tCỘNG HÒA XÃ HỘI CHỦ NGHĨA VIỆT NAM
\t\tĐộc lập - Tự do - Hạnh phúc
Số: 1234/BTC-NSNN\t\tHà Nội, ngày 05 tháng 3 năm 2026
V/v báo cáo tình hình thực hiện dự toán
ngân sách nhà nước quý I năm 2026
HỎA TỐC

Kính gửi: Ủy ban nhân dân tỉnh Ninh Bình.

Thực hiện Nghị quyết số 15/2025/NQ-CP ngày 12/1/2025 của Chính phủ, Bộ Tài chính đề nghị Ủy ban nhân dân tỉnh chỉ đạo
Sở Tài chính phối hợp với Thuế tỉnh báo cáo tình hình thu, chi ngân sách, gửi về Bộ Tài chính
trước 16 giờ ngày 15/4/2026.
Tổng kinh phí hỗ trợ là 1.250 triệu đồng cho xã Gia Viễn và phường Phủ Lý.
Các đơn vị hoàn thành việc rà soát trong thời hạn 10 ngày làm việc kể từ ngày nhận được văn bản này.
Nơi nhận:
- Như trên;
- Lưu: VT, NSNN.
KT. BỘ TRƯỞNG
THỨ TRƯỞNG
Nguyễn Văn An
"""

DECISION_TEXT = """ỦY BAN NHÂN DÂN
TỈNH NINH BÌNH
Số: 15/2024/QĐ-UBND                         Ninh Bình, ngày 05 tháng 3 năm 2024

QUYẾT ĐỊNH
Về việc ban hành Quy chế phối hợp quản lý
cụm công nghiệp trên địa bàn tỉnh

ỦY BAN NHÂN DÂN TỈNH NINH BÌNH
Căn cứ Luật Tổ chức chính quyền địa phương ngày 19 tháng 02 năm 2025;
Điều 1. Ban hành kèm theo Quyết định này Quy chế phối hợp.
"""


def doc_text(*, number: str = "45", notation: str = "SYT-NVY", organ: str = "SỞ Y TẾ",
             subject: str = "tăng cường phòng, chống dịch bệnh sốt xuất huyết", issued: date = date(2026, 4, 2),
             body: str = "Đề nghị Ủy ban nhân dân tỉnh chỉ đạo triển khai, báo cáo trước ngày 20/4/2026.") -> str:
    return (f"UBND TỈNH NINH BÌNH\t\tCỘNG HÒA XÃ HỘI CHỦ NGHĨA VIỆT NAM\n{organ}\t\tĐộc lập - Tự do - Hạnh phúc\n"
            f"Số: {number}/{notation}\t\tNinh Bình, ngày {issued.day:02d} tháng {issued.month:02d} năm {issued.year}\n"
            f"V/v {subject}\n\nKính gửi: Ủy ban nhân dân tỉnh Ninh Bình.\n\n{body}\n")


def docx_bytes(text: str) -> bytes:
    import docx

    document = docx.Document()
    for line in text.split("\n"):
        document.add_paragraph(line)
    out = io.BytesIO()
    document.save(out)
    return out.getvalue()


def pdf_bytes(text: str) -> bytes:
    """A PDF with a text layer (WeasyPrint with the vendored DejaVu Sans)."""
    from html import escape

    from weasyprint import HTML

    from dieuhanh.web.templating import WEB_DIR

    font = (WEB_DIR / "static" / "fonts" / "DejaVuSans.ttf").as_uri()
    html = (f"<style>@font-face{{font-family:D;src:url('{font}')}} body{{font-family:D;font-size:10pt}}"
            f"p{{margin:0;white-space:pre}}</style>" + "".join(f"<p>{escape(line) or '&nbsp;'}</p>"
                                                             for line in text.replace("\t\t", "    ").split("\n")))
    return HTML(string=html).write_pdf()


def scanned_pdf_bytes() -> bytes:
    """A PDF without a text layer (a blank page, as a scan without OCR gives)."""
    from pypdf import PdfWriter

    writer = PdfWriter()
    writer.add_blank_page(width=595, height=842)
    out = io.BytesIO()
    writer.write(out)
    return out.getvalue()
