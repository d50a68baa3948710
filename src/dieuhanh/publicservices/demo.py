"""Demo generator: the demo province's procedures and its administrative dossiers from 01/01/2022 to 25/11/2026.

What it reproduces (``/work/shared/data/statistics/public_services.csv`` and the issue's seed):

* the procedure catalogue of Hà Nam: 1.744 procedures, 976 toàn trình, 693 một phần, 75 other (``khong``),
  spread over the provincial departments (fields in ``demo_catalogue.py``) and the commune level;
* the province-wide figures of 2022 (Hà Nam: 237.313 dossiers, 99,21 % on time, 67,09 % online, 32,5 % paid
  online) and of the first half of 2023 (90.423 dossiers, 99,7 %, 88,4 %, 64,07 %), exactly up to rounding, as
  computed by the Decision 766 engine (rules 2.1, 3.3 and 3.6);
* then plausible improvement (online 68,54 % full-online in Hà Nam 2024; the merged province's November 2025:
  179.973 of 181.579 resolved dossiers on time = 99,12 %, so the second half of 2025 dips to ≈ 99,15 %).

Span: the four full years 2022–2025 plus 2026 up to ``AS_OF`` (25/11/2026, fixed so the demo is deterministic),
so that the board's current period has data and the dossiers still open at the snapshot (statuses 2, 4, 6) are
genuinely in progress rather than months overdue (the engine computes periods up to today).

Scale: **one demo dossier stands for twenty real ones** (``SCALE`` = 20): 11.866 dossiers in 2022, 4.521 in the
first half of 2023, ≈ 52.000 in all (plus ≈ 300 never received), so that ``dieuhanh up`` and the tests that load
the demo stay fast. Rates do not depend on the scale (the calibration is exact at any scale).

Realism: receipts on working days (a few on Saturdays; online dossiers sometimes on other days), statutory
times in working days with Vietnamese public holidays (the engine's calendar), supplements (a few with two
requests, which makes them late), withdrawals, stopped dossiers, dossiers ended by a supplement request
(status 5), missing due dates (≈ 2 %), postal channel, payments on the national (1) or provincial (2) portal,
digitisation, reuse of digitised data, electronic results, ratings and a few complaints. Agencies and communes
differ: every unit has its own propensities, two communes and the construction department are clearly worse.
The Decision 766 total stays plausible for a real province (≈ 79 in 2022, ≈ 85 in 2025 and 2026): offline
dossiers get fewer electronic results, digitisation and reuse grow slowly, and the two-level local government
(``MERGER``) costs the new communes some digitisation and the province some publication delays.

Everything is deterministic from one draw of ``ctx.rng``; data is inserted through the module's own service
(``upsert_procedures``/``upsert_dossiers``, in chunks) and the indicators are computed once at the end.
"""

from __future__ import annotations

import math
import random
import time
from bisect import bisect_right
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from typing import TYPE_CHECKING, Any

from dieuhanh.core.formatting import LOCAL_TZ
from dieuhanh.demo.service import allocate
from dieuhanh.geo import reference
from dieuhanh.orgs.catalogue import commune_agency_code
from dieuhanh.publicservices.board import DEMO_META_KEY
from dieuhanh.publicservices.calendar import WorkingCalendar
from dieuhanh.publicservices.demo_catalogue import COMMUNE_FIELDS, DEPARTMENT_FIELDS, FieldSpec

if TYPE_CHECKING:
    from dieuhanh.demo.service import DemoContext

SCALE = 20
FIRST_DAY, LAST_DAY = date(2022, 1, 1), date(2026, 11, 25)
# The snapshot: the one-stop-shop system as it stood at the end of this (fixed, for determinism) working day.
AS_OF = datetime(2026, 11, 25, 17, 0)
PROCEDURE_SPLIT = {"toan_trinh": 976, "mot_phan": 693, "khong": 75}
PROCEDURE_UPDATED = datetime(2021, 12, 20, 8, 0)
CHUNK = 20_000
DEMO_SOURCE = "demo"
HOURS = (7, 8, 8, 9, 9, 10, 10, 11, 13, 14, 14, 15, 15, 16)  # receipt hours: busy mornings
SCORE_INDICATOR = "dvc_766_ty_le_diem"
ALERT_RULE_NAME = "Cơ quan có tỷ lệ điểm phục vụ người dân, doanh nghiệp (QĐ 766) dưới ngưỡng cảnh báo"


@dataclass(frozen=True)
class Window:
    """A span of receipt dates with its volume and the figures it is calibrated to (percent)."""

    code: str
    first: date
    last: date
    real_dossiers: int  # real volume; the demo generates real_dossiers / SCALE
    on_time: float
    online: float
    paid_online: float


# 2022 and 2023-H1: the Hà Nam seed (237.313 and 90.423 dossiers / SCALE). Later: plausible trend; 2024 volume
# = Hà Nam's 168.746 dossiers / SCALE; 2025-H2 = the merged province with two-level local government (more
# commune dossiers; real on-time share of November 2025 = 99,12 %).
WINDOWS: tuple[Window, ...] = (
    Window("2022", date(2022, 1, 1), date(2022, 12, 31), 237_313, 99.21, 67.09, 32.50),
    Window("2023-H1", date(2023, 1, 1), date(2023, 6, 30), 90_423, 99.70, 88.40, 64.07),
    Window("2023-H2", date(2023, 7, 1), date(2023, 12, 31), 93_800, 99.72, 89.60, 67.50),
    Window("2024-H1", date(2024, 1, 1), date(2024, 6, 30), 82_200, 99.64, 90.80, 71.20),
    Window("2024-H2", date(2024, 7, 1), date(2024, 12, 31), 86_546, 99.74, 91.90, 74.60),
    Window("2025-H1", date(2025, 1, 1), date(2025, 6, 30), 90_100, 99.68, 92.60, 78.30),
    Window("2025-H2", date(2025, 7, 1), date(2025, 12, 31), 134_800, 99.15, 93.40, 81.50),
    Window("2026", date(2026, 1, 1), LAST_DAY, 226_000, 99.30, 94.20, 84.00),
)

