"""Extraction by rules: số/ký hiệu, type (NĐ 30 Phụ lục III), issuer, place and date, trích yếu, urgency,
deadlines on the working-day calendar, entities, summary. Pure functions: no store."""

from __future__ import annotations

from datetime import date
from functools import partial

import pytest
from doc_helpers import DECISION_TEXT, FINANCE_TEXT, doc_text

from dieuhanh.documents import extract as ex
from dieuhanh.documents.calendar import add_working_days
from dieuhanh.publicservices.calendar import WorkingCalendar

CALENDAR = WorkingCalendar()
ADD = partial(add_working_days, CALENDAR)


def test_official_letter_header_subject_urgency_and_deadlines():
    found = ex.extract(FINANCE_TEXT, arrival=date(2026, 3, 6), add_working_days=ADD)
    assert (found.code_number, found.code_notation, found.doc_type) == ("1234", "BTC-NSNN", "CV")
    assert found.organ_name == "Bộ Tài chính"
    assert (found.issued_place, found.issued_date) == ("Hà Nội", "2026-03-05")
    assert found.subject == "Báo cáo tình hình thực hiện dự toán ngân sách nhà nước quý I năm 2026"
    assert found.priority == "hoa_toc"
    assert [(d.due_date, d.time) for d in found.deadlines] == [("2026-04-15", "16:00"), ("2026-03-20", None)]
    assert found.deadlines[0].text == "trước 16 giờ ngày 15/4/2026"
    assert found.references == ["15/2025/NQ-CP"]


def test_legal_document_number_keeps_its_year_and_the_title_gives_the_type():
    found = ex.extract(DECISION_TEXT)
    assert (found.code_number, found.code_notation, found.doc_type) == ("15/2024", "QĐ-UBND", "QĐ")
    assert found.organ_name == "Ủy ban nhân dân tỉnh Ninh Bình"
    assert found.subject == "Ban hành Quy chế phối hợp quản lý cụm công nghiệp trên địa bàn tỉnh"
    assert found.priority == "thuong"


@pytest.mark.parametrize(("notation", "expected"), [
    ("QĐ-UBND", "QĐ"), ("UBND-VX", "CV"), ("CT-UBND", "CT"), ("CTr-UBND", "CTr"), ("QyĐ-UBND", "QyĐ"),
    ("ĐA-UBND", "ĐA"), ("DA-BQL", "DA"), ("TTr-SYT", "TTr"), ("KH-SGDĐT", "KH"), ("GM-VPCP", "GM"),
    ("CĐ-TTg", "CĐ"), ("BTC-NSNN", "CV"), ("HĐ-UBND", "HĐ"), ("TB-VPUBND", "TB"), ("NĐ-CP", "NĐ"),
])
def test_document_type_from_the_notation_abbreviation(notation, expected):
    assert ex.doc_type_of(notation) == expected


def test_relative_deadline_counts_working_days_past_a_public_holiday():
    # Arrival Tue 28/4/2026: Wed 29/4 is the 1st working day; 30/4 and 1/5 are holidays, 2–3/5 a weekend; then
    # 4, 5, 6 and 7/5 → the 5th working day is Thu 7/5 (a naive count of weekdays would say 5/5).
    found = ex.find_deadlines("Báo cáo trong vòng 05 (năm) ngày làm việc kể từ ngày nhận văn bản.",
                              issued=date(2026, 4, 27), arrival=date(2026, 4, 28), add_working_days=ADD)
    assert [d.due_date for d in found] == ["2026-05-07"]


