"""The documents API as the e-office system, a clerk, a leader and departments use it (both stores)."""

from __future__ import annotations

import json

from doc_helpers import FINANCE_TEXT, doc_text, docx_bytes, pdf_bytes, scanned_pdf_bytes
from sqlalchemy import func, select

from conftest import csrf_from, login
from dieuhanh.core.audit import AuditEntry
from dieuhanh.documents.models import Document, DocumentFile

API = "/api/v1/documents"


def bearer(secret: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {secret}"}


def test_eoffice_push_with_nd30_fields_and_text_is_registered_and_extracted(client, factory, db):
    _, secret = factory.token(["documents"], agency="VPUBND", name="quan-ly-van-ban")
    body = {"CodeNumber": "1234", "CodeNotation": "BTC-NSNN", "OrganName": "Bộ Tài chính", "IssuedDate": "05/03/2026",
            "ArrivalDate": "2026-03-06", "ArrivalNumber": 77, "Priority": 3, "ToPlaces": ["UBND tỉnh Ninh Bình"],
            "text": FINANCE_TEXT}
    r = client.post(API, json=body, headers=bearer(secret))
    assert r.status_code == 201, r.text
    doc = r.json()
    assert doc["arrival_number"] == 77 and doc["source"] == "eoffice"
    ext = doc["extracted"]
    assert (ext["code_number"], ext["code_notation"], ext["doc_type"], ext["priority"]) == ("1234", "BTC-NSNN", "CV",
                                                                                            "hoa_toc")
    assert ext["subject"].startswith("Báo cáo tình hình thực hiện dự toán")
    assert ext["issued_date"] == "2026-03-05"
    assert [(d["text"], d["due_date"]) for d in ext["deadlines"]] == [
        ("trước 16 giờ ngày 15/4/2026", "2026-04-15"),
        ("trong thời hạn 10 ngày làm việc kể từ ngày nhận được", "2026-03-20")]
    assert doc["due_date"] == "2026-03-20"  # the earliest deadline
    assert set(doc["provided"]) >= {"code_number", "organ_name", "priority"} and "subject" not in doc["provided"]
    # the same number + notation + issuer again (paper copy): registered and flagged as a duplicate
    again = client.post(API, json={k: v for k, v in body.items() if k != "ArrivalNumber"}, headers=bearer(secret))
    assert again.status_code == 201 and again.json()["duplicate_of"] == doc["id"]
    listed = client.get(f"{API}?status=duplicate", headers=bearer(secret)).json()
    assert [d["id"] for d in listed["items"]] == [again.json()["id"]]
    with db.session() as s:
        assert s.scalar(select(func.count(AuditEntry.id)).where(AuditEntry.action == "document.register")) == 2


def test_docx_and_pdf_uploads_are_read_and_kept(client, factory, db):
    _, secret = factory.token(["documents"], agency="VPUBND")
    text = doc_text(number="88", notation="KH-SYT", organ="SỞ Y TẾ", subject="triển khai tiêm chủng vắc xin sởi")
    for name, data in (("ke-hoach.docx", docx_bytes(text)), ("ke-hoach.pdf", pdf_bytes(text.replace("88/", "89/")))):
        r = client.post(API, files={"file": (name, data)}, data={"ArrivalDate": "2026-04-03"}, headers=bearer(secret))
        assert r.status_code == 201, r.text
        doc = r.json()
        assert doc["input_kind"] == name.rsplit(".", 1)[1]
        assert doc["extracted"]["code_notation"] == "KH-SYT" and doc["doc_type"] == "KH"
        assert doc["organ_name"] == "Sở Y tế"
        assert doc["extracted"]["deadlines"][0]["due_date"] == "2026-04-20"
        assert doc["file"]["filename"] == name
        download = client.get(doc["file"]["url"], headers=bearer(secret))
        assert download.status_code == 200 and download.content == data
    with db.session() as s:
        assert s.scalar(select(func.count(DocumentFile.id))) == 2


def test_scanned_pdf_needs_typed_metadata(client, factory, db):
    _, secret = factory.token(["documents"], agency="VPUBND")
    scan = scanned_pdf_bytes()
    r = client.post(API, files={"file": ("scan.pdf", scan)}, headers=bearer(secret))
    assert r.status_code == 422
    assert "bản quét" in r.json()["detail"]
    assert {e["field"] for e in r.json()["errors"]} == {"Subject", "CodeNotation", "OrganName"}
    meta = {"CodeNumber": "12", "CodeNotation": "TB-VPCP", "OrganName": "Văn phòng Chính phủ",
            "Subject": "Kết luận của Thủ tướng Chính phủ tại buổi làm việc với tỉnh", "DueDate": "30/04/2026"}
    r = client.post(API, files={"file": ("scan.pdf", scan)}, data={"metadata": json.dumps(meta)},
                    headers=bearer(secret))
    assert r.status_code == 201, r.text
    assert r.json()["input_kind"] == "scan" and r.json()["doc_type"] == "TB" and r.json()["due_date"] == "2026-04-30"
    with db.session() as s:
        assert s.scalar(select(func.count(Document.id))) == 1  # the refused upload left nothing


def test_bad_uploads_get_clear_errors_and_store_nothing(client, factory, db, settings):
    _, secret = factory.token(["documents"], agency="VPUBND")
    cases = [
        (("anh.png", b"\x89PNG\r\n\x1a\n" + b"\x00" * 100), 422, "chỉ nhận PDF, DOCX"),
        (("hong.pdf", b"%PDF-1.7 rubbish"), 422, "Không đọc được tệp PDF"),
        (("cu.doc", b"\xd0\xcf\x11\xe0" + b"\x00" * 50), 422, "Word cũ"),
        (("nen.docx", b"PK\x03\x04" + b"\x00" * 50), 422, "DOCX"),
    ]
    for file, status, message in cases:
        r = client.post(API, files={"file": file}, headers=bearer(secret))
        assert r.status_code == status and message in r.json()["detail"], (file[0], r.text)
    big = b"a" * (settings.documents_max_upload_mb * 1024 * 1024 + 10)
    r = client.post(API, files={"file": ("to.txt", big)}, headers=bearer(secret))
    assert r.status_code == 413
    r = client.post(API, json={"Subject": "x", "Priority": "rất gấp", "IssuedDate": "31/02/2026"},
                    headers=bearer(secret))
    assert r.status_code == 422 and {e["field"] for e in r.json()["errors"]} == {"Priority", "IssuedDate"}
    r = client.post(API, json={"Subject": "x", "Khac": 1}, headers=bearer(secret))
    assert r.status_code == 422 and r.json()["errors"][0]["field"] == "Khac"
    with db.session() as s:
        assert s.scalar(select(func.count(Document.id))) == 0


def test_extract_endpoint_stores_nothing(client, factory, db):
    _, secret = factory.token(["read"])
    r = client.post(f"{API}/extract", json={"text": FINANCE_TEXT, "ArrivalDate": "2026-03-06"}, headers=bearer(secret))
    assert r.status_code == 200, r.text
    ext = r.json()["extracted"]
    assert ext["code"] == "1234/BTC-NSNN" and ext["organ_name"] == "Bộ Tài chính"
    assert {a["code"] for a in ext["entities"]["agencies"]} >= {"STC", "THUE", "BTC"}
    assert [c["name"] for c in ext["entities"]["communes"]] == ["Xã Gia Viễn", "Phường Phủ Lý"]
    r = client.post(f"{API}/extract", files={"file": ("vb.docx", docx_bytes(FINANCE_TEXT))}, headers=bearer(secret))
    assert r.status_code == 200 and r.json()["input_kind"] == "docx"
    assert r.json()["extracted"]["priority"] == "hoa_toc"
    with db.session() as s:
        assert s.scalar(select(func.count(Document.id))) == 0


def test_who_may_register_and_read(client, factory):
    _, other = factory.token(["datasets"], agency="SYT")
    assert client.post(API, json={"Subject": "Thử"}, headers=bearer(other)).status_code == 403
    assert client.get(API).status_code == 401
    _, officer, _ = factory.user("officer", agency="SYT")
    login(client, officer)
    # an officer of a department (not the office) may not register, and sees only documents of their department
    r = client.post(API, json={"Subject": "Thử"}, headers={"X-CSRF-Token": csrf_from(client)})
    assert r.status_code == 403
    assert client.get(API).json()["total"] == 0


def test_list_filters_are_bounded_and_checked(client, factory):
    _, secret = factory.token(["read"])
    assert client.get(f"{API}?status=khong-co", headers=bearer(secret)).status_code == 422
    assert client.get(f"{API}?page=0", headers=bearer(secret)).status_code == 422
    assert client.get(f"{API}?month=2026-13", headers=bearer(secret)).status_code == 422
    assert client.get(f"{API}/999999999999", headers=bearer(secret)).status_code == 422
    assert client.get(f"{API}/123", headers=bearer(secret)).status_code == 404


def test_a_department_token_acts_only_for_its_department(client, factory, db):
    from dieuhanh.core.security import SYSTEM
    from dieuhanh.documents import service
    from dieuhanh.documents.schemas import DocumentIn

    with db.session() as s:
        mine = service.register(s, principal=SYSTEM, data=DocumentIn(Subject="Kế hoạch tiêm chủng")).document
        service.assign(s, principal=SYSTEM, document=mine, lead="SYT", cooperating=[], due_date=None,
                       instruction=None)
        service.register(s, principal=SYSTEM, data=DocumentIn(Subject="Dự toán ngân sách"))
        mine_id = mine.id
    _, secret = factory.token(["documents"], agency="SYT", name="qlvb-so-y-te")
    headers = bearer(secret)
    assert client.post(API, json={"Subject": "Thử"}, headers=headers).status_code == 403
    assert [d["id"] for d in client.get(API, headers=headers).json()["items"]] == [mine_id]
    r = client.post(f"{API}/{mine_id}/progress", json={"done": True, "note": "Xong"}, headers=headers)
    assert r.status_code == 200 and r.json()["status"] == "done"
    assert client.post(API, json={"Subject": "Thử", "ArrivalDate": "01/01/0001"},
                       headers=bearer(factory.token(["documents"], agency="VPUBND")[1])).status_code == 422