# Units clearly worse than the rest (late dossiers ×, online, online-payment and digitisation shares −), so a
# few fall below the thresholds.
WEAK_AGENCIES = {"SXD": (12.0, 0.5, 0.5, 0.55)}
WEAK_COMMUNE_COUNT = 2
# The two-level local government (01/07/2025): the new communes take over the former districts' procedures with
# merged staff and systems, so their dossiers are digitised, reused and synchronised less (MERGER_DIP off the
# propensities), and the province re-publishes many procedures in haste (publication more often late).
MERGER = date(2025, 7, 1)
MERGER_DIP = 0.12


# ------------------------------------------------------------------------------------------------ calendar


class _Calendar:
    """Working days of the engine's calendar, with O(1) "n working days after"."""

    def __init__(self, first: date, last: date) -> None:
        rows = WorkingCalendar.from_settings(None).rows(first, last)
        self.first = first
        self.idx = [r[2] for r in rows]  # working days up to and including the day
        self.working = [r[1] for r in rows]
        self.days = [r[0] for r in rows if r[1]]

    def index(self, day: date) -> int:
        return self.idx[(day - self.first).days]

    def is_working(self, day: date) -> bool:
        return self.working[(day - self.first).days]

    def add(self, day: date, n: int) -> date:
        """The n-th working day after ``day`` (n ≥ 1), or ``day`` itself for n = 0."""
        if n <= 0:
            return day
        return self.days[self.index(day) + n - 1]

    def between(self, start: date, end: date) -> int:
        """Working days after ``start`` up to and including ``end``."""
        return max(0, self.index(end) - self.index(start))

    def working_days(self, first: date, last: date) -> list[date]:
        lo = bisect_right(self.days, first - timedelta(days=1))
        hi = bisect_right(self.days, last)
        return self.days[lo:hi]


# ------------------------------------------------------------------------------------------------ model


@dataclass
class _Proc:
    code: str
    name: str
    field: FieldSpec
    agency: str
    level: str  # "xa" | "tinh"
    mode: str = "mot_phan"
    fee: int = 0
    result: int = 1
    days: int = 5
    weight: float = 1.0


@dataclass
class _Unit:
    code: str
    late: float  # multiplier of the chance of being late
    online: float  # additive shift of the online share
    pay: float  # additive shift of the online-payment share
    digital: float  # additive shift of digitisation / electronic results / reuse


@dataclass(slots=True)
class _Dossier:
    key: str
    proc: _Proc
    agency: str
    commune: str | None
    unit: _Unit  # whose performance drives it (the commune committee or the department)
    received: datetime
    window: int
    channel: int = 1
    status: int = 10
    late: bool = False
    supplements: int = 0
    missing_due: bool = False
    paid: int = 0
    digitised: int = 0
    reused: int = 0
    e_result: int = 0
    rating: str | None = None
    complaint: int = 0
    due: datetime | None = None
    end: datetime | None = None
    supplement_at: datetime | None = None
    updated: datetime | None = None


def _lerp(a: float, b: float, t: float) -> float:
    return a + (b - a) * t


def _clip(x: float, lo: float = 0.0, hi: float = 1.0) -> float:
    return lo if x < lo else hi if x > hi else x


_allocate = allocate  # shared with the other demo generators (demo.service)


def _weighted_sample(rng: random.Random, items: list[Any], weights: list[float], k: int) -> list[Any]:
    """k distinct items, chosen with probability proportional to weight (Efraimidis–Spirakis)."""
    if k <= 0 or not items:
        return []
    keyed = [(rng.random() ** (1.0 / max(w, 1e-9)), i) for i, w in enumerate(weights)]
    keyed.sort(reverse=True)
    return [items[i] for _k, i in keyed[:k]]


def _ri(rng: random.Random, a: int, b: int) -> int:
    """Uniform integer in [a, b] (cheaper than randint, which the generator calls ~10⁶ times)."""
    return a + int(rng.random() * (b - a + 1))


def _portal(value: datetime | None) -> str:
    return "" if value is None else value.strftime("%Y%m%d%H%M%S")


# ------------------------------------------------------------------------------------------------ generator


