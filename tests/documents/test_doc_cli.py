"""`dieuhanh documents train` and `dieuhanh documents evaluate FILE.jsonl` on a data directory, through the real
command line (Typer's runner in this process: a child process would spend most of its time importing). The commands
call the same service functions the API tests check on both stores, so they run once, on SQLite."""

from __future__ import annotations

import json
import os
from datetime import date, timedelta
from pathlib import Path

import pytest
from doc_helpers import FINANCE_TEXT, doc_text
from sqlalchemy import insert
from typer.testing import CliRunner

from dieuhanh.core.bootstrap import bootstrap
from dieuhanh.core.db import Database
from dieuhanh.core.errors import InvalidInput
from dieuhanh.core.migrate import upgrade
from dieuhanh.documents import evaluation
from dieuhanh.documents.models import Document, DocumentAssignment


def run(args: list[str]):  # type: ignore[no-untyped-def]
    from dieuhanh.cli import app

    return CliRunner().invoke(app, args, env={"COLUMNS": "200"})


SUBJECTS = {"SYT": ["phòng chống dịch sốt xuất huyết", "tiêm chủng vắc xin sởi", "khám chữa bệnh bảo hiểm y tế"],
            "STC": ["dự toán ngân sách nhà nước", "quyết toán kinh phí chương trình", "tài sản công là nhà đất"],
            "SGDDT": ["tuyển sinh lớp 10", "thi tốt nghiệp trung học phổ thông", "an toàn trường học"]}


def test_train_then_evaluate_a_labelled_file(tmp_path: Path, monkeypatch: pytest.MonkeyPatch):
    data = tmp_path / "var"
    data.mkdir()
    for key in [k for k in os.environ if k.startswith("DIEUHANH_")]:
        monkeypatch.delenv(key)
    monkeypatch.setenv("DIEUHANH_DATA_DIR", str(data))
    db = Database(f"sqlite:///{data / 'dieuhanh.db'}")
    upgrade(db.engine)
    with db.session() as s:
        bootstrap(s, province_code="37")
    # 36 confirmed routings written directly (the API tests cover registering and assigning one by one)
    day = date(2026, 1, 5)
    docs, assignments = [], []
    for r in range(4):
        for lead, subjects in SUBJECTS.items():
            for subject in subjects:
                doc_id = len(docs) + 1
                docs.append({"id": doc_id, "arrival_number": doc_id, "arrival_date": day, "status": "assigned",
                             "subject": f"{subject} lần {r}", "lead_agency_code": lead,
                             "handling_due": day + timedelta(days=9)})
                assignments.append({"document_id": doc_id, "agency_code": lead, "role": "chu_tri"})
    with db.session() as s:
        s.execute(insert(Document), docs)
        s.execute(insert(DocumentAssignment), assignments)
    db.dispose()
    trained = run(["documents", "train"])
    assert trained.exit_code == 0, trained.output
    assert "Đã học gợi ý phân công từ 36 văn bản (3 cơ quan chủ trì)" in trained.output
    labelled = tmp_path / "nhan.jsonl"
    rows = [
        {"text": doc_text(subject="phòng chống dịch sốt xuất huyết mùa mưa"), "lead": "SYT",
         "expected": {"code_number": "45", "code_notation": "SYT-NVY", "doc_type": "CV", "organ_name": "Sở Y tế",
                      "deadlines": ["2026-04-20"]}},
        {"subject": "Dự toán ngân sách nhà nước năm 2027", "lead": "STC"},
        {"subject": "Tuyển sinh lớp 10 năm học mới", "lead": "SGDDT"},
        {"text": FINANCE_TEXT, "arrival_date": "2026-03-06", "lead": "SGDDT",
         "expected": {"code_number": "1234", "priority": "hoa_toc", "issued_date": "2026-03-05", "doc_type": "QĐ"}},
    ]
    labelled.write_text("\n".join(json.dumps(r, ensure_ascii=False) for r in rows) + "\n", encoding="utf-8")
    result = run(["documents", "evaluate", str(labelled)])
    assert result.exit_code == 0, result.output
    out = result.output
    assert "accuracy@1 = 0.750" in out and "accuracy@3 = 1.000" in out and "macro-F1" in out
    assert "code_number    1.000  (2/2)" in out
    assert "doc_type       0.500  (1/2)" in out  # the second row's expectation is wrong on purpose


def test_a_broken_labelled_file_names_its_line(tmp_path: Path):
    broken = tmp_path / "hong.jsonl"
    broken.write_text('{"text": "x", "lead": "SYT"}\n{oops\n', encoding="utf-8")
    with pytest.raises(InvalidInput, match="Dòng 2 của hong.jsonl: JSON không hợp lệ"):
        evaluation.read_jsonl(broken)
    broken.write_text('{"lead": "SYT"}\n', encoding="utf-8")
    with pytest.raises(InvalidInput, match="Dòng 1 .* cần «text» hoặc «subject»"):
        evaluation.read_jsonl(broken)
