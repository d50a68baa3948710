"""Measuring extraction and routing on labelled documents (``dieuhanh documents evaluate``, bench/documents.py).

Fields are compared after normalisation a person would accept: case, spacing and a leading "V/v"/"Về việc" of the
trích yếu do not count; deadlines are compared as the set of due dates.
"""

from __future__ import annotations

import json
import re
import unicodedata
from collections.abc import Callable, Iterable, Sequence
from datetime import date
from pathlib import Path
from typing import Any

from dieuhanh.core.errors import InvalidInput
from dieuhanh.documents import routing
from dieuhanh.documents.extract import Extraction

FIELDS = ("code_number", "code_notation", "doc_type", "organ_name", "issued_place", "issued_date", "subject",
          "priority", "deadlines")


def _norm(value: Any) -> Any:
    if value is None:
        return None
    if isinstance(value, list):
        return sorted(str(v) for v in value)
    text = unicodedata.normalize("NFC", str(value)).lower()
    text = re.sub(r"^(v/v|về việc)\s*:?\s*", "", text.strip())
    text = text.replace("hoà", "hòa").replace("uỷ", "ủy")
    return re.sub(r"\s+", " ", text).strip(" .;")


def field_values(found: Extraction) -> dict[str, Any]:
    data = found.as_dict()
    data["deadlines"] = [d["due_date"] for d in data["deadlines"]]
    return data


def field_accuracy(pairs: Iterable[tuple[dict[str, Any], dict[str, Any]]]) -> dict[str, dict[str, float]]:
    """{field: {n, correct, accuracy}} over (expected, extracted) pairs; a field counts only where expected."""
    out: dict[str, dict[str, float]] = {}
    for expected, got in pairs:
        for name in FIELDS:
            if name not in expected:
                continue
            want = expected[name]
            if name == "deadlines":
                want = [d["due_date"] if isinstance(d, dict) else d for d in want or []]
            row = out.setdefault(name, {"n": 0, "correct": 0})
            row["n"] += 1
            row["correct"] += 1 if _norm(want) == _norm(got.get(name)) else 0
    for row in out.values():
        row["accuracy"] = row["correct"] / row["n"] if row["n"] else 0.0
    return out


def read_jsonl(path: Path) -> list[dict[str, Any]]:
    rows = []
    with path.open(encoding="utf-8") as handle:
        for number, line in enumerate(handle, start=1):
            if not line.strip():
                continue
            try:
                row = json.loads(line)
            except json.JSONDecodeError as exc:
                raise InvalidInput(f"Dòng {number} của {path.name}: JSON không hợp lệ ({exc.msg}).") from None
            if not isinstance(row, dict):
                raise InvalidInput(f"Dòng {number} của {path.name}: cần một đối tượng JSON.")
            if not (row.get("text") or row.get("subject")):
                raise InvalidInput(f"Dòng {number} của {path.name}: cần «text» hoặc «subject».")
            if "cooperating" in row and not isinstance(row["cooperating"], list):
                raise InvalidInput(f"Dòng {number} của {path.name}: «cooperating» phải là danh sách mã cơ quan.")
            rows.append(row)
    if not rows:
        raise InvalidInput(f"Tệp {path.name} không có dòng nào.")
    return rows


def routing_scores(predict: Callable[[routing.Example], Sequence[str]],
                   examples: Sequence[routing.Example]) -> dict[str, float]:
    labelled = [e for e in examples if e.lead]
    return routing.evaluate([list(predict(e)) for e in labelled], [str(e.lead) for e in labelled])


def evaluate_rows(session: Any, rows: list[dict[str, Any]], *, settings: Any) -> dict[str, Any]:
    """Extraction accuracy per field (rows with ``expected``) and routing scores (rows with ``lead``) of the
    installation's current model (or the keyword rules when none is trained yet)."""
    from dieuhanh.documents import service

    pairs = []
    examples = []
    for row in rows:
        text = str(row.get("text") or "")
        arrival = date.fromisoformat(row["arrival_date"]) if row.get("arrival_date") else None
        found = service.extract_text(session, text=text, arrival=arrival, settings=settings) if text else Extraction()
        if isinstance(row.get("expected"), dict):
            pairs.append((row["expected"], field_values(found)))
        if row.get("lead"):
            examples.append(routing.Example(
                subject=str(row.get("subject") or found.subject or ""), text=text,
                organ=row.get("organ_name") or found.organ_name, doc_type=row.get("doc_type") or found.doc_type,
                lead=str(row["lead"]), cooperating=list(row.get("cooperating") or [])))
    model = service.current_model(session)
    known = set(service.agency_names(session))
    if model is not None:
        router = service._router(model)

        def predict(e: routing.Example) -> list[str]:
            return [c for c, _ in router.predict(e, known=known).lead]
        method = f"mô hình số {model.id} (học từ {model.examples} văn bản)"
    else:
        def predict(e: routing.Example) -> list[str]:
            return [c for c, _ in routing.keyword_prediction(e, known=known).lead]
        method = "quy tắc từ khóa (chưa có mô hình: chạy `dieuhanh documents train`)"
    return {"rows": len(rows), "routing": routing_scores(predict, examples) if examples else None,
            "routing_method": method, "extraction": field_accuracy(pairs) if pairs else None}


def format_report(report: dict[str, Any]) -> list[str]:
    lines = [f"Số dòng: {report['rows']}"]
    scores = report.get("routing")
    if scores:
        lines.append(f"Gợi ý cơ quan chủ trì — {report['routing_method']}, {scores['n']} văn bản có nhãn:")
        lines.append(f"  accuracy@1 = {scores['accuracy_at_1']:.3f}")
        lines.append(f"  accuracy@3 = {scores['accuracy_at_3']:.3f}")
        lines.append(f"  macro-F1   = {scores['macro_f1']:.3f}")
    else:
        lines.append("Không có dòng nào có nhãn «lead»: bỏ qua đánh giá phân công.")
    fields = report.get("extraction")
    if fields:
        lines.append("Trích xuất — độ chính xác từng trường:")
        for name, row in fields.items():
            lines.append(f"  {name:<14} {row['accuracy']:.3f}  ({int(row['correct'])}/{int(row['n'])})")
    else:
        lines.append("Không có dòng nào có «expected»: bỏ qua đánh giá trích xuất.")
    return lines
