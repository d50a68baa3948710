"""Open data portal search: ``opendata.service.search`` over many published datasets, against a plain SQL LIKE scan.

Run:

    uv run python bench/search.py [--datasets 10000] [--repeat 1]

A temporary SQLite store (migrated, bootstrapped for province 37) gets N published public datasets, inserted
directly through the models in bulk (titles, descriptions and tags built from the province's open-data vocabulary,
owners spread over the real agencies, 6 columns each). Then, for a set of varied queries (with and without
diacritics, one or several words, facet filters, the empty query, sorts), it times:

(a) ``service.search(session, q=..., filters=..., sort=..., rows=20)`` — what the portal page calls;
(b) a plain SQL ``LIKE`` scan over the same rows: ``count(*)`` plus the first 20 by title, matching every word in
    title, description or tags (case- but not diacritic-insensitive: it is the floor a database gives for free).

The first query after the published set changes builds the in-memory index (printed separately); the timed
queries then score against it and load only the 20 rows shown.

Printed: p50 / p95 / max in milliseconds for each, side by side, and whether (a) meets the target p95 < 50 ms.
Not a test: it prints figures.
"""

from __future__ import annotations

import argparse
import random
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

from sqlalchemy import func, insert, or_, select
from sqlalchemy.orm import Session

from dieuhanh.catalog.models import Dataset, DatasetColumn
from dieuhanh.core.bootstrap import bootstrap
from dieuhanh.core.db import Database, utcnow
from dieuhanh.core.migrate import upgrade
from dieuhanh.opendata import service
from dieuhanh.orgs.models import Agency

SUBJECTS = ["Dân số", "Lao động", "Trường học", "Học sinh", "Bệnh viện", "Tiêm chủng", "Doanh nghiệp", "Ngân sách",
            "Thu thuế", "Chất lượng không khí", "Chất thải rắn", "Nước sạch", "Tai nạn giao thông", "Du lịch",
            "Hồ sơ dịch vụ công", "Thủ tục hành chính", "Giá tiêu dùng", "Xuất khẩu", "Đất đai", "Nông nghiệp"]
QUALIFIERS = ["trung bình", "theo xã, phường", "theo tháng", "theo quý", "năm 2024", "năm 2025", "đăng ký mới",
              "tổng hợp", "theo giới tính", "theo nhóm tuổi", "theo loại hình", "đạt chuẩn", "trên địa bàn tỉnh"]
PLACES = ["Hoa Lư", "Tam Điệp", "Phủ Lý", "Nam Định", "Kim Sơn", "Gia Viễn", "Nho Quan", "Yên Mô", "Ý Yên"]
TAGS = [w for _label, words in service.GROUPS.values() for w in words] + ["thống kê", "báo cáo", "chỉ tiêu"]
QUERIES = ["dân số", "dan so", "DAN SO", "truong hoc", "trường học tiểu học", "benh vien", "tiem chung 2024",
           "doanh nghiep dang ky moi", "ngân sách", "khong khi", "chat thai ran", "tai nan giao thong", "du lich",
           "dich vu cong", "gia tieu dung", "hoa lu", "tam diep", "nong nghiep theo thang", "xuat khau", "dat dai",
           "khong co ket qua nao", "ho so", "lao dong theo gioi tinh", "nuoc sach", "", "a"]
SORTS = ["score desc", "title asc", "metadata_modified desc"]


def build_store(path: Path, n: int, seed: int = 2025) -> Database:
    db = Database(f"sqlite:///{path / 'bench.db'}")
    upgrade(db.engine)
    with db.session() as session:
        bootstrap(session, province_code="37")
    rng = random.Random(seed)
    with db.session() as session:
        owners = [a for a in session.scalars(select(Agency.code).where(Agency.kind != "commune"))] or ["TKT"]
        now = utcnow()
        datasets = []
        for i in range(n):
            subject = rng.choice(SUBJECTS)
            title = f"{subject} {rng.choice(QUALIFIERS)} {rng.choice(PLACES) if rng.random() < .4 else ''}".strip()
            datasets.append({
                "id": i + 1, "name": f"bo_du_lieu_{i:05d}", "title": title,
                "description": f"Số liệu {subject.lower()} {rng.choice(QUALIFIERS)} do {rng.choice(PLACES)} tổng hợp, "
                               f"cập nhật {rng.choice(['hằng tháng', 'hằng quý', 'hằng năm'])}.",
                "owner_agency": rng.choice(owners), "license_id": "cc-by-4.0", "access": "public",
                "update_frequency": rng.choice(["monthly", "quarterly", "yearly"]),
                "tags": sorted(set(rng.sample(TAGS, 3) + [subject.lower()])), "schema_version": 1,
                "published": True, "published_at": now, "created_by": "bench", "created_at": now, "updated_at": now,
                "row_count": rng.randint(10, 100_000)})
        session.execute(insert(Dataset), datasets)
        columns = []
        for ds in datasets:
            for pos, (name, kind) in enumerate([("ma_xa", "unit_code"), ("nam", "integer"), ("thang", "integer"),
                                                ("chi_tieu", "string"), ("gia_tri", "number"),
                                                ("ghi_chu", "string")]):
                columns.append({"dataset_id": ds["id"], "position": pos, "name": name, "type": kind,
                                "required": False, "unique": False, "pii": False, "pii_reviewed": False,
                                "description": ""})
        session.execute(insert(DatasetColumn), columns)
    return db


