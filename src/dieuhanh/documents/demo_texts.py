"""Generated incoming documents for the demo province and the benchmark (pure: no database).

A year of documents ending at the demo's ``today``: requests, reports, invitations, plans and decisions from the
ministries, the province's departments, commune People's Committees and enterprises, laid out as NĐ 30/2020
prescribes (header, number, place and date, title or "V/v", body, recipients), with varied wording, and the
office's routing decision for each (lead department, cooperating ones). Every text is generated from templates
and marked as such in the database (source "demo"); none is a real document.
"""

from __future__ import annotations

import random
from dataclasses import dataclass, field
from datetime import date, timedelta
from typing import Any

from dieuhanh.documents.reference import CENTRAL_BODIES, DOC_TYPES

PROVINCE_NAME = "Ninh Bình"
COMMITTEE = "Ủy ban nhân dân tỉnh Ninh Bình"


@dataclass(frozen=True)
class Topic:
    lead: str
    coop: tuple[str, ...]
    senders: tuple[str, ...]  # central body abbreviations, department codes, "XA" (a commune) or "DN" (enterprise)
    subjects: tuple[str, ...]
    context: tuple[str, ...]
    alt_lead: str | None = None  # the office sometimes gives it to this department instead


TOPICS: list[Topic] = [
    Topic("STC", ("THUE", "SNV"), ("BTC", "VPCP", "THUE"), (
        "báo cáo tình hình thực hiện dự toán ngân sách nhà nước {quarter}",
        "xây dựng dự toán ngân sách nhà nước năm {next_year} và kế hoạch tài chính 03 năm",
        "quyết toán kinh phí thực hiện chương trình mục tiêu quốc gia năm {last_year}",
        "rà soát, sắp xếp lại tài sản công là nhà, đất của các cơ quan, đơn vị",
        "bổ sung kinh phí thực hiện chính sách an sinh xã hội",
        "điều hành giá các mặt hàng thiết yếu dịp cuối năm"), (
        "Thực hiện Luật Ngân sách nhà nước và các văn bản hướng dẫn,",
        "Để có cơ sở tổng hợp, báo cáo Chính phủ về tình hình tài chính - ngân sách,",
        "Căn cứ tình hình thực hiện nhiệm vụ thu, chi ngân sách {quarter},"), alt_lead="THUE"),
    Topic("SNV", ("VPUBND", "STC"), ("BNV", "VPCP"), (
        "rà soát, sắp xếp tổ chức bộ máy và biên chế công chức năm {year}",
        "xét tặng danh hiệu thi đua, hình thức khen thưởng năm {year}",
        "đánh giá, xếp loại chất lượng cán bộ, công chức, viên chức năm {last_year}",
        "tuyển dụng viên chức ngành giáo dục và y tế năm {year}",
        "báo cáo kết quả cải cách hành chính {quarter}",
        "chi trả trợ cấp cho người có công với cách mạng dịp {holiday}"), (
        "Thực hiện chỉ đạo của Chính phủ về tinh gọn tổ chức bộ máy,",
        "Để kịp thời tổng hợp kết quả thực hiện nhiệm vụ công tác nội vụ,",
        "Căn cứ Luật Cán bộ, công chức và Luật Viên chức,"), alt_lead="VPUBND"),
    Topic("STP", ("SNV", "TTT"), ("BTP", "VPCP"), (
        "kiểm tra, rà soát văn bản quy phạm pháp luật do tỉnh ban hành",
        "triển khai công tác phổ biến, giáo dục pháp luật năm {year}",
        "báo cáo công tác thi hành pháp luật về xử lý vi phạm hành chính {quarter}",
        "đẩy mạnh đăng ký hộ tịch trực tuyến và cấp phiếu lý lịch tư pháp"), (
        "Thực hiện Luật Ban hành văn bản quy phạm pháp luật,",
        "Để nâng cao hiệu quả công tác xây dựng và thi hành pháp luật,")),
    Topic("SCT", ("SNNMT", "CAT"), ("BCT", "DN"), (
        "bảo đảm cung ứng xăng dầu, điện cho sản xuất và tiêu dùng {holiday}",
        "đấu tranh chống buôn lậu, gian lận thương mại và hàng giả",
        "thúc đẩy xuất khẩu hàng hóa và phát triển thị trường trong nước",
        "đề nghị hỗ trợ đầu tư hạ tầng cụm công nghiệp {commune_name}",
        "triển khai chương trình khuyến công địa phương năm {year}"), (
        "Thực hiện chỉ đạo của Bộ Công Thương về bảo đảm cân đối cung cầu hàng hóa,",
        "Trước diễn biến phức tạp của thị trường trong những tháng gần đây,")),
    Topic("SNNMT", ("SXD", "UBNDXA"), ("BNNMT", "XA", "DN"), (
        "chủ động phòng, chống thiên tai, bảo đảm an toàn đê điều mùa mưa bão năm {year}",
        "phòng, chống dịch bệnh động vật và dịch tả lợn châu Phi",
        "đề nghị giao đất, cho thuê đất thực hiện dự án tại {commune_name}",
        "xử lý ô nhiễm môi trường tại khu vực {commune_name}",
        "thực hiện Chương trình mục tiêu quốc gia xây dựng nông thôn mới năm {year}",
        "kiểm kê đất đai, lập bản đồ hiện trạng sử dụng đất",
        "quản lý hoạt động khai thác khoáng sản làm vật liệu xây dựng"), (
        "Theo dự báo của Trung tâm Khí tượng thủy văn quốc gia,",
        "Thực hiện Luật Đất đai năm 2024 và các văn bản hướng dẫn thi hành,",
        "Trên cơ sở đề nghị của các địa phương,"), alt_lead="SXD"),
    Topic("SXD", ("SNNMT", "STC"), ("BXD", "XA", "DN"), (
        "bảo đảm trật tự an toàn giao thông và sửa chữa đường bộ trên địa bàn tỉnh",
        "thẩm định báo cáo nghiên cứu khả thi dự án đầu tư xây dựng công trình {project}",
        "rà soát quy hoạch chung đô thị và phát triển nhà ở xã hội",
        "kiểm tra chất lượng công trình xây dựng sử dụng vốn đầu tư công",
        "đề nghị hỗ trợ nâng cấp tuyến đường giao thông tại {commune_name}"), (
        "Thực hiện Luật Xây dựng và Luật Quy hoạch đô thị và nông thôn,",
        "Để bảo đảm tiến độ giải ngân vốn đầu tư công năm {year},")),
    Topic("SKHCN", ("VPUBND", "SNV"), ("BKHCN", "VPCP"), (
        "đẩy mạnh chuyển đổi số và phát triển chính quyền số năm {year}",
        "bảo đảm an toàn thông tin mạng cho các hệ thống thông tin của tỉnh",
        "triển khai Nghị quyết số 57-NQ/TW về đột phá phát triển khoa học, công nghệ, đổi mới sáng tạo",
        "số hóa hồ sơ, kết quả giải quyết thủ tục hành chính",
        "đăng ký nhiệm vụ khoa học và công nghệ cấp tỉnh năm {next_year}"), (
        "Thực hiện Chương trình Chuyển đổi số quốc gia,",
        "Để bảo đảm kết nối, chia sẻ dữ liệu giữa các hệ thống thông tin,"), alt_lead="VPUBND"),
    Topic("SGDDT", ("SYT", "STC"), ("BGDĐT", "XA"), (
        "tổ chức kỳ thi tốt nghiệp trung học phổ thông năm {year}",
        "tuyển sinh vào lớp 10 trung học phổ thông năm học {school_year}",
        "bảo đảm an toàn trường học và phòng chống đuối nước cho học sinh",
        "rà soát đội ngũ giáo viên và cơ sở vật chất trường học",
        "triển khai nhiệm vụ năm học {school_year}"), (
        "Thực hiện hướng dẫn của Bộ Giáo dục và Đào tạo,",
        "Để chuẩn bị tốt các điều kiện cho năm học mới,")),
    Topic("SYT", ("SGDDT", "BHXH"), ("BYT", "XA"), (
        "tăng cường phòng, chống dịch bệnh sốt xuất huyết, tay chân miệng",
        "triển khai chiến dịch tiêm chủng vắc xin sởi - rubella năm {year}",
        "bảo đảm an toàn thực phẩm {holiday}",
        "nâng cao chất lượng khám, chữa bệnh và thanh toán bảo hiểm y tế",
        "cung ứng thuốc, vật tư y tế cho các bệnh viện tuyến tỉnh"), (
        "Theo thông báo của Bộ Y tế về tình hình dịch bệnh,",
        "Thực hiện Luật Khám bệnh, chữa bệnh,"), alt_lead="BHXH"),
    Topic("SVHTTDL", ("CAT", "SYT"), ("BVHTTDL", "XA"), (
        "tổ chức lễ hội truyền thống và các hoạt động văn hóa {holiday}",
        "quản lý, bảo vệ và phát huy giá trị Quần thể danh thắng Tràng An",
        "tổ chức Đại hội Thể dục thể thao tỉnh Ninh Bình lần thứ X",
        "kích cầu du lịch và phát triển sản phẩm du lịch mới năm {year}",
        "quản lý hoạt động báo chí, xuất bản trên địa bàn tỉnh"), (
        "Thực hiện Luật Di sản văn hóa,",
        "Để phục vụ nhân dân và du khách trong dịp {holiday},")),
    Topic("SDTTG", ("CAT", "SNV"), ("BDTTG", "XA"), (
        "quản lý hoạt động tín ngưỡng, tôn giáo {holiday}",
        "thực hiện chính sách dân tộc tại vùng đồng bào dân tộc thiểu số",
        "đăng ký sinh hoạt tôn giáo tập trung tại {commune_name}"), (
        "Thực hiện Luật Tín ngưỡng, tôn giáo,",
        "Để bảo đảm các hoạt động tôn giáo diễn ra đúng quy định pháp luật,")),
    Topic("TTT", ("STP", "CAT"), ("TTCP", "XA"), (
        "giải quyết đơn khiếu nại, tố cáo của công dân tại {commune_name}",
        "kế hoạch thanh tra năm {next_year}",
        "báo cáo công tác phòng, chống tham nhũng, tiêu cực {quarter}",
        "tiếp công dân định kỳ và đột xuất của lãnh đạo tỉnh"), (
        "Thực hiện Luật Khiếu nại và Luật Tố cáo,",
        "Theo đơn của công dân gửi đến các cơ quan chức năng,")),
    Topic("CAT", ("SVHTTDL", "SXD"), ("BCA", "XA"), (
        "bảo đảm an ninh, trật tự {holiday}",
        "tăng cường công tác phòng cháy, chữa cháy và cứu nạn, cứu hộ",
        "triển khai Đề án 06 về phát triển ứng dụng dữ liệu dân cư, định danh và xác thực điện tử",
        "đấu tranh phòng, chống tội phạm ma túy trên địa bàn {commune_name}"), (
        "Thực hiện chỉ đạo của Bộ Công an,",
        "Để chủ động phòng ngừa, phát hiện, xử lý kịp thời các vụ việc phức tạp,"), alt_lead="SKHCN"),
    Topic("THUE", ("STC",), ("BTC", "DN"), (
        "tăng cường quản lý thu ngân sách và chống thất thu thuế",
        "triển khai hóa đơn điện tử khởi tạo từ máy tính tiền",
        "gia hạn thời hạn nộp thuế giá trị gia tăng, thuế thu nhập doanh nghiệp"), (
        "Thực hiện Luật Quản lý thuế,",)),
    Topic("BHXH", ("SNV", "SYT"), ("BTC", "XA"), (
        "phát triển người tham gia bảo hiểm xã hội tự nguyện, bảo hiểm y tế hộ gia đình",
        "chi trả lương hưu, trợ cấp bảo hiểm xã hội qua tài khoản cá nhân",
        "đôn đốc thu nợ bảo hiểm xã hội, bảo hiểm thất nghiệp của doanh nghiệp"), (
        "Thực hiện Luật Bảo hiểm xã hội năm 2024,",)),
    Topic("BQLKCN", ("SCT", "SNNMT"), ("DN", "BTC"), (
        "đề nghị điều chỉnh chủ trương đầu tư dự án tại khu công nghiệp Gián Khẩu",
        "thu hút nhà đầu tư và tháo gỡ khó khăn cho doanh nghiệp trong khu công nghiệp",
        "báo cáo tình hình hoạt động của các khu công nghiệp {quarter}"), (
        "Theo đề nghị của nhà đầu tư,",
        "Để cải thiện môi trường đầu tư, kinh doanh của tỉnh,")),
    Topic("VPUBND", ("SNV",), ("VPCP",), (
        "chuẩn bị nội dung phiên họp thường kỳ của Ủy ban nhân dân tỉnh tháng {month}",
        "thông báo kết luận của Thủ tướng Chính phủ tại buổi làm việc với tỉnh",
        "lịch công tác của Thường trực Ủy ban nhân dân tỉnh",
        "thực hiện chế độ báo cáo định kỳ trên Hệ thống thông tin báo cáo Chính phủ"), (
        "Thực hiện Quy chế làm việc của Chính phủ,",
        "Theo chương trình công tác năm {year},")),
]
# How often each lead gets a document (the finance and agriculture-environment departments get the most).
TOPIC_WEIGHTS = {"STC": 14, "SNV": 9, "STP": 4, "SCT": 6, "SNNMT": 13, "SXD": 10, "SKHCN": 6, "SGDDT": 7, "SYT": 8,
                 "SVHTTDL": 5, "SDTTG": 2, "TTT": 4, "CAT": 5, "THUE": 3, "BHXH": 3, "BQLKCN": 3, "VPUBND": 4}

