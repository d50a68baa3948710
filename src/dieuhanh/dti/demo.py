"""DTI's demo (after the indicator set has computed, so automatic sub-indicators read the demo's own values):
the two frameworks, the closed and published 2025 campaign (last year's scores for the year-on-year change), the
open 2026 campaign for every department and the 129 communes — most forms submitted (a few late), some still in
draft, a few under review with adjusted scores and requests for more evidence — and the national indices."""

from __future__ import annotations

import time
from datetime import date, datetime, timedelta
from typing import TYPE_CHECKING, Any

from sqlalchemy import select

from dieuhanh.dti import framework as fw
from dieuhanh.dti import governance, service
from dieuhanh.dti.models import DtiAnswer, DtiForm

if TYPE_CHECKING:
    from dieuhanh.demo.service import DemoContext

DEMO_NOTE = "Số liệu mẫu (không phải kết quả chính thức)."

# Published figures (real, with their source) — the rest of the tracker is demo figures, labelled as such.
PUBLISHED: list[dict[str, Any]] = [
    {"index": "dti", "year": 2021, "province_code": "37", "value": 0.5064, "rank": 6, "rank_of": 63,
     "components": {}, "source": "Bộ TT&TT công bố DTI 2021 (8/8/2022), theo daidoanket.vn: Ninh Bình 0,5064 "
     "điểm, hạng 6/63; chính quyền số hạng 5, kinh tế số hạng 8, xã hội số hạng 5 (tỉnh Ninh Bình cũ)"},
    {"index": "dti", "year": 2022, "province_code": "37", "value": None, "rank": 21, "rank_of": 63,
     "components": {}, "source": "dti.gov.vn/xep-hang-2022: Ninh Bình hạng 21/63 (tỉnh Ninh Bình cũ)"},
    {"index": "dti", "year": 2022, "province_code": "36", "value": None, "rank": 10, "rank_of": 63,
     "components": {}, "source": "dti.gov.vn/xep-hang-2022: Nam Định hạng 10/63 (tỉnh cũ, nay thuộc Ninh Bình)"},
    {"index": "dti", "year": 2022, "province_code": "35", "value": None, "rank": 34, "rank_of": 63,
     "components": {}, "source": "dti.gov.vn/xep-hang-2022: Hà Nam hạng 34/63 (tỉnh cũ, nay thuộc Ninh Bình)"},
]
# Demo series (plausible, NOT published figures): index -> [(year, value, rank, rank_of)].
DEMO_SERIES: dict[str, list[tuple[int, float, int, int]]] = {
    "dti": [(2023, 0.6412, 18, 63), (2024, 0.6851, 15, 63), (2025, 0.7020, 9, 34)],
    "par": [(2022, 86.12, 20, 63), (2023, 87.45, 17, 63), (2024, 88.31, 14, 63), (2025, 89.05, 8, 34)],
    "sipas": [(2022, 82.40, 25, 63), (2023, 84.10, 21, 63), (2024, 85.62, 18, 63), (2025, 86.30, 10, 34)],
    "papi": [(2022, 43.10, 22, 63), (2023, 43.85, 19, 63), (2024, 44.20, 17, 63), (2025, 44.60, 9, 34)],
    "pci": [(2022, 66.30, 24, 63), (2023, 67.10, 20, 63), (2024, 68.05, 16, 63), (2025, 68.90, 8, 34)],
    "qd766": [(2023, 80.25, 15, 63), (2024, 84.10, 11, 63), (2025, 86.70, 7, 34)],
}
COMPONENTS = {
    "dti": ["Chính quyền số", "Kinh tế số", "Xã hội số"],
    "par": ["Công tác chỉ đạo, điều hành", "Cải cách thể chế", "Cải cách TTHC", "Cải cách tổ chức bộ máy",
            "Cải cách chế độ công vụ", "Cải cách tài chính công", "Xây dựng chính quyền số"],
    "papi": ["Tham gia của người dân", "Công khai, minh bạch", "Trách nhiệm giải trình", "Kiểm soát tham nhũng",
             "Thủ tục hành chính công", "Cung ứng dịch vụ công", "Quản trị môi trường", "Quản trị điện tử"],
    "pci": ["Gia nhập thị trường", "Tiếp cận đất đai", "Tính minh bạch", "Chi phí thời gian",
            "Chi phí không chính thức", "Cạnh tranh bình đẳng", "Tính năng động", "Hỗ trợ doanh nghiệp",
            "Đào tạo lao động", "Thiết chế pháp lý"],
}
# A component's typical size relative to the total: DTI and PAR components are on the total's scale, PAPI's eight
# dimensions add up to the total, PCI's ten sub-indices are on a 10-point scale.
COMPONENT_SCALE = {"dti": 1.0, "par": 1.0, "papi": 1 / 8, "pci": 0.1}


def run(ctx: DemoContext) -> None:
    started = time.perf_counter()
    session = ctx.session
    service.load_builtin(session, principal=ctx.principal)
    _governance(ctx)
    summary: dict[str, Any] = {}
    for code in ("dti_so_nganh", "dti_xa_phuong"):
        summary[code] = _campaigns(ctx, code)
    summary["seconds"] = round(time.perf_counter() - started, 2)
    ctx.summary["dti"] = summary


def _governance(ctx: DemoContext) -> None:
    province = ctx.settings.province_code
    for item in PUBLISHED:
        if province == "37":
            governance.record(ctx.session, principal=ctx.principal, data=governance.GovernanceIn(**item))
    for index, rows in DEMO_SERIES.items():
        for year, value, rank, rank_of in rows:
            if year > ctx.today.year:
                continue
            base = value * COMPONENT_SCALE.get(index, 1.0)
            components: dict[str, float | None] = {
                n: round(base * ctx.rng.uniform(0.88, 1.1), 4) for n in COMPONENTS.get(index, [])}
            governance.record(ctx.session, principal=ctx.principal, data=governance.GovernanceIn(
                index=index, year=year, province_code=province, value=value, rank=rank, rank_of=rank_of,
                components=components, source=DEMO_NOTE, demo=True))


