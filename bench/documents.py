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
* training time and prediction throughput, over ``--runs`` rounds with the variants interleaved (order reversed every
  other round): median, min–max and the load average (``bench/rounds.py``). Extraction, the baselines and the SVM
  are deterministic for a given ``--seed``, ``--count`` and ``--today`` (the demo year ends on that day): computed
  once, and every round checks that extraction and the retrained SVM give the same answers again. underthesea_core's
  ``LRTrainer`` shuffles with a seed of its own that no option fixes, so the routing model's figures are the median
  (min–max) over the model trained in each round.

    uv run python bench/documents.py [--count 1400] [--seed 7] [--runs 3] [--today 2026-12-07] [--write-test F]

``--write-test`` writes the held-out documents as JSONL for ``dieuhanh documents evaluate``.
"""

from __future__ import annotations

import argparse
import json
import random
import statistics
import sys
from collections import Counter
from datetime import date
from functools import partial
from pathlib import Path
from typing import Any

from rounds import Rounds

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
    parser.add_argument("--runs", type=int, default=3, help="interleaved rounds of the timings")
    args = parser.parse_args()

    calendar = WorkingCalendar()
    communes = [(u.code, u.name) for u in reference.communes_of("37")]
    docs = demo_texts.generate(random.Random(args.seed), date.fromisoformat(args.today), count=args.count,
                               communes=communes, is_working=partial(working, calendar))
    cut = int(len(docs) * 0.8)
    train_docs, test_docs = docs[:cut], docs[cut:]
    print(f"Văn bản sinh: {len(docs)} (huấn luyện {len(train_docs)}, đến {train_docs[-1].arrival_date}; "
          f"kiểm tra giữ lại {len(test_docs)}, từ {test_docs[0].arrival_date} đến {test_docs[-1].arrival_date})")

    # ---- set-up: the gazetteer, the examples, one model of each kind for the quality figures
    by_name = {name.lower(): (name, None) for _, name in communes}

    def resolve(text: str) -> tuple[str, str] | None:
        found = reference.resolve_address("37", text)
        return (found.code, found.name or "") if found.code else by_name.get(text.lower())

    gazetteer = Gazetteer(agencies=[(name, code) for code, name in DEPARTMENTS + SECTORS], resolve_commune=resolve)
    adder = partial(add_working_days, calendar)

    def extract_all() -> list[Any]:
        return [extract(d.text, arrival=d.arrival_date, gazetteer=gazetteer, add_working_days=adder)
                for d in test_docs]

    def example(d: demo_texts.GeneratedDocument) -> routing.Example:
        return routing.Example(subject=d.subject, text=d.text, organ=d.organ_name, doc_type=d.doc_type, lead=d.lead,
                               cooperating=d.cooperating)

    train_ex = [example(d) for d in train_docs]
    test_ex = [example(d) for d in test_docs]
    truth_train = [str(e.lead) for e in train_ex]
    try:
        import underthesea_core as uc
    except ImportError as exc:  # a baseline only: say why it did not run
        uc, svm_error = None, str(exc)

    def train_svm() -> Any:
        assert uc is not None
        svm = uc.TextClassifier(max_features=20000, ngram_range=(1, 2))
        svm.fit([e.subject for e in train_ex], truth_train)
        return svm

    # Warm-up, and the models the prediction timings use. Extraction and the SVM's answers are the quality figures
    # and every round must give them again; the LR model's figures are those of each round's model (see below).
    found = extract_all()
    trained = routing.train(train_ex)
    router = routing.Router(trained.lead_blob, trained.coop_blob)
    svm = train_svm() if uc is not None else None
    svm_top1 = [svm.predict(e.subject) for e in test_ex] if svm is not None else []

    truth = [str(e.lead) for e in test_ex]
    threshold = 0.6
    coop_truth = [(set(e.cooperating) - {e.lead}) for e in test_ex]

    def quality(preds: list[routing.Prediction]) -> dict[str, float]:
        """Accuracy@1/@3, macro-F1, cooperating precision/recall, «cần xem» and accuracy elsewhere."""
        scores = routing.evaluate([[c for c, _ in p.lead] for p in preds], truth)
        coop_pred = [{c for c, _ in p.cooperating} for p in preds]
        tp = sum(len(t & p) for t, p in zip(coop_truth, coop_pred, strict=True))
        sure = [p.lead[0][0] == t for p, t in zip(preds, truth, strict=True) if p.confidence >= threshold]
        return {**scores, "coop_precision": tp / max(1, sum(len(p) for p in coop_pred)),
                "coop_recall": tp / max(1, sum(len(t) for t in coop_truth)), "review": len(preds) - len(sure),
                "right_when_sure": sum(sure) / max(1, len(sure))}

    model_runs: list[dict[str, float]] = []  # one per round: the model trained in that round

    # ---- timings: every variant once per round, the order reversed every other round
    rounds = Rounds(args.runs)
    same = {"trích xuất": True, "TF-IDF + SVM": True}
    n_test = len(test_docs)

    variants = ["extract", "train", "predict", "keywords"] + (["train_svm", "predict_svm"] if uc is not None else [])
    for variant in rounds.order(variants):
        if variant == "extract":
            again = rounds.rate(variant, n_test, extract_all)
            same["trích xuất"] &= [evaluation.field_values(f) for f in again] == \
                [evaluation.field_values(f) for f in found]
        elif variant == "train":
            retrained = rounds.timed(variant, lambda: routing.train(train_ex))
            other = routing.Router(retrained.lead_blob, retrained.coop_blob)
            model_runs.append(quality([other.predict(e) for e in test_ex]))
        elif variant == "predict":
            rounds.rate(variant, n_test, lambda: [router.predict(e) for e in test_ex])
        elif variant == "keywords":
            rounds.rate(variant, n_test, lambda: [routing.keyword_prediction(e) for e in test_ex])
        elif variant == "train_svm":
            fitted = rounds.timed(variant, train_svm)
            same["TF-IDF + SVM"] &= [fitted.predict(e.subject) for e in test_ex] == svm_top1
        elif variant == "predict_svm":
            assert svm is not None
            rounds.rate(variant, n_test, lambda: [svm.predict(e.subject) for e in test_ex])

    # ---- extraction quality (deterministic for a given --seed, --count and --today)
    pairs = list(zip(test_docs, found, strict=True))
    accuracy = evaluation.field_accuracy((d.expected(), evaluation.field_values(f)) for d, f in pairs)
    communes_found = sum(1 for d, f in pairs if set(d.commune_codes) <= {c["code"] for c in f.entities["communes"]})
    print("\nTrích xuất (quy tắc) trên tập giữ lại — độ chính xác từng trường (tất định: cùng --seed, --count, "
          "--today thì cùng số):")
    for name, row in accuracy.items():
        print(f"  {name:<14} {row['accuracy']:6.1%}  ({int(row['correct'])}/{int(row['n'])})")
    print(f"  {'xã, phường':<14} {communes_found / len(test_docs):6.1%}  (văn bản có đủ xã, phường được nêu)")
    noise = random.Random(args.seed + 1)
    noisy = [extract(perturb(d.text, noise), arrival=d.arrival_date, gazetteer=gazetteer, add_working_days=adder)
             for d in test_docs]
    noisy_accuracy = evaluation.field_accuracy((d.expected(), evaluation.field_values(f))
                                               for d, f in zip(test_docs, noisy, strict=True))
    print("  cùng văn bản qua «lớp chữ» nhiễu (cột đầu trang tách dòng hoặc nối bằng dấu cách, dòng ngắt 60–90 ký tự):")
    print("  " + ", ".join(f"{name} {row['accuracy']:.1%}" for name, row in noisy_accuracy.items()))

    # ---- routing quality: the baselines are deterministic; underthesea_core's LRTrainer shuffles with a seed of its
    # own (no option to fix it), so the model's figures are those of every round's model: median (min–max).
    counts = Counter(str(e.lead) for e in train_ex)
    majority_order = [c for c, _ in counts.most_common()]
    majority = routing.evaluate([majority_order for _ in test_ex], truth)
    keywords = routing.evaluate([[c for c, _ in routing.keyword_prediction(e).lead] for e in test_ex], truth)

    def med(key: str, pct: bool = True) -> str:
        values = [r[key] for r in model_runs]
        if not pct:
            return f"{statistics.median(values):.0f} ({min(values):.0f}–{max(values):.0f})"
        return f"{statistics.median(values):.1%} ({100 * min(values):.1f}–{100 * max(values):.1f})"

    print(f"\nGợi ý cơ quan chủ trì trên tập giữ lại ({len(test_ex)} văn bản, {len(counts)} cơ quan):")
    print(f"  {'phương pháp':<34} {'acc@1':>6} {'acc@3':>7} {'macro-F1':>9}")
    for label, scores in (("đường cơ sở: lớp phổ biến nhất", majority), ("đường cơ sở: từ khóa", keywords)):
        print(f"  {label:<34} {scores['accuracy_at_1']:6.1%} {scores['accuracy_at_3']:7.1%} {scores['macro_f1']:9.1%}")
    if svm is not None:
        svm_scores = routing.evaluate([[p] for p in svm_top1], truth)
        print(f"  {'TF-IDF + SVM (chỉ top-1)':<34} {svm_scores['accuracy_at_1']:6.1%}     –     "
              f"{svm_scores['macro_f1']:6.1%}")
    else:
        print(f"  TF-IDF + SVM (underthesea_core)     không chạy được ({svm_error})")
    print(f"  mô hình (LR, underthesea_core), trung vị (nhỏ nhất–lớn nhất) của {len(model_runs)} lần huấn luyện "
          "(LRTrainer xáo trộn với hạt giống riêng, không cố định được):")
    print(f"    acc@1 {med('accuracy_at_1')}, acc@3 {med('accuracy_at_3')}, macro-F1 {med('macro_f1')}")
    print(f"    cơ quan phối hợp: precision {med('coop_precision')}, recall {med('coop_recall')}")
    print(f"    «cần xem» (độ tin cậy < {threshold:.0%}): {med('review', pct=False)}/{len(test_ex)} văn bản; đúng "
          f"{med('right_when_sure')} ở các văn bản còn lại")
    print("  kết quả giống nhau ở mọi vòng: " + ", ".join(f"{k} {'có' if v else 'KHÔNG'}" for k, v in same.items()))

    # ---- timings
    def report(labels: dict[str, str], unit: str, digits: int) -> None:
        print("\n".join("  " + line for line in rounds.report(labels, unit=unit, digits=digits).splitlines()[:-1]))

    print(f"\nThời gian ({rounds.runs} vòng xen kẽ; trung vị (nhỏ nhất–lớn nhất)):")
    report({"extract": "trích xuất"}, "văn bản/s", 0)
    report({"train": f"huấn luyện mô hình LR ({trained.examples} văn bản)", "train_svm": "huấn luyện TF-IDF + SVM"},
           "s", 3)
    report({"predict": "gợi ý: mô hình LR", "keywords": "gợi ý: từ khóa", "predict_svm": "gợi ý: TF-IDF + SVM"},
           "văn bản/s", 0)
    print(f"  {rounds.load_range()}")

    if args.write_test:
        with args.write_test.open("w", encoding="utf-8") as handle:
            for d in test_docs:
                handle.write(json.dumps({"text": d.text, "arrival_date": d.arrival_date.isoformat(), "lead": d.lead,
                                         "cooperating": d.cooperating, "expected": d.expected()},
                                        ensure_ascii=False) + "\n")
        print(f"\nĐã ghi tập giữ lại vào {args.write_test} (dùng với `dieuhanh documents evaluate`).")


if __name__ == "__main__":
    sys.exit(main())