DEPARTMENT_SENDERS = {
    "SNV": "SỞ NỘI VỤ", "STC": "SỞ TÀI CHÍNH", "SYT": "SỞ Y TẾ", "SXD": "SỞ XÂY DỰNG",
    "SNNMT": "SỞ NÔNG NGHIỆP VÀ MÔI TRƯỜNG", "SGDDT": "SỞ GIÁO DỤC VÀ ĐÀO TẠO", "SCT": "SỞ CÔNG THƯƠNG",
    "THUE": "THUẾ TỈNH NINH BÌNH",
}
SENDER_ABBR = {"SNV": "SNV", "STC": "STC", "SYT": "SYT", "SXD": "SXD", "SNNMT": "SNNMT", "SGDDT": "SGDĐT",
               "SCT": "SCT", "THUE": "TNB"}
ENTERPRISES = ["CÔNG TY CỔ PHẦN XI MĂNG HƯỚNG DƯƠNG", "CÔNG TY TNHH MAY XUẤT KHẨU TAM ĐIỆP",
               "CÔNG TY CỔ PHẦN DU LỊCH TRÀNG AN", "CÔNG TY TNHH ĐIỆN TỬ GIÁN KHẨU",
               "CÔNG TY CỔ PHẦN ĐẦU TƯ XÂY DỰNG HOA LƯ"]