def like_scan(session: Session, q: str, filters: dict[str, list[str]], sort: str) -> tuple[int, list[Any]]:
    query = select(Dataset.id, Dataset.name, Dataset.title).where(Dataset.published.is_(True),
                                                                    Dataset.access == "public")
    for word in q.split():
        pattern = f"%{word.lower()}%"
        query = query.where(or_(func.lower(Dataset.title).like(pattern), func.lower(Dataset.description).like(pattern),
                                func.lower(Dataset.tags).like(pattern)))
    if "organization" in filters:
        query = query.where(func.lower(Dataset.owner_agency).in_(filters["organization"]))
    total = session.scalar(select(func.count()).select_from(query.subquery()))
    order = Dataset.updated_at.desc() if sort.startswith("metadata_modified") else Dataset.title
    return int(total or 0), list(session.execute(query.order_by(order).limit(20)))


def cases(session: Session, rng: random.Random) -> list[tuple[str, dict[str, list[str]], str]]:
    orgs = [o.lower() for o in session.scalars(select(Dataset.owner_agency).distinct())]
    out = []
    for q in QUERIES:
        out.append((q, {}, "score desc"))
    for _ in range(10):
        out.append((rng.choice(QUERIES), {"organization": [rng.choice(orgs)]}, rng.choice(SORTS)))
    for _ in range(6):
        out.append((rng.choice(QUERIES), {"groups": [rng.choice(list(service.GROUPS))]}, rng.choice(SORTS)))
    out.append(("", {"res_format": ["CSV"]}, "title asc"))
    return out


def timed(fn: Callable[[], Any], repeat: int) -> list[float]:
    out = []
    for _ in range(repeat):
        start = time.perf_counter()
        fn()
        out.append((time.perf_counter() - start) * 1000)
    return out


def pct(values: list[float], p: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, max(0, round(p / 100 * len(ordered)) - 1))]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--datasets", type=int, default=10_000)
    parser.add_argument("--repeat", type=int, default=1, help="runs of each query per variant")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="bench-search-") as tmp:
        start = time.perf_counter()
        db = build_store(Path(tmp), args.datasets)
        print(f"store: {args.datasets:,} published datasets in SQLite, built in {time.perf_counter() - start:.1f} s")
        rng = random.Random(7)
        with db.session() as session:
            todo = cases(session, rng)
            start = time.perf_counter()
            service.search(session, q="", rows=20)
            print(f"search index built (first query after a change of the published set) in "
                  f"{(time.perf_counter() - start) * 1000:.0f} ms\n")
            times: dict[str, list[float]] = {"service.search": [], "SQL LIKE": []}
            counts = []
            for q, filters, sort in todo:
                result: list[Any] = []
                times["service.search"] += timed(lambda q=q, f=filters, s=sort, out=result: out.append(
                    service.search(session, q=q, filters=f, sort=s, rows=20)), args.repeat)
                like: list[Any] = []
                times["SQL LIKE"] += timed(lambda q=q, f=filters, s=sort, out=like: out.append(
                    like_scan(session, q, f, s)), args.repeat)
                counts.append((q, filters, result[-1].count, like[-1][0]))
                session.expunge_all()
        db.dispose()
    print(f"{len(todo)} queries × {args.repeat} runs each (ms)")
    print(f"{'variant':<18}{'p50':>10}{'p95':>10}{'max':>10}")
    for name, values in times.items():
        print(f"{name:<18}{pct(values, 50):>10.1f}{pct(values, 95):>10.1f}{max(values):>10.1f}")
    print("\nsample hit counts (service.search = diacritic-insensitive; LIKE = exact accents):")
    for q, filters, hits, like in counts[:8]:
        print(f"  {q!r:<28} {str(filters or ''):<28} search {hits:>6}   LIKE {like:>6}")
    p95 = pct(times["service.search"], 95)
    verdict = "MEETS" if p95 < 50 else "MISSES"
    print(f"\nservice.search p95 = {p95:.1f} ms: {verdict} the target p95 < 50 ms at {args.datasets:,} datasets.")
    sys.stdout.flush()


if __name__ == "__main__":
    main()
