"""Incoming documents: extraction accuracy per field and routing accuracy on a held-out split of the demo year.

The demo generator (``documents/demo_texts.py``) makes a year of documents with their true metadata and the office's
routing; the newest 20 % (by arrival date) are held out: the routing model is trained on the older 80 % only and
never sees them, and its settings (documents/routing.py) were chosen on a validation split cut from those older
80 %. Printed, in the same run:

* extraction accuracy per field on the held-out documents (rules; case and spacing ignored) and throughput
  (documents/s, with the agency and commune gazetteer and the working-day calendar);
* routing accuracy@1, accuracy@3 and macro-F1 of the model (underthesea_core logistic regression) against a
  majority-class baseline (always the most frequent lead department of the training split) and a keyword baseline
  (documents/routing.py KEYWORDS), plus underthesea_core's TF-IDF + linear SVM text classifier (top-1 only);
* training time and prediction throughput.

    uv run python bench/documents.py [--count 1400] [--seed 7] [--write-test held-out.jsonl]

``--write-test`` writes the held-out documents as JSONL for ``dieuhanh documents evaluate``.
"""

from __future__ import annotations

import argparse
import json
import random
import sys
import time
from collections import Counter
from datetime import date
from functools import partial
from pathlib import Path

from dieuhanh.documents import demo_texts, evaluation, routing
from dieuhanh.documents.calendar import add_working_days
from dieuhanh.documents.calendar import is_working as working
from dieuhanh.documents.extract import Gazetteer, extract
from dieuhanh.geo import reference
from dieuhanh.orgs.catalogue import DEPARTMENTS, SECTORS
from dieuhanh.publicservices.calendar import WorkingCalendar