ENTERPRISE_NAMES = ["Công ty Cổ phần Xi măng Hướng Dương", "Công ty TNHH May xuất khẩu Tam Điệp",
                    "Công ty Cổ phần Du lịch Tràng An", "Công ty TNHH Điện tử Gián Khẩu",
                    "Công ty Cổ phần Đầu tư xây dựng Hoa Lư"]
UNIT_SUFFIX = {"BTC": ("NSNN", "QLCS", "HCSN", "ĐT"), "BNV": ("TCBC", "CCVC", "TĐKT"), "BTP": ("KTrVB", "PBGDPL"),
               "BCT": ("TTTN", "ĐL"), "BNNMT": ("TT", "QLĐĐ", "MT", "ĐĐ"), "BXD": ("HĐXD", "QHKT", "KCHT"),
               "BKHCN": ("CĐS", "ATTT"), "BGDĐT": ("QLCL", "GDTrH"), "BYT": ("DP", "KCB", "ATTP"),
               "BVHTTDL": ("DSVH", "TCDL"), "BDTTG": ("TG", "CSDT"), "TTCP": ("TCD", "PCTN"),
               "BCA": ("V05", "C07", "C06"), "VPCP": ("KTTH", "QHĐP", "KGVX", "NN", "CN", "V.I"), "BQP": ("TM",),
               "BNG": ("LS",), "NHNN": ("TD",), "TTg": ("KTTH",), "CP": ("KTTH",)}