def _value(sub: fw.SubIndicator, m: float, ctx: DemoContext) -> Any:
    rule = sub.rule
    noise = ctx.rng.gauss(0, 0.12)
    if isinstance(rule, fw.YesNoRule):
        return ctx.rng.random() < m + 0.15
    if isinstance(rule, fw.RatioRule):
        return round(min(100.0, max(0.0, 100 * (m + noise))), 1)
    if isinstance(rule, fw.CountRule):
        top = (rule.cap or sub.points) / rule.per_item
        return max(0, round(top * min(1.3, m + noise)))
    levels = list(rule.levels)  # best first
    pos = min(len(levels) - 1, max(0, int((1 - m - noise) * len(levels))))
    return levels[pos]


def _evidence(unit: str, sub: fw.SubIndicator, year: int) -> list[dict[str, str]]:
    return [{"title": f"Minh chứng {sub.code} năm {year} (mẫu)",
             "url": f"https://minhchung.example.gov.vn/{year}/{unit}/{sub.code}.pdf"}]


def _campaigns(ctx: DemoContext, code: str) -> dict[str, Any]:
    session, rng, today = ctx.session, ctx.rng, ctx.today
    parsed = service.framework_of(service.get_framework(session, code))
    selfs = [s for s in parsed.subs() if not s.automatic]
    out: dict[str, Any] = {}
    maturity: dict[str, float] = {}
    for year in (today.year - 1, today.year):
        current = year == today.year
        deadline = date(year, 11, 30) if current else date(year, 12, 15)
        campaign = service.create_campaign(session, principal=ctx.principal, framework=code, year=year,
                                           deadline=deadline, demo=True)
        forms = service.campaign_out(session, campaign)["units"]
        units = list(session.scalars(select(DtiForm.agency_code).where(DtiForm.campaign_id == campaign.id)
                                     .order_by(DtiForm.id)))
        rows = []
        answered_units = []
        for unit in units:
            base = maturity.setdefault(unit, rng.uniform(0.3, 0.9))
            m = min(0.98, base + (rng.uniform(0.02, 0.1) if current else 0.0))
            # This year: 12 % of the units have not started, the rest answered everything.
            if current and rng.random() < 0.12:
                continue
            answered_units.append(unit)
            for s in selfs:
                rows.append({"unit": unit, "sub": s.code, "value": _value(s, m, ctx),
                             "evidence": _evidence(unit, s, year)})
        service.import_answers(session, principal=ctx.principal, campaign_id=campaign.id, rows=rows)
        submissions = []
        for unit in answered_units:
            if current and rng.random() < 0.15:
                continue  # answered, not yet submitted
            if current and rng.random() < 0.12:
                day = deadline + timedelta(days=rng.randint(1, max(1, (today - deadline).days)))
            else:
                day = deadline - timedelta(days=rng.randint(0, 20))
            submissions.append((unit, _at(day, rng)))
        late = service.submit_many(session, principal=ctx.principal, campaign_id=campaign.id,
                                   submissions=submissions)
        submitted = [u for u, _at_ in submissions]
        if current:
            reviewed = _review_some(ctx, campaign.id, submitted, selfs)
        else:
            service.accept_remaining(session, principal=ctx.principal, campaign_id=campaign.id)
            service.close_campaign(session, ctx.warehouse, principal=ctx.principal, campaign_id=campaign.id)
            service.publish_campaign(session, ctx.warehouse, principal=ctx.principal, campaign_id=campaign.id,
                                     province_code=ctx.settings.province_code)
            reviewed = 0
        out[str(year)] = {"units": forms, "submitted": len(submitted), "late": late, "reviewed_units": reviewed}
    return out


def _at(day: date, rng: Any) -> datetime:
    """A working-hours instant (naive UTC) of a local day."""
    return datetime(day.year, day.month, day.day, rng.randint(1, 9), rng.randint(0, 59))


def _review_some(ctx: DemoContext, campaign_id: int, submitted: list[str], selfs: list[fw.SubIndicator]) -> int:
    """The review team has finished a dozen of the submitted forms: most scores accepted, some adjusted with a
    reason, a few sent back for more evidence."""
    rng = ctx.rng
    done = submitted[: min(12, len(submitted) // 3)]
    scores = {(u, c): sc for u, c, sc in ctx.session.execute(
        select(DtiForm.agency_code, DtiAnswer.sub_code, DtiAnswer.score).join(DtiForm)
        .where(DtiForm.campaign_id == campaign_id, DtiForm.agency_code.in_(done)))}
    for unit in done:
        for s in rng.sample(selfs, k=min(2, len(selfs))):
            self_score = scores.get((unit, s.code)) or 0.0
            if rng.random() < 0.7 and self_score > 0:
                service.review_answer(ctx.session, principal=ctx.principal, campaign_id=campaign_id, unit=unit,
                                      sub_code=s.code, score=round(self_score * 0.5, 2),
                                      comment="Minh chứng chưa thể hiện đủ phạm vi; tính một nửa số điểm tự chấm.")
            else:
                service.review_answer(ctx.session, principal=ctx.principal, campaign_id=campaign_id, unit=unit,
                                      sub_code=s.code, score=None, action="more_evidence",
                                      comment="Đề nghị bổ sung văn bản ban hành có chữ ký số.")
    service.accept_remaining(ctx.session, principal=ctx.principal, campaign_id=campaign_id, units=done)
    return len(done)