def test_deadlines_in_words_periods_calendar_days_and_meetings():
    text = ("Hoàn thành trước ngày 15 tháng 6 năm 2026. Nộp chậm nhất ngày 30/6. Hoàn thành trong quý III/2026. "
            "Trong thời hạn 15 ngày kể từ ngày ký phải ban hành kế hoạch. "
            "Thời gian: 14 giờ 00, ngày 20/4/2026 tại Hội trường.")
    found = ex.find_deadlines(text, issued=date(2026, 4, 10), arrival=date(2026, 4, 13), add_working_days=ADD)
    assert [(d.due_date, d.kind) for d in found] == [
        ("2026-06-15", "deadline"), ("2026-06-30", "deadline"), ("2026-09-30", "deadline"),
        ("2026-04-25", "deadline"), ("2026-04-20", "meeting")]
    assert found[-1].time == "14:00"


def test_entities_agencies_communes_amounts_and_dates():
    def resolve(text: str):
        return {"xã Gia Viễn": ("13000", "Xã Gia Viễn"), "phường Phủ Lý": ("13285", "Phường Phủ Lý")}.get(text)

    gaz = ex.Gazetteer(agencies=[("Sở Tài chính", "STC"), ("Thuế tỉnh", "THUE")], resolve_commune=resolve)
    found = ex.extract(FINANCE_TEXT, arrival=date(2026, 3, 6), gazetteer=gaz, add_working_days=ADD)
    names = [a["name"] for a in found.entities["agencies"]]
    assert names[:4] == ["Chính phủ", "Bộ Tài chính", "Sở Tài chính", "Thuế tỉnh"]
    assert [c["code"] for c in found.entities["communes"]] == ["13000", "13285"]
    assert found.entities["amounts"] == [{"text": "1.250 triệu đồng", "value": 1_250_000_000.0}]
    assert "2026-04-15" in found.entities["dates"]


def test_summary_is_the_subject_and_the_sentences_with_requests_and_deadlines():
    found = ex.extract(FINANCE_TEXT, arrival=date(2026, 3, 6), add_working_days=ADD)
    assert found.summary[0] == found.subject
    assert any("trước 16 giờ ngày 15/4/2026" in s for s in found.summary[1:])
    assert any("10 ngày làm việc" in s for s in found.summary[1:])
    assert not any(s.startswith("Nơi nhận") for s in found.summary)


def test_urgency_marks_and_a_department_under_its_parent_body():
    text = doc_text(body="Đề nghị xử lý.").replace("Kính gửi", "THƯỢNG KHẨN\nKính gửi")
    found = ex.extract(text)
    assert (found.organ_name, found.priority, found.code_notation) == ("Sở Y tế", "thuong_khan", "SYT-NVY")
    assert ex.extract(doc_text().replace("Kính gửi", "KHẨN\nKính gửi")).priority == "khan"


def test_text_without_a_header_gives_what_it_can():
    found = ex.extract("Đề nghị các đơn vị báo cáo trước ngày 10/5/2026.", arrival=date(2026, 5, 4))
    assert found.code_number is None and found.organ_name is None and found.subject is None
    assert [d.due_date for d in found.deadlines] == ["2026-05-10"]


def test_text_layer_variants_columns_on_separate_lines_upper_case_number_wrapped_subject():
    text = ("CÔNG TY TNHH MAY XUẤT KHẨU TAM ĐIỆP\nCỘNG HOÀ XÃ HỘI CHỦ NGHĨA VIỆT NAM\nĐộc lập - Tự do - Hạnh phúc\n"
            "SỐ: 414 /KTĐ-KD\nNinh Bình, ngày 29 tháng 10 năm 2026\nV/v: đề nghị giao đất, cho thuê đất\n"
            "thực hiện dự án tại phường Duy Hà\n\nKính gửi: Ủy ban nhân dân tỉnh Ninh Bình.\n")
    found = ex.extract(text)
    assert (found.code_number, found.code_notation, found.doc_type) == ("414", "KTĐ-KD", "CV")
    assert found.organ_name == "Công ty TNHH May Xuất Khẩu Tam Điệp"  # an unknown enterprise: its words capitalised
    assert found.subject == "Đề nghị giao đất, cho thuê đất thực hiện dự án tại phường Duy Hà"