HOLIDAYS = ("Tết Nguyên đán", "Tết Dương lịch", "dịp nghỉ lễ 30/4 và 1/5", "dịp Quốc khánh 2/9",
            "mùa lễ hội xuân", "dịp hè")
PROJECTS = ("đường nối Tràng An - Bái Đính", "cầu Yên Lệnh mới", "Trung tâm y tế khu vực Kim Sơn",
            "kè chống sạt lở sông Đáy", "trường THPT chuyên Lương Văn Tụy cơ sở 2")
REQUEST_VERBS = (
    "Đề nghị Ủy ban nhân dân tỉnh chỉ đạo các cơ quan, đơn vị liên quan triển khai thực hiện",
    "Đề nghị Ủy ban nhân dân tỉnh quan tâm, chỉ đạo các sở, ngành khẩn trương rà soát, tổng hợp",
    "Yêu cầu các địa phương tổ chức thực hiện nghiêm túc và báo cáo kết quả",
    "Kính đề nghị Ủy ban nhân dân tỉnh xem xét, giải quyết",
    "Đề nghị Ủy ban nhân dân tỉnh giao cơ quan chuyên môn tham mưu, đề xuất",
)
SIGNERS = {"central": "KT. BỘ TRƯỞNG\nTHỨ TRƯỞNG", "XA": "TM. ỦY BAN NHÂN DÂN\nCHỦ TỊCH", "DN": "TỔNG GIÁM ĐỐC",
           "STC": "GIÁM ĐỐC", "SNV": "GIÁM ĐỐC", "SYT": "KT. GIÁM ĐỐC\nPHÓ GIÁM ĐỐC", "SXD": "GIÁM ĐỐC",
           "SNNMT": "KT. GIÁM ĐỐC\nPHÓ GIÁM ĐỐC", "SGDDT": "GIÁM ĐỐC", "SCT": "GIÁM ĐỐC", "THUE": "TRƯỞNG THUẾ TỈNH"}