def perturb(text: str, rng: random.Random) -> str:
    """What real text layers do to a document: header columns come out as separate lines (left column first) or
    joined by runs of spaces, long lines wrap at 60–90 characters, "Số:" is spaced or upper case."""
    lines = text.split("\n")
    head, body = lines[:8], lines[8:]
    if rng.random() < 0.5:
        left = [ln.split("\t\t")[0] for ln in head if ln.split("\t\t")[0].strip()]
        right = [ln.split("\t\t")[1] for ln in head if "\t\t" in ln and ln.split("\t\t")[1].strip()]
        rest = [ln for ln in head if "\t\t" not in ln]
        head = left + right + rest
    else:
        head = [ln.replace("\t\t", " " * rng.randint(3, 9)) for ln in head]
    head = [ln.replace("Số:", rng.choice(("Số:", "Số :", "SỐ:"))) for ln in head]
    wrapped: list[str] = []
    for ln in body:
        width = rng.randint(60, 90)
        while len(ln) > width and " " in ln[:width]:
            cut = ln[:width].rfind(" ")
            wrapped.append(ln[:cut])
            ln = ln[cut + 1:]
        wrapped.append(ln)
    return "\n".join(head + wrapped)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--count", type=int, default=1400)
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--today", default=date.today().isoformat())
    parser.add_argument("--write-test", type=Path)
    args = parser.parse_args()

    calendar = WorkingCalendar()
    communes = [(u.code, u.name) for u in reference.communes_of("37")]
    docs = demo_texts.generate(random.Random(args.seed), date.fromisoformat(args.today), count=args.count,
                               communes=communes, is_working=partial(working, calendar))
    cut = int(len(docs) * 0.8)
    train_docs, test_docs = docs[:cut], docs[cut:]
    print(f"Văn bản sinh: {len(docs)} (huấn luyện {len(train_docs)}, đến {train_docs[-1].arrival_date}; "
          f"kiểm tra giữ lại {len(test_docs)}, từ {test_docs[0].arrival_date} đến {test_docs[-1].arrival_date})")

    # ---- extraction
    by_name = {name.lower(): (name, None) for _, name in communes}

    def resolve(text: str) -> tuple[str, str] | None:
        found = reference.resolve_address("37", text)
        return (found.code, found.name or "") if found.code else by_name.get(text.lower())

    gazetteer = Gazetteer(agencies=[(name, code) for code, name in DEPARTMENTS + SECTORS], resolve_commune=resolve)
    adder = partial(add_working_days, calendar)
    extract(docs[0].text, arrival=docs[0].arrival_date, gazetteer=gazetteer, add_working_days=adder)  # warm caches
    started = time.perf_counter()
    found = [extract(d.text, arrival=d.arrival_date, gazetteer=gazetteer, add_working_days=adder) for d in test_docs]
    seconds = time.perf_counter() - started
    pairs = list(zip(test_docs, found, strict=True))
    accuracy = evaluation.field_accuracy((d.expected(), evaluation.field_values(f)) for d, f in pairs)
    communes_found = sum(1 for d, f in pairs if set(d.commune_codes) <= {c["code"] for c in f.entities["communes"]})
    print("\nTrích xuất (quy tắc) trên tập giữ lại — độ chính xác từng trường:")
    for name, row in accuracy.items():
        print(f"  {name:<14} {row['accuracy']:6.1%}  ({int(row['correct'])}/{int(row['n'])})")
    print(f"  {'xã, phường':<14} {communes_found / len(test_docs):6.1%}  (văn bản có đủ xã, phường được nêu)")
    print(f"  tốc độ: {len(test_docs) / seconds:,.0f} văn bản/giây ({1000 * seconds / len(test_docs):.1f} ms/văn bản)")
    noise = random.Random(args.seed + 1)
    noisy = [extract(perturb(d.text, noise), arrival=d.arrival_date, gazetteer=gazetteer, add_working_days=adder)
             for d in test_docs]
    noisy_accuracy = evaluation.field_accuracy((d.expected(), evaluation.field_values(f))
                                               for d, f in zip(test_docs, noisy, strict=True))
    print("  cùng văn bản qua «lớp chữ» nhiễu (cột đầu trang tách dòng hoặc nối bằng dấu cách, dòng ngắt 60–90 ký tự):")
    print("  " + ", ".join(f"{name} {row['accuracy']:.1%}" for name, row in noisy_accuracy.items()))

    # ---- routing
    def example(d: demo_texts.GeneratedDocument) -> routing.Example:
        return routing.Example(subject=d.subject, text=d.text, organ=d.organ_name, doc_type=d.doc_type, lead=d.lead,
                               cooperating=d.cooperating)

    train_ex = [example(d) for d in train_docs]
    test_ex = [example(d) for d in test_docs]
    started = time.perf_counter()
    trained = routing.train(train_ex)
    train_seconds = time.perf_counter() - started
    router = routing.Router(trained.lead_blob, trained.coop_blob)
    started = time.perf_counter()
    predictions = [router.predict(e) for e in test_ex]
    predict_seconds = time.perf_counter() - started
    truth = [str(e.lead) for e in test_ex]
    model = routing.evaluate([[c for c, _ in p.lead] for p in predictions], truth)
    counts = Counter(str(e.lead) for e in train_ex)
    majority_order = [c for c, _ in counts.most_common()]
    majority = routing.evaluate([majority_order for _ in test_ex], truth)
    keywords = routing.evaluate([[c for c, _ in routing.keyword_prediction(e).lead] for e in test_ex], truth)
    svm_line = "  TF-IDF + SVM (underthesea_core)     không chạy được"
    try:
        import underthesea_core as uc

        started = time.perf_counter()
        svm = uc.TextClassifier(max_features=20000, ngram_range=(1, 2))
        svm.fit([e.subject for e in train_ex], truth_train := [str(e.lead) for e in train_ex])
        svm_seconds = time.perf_counter() - started
        svm_top1 = [[svm.predict(e.subject)] for e in test_ex]
        svm_scores = routing.evaluate(svm_top1, truth)
        svm_line = (f"  {'TF-IDF + SVM (chỉ top-1)':<34} {svm_scores['accuracy_at_1']:6.1%}     –     "
                    f"{svm_scores['macro_f1']:6.1%}   huấn luyện {svm_seconds:.2f} s")
        del truth_train
    except Exception as exc:  # a baseline only: say why it did not run
        svm_line += f" ({exc})"
    coop_truth = [(set(e.cooperating) - {e.lead}) for e in test_ex]
    coop_pred = [{c for c, _ in p.cooperating} for p in predictions]
    tp = sum(len(t & p) for t, p in zip(coop_truth, coop_pred, strict=True))
    precision = tp / max(1, sum(len(p) for p in coop_pred))
    recall = tp / max(1, sum(len(t) for t in coop_truth))
    threshold = 0.6
    low = [p.confidence < threshold for p in predictions]
    right_when_sure = [p.lead[0][0] == t for p, t, lw in zip(predictions, truth, low, strict=True) if not lw]
    print(f"\nGợi ý cơ quan chủ trì trên tập giữ lại ({len(test_ex)} văn bản, {len(counts)} cơ quan):")
    print(f"  {'phương pháp':<34} {'acc@1':>6} {'acc@3':>7} {'macro-F1':>9}")
    for label, scores in (("mô hình (LR, underthesea_core)", model), ("đường cơ sở: lớp phổ biến nhất", majority),
                          ("đường cơ sở: từ khóa", keywords)):
        print(f"  {label:<34} {scores['accuracy_at_1']:6.1%} {scores['accuracy_at_3']:7.1%} {scores['macro_f1']:9.1%}")
    print(svm_line)
    print(f"  cơ quan phối hợp: precision {precision:.1%}, recall {recall:.1%}")
    print(f"  «cần xem» (độ tin cậy < {threshold:.0%}): {sum(low)}/{len(low)} văn bản; đúng {sum(right_when_sure)}/"
          f"{len(right_when_sure)} ({sum(right_when_sure) / max(1, len(right_when_sure)):.1%}) ở các văn bản còn lại")
    print(f"  huấn luyện: {train_seconds:.2f} s trên {trained.examples} văn bản; gợi ý: "
          f"{len(test_ex) / predict_seconds:,.0f} văn bản/giây")

    if args.write_test:
        with args.write_test.open("w", encoding="utf-8") as handle:
            for d in test_docs:
                handle.write(json.dumps({"text": d.text, "arrival_date": d.arrival_date.isoformat(), "lead": d.lead,
                                         "cooperating": d.cooperating, "expected": d.expected()},
                                        ensure_ascii=False) + "\n")
        print(f"\nĐã ghi tập giữ lại vào {args.write_test} (dùng với `dieuhanh documents evaluate`).")


if __name__ == "__main__":
    sys.exit(main())