class Generator:
    def __init__(self, seed: int, province_code: str = "37", scale: int = SCALE,
                 today: date | None = None) -> None:
        """``today``: the demo's present (the snapshot is 17:00 of that day); default the fixed ``self.as_of``."""
        self.seed = seed
        self.last_day = today or LAST_DAY
        self.as_of = datetime(self.last_day.year, self.last_day.month, self.last_day.day, 17, 0)
        self.windows = tuple(WINDOWS[:-1]) + (Window(**{**WINDOWS[-1].__dict__, "last": self.last_day}),)
        self.scale = scale
        self.rng = random.Random(seed)
        self.cal = _Calendar(date(2021, 12, 1), date(2027, 12, 31))
        self.communes = sorted(reference.communes_of(province_code), key=lambda u: u.code)
        self.procedures: list[_Proc] = []
        self.dossiers: list[_Dossier] = []
        self.units: dict[str, _Unit] = {}
        self.weak_communes: list[str] = []

    # ---------------------------------------------------------------------------------------- catalogue

    def build_procedures(self) -> list[_Proc]:
        rng = random.Random(self.seed + 1)
        total = sum(PROCEDURE_SPLIT.values())
        commune_n = _allocate(160, [f.weight for f in COMMUNE_FIELDS])
        dept_n = _allocate(total - 160, [f.weight for f in DEPARTMENT_FIELDS])
        procs: list[_Proc] = []
        serial = 0
        for fields, counts, level in ((COMMUNE_FIELDS, commune_n, "xa"), (DEPARTMENT_FIELDS, dept_n, "tinh")):
            for spec, n in zip(fields, counts, strict=True):
                for rank, name in enumerate(self._names(spec, n, rng)):
                    serial += 1
                    code = f"{1 if level == 'tinh' else 2}.{(serial * 7919) % 1_000_000:06d}"
                    p = _Proc(code=code, name=name, field=spec, agency=spec.agency, level=level)
                    p.fee = 1 if rng.random() < spec.fee else 0
                    p.result = 0 if rng.random() < 0.12 else 1
                    p.days = rng.choice(spec.days)
                    # The first-named procedures of a field carry most of its dossiers (Zipf-like).
                    p.weight = 1.0 / (rank + 1) ** 1.3 * math.exp(rng.gauss(0, 0.4))
                    procs.append(p)
        # MucDoDVC: exactly 976 / 693 / 75; "khong" mostly in complaint, religion and rarely used procedures.
        order = sorted(procs, key=lambda p: (
            -(3.0 if p.field.code in ("X-KNTC", "T-TTr", "X-TG", "T-TG", "X-NCN") else 0.0)
            - 2.0 * (1 - min(1.0, p.weight * 4)) * rng.random() + rng.random() * 0.8))
        khong = order[:PROCEDURE_SPLIT["khong"]]
        rest = order[PROCEDURE_SPLIT["khong"]:]
        rng.shuffle(rest)
        rest.sort(key=lambda p: -(p.weight + rng.random() * 0.3))  # busy ones are more often toàn trình
        for p in khong:
            p.mode = "khong"
        for i, p in enumerate(rest):
            p.mode = "toan_trinh" if i < PROCEDURE_SPLIT["toan_trinh"] else "mot_phan"
        # Toàn trình needs online payment where there is a fee; a few busy counter procedures stay partial.
        self.procedures = procs
        return procs

    @staticmethod
    def _names(spec: FieldSpec, n: int, rng: random.Random) -> list[str]:
        names = list(dict.fromkeys(spec.names))[:n]
        if len(names) < n and spec.verbs and spec.objects:
            combos = [f"{v} {o}" for o in spec.objects for v in spec.verbs]
            rng.shuffle(combos)
            seen = set(names)
            for c in combos:
                if len(names) >= n:
                    break
                if c not in seen:
                    names.append(c)
                    seen.add(c)
        qualifiers = (" (đối với tổ chức)", " (đối với cá nhân)", " (thực hiện tại cấp tỉnh)",
                      " (trường hợp có yếu tố nước ngoài)", " (trường hợp điều chỉnh)")
        base = list(names)
        i = 0
        while len(names) < n:
            candidate = base[i % len(base)] + qualifiers[(i // len(base)) % len(qualifiers)]
            if candidate not in names:
                names.append(candidate)
            i += 1
        return names

    # -------------------------------------------------------------------------------------------- units

    def build_units(self) -> None:
        rng = random.Random(self.seed + 2)
        for c in self.communes:
            code = commune_agency_code(c.code)
            self.units[code] = _Unit(code, late=math.exp(rng.gauss(0, 0.55)), online=rng.gauss(0, 0.045),
                                     pay=rng.gauss(0, 0.06), digital=rng.gauss(0, 0.07))
        # Two clearly weaker communes (few online dossiers, many late), two model ones.
        shuffled = list(self.communes)
        rng.shuffle(shuffled)
        for c in shuffled[:WEAK_COMMUNE_COUNT]:
            u = self.units[commune_agency_code(c.code)]
            u.late, u.online, u.pay, u.digital = 30.0, -0.42, -0.4, -0.35
            self.weak_communes.append(c.code)
        for c in shuffled[WEAK_COMMUNE_COUNT:WEAK_COMMUNE_COUNT + 2]:
            u = self.units[commune_agency_code(c.code)]
            u.late, u.online, u.pay, u.digital = 0.2, 0.06, 0.1, 0.06
        for spec in DEPARTMENT_FIELDS:
            if spec.agency not in self.units:
                self.units[spec.agency] = _Unit(spec.agency, late=math.exp(rng.gauss(0, 0.45)),
                                                online=rng.gauss(0, 0.04), pay=rng.gauss(0, 0.05),
                                                digital=rng.gauss(0, 0.08))
        for code, (late, online, pay, digital) in WEAK_AGENCIES.items():
            u = self.units[code]
            u.late, u.online, u.pay, u.digital = late, -online, -pay, -digital

    # ------------------------------------------------------------------------------------------ dossiers

    def build_dossiers(self) -> list[_Dossier]:
        rng = self.rng
        commune_weight = self._commune_weights()
        communes = [c.code for c in self.communes]
        cw = [commune_weight[c] for c in communes]
        level_procs = {lvl: [p for p in self.procedures if p.level == lvl] for lvl in ("xa", "tinh")}
        field_sum: dict[str, float] = {}
        for p in self.procedures:
            field_sum[p.field.code] = field_sum.get(p.field.code, 0.0) + p.weight
        level_weights = {lvl: [p.weight / field_sum[p.field.code] * p.field.volume for p in ps]
                         for lvl, ps in level_procs.items()}
        all_procs = level_procs["xa"] + level_procs["tinh"]
        all_weights = level_weights["xa"] + level_weights["tinh"]
        seq: dict[str, int] = {}
        out: list[_Dossier] = []
        for wi, w in enumerate(self.windows):
            days = self.cal.working_days(w.first, w.last)
            # Monday busiest; Friday quieter; the weeks around Tết quieter still.
            dw = [(1.18, 1.05, 1.0, 0.98, 0.9, 0.5, 0.5)[d.weekday()] * self._season(d) for d in days]
            per_day = _allocate(round(w.real_dossiers / self.scale), dw)
            t0 = (w.first - FIRST_DAY).days / (self.last_day - FIRST_DAY).days
            # 2025-H2: the communes take over former district procedures (two-level local government).
            xa_boost = 1.35 if w.first >= MERGER else 1.0
            weights = [wt * (xa_boost if p.level == "xa" else 1.0) for p, wt in zip(all_procs, all_weights,
                                                                                    strict=True)]
            cum = list(_accumulate(weights))
            ccum = list(_accumulate(cw))
            for day, n in zip(days, per_day, strict=True):
                for _ in range(n):
                    p = all_procs[bisect_right(cum, rng.random() * cum[-1])]
                    commune = communes[bisect_right(ccum, rng.random() * ccum[-1])]
                    agency = commune_agency_code(commune) if p.level == "xa" else p.agency
                    receipt_day = day
                    r = rng.random()
                    if r < 0.02:  # some one-stop shops receive on Saturday mornings
                        sat = day + timedelta(days=(5 - day.weekday()) % 7)
                        if sat <= w.last and not self.cal.is_working(sat):
                            receipt_day = sat
                    hour = HOURS[int(rng.random() * len(HOURS))]
                    received = datetime(receipt_day.year, receipt_day.month, receipt_day.day, hour,
                                        int(rng.random() * 60), int(rng.random() * 60))
                    if hour == 7:
                        received = received.replace(minute=30 + received.minute % 30)
                    prefix = f"{agency}-{received:%y%m%d}"
                    seq[prefix] = seq.get(prefix, 0) + 1
                    d = _Dossier(key=f"{prefix}-{seq[prefix]:04d}", proc=p, agency=agency,
                                 commune=commune, unit=self.units[agency], received=received, window=wi)
                    self._attributes(d, t0 + (day - w.first).days / (self.last_day - FIRST_DAY).days, w)
                    out.append(d)
        self.dossiers = out
        return out

    def _commune_weights(self) -> dict[str, float]:
        rng = random.Random(self.seed + 3)
        out = {}
        for c in self.communes:
            base = 2.2 if c.type == "phường" else 1.0
            out[c.code] = base * math.exp(rng.gauss(0, 0.35))
        return out

    @staticmethod
    def _season(day: date) -> float:
        # Quieter in the weeks around Tết (late January–February), busier before year end.
        return {1: 1.0, 2: 0.72, 3: 1.08, 4: 0.97, 5: 1.0, 6: 1.02, 7: 1.0, 8: 0.98, 9: 0.96, 10: 1.03,
                11: 1.04, 12: 1.1}[day.month]

    def _attributes(self, d: _Dossier, t: float, w: Window) -> None:
        """Draw a dossier's channel, outcome and flags from the trend at ``t`` (0 = 1/1/2022, 1 = 31/12/2025)."""
        rng, u, p = self.rng, d.unit, d.proc
        digital = u.digital - self._dip(d)
        # Channel: the window's target drives the level; calibration makes the totals exact.
        online_p = _clip(w.online / 100 + u.online + (0.05 if p.mode == "toan_trinh" else -0.08))
        if p.mode != "khong" and rng.random() < online_p:
            d.channel = 2
        elif rng.random() < 0.03:
            d.channel = 3
        # Online payment (fee procedures): mostly with online dossiers.
        if p.fee:
            base = w.paid_online / 100 + u.pay
            pay_p = _clip(base * (1.25 if d.channel == 2 else 0.35))
            if rng.random() < pay_p:
                d.paid = 1 if rng.random() < _lerp(0.72, 0.5, t) else 2
        d.digitised = int(rng.random() < _clip(_lerp(0.72, 0.86, t) + digital))
        d.reused = int(rng.random() < _clip(_lerp(0.08, 0.32, t) + digital * 0.5))
        if p.result:  # an online dossier gets its result online (rule 3.3 counts it only then)
            d.e_result = int(d.channel == 2 or rng.random() < _clip(_lerp(0.3, 0.6, t) + digital))
        # Outcome
        r = rng.random()
        if r < 0.004:
            d.status = 7  # withdrawn by the applicant
        elif r < 0.006:
            d.status = 8  # processing stopped
        elif r < 0.014:
            d.status = 5  # ended by a supplement request the applicant never answered
            d.supplements = 1
        else:
            d.status = 10 if rng.random() < 0.93 else 9
            if rng.random() < 0.035:
                d.supplements = 1
        late_p = (1 - w.on_time / 100) * u.late * (2.5 if p.days >= 20 else 1.0)
        d.late = d.status in (9, 10) and rng.random() < _clip(late_p, 0, 0.6)
        if d.status in (9, 10) and d.supplements == 1 and rng.random() < 0.012:
            d.supplements = 2  # two supplement requests: late by rule 2.1 whatever the dates
        # No due date sent (≈ 2 %): then rule 2.1 counts working days from the receipt, so no supplements.
        d.missing_due = d.status != 5 and d.supplements == 0 and rng.random() < 0.02
        # Ratings and complaints.
        if rng.random() < _lerp(0.22, 0.6, t):
            unhappy = 0.004 * (u.late if u.late > 1 else 1.0) + (0.25 if d.late else 0.0)
            d.rating = "khong_hai_long" if rng.random() < unhappy else "hai_long"
        d.complaint = int(rng.random() < (0.0008 + (0.05 if d.late else 0.0)))

    @staticmethod
    def _dip(d: _Dossier) -> float:
        """How much less digital a dossier is for being a new commune's (received from ``MERGER`` on)."""
        return MERGER_DIP if d.proc.level == "xa" and d.received.date() >= MERGER else 0.0

    # ------------------------------------------------------------------------------------------- dates

    def derive(self, d: _Dossier) -> None:
        """Dates from the dossier's plan (status, late, supplements), consistent with rule 2.1."""
        rng, cal = self.rng, self.cal
        day = d.received.date()
        n = max(1, d.proc.days)
        start = day
        d.supplement_at = None
        d.end = None
        if d.supplements >= 1:
            k = min(n, _ri(rng, 1, 3))
            sday = cal.add(day, k) if k else day
            d.supplement_at = datetime(sday.year, sday.month, sday.day, _ri(rng, 8, 16), int(rng.random() * 60))
            if d.status != 5:
                # The applicant answers within a few days; the due date runs again from the new receipt.
                start = cal.add(sday, _ri(rng, 1, 4))
        due_day = cal.add(start, n)
        d.due = datetime(due_day.year, due_day.month, due_day.day, 17, 0)
        if d.status == 5:
            d.end = None
        elif d.status in (7, 8):
            k = _ri(rng, 0, max(0, n - 1))
            e = cal.add(day, k)
            d.end = datetime(e.year, e.month, e.day, _ri(rng, 8, 16), int(rng.random() * 60))
        else:
            if d.late:
                e = cal.add(due_day, 1 + min(int(rng.expovariate(0.35)), 25))
            else:
                # Mostly ahead of time (trước hạn), some on the due date itself.
                k = n if rng.random() < 0.18 else int(n * (rng.random() + rng.random()) / 2)
                e = cal.add(start, k) if k else start
            hour = _ri(rng, 8, 16)
            d.end = datetime(e.year, e.month, e.day, hour, int(rng.random() * 60), int(rng.random() * 60))
            if d.end < d.received:
                d.end = d.received + timedelta(minutes=_ri(rng, 20, 200))
                if not d.late and d.end > d.due:
                    d.end = d.due - timedelta(minutes=5)
        last = max(x for x in (d.received, d.end, d.supplement_at) if x is not None)
        d.updated = last + timedelta(minutes=_ri(rng, 1, 90))

    def apply_snapshot(self) -> None:
        """What the one-stop-shop system shows on ``self.as_of``: later events have not happened yet."""
        for d in self.dossiers:
            end = d.end if d.status != 5 else d.supplement_at
            if end is not None and end > self.as_of:
                r = self.rng.random()
                # Still open: received and not yet assigned (2), being processed (4), waiting for the fee (6).
                d.status = 2 if r < 0.15 else 6 if d.proc.fee and r < 0.35 else 4
                d.end = None
                if d.supplement_at is not None and d.supplement_at > self.as_of:
                    d.supplement_at = None
                    d.supplements = 0
                d.e_result = 0
                d.rating = None
                d.updated = max(x for x in (d.received, d.supplement_at) if x is not None) + timedelta(minutes=7)

    # ------------------------------------------------------------------------------------- evaluation

    def _actual_end(self, d: _Dossier) -> datetime | None:
        if d.status in (7, 8, 9, 10):
            return d.end
        if d.status == 5:
            return d.supplement_at
        return None

    def on_time(self, d: _Dossier, first: datetime, last: datetime) -> bool | None:
        """Rule 2.1 for period [first, last]: None when the dossier is not to be handled in it."""
        if d.status in (1, 3) or d.received > last:
            return None
        end = self._actual_end(d)
        if end is not None and end < first:
            return None
        end_p = end if end is not None and end <= last else last
        if d.supplements > 1:
            return False
        if d.due is not None and not d.missing_due:
            return end_p <= d.due
        return self.cal.between(d.received.date(), end_p.date()) <= d.proc.days

    def rates(self, first: date, last: date) -> dict[str, float]:
        lo, hi = datetime(first.year, first.month, first.day), datetime(last.year, last.month, last.day, 23, 59,
                                                                          59, 999999)
        handled = ontime = received = online = fee = paid = 0
        for d in self.dossiers:
            ok = self.on_time(d, lo, hi)
            if ok is not None:
                handled += 1
                ontime += ok
            if lo <= d.received <= hi and d.status not in (1, 3):
                received += 1
                online += self._online_counted(d)
                if d.proc.fee:
                    fee += 1
                    paid += d.paid > 0
        return {"on_time": 100 * ontime / handled if handled else 0.0,
                "online": 100 * online / received if received else 0.0,
                "paid_online": 100 * paid / fee if fee else 0.0,
                "handled": handled, "received": received}

    # ------------------------------------------------------------------------------------ calibration

    def calibrate(self) -> None:
        """Make each window's province-wide rates hit its targets (2022 and 2023-H1: the seed figures)."""
        for wi, w in enumerate(self.windows):
            members = [d for d in self.dossiers if d.window == wi]
            self._calibrate_online(members, w)
            self._calibrate_payment(members, w)
            self._calibrate_on_time(wi, members, w)

    @staticmethod
    def _online_counted(d: _Dossier) -> bool:
        """Online as rule 3.3 counts it (profile parameter require_e_result): with an electronic result when the
        procedure requires a result."""
        return d.channel == 2 and (not d.proc.result or (d.e_result == 1 and d.status in (9, 10)))

    def _calibrate_online(self, members: list[_Dossier], w: Window) -> None:
        members = [d for d in members if d.status not in (1, 3)]
        target = round(w.online / 100 * len(members))
        current = sum(self._online_counted(d) for d in members)
        if target > current:
            pool = [d for d in members if d.channel != 2 and d.proc.mode != "khong"
                    and (not d.proc.result or d.status in (9, 10))]
            for d in _weighted_sample(self.rng, pool, [_clip(0.5 + d.unit.online * 3, 0.02, 1) for d in pool],
                                      target - current):
                d.channel = 2
                d.e_result = int(d.proc.result)
        elif current > target:
            pool = [d for d in members if self._online_counted(d)]
            for d in _weighted_sample(self.rng, pool, [_clip(0.5 - d.unit.online * 3, 0.02, 1) for d in pool],
                                      current - target):
                d.channel = 1

    def _calibrate_payment(self, members: list[_Dossier], w: Window) -> None:
        fee = [d for d in members if d.proc.fee]
        target = round(w.paid_online / 100 * len(fee))
        current = sum(d.paid > 0 for d in fee)
        if target > current:
            pool = [d for d in fee if not d.paid]
            weights = [_clip(0.5 + d.unit.pay * 3, 0.02, 1) * (3 if d.channel == 2 else 0.3) for d in pool]
            for d in _weighted_sample(self.rng, pool, weights, target - current):
                d.paid = 1 if self.rng.random() < 0.6 else 2
        elif current > target:
            pool = [d for d in fee if d.paid]
            weights = [_clip(0.5 - d.unit.pay * 3, 0.02, 1) * (0.3 if d.channel == 2 else 3) for d in pool]
            for d in _weighted_sample(self.rng, pool, weights, current - target):
                d.paid = 0

    def _calibrate_on_time(self, wi: int, members: list[_Dossier], w: Window) -> None:
        lo = datetime(w.first.year, w.first.month, w.first.day)
        hi = datetime(w.last.year, w.last.month, w.last.day, 23, 59, 59, 999999)
        handled = [d for d in self.dossiers if wi - 1 <= d.window <= wi and self.on_time(d, lo, hi) is not None]
        late_now = sum(self.on_time(d, lo, hi) is False for d in handled)
        target = round((1 - w.on_time / 100) * len(handled))
        # Dossiers received in this window whose lateness is settled well inside it can be flipped.
        margin = hi - timedelta(days=75)
        flippable = [d for d in members if d.status in (9, 10) and d.received < margin and d.supplements <= 1
                     and d.end is not None and d.due is not None and d.due < margin]
        # Late dossiers carried over from the previous window but due only in this one are on time there
        # whatever their end, so they may become on time without changing the previous window's figure.
        carried = [d for d in handled if d.window == wi - 1 and d.late and d.status in (9, 10)
                   and d.supplements <= 1 and d.due is not None and d.due >= lo and not d.missing_due]
        for _ in range(8):
            if late_now == target:
                return
            make_late = late_now < target
            pool = [d for d in flippable if d.late != make_late] + ([] if make_late else carried)
            weights = [d.unit.late * (2 if d.proc.days >= 20 else 1) if make_late else 1 / d.unit.late for d in pool]
            for d in _weighted_sample(self.rng, pool, weights, abs(target - late_now)):
                before = self.on_time(d, lo, hi) is False
                d.late = make_late
                self.derive(d)
                late_now += (self.on_time(d, lo, hi) is False) - before

    # ------------------------------------------------------------------------------------------ output

    def generate(self) -> None:
        self.build_procedures()
        self.build_units()
        self.build_dossiers()
        for d in self.dossiers:
            self.derive(d)
        self.calibrate()
        self.apply_snapshot()
        self._never_received()

    def _never_received(self) -> None:
        """A few dossiers registered online but never received (status 1) or refused at the counter (3)."""
        rng = random.Random(self.seed + 4)
        extra = []
        for d in rng.sample(self.dossiers, len(self.dossiers) // 160):
            status = 3 if rng.random() < 0.7 else 1
            extra.append(_Dossier(key=d.key + "-K", proc=d.proc, agency=d.agency, commune=d.commune, unit=d.unit,
                                  received=d.received, window=d.window, channel=2 if status == 1 else d.channel,
                                  status=status, updated=d.received + timedelta(hours=2)))
        self.dossiers.extend(extra)

    def procedure_records(self) -> list[dict[str, Any]]:
        """The catalogue with its publication data (group 1): each procedure's latest publication decision
        (spread over 2022–2026), the legal basis's effective date (usually ≥ 5 working days later), the day it
        was published on the portal (usually within 5 working days), and the other flags the profile reads."""
        rng = random.Random(self.seed + 5)
        span = (self.last_day - FIRST_DAY).days
        out = []
        for p in self.procedures:
            weak = self.units[p.agency].late > 3 if p.agency in self.units else False
            decided = self.cal.add(FIRST_DAY + timedelta(days=int(rng.random() * span)), 1)
            hasty = decided >= MERGER  # re-published for the two-level local government
            lead = _ri(rng, 0, 4) if rng.random() < (0.3 if weak or hasty else 0.08) else _ri(rng, 5, 30)
            effective = self.cal.add(decided, lead)
            delay = _ri(rng, 6, 15) if rng.random() < (0.25 if weak else 0.18 if hasty else 0.06) else _ri(rng, 1, 5)
            published = self.cal.add(decided, delay)
            record = {"MaTTHC": p.code, "TenTTHC": p.name, "MaLinhVuc": p.field.code, "TenLinhVuc": p.field.name,
                      "MaCoQuan": p.agency, "MucDoDVC": p.mode, "CoPhiLePhi": p.fee, "YeuCauKetQua": p.result,
                      "ThoiHanGiaiQuyet": p.days, "DonViTinh": "ngày",
                      "NgayQuyetDinhCongBo": decided.isoformat(), "NgayHieuLucCanCu": effective.isoformat(),
                      "CongKhaiDayDu": int(rng.random() < (0.85 if weak else 0.97)),
                      "DoiTuongCongDan": int(rng.random() < (0.9 if p.level == "xa" else 0.6))}
            if published <= self.last_day:
                record["NgayCongKhai"] = published.isoformat()
            if p.fee:
                record["TichHopThanhToan"] = int(p.mode == "toan_trinh" or rng.random() < 0.75)
            out.append(record)
        return out

    def dossier_records(self) -> list[dict[str, Any]]:
        """The DVCQG sync record of each dossier, with its nested lists: submitted documents (TaiLieuNop:
        digitised, reused, taken from the national data warehouse), fees (DanhSachLePhi), supplement history
        (DanhSachHoSoBoSung: only on-time dossiers get a waiting time, so the calibrated 2.1 is unchanged) and
        result documents (DanhSachGiayToKetQua)."""
        rng = random.Random(self.seed + 6)
        rand = rng.random
        out = []
        span = (self.last_day - FIRST_DAY).days
        fee_paid = [{"MaPhiLePhi": "LEPHI", "Gia": 50_000}]
        fee_free = [{"MaPhiLePhi": "LEPHI", "Gia": 0}]
        for d in self.dossiers:
            never = d.status in (1, 3)
            t = (d.received.date() - FIRST_DAY).days / span
            digital = d.unit.digital - self._dip(d)
            record: dict[str, Any] = {
                "TaiLieuNop": [{"DuocSoHoa": d.digitised, "DuocTaiSuDung": d.reused,
                                "DuocLayTuKhoDMQG": int(rand() < 0.12 + 0.3 * t + digital)}],
                "DongBoDVCQG": int(rand() < 0.96 + digital * 0.5),
                "TaiKhoanDuocXacThucVoiVNeID": int(d.channel == 2 and rand() < 0.35 + 0.3 * t),
            }
            if d.proc.fee:  # a few exempt dossiers (every fee at 0) from the second half of 2024
                record["DanhSachLePhi"] = fee_free if not d.paid and d.window >= 4 and rand() < 0.03 else fee_paid
            if d.supplements and d.supplement_at is not None:
                back = d.supplement_at if d.late or d.status == 5 else d.supplement_at + timedelta(
                    hours=_ri(rng, 2, 30))
                record["DanhSachHoSoBoSung"] = [{"NgayBoSung": _portal(d.supplement_at),
                                                 "NgayTiepNhanBoSung": "" if d.status == 5 else _portal(back)}]
            if d.e_result and d.status in (9, 10):
                record["DanhSachGiayToKetQua"] = [{"DuongDanTepTinKetQua": f"https://dvc.example.gov.vn/kq/{d.key}"}]
            record.update({
                "MaHoSo": d.key, "MaTTHC": d.proc.code, "MaCoQuan": d.agency, "MaDonViHanhChinh": d.commune,
                "KenhThucHien": d.channel, "TrangThaiHoSo": d.status,
                "NgayTiepNhan": "" if d.status == 1 else _portal(d.received),
                "NgayHenTra": "" if never or d.missing_due else _portal(d.due),
                "NgayKetThucXuLy": "" if never else _portal(d.end if d.status in (7, 8, 9, 10) else None),
                "NgayYeuCauBoSung": "" if never else _portal(d.supplement_at),
                "NgayCapNhat": _portal(d.updated), "SoLanYeuCauBoSung": d.supplements,
                "DuocThanhToanTrucTuyen": d.paid,
                "DanhGia": d.rating or "", "CoPhanAnh": d.complaint,
            })
            out.append(record)
        return out


    def petition_records(self) -> list[dict[str, Any]]:
        """PAKN on procedures (≈ 60 a month in the real province, one in twenty here): mostly handled within
        the 15 working days; weaker units answer late more often and get more dislikes."""
        rng = random.Random(self.seed + 7)
        agencies = sorted(self.units)
        out = []
        day = FIRST_DAY
        n = 0
        while day <= self.last_day:
            for _ in range(_ri(rng, 1, 5)):
                agency = rng.choice(agencies)
                unit = self.units[agency]
                commune = agency[4:] if agency.startswith("UBND") else None
                received = datetime(day.year, day.month, day.day, _ri(rng, 8, 16), _ri(rng, 0, 59))
                due = self.cal.add(received.date(), 15)
                late = rng.random() < _clip(0.04 * unit.late, 0, 0.6)
                done = self.cal.add(received.date(), _ri(rng, 16, 25) if late else _ri(rng, 2, 14))
                n += 1
                record = {"MaPAKN": f"PAKN-{n:05d}", "MaCoQuan": agency, "PhanLoai":
                          "tthc" if rng.random() < 0.8 else "canbo", "NgayTiepNhan": _portal(received),
                          "HanXuLy": f"{due:%Y%m%d}170000", "CongKhai": 1,
                          "NgayCapNhat": _portal(received + timedelta(days=1))}
                if commune:
                    record["MaDonViHanhChinh"] = commune
                if datetime(done.year, done.month, done.day, 16) <= self.as_of:
                    record["NgayXuLy"] = f"{done:%Y%m%d}160000"
                    record["TrangThai"] = "da_xu_ly"
                    record["DanhGia"] = "khong_hai_long" if rng.random() < (0.3 if late else 0.05) else "hai_long"
                    record["NgayCapNhat"] = record["NgayXuLy"]
                out.append(record)
            day += timedelta(days=_ri(rng, 3, 9))
        return out

    def certified_copy_records(self) -> list[dict[str, Any]]:
        """Electronic certified copies per commune and month since the two-level local government (07/2025):
        a third from the start, the others one by one over the next thirty months (≈ 45 % by the end of 2025,
        ≈ 70 % by the end of 2026), then nearly every month; the weak communes not yet."""
        rng = random.Random(self.seed + 8)
        start = {c.code: 99 if c.code in self.weak_communes else 0 if rng.random() < 0.35 else _ri(rng, 1, 30)
                 for c in self.communes}
        out = []
        month, k = date(2025, 7, 1), 0
        while month <= self.last_day:
            for c in self.communes:
                provided = k >= start[c.code] and rng.random() < 0.95
                out.append({"MaDonViHanhChinh": c.code, "Thang": f"{month:%Y-%m}", "CoCungCap": int(provided)})
            month, k = date(month.year + (month.month == 12), month.month % 12 + 1, 1), k + 1
        return out


def _ranking_rows(ctx: DemoContext, province: str, seed: int) -> list[dict[str, Any]]:
    """The national table of the latest complete month as the portal would publish it: this province's own
    computed scores, the other 33 provinces plausible around them (marked as demo in the board's note)."""
    rng = random.Random(seed)
    period = f"{(ctx.today.replace(day=1) - timedelta(days=1)):%Y-%m}"
    mine = {r["indicator_code"]: r["score"] for r in ctx.warehouse.query(
        "SELECT indicator_code, score FROM tthc_chi_so_766 WHERE scope = 'province' AND period = ?",
        [period]).to_pylist()}
    rows = []
    for p in reference.all_provinces():
        if p.code == province and mine.get("tong") is not None:
            groups = {g: float(mine.get(f"nhom_{g}") or 0) for g in "123456"}
        else:
            maxima = {"1": 18, "2": 20, "3": 12, "4": 10, "5": 22, "6": 18}
            level = rng.uniform(0.62, 0.93)
            groups = {g: round(min(m, m * _clip(level + rng.gauss(0, 0.06))), 2) for g, m in maxima.items()}
        rows.append({"period": period, "ma_tinh": p.code, "ten_tinh": p.full_name,
                     "tong_diem": round(sum(groups.values()), 2), "nhom": groups})
    return rows


def _accumulate(values: list[float]) -> list[float]:
    out, s = [], 0.0
    for v in values:
        s += v
        out.append(s)
    return out


# ------------------------------------------------------------------------------------------------ entry


def run(ctx: DemoContext) -> None:
    """The module's demo: generate, insert through the service (chunks), compute the indicators once."""
    from dieuhanh.core.meta import set_meta
    from dieuhanh.publicservices import compute, service

    started = time.perf_counter()
    gen = Generator(ctx.rng.randrange(2**31), province_code=ctx.settings.province_code, today=ctx.today)
    gen.generate()
    generated = time.perf_counter()
    province = ctx.settings.province_code
    service.upsert_procedures(ctx.session, ctx.warehouse, gen.procedure_records(), principal=ctx.principal,
                              source=DEMO_SOURCE, province_code=province, max_records=None)
    records = gen.dossier_records()
    for start in range(0, len(records), CHUNK):
        service.upsert_dossiers(ctx.session, ctx.warehouse, records[start:start + CHUNK], principal=ctx.principal,
                                source=DEMO_SOURCE, province_code=province, max_records=None)
    from dieuhanh.publicservices import records as ps_records

    ps_records.upsert_petitions(ctx.session, gen.petition_records(), principal=ctx.principal, province_code=province,
                                max_records=None)
    ps_records.upsert_certified_copies(ctx.session, gen.certified_copy_records(), principal=ctx.principal,
                                       province_code=province, max_records=None)
    loaded = time.perf_counter()
    result = compute.recompute(ctx.session, ctx.warehouse, province_code=province, settings=ctx.settings,
                               principal=ctx.principal, trigger="demo", indicators=False,
                               as_of=ctx.now.replace(tzinfo=UTC).astimezone(LOCAL_TZ).replace(tzinfo=None))
    ps_records.store_ranking(ctx.session, _ranking_rows(ctx, province, gen.seed + 9))
    _score_alert_rule(ctx)
    set_meta(ctx.session, DEMO_META_KEY, f"hồ sơ tiếp nhận {FIRST_DAY:%d/%m/%Y}–{gen.last_day:%d/%m/%Y}, mỗi hồ sơ "
             f"mẫu thay cho {SCALE} hồ sơ thực; tỷ lệ năm 2022 theo số liệu Hà Nam")
    ctx.summary["publicservices"] = {
        "procedures": len(gen.procedures), "dossiers": len(records),
        "weak_communes": gen.weak_communes,
        "seconds": {"generate": round(generated - started, 2), "load": round(loaded - generated, 2),
                    "compute": round(result.seconds, 2), "total": round(time.perf_counter() - started, 2),
                    "compute_parts": result.as_dict()["timings"]},
    }


def _score_alert_rule(ctx: DemoContext) -> None:
    """This module's indicator definitions and the demo's alert rule on the Decision 766 score: an agency (a
    department or a commune People's Committee) whose latest month's share of points falls below the
    indicator's warning threshold gets a warning, once a day until it recovers. The indicator set computes it
    later in the demo (the alerts are evaluated after that compute)."""
    from pathlib import Path

    from sqlalchemy import select

    from dieuhanh.alerts import service as alerts
    from dieuhanh.alerts.models import AlertRule
    from dieuhanh.alerts.schemas import RuleIn
    from dieuhanh.indicators import service as indicators
    from dieuhanh.indicators.models import IndicatorDefinition

    session = ctx.session
    indicators.load_library(session, paths=[Path(__file__).parent / "indicators.yaml"], principal=ctx.principal)
    if session.scalar(select(AlertRule.id).where(AlertRule.name == ALERT_RULE_NAME)) is not None:
        return
    definition = session.get(IndicatorDefinition, SCORE_INDICATOR)
    assert definition is not None
    alerts.create_rule(session, principal=ctx.principal, rule_in=RuleIn(
        name=ALERT_RULE_NAME, indicator_code=SCORE_INDICATOR, level="agency", kind="threshold",
        params={"op": "<", "value": float(definition.thresholds["warning"])}, severity="warning",
        channels=[{"type": "inapp"}], group_by=["rule"], repeat_interval_minutes=24 * 60))