NAMES = ("Nguyễn Văn An", "Trần Thị Bình", "Lê Minh Cường", "Phạm Thu Dung", "Hoàng Văn Em", "Vũ Thị Giang",
         "Đinh Quang Huy", "Bùi Thị Lan", "Đỗ Đức Mạnh", "Ngô Thị Nga")


@dataclass
class GeneratedDocument:
    """One generated document: its text and the truth (metadata and the office's routing)."""

    text: str
    code_number: str
    code_notation: str
    doc_type: str
    organ_name: str
    issued_place: str
    issued_date: date
    subject: str
    priority: str
    deadlines: list[dict[str, Any]]
    arrival_date: date
    lead: str
    cooperating: list[str]
    references: list[str] = field(default_factory=list)
    commune_codes: list[str] = field(default_factory=list)
    seq: int = 0

    def expected(self) -> dict[str, Any]:
        return {"code_number": self.code_number, "code_notation": self.code_notation, "doc_type": self.doc_type,
                "organ_name": self.organ_name, "issued_place": self.issued_place,
                "issued_date": self.issued_date.isoformat(), "subject": self.subject, "priority": self.priority,
                "deadlines": [d["due_date"] for d in self.deadlines]}


def _vn(d: date) -> str:
    return f"{d.day}/{d.month}/{d.year}" if d.day > 9 or d.month > 9 else f"{d.day:02d}/{d.month:02d}/{d.year}"


def _fill(template: str, rng: random.Random, today: date, communes: list[tuple[str, str]],
          picked: list[tuple[str, str]]) -> str:
    year = today.year
    q = (today.month - 1) // 3 + 1
    commune = rng.choice(communes) if communes else ("", "xã Gia Viễn")
    if "{commune_name}" in template:
        picked.append(commune)
    return template.format(
        year=year, next_year=year + 1, last_year=year - 1, quarter=f"quý {['I', 'II', 'III', 'IV'][q - 1]} năm {year}",
        holiday=rng.choice(HOLIDAYS), month=today.month, school_year=f"{year}-{year + 1}",
        commune_name=commune[1], project=rng.choice(PROJECTS))


def _add_working_days(start: date, days: int, is_working: Any) -> date:
    day, left = start, days
    while left > 0:
        day += timedelta(days=1)
        left -= 1 if is_working(day) else 0
    return day


def generate(rng: random.Random, today: date, *, count: int, communes: list[tuple[str, str]],
             is_working: Any = None, days: int = 365) -> list[GeneratedDocument]:
    """``count`` documents received over the ``days`` days up to ``today`` (older first). ``communes``: (code,
    name) of the province's communes ("Xã Gia Viễn"); ``is_working(date)`` the working-day calendar."""
    is_working = is_working or (lambda d: d.weekday() < 5)
    central = dict(CENTRAL_BODIES)
    lower_communes = [(code, name[0].lower() + name[1:]) for code, name in communes]
    topics = TOPICS
    weights = [TOPIC_WEIGHTS[t.lead] for t in topics]
    start = today - timedelta(days=days - 1)
    working = [start + timedelta(days=i) for i in range(days) if is_working(start + timedelta(days=i))]
    arrivals = sorted(rng.choice(working) for _ in range(count))
    numbers: dict[str, int] = {}
    out: list[GeneratedDocument] = []
    for seq, arrival in enumerate(arrivals):
        topic = rng.choices(topics, weights=weights)[0]
        sender = rng.choice(topic.senders)
        picked: list[tuple[str, str]] = []
        subject = _fill(rng.choice(topic.subjects), rng, arrival, lower_communes, picked)
        issued = arrival - timedelta(days=rng.choice((0, 1, 1, 2, 3, 4)))
        if sender in central:
            abbr = sender
            organ_upper = central[sender].upper()
            organ_name = central[sender]
            parent = None
            place = "Hà Nội"
            doc_type = rng.choices(["CV", "CV", "CV", "TB", "KH", "HD", "GM", "CĐ", "QĐ"],
                                   weights=[30, 20, 10, 8, 6, 8, 8, 4, 6])[0]
            unit = rng.choice(UNIT_SUFFIX.get(sender, ("VP",)))
        elif sender == "XA":
            code, name = rng.choice(communes) if communes else ("", "Xã Gia Viễn")
            if not picked:
                picked.append((code, name[0].lower() + name[1:]))
            short = name.split(" ", 1)[1] if " " in name else name
            abbr = "UBND"
            organ_upper = f"ỦY BAN NHÂN DÂN\n{name.upper()}"
            organ_name = f"Ủy ban nhân dân {name[0].lower() + name[1:]}"
            parent = None
            place = short
            doc_type = rng.choices(["CV", "BC", "TTr"], weights=[50, 30, 20])[0]
            unit = rng.choice(("VP", "KT", "VHXH"))
        elif sender == "DN":
            i = rng.randrange(len(ENTERPRISES))
            abbr = "".join(w[0] for w in ENTERPRISE_NAMES[i].split()[-3:]).upper()
            organ_upper = ENTERPRISES[i]
            organ_name = ENTERPRISE_NAMES[i]
            parent = None
            place = PROVINCE_NAME
            doc_type = "CV"
            unit = "KD"
        else:
            abbr = SENDER_ABBR.get(sender, sender)
            organ_upper = DEPARTMENT_SENDERS.get(sender, sender)
            organ_name = {"THUE": "Thuế tỉnh Ninh Bình"}.get(sender, organ_upper[:1] + organ_upper[1:].lower()
                                                              .replace("sở ", "Sở ", 1))
            organ_name = _department_name(sender, organ_name)
            parent = "UBND TỈNH NINH BÌNH" if sender != "THUE" else "CỤC THUẾ"
            place = PROVINCE_NAME
            doc_type = rng.choices(["CV", "TTr", "BC", "KH"], weights=[45, 30, 15, 10])[0]
            unit = rng.choice(("VP", "NV", "KHTC"))
        numbers[abbr] = numbers.get(abbr, rng.randint(20, 400)) + rng.randint(1, 25)
        number = str(numbers[abbr])
        qppl = doc_type == "QĐ" and rng.random() < 0.3
        if doc_type == "CV":
            notation = f"{abbr}-{unit}"
        else:
            notation = f"{doc_type}-{abbr}"
        code_number = f"{number}/{issued.year}" if qppl else number
        priority = rng.choices(["thuong", "khan", "thuong_khan", "hoa_toc"], weights=[82, 12, 4, 2])[0]
        if doc_type == "CĐ":
            priority = rng.choice(["khan", "thuong_khan", "hoa_toc"])
        deadlines: list[dict[str, Any]] = []
        body_parts: list[str] = []
        ctx_sentence = _fill(rng.choice(topic.context), rng, arrival, lower_communes, picked)
        refs: list[str] = []
        if rng.random() < 0.35:
            ref_notation = rng.choice(["QĐ-TTg", "CĐ-TTg", "CT-TTg", "NQ-CP", "BTC-NSNN", "UBND-VP"])
            ref_num = f"{rng.randint(10, 3000)}/{ref_notation}"
            refs.append(ref_num)
            ctx_sentence = (f"Thực hiện văn bản số {ref_num} ngày {_vn(issued - timedelta(days=rng.randint(10, 90)))} "
                            f"về việc {subject},")
        request = rng.choice(REQUEST_VERBS)
        deadline_kind = rng.choices(["abs", "abs_hour", "rel", "none", "period"], weights=[40, 10, 20, 25, 5])[0]
        if doc_type == "GM":
            meeting = _add_working_days(arrival, rng.randint(2, 8), is_working)
            hour = rng.choice((8, 9, 14, 15))
            deadline_text = f"vào lúc {hour} giờ 00, ngày {_vn(meeting)}"
            deadlines.append({"text": deadline_text, "due_date": meeting.isoformat(), "kind": "meeting"})
            body_parts.append(f"{ctx_sentence} {organ_name} trân trọng kính mời đại diện lãnh đạo Ủy ban nhân dân "
                              f"tỉnh và lãnh đạo các sở, ngành liên quan dự hội nghị về {subject}.")
            body_parts.append(f"Thời gian: bắt đầu {deadline_text}.")
            body_parts.append(f"Địa điểm: {'Hội trường ' + organ_name if sender in central else 'trực tuyến'}.")
        else:
            body_parts.append(f"{ctx_sentence} {organ_name} có ý kiến như sau:")
            if deadline_kind in ("abs", "abs_hour"):
                due = _add_working_days(arrival, rng.randint(5, 25), is_working)
                prefix = rng.choice(("trước ngày", "chậm nhất ngày", "trước ngày", "hạn chót ngày"))
                if deadline_kind == "abs_hour":
                    prefix = f"trước {rng.choice((10, 16, 17))} giờ ngày"
                written = _vn(due) if rng.random() < 0.8 else f"{due.day} tháng {due.month} năm {due.year}"
                text = f"{prefix} {written}"
                deadlines.append({"text": text, "due_date": due.isoformat(), "kind": "deadline"})
                body_parts.append(f"{request} nội dung nêu trên, gửi báo cáo về {organ_name} {text} để tổng hợp.")
            elif deadline_kind == "rel":
                n = rng.choice((5, 7, 10, 15))
                spelled = {5: "năm", 7: "bảy", 10: "mười", 15: "mười lăm"}[n]
                days_text = f"{n:02d} ({spelled})" if rng.random() < 0.3 else f"{n:02d}"
                text = f"trong thời hạn {days_text} ngày làm việc kể từ ngày nhận được văn bản này"
                due = _add_working_days(arrival, n, is_working)
                deadlines.append({"text": text, "due_date": due.isoformat(), "kind": "deadline"})
                body_parts.append(f"{request}; kết quả gửi về {organ_name} {text}.")
            elif deadline_kind == "period":
                month_end = date(arrival.year + (arrival.month == 12), arrival.month % 12 + 1, 1) - timedelta(days=1)
                text = f"trong tháng {arrival.month}/{arrival.year}"
                deadlines.append({"text": text, "due_date": month_end.isoformat(), "kind": "deadline"})
                body_parts.append(f"{request} và hoàn thành {text}.")
            else:
                body_parts.append(f"{request} theo quy định.")
            if rng.random() < 0.3:
                amount = rng.choice(("1.250 triệu đồng", "15,5 tỷ đồng", "850 triệu đồng", "2.300.000.000 đồng"))
                body_parts.append(f"Tổng kinh phí dự kiến là {amount}, từ nguồn ngân sách nhà nước.")
            if picked:
                body_parts.append(f"Đề nghị lưu ý địa bàn {picked[0][1]} và các địa phương lân cận.")
        lead = topic.lead
        if topic.alt_lead and rng.random() < 0.15:
            lead = topic.alt_lead
        coop = [c for c in topic.coop if c not in (lead, "UBNDXA") and rng.random() < 0.45]
        title = "" if doc_type == "CV" else DOC_TYPES[doc_type].upper()
        out.append(GeneratedDocument(
            text=_layout(rng, organ_upper=organ_upper, parent=parent, number=code_number, notation=notation,
                         place=place, issued=issued, title=title, subject=subject, priority=priority, body=body_parts,
                         signer=SIGNERS[sender] if sender in SIGNERS else SIGNERS["central"], name=rng.choice(NAMES)),
            code_number=code_number, code_notation=notation, doc_type=doc_type, organ_name=organ_name,
            issued_place=place, issued_date=issued, subject=subject[0].upper() + subject[1:], priority=priority,
            deadlines=deadlines, arrival_date=arrival, lead=lead, cooperating=coop, references=refs,
            commune_codes=[c for c, _ in picked if c], seq=seq))
    return out


def _department_name(code: str, fallback: str) -> str:
    from dieuhanh.orgs.catalogue import DEPARTMENTS, SECTORS

    return dict(DEPARTMENTS + SECTORS).get(code, fallback) if code != "THUE" else "Thuế tỉnh Ninh Bình"


def _layout(rng: random.Random, *, organ_upper: str, parent: str | None, number: str, notation: str, place: str,
            issued: date, title: str, subject: str, priority: str, body: list[str], signer: str, name: str) -> str:
    """The printed layout of NĐ 30 (Phụ lục I), flattened to text as a PDF text layer or DOCX reader gives it:
    the two header columns on the same lines separated by tabs."""
    left = ([parent] if parent else []) + organ_upper.split("\n")
    right = [rng.choice(("CỘNG HÒA XÃ HỘI CHỦ NGHĨA VIỆT NAM", "CỘNG HOÀ XÃ HỘI CHỦ NGHĨA VIỆT NAM")),
             "Độc lập - Tự do - Hạnh phúc"]
    lines = []
    for i in range(max(len(left), len(right))):
        a = left[i] if i < len(left) else ""
        b = right[i] if i < len(right) else ""
        lines.append(f"{a}\t\t{b}".rstrip())
    day, month = (f"{issued.day:02d}", f"{issued.month:02d}") if rng.random() < 0.6 else (issued.day, issued.month)
    date_text = f"{place}, ngày {day} tháng {month} năm {issued.year}"
    number_text = rng.choice((f"Số: {number}/{notation}", f"Số {number}/{notation}", f"Số: {number} /{notation}"))
    if rng.random() < 0.7:
        lines.append(f"{number_text}\t\t{date_text}")
    else:
        lines.append(number_text)
        lines.append(f"\t\t{date_text}")
    if not title:
        prefix = rng.choice(("V/v", "V/v", "V/v:", "Về việc"))
        words = subject.split()
        if len(words) > 12 and rng.random() < 0.6:  # a long trích yếu wraps onto a second line
            cut = len(words) // 2
            lines.append(f"{prefix} {' '.join(words[:cut])}")
            lines.append(" ".join(words[cut:]))
        else:
            lines.append(f"{prefix} {subject}")
    mark = {"khan": "KHẨN", "thuong_khan": "THƯỢNG KHẨN", "hoa_toc": "HỎA TỐC"}.get(priority)
    if mark:
        lines.append(mark)
    lines.append("")
    if title:
        lines.append(title)
        lines.append(subject[0].upper() + subject[1:])
        lines.append("")
    lines.append(f"Kính gửi: {COMMITTEE}.")
    lines.append("")
    lines.extend(body)
    lines.append("")
    lines.append("Nơi nhận:\n- Như trên;\n- Lưu: VT.")
    lines.append(signer)
    lines.append(name)
    return "\n".join(lines) + "\n"
