"""The PII canary sweep on the demo province (tests/security/test_pii_canary.py).

1. **Columns.** Every place the product keeps citizens' personal data, enumerated from the code and the catalog:
   each catalog column flagged ``pii`` (warehouse), each column of ``feedback_report_contact`` (the contact given
   with a citizen report) and each name of ``publicservices.service.PERSONAL_FIELDS`` (a dossier's personal fields,
   ``ps_dossier.personal``). A unique canary is planted in each through the product's own write path: a batch
   appended by the owner agency's ``datasets`` token, an Open311 request, a dossier pushed by the owner agency's
   ``publicservices`` token.
2. **Paths.** Every GET route the application serves (walked from ``app.routes``, pages and API alike), with its
   path parameters filled from the demo's real ids (the planted records first), every format of the open-data
   downloads and Open311, XLSX/PDF exports read as text, a few error responses, and user SQL.
3. **Roles.** Anyone but the owner's officers: anonymous, a token of each scope (agency-bound ones bound to another
   agency), leader, analyst, admin, officers of other agencies.

The texts of XLSX (the XML inside the zip) and PDF (pypdf's extracted text) responses are searched too.
"""

from __future__ import annotations

import io
import random
import re
import string
import zipfile
from dataclasses import dataclass, field
from datetime import date, timedelta
from typing import Any

from sqlalchemy import select

# Columns kept but shown to nobody, not even the owner's officers (so the sweep's check that the owner sees each
# canary leaves them out; that they are stored is checked when they are planted).
NEVER_SHOWN = {"feedback_report_contact.device_id", "feedback_report_contact.account_id"}

# Routes that are never swept, and why (every other GET route must be swept: see ``route_urls``).
EXCLUDED = {
    "/api/v1/events/stream": "server-sent events: an endless stream (events carry no citizen contact)",
    "/docs": "the static Swagger page",
    "/openapi.json": "the API's schema (no data)",
    "/favicon.ico": "an icon",
    "/healthz": "status only",
}


# Routes whose answer takes long (aggregates over the whole demo, rendered exports), swept by anonymous and the
# admin only: every permission rule that admits a leader or an analyst admits an admin (the test checks it), so
# what those pages could show a leader or analyst they show the admin. The other callers sweep every other route.
HEAVY = {
    "/data-quality", "/api/v1/datasets/freshness", "/boards/{slug}.pdf", "/boards/{slug}.xlsx",
    "/publicservices", "/publicservices/dossiers", "/publicservices/ranking.pdf", "/publicservices/ranking.xlsx",
    "/open311/v2/services.{fmt}", "/giao-thong", "/du-bao/chat-thai", "/chuyen-doi-so/xuat.pdf",
    "/chuyen-doi-so/xuat.xlsx", "/api/v1/forecasts/waste", "/api/v1/forecasts/traffic/links/{code}",
    "/api/v1/forecasts/traffic/anomalies", "/thanh-tra", "/api/v1/units/boundaries.geojson",
}


def _rand(rng: random.Random, n: int = 6) -> str:
    return "".join(rng.choice(string.ascii_uppercase + string.digits) for _ in range(n))


def _digits(rng: random.Random, n: int) -> str:
    return "".join(rng.choice(string.digits) for _ in range(n))


@dataclass
class Canary:
    """One planted value: where it lives, and the strings any output of it would contain."""

    where: str  # table.column (or dataset.column / ps_dossier.personal.Field)
    owner: str  # the agency whose officers may read it
    value: str
    forms: tuple[str, ...]  # how an output may spell it (a date: ISO and dd/mm/yyyy)


@dataclass
class Planted:
    canaries: list[Canary] = field(default_factory=list)
    dataset_owner: dict[str, str] = field(default_factory=dict)  # PII dataset -> owner agency
    batches: dict[str, str] = field(default_factory=dict)  # PII dataset -> the planted batch
    report_code: str = ""
    report_owner: str = ""
    dossier: str = ""
    dossier_owner: str = ""

    @property
    def owners(self) -> set[str]:
        return {c.owner for c in self.canaries}

    def pattern(self) -> re.Pattern[str]:
        forms = sorted({f for c in self.canaries for f in c.forms}, key=len, reverse=True)
        return re.compile("|".join(map(re.escape, forms)), re.IGNORECASE)

    def which(self, found: str) -> str:
        return next((c.where for c in self.canaries if found.lower() in (f.lower() for f in c.forms)), "?")


def _text_canary(rng: random.Random, where: str, owner: str, tag: str) -> Canary:
    value = f"CANARY{tag}{_rand(rng)}"
    return Canary(where, owner, value, (value,))


def _shaped(rng: random.Random, name: str, col_type: str, where: str, owner: str, tag: str) -> Canary:
    """A canary of the column's shape: digits for ID numbers, phones and numbers, a date for dates."""
    low = name.lower()
    if col_type == "date" or "ngay" in low or "ngaysinh" in low:
        d = date(1901, 1, 1) + timedelta(days=rng.randrange(0, 3000))
        return Canary(where, owner, d.isoformat(), (d.isoformat(), d.strftime("%d/%m/%Y"), d.strftime("%Y%m%d")))
    if col_type in ("integer", "number") or any(k in low for k in ("cccd", "cmnd", "dinh_danh", "dinhdanh",
                                                                     "giayto", "hochieu", "masothue")):
        value = "9" + _digits(rng, 11)  # 12 digits, like a CCCD number
        return Canary(where, owner, value, (value,))
    if "dien_thoai" in low or "dienthoai" in low or "phone" in low:
        value = "09" + _digits(rng, 8)
        return Canary(where, owner, value, (value, f"{value[:4]} {value[4:7]} {value[7:]}"))
    if "email" in low:
        value = f"canary{tag.lower()}{_rand(rng).lower()}@example.org"
        return Canary(where, owner, value, (value,))
    return _text_canary(rng, where, owner, tag)


def pii_columns(session: Any) -> dict[str, tuple[str, list[tuple[str, str]]]]:
    """Catalog datasets with PII columns: name -> (owner agency, [(column, type)])."""
    from dieuhanh.catalog.models import Dataset, DatasetColumn

    out: dict[str, tuple[str, list[tuple[str, str]]]] = {}
    rows = session.execute(select(Dataset.name, Dataset.owner_agency, DatasetColumn.name, DatasetColumn.type)
                           .join(DatasetColumn, DatasetColumn.dataset_id == Dataset.id)
                           .where(DatasetColumn.pii.is_(True)).order_by(Dataset.name, DatasetColumn.position))
    for ds, owner, col, typ in rows:
        out.setdefault(ds, (owner, []))[1].append((col, typ))
    return out


def plant_datasets(client: Any, db: Any, warehouse: Any, factory: Any, rng: random.Random,
                   planted: Planted) -> None:
    """One row per PII dataset, appended by its owner agency's ``datasets`` token: a real row of the dataset with
    every PII column replaced by a canary and every unique column by a new value."""
    from dieuhanh.catalog.models import Dataset

    with db.session() as session:
        datasets = pii_columns(session)
        columns = {name: [(c.name, c.type, c.unique) for c in session.scalars(
            select(Dataset).where(Dataset.name == name)).one().columns] for name in datasets}
    assert datasets, "the demo has no PII column: the sweep would prove nothing"
    for n, (name, (owner, pii)) in enumerate(datasets.items()):
        cols = columns[name]
        row = warehouse.query(f"SELECT {', '.join(c for c, _, _ in cols)} FROM {name} LIMIT 1").to_pylist()[0]
        values: dict[str, str] = {}
        for col, typ, unique in cols:
            v = row[col]
            values[col] = "" if v is None else v.isoformat() if hasattr(v, "isoformat") else str(v)
            if unique:
                values[col] = f"U{_rand(rng, 8)}" if typ == "string" else str(rng.randrange(10**8, 10**9))
        for col, typ in pii:
            canary = _shaped(rng, col, typ, f"{name}.{col}", owner, f"D{n}")
            planted.canaries.append(canary)
            values[col] = canary.value
        csv = ",".join(c for c, _, _ in cols) + "\n" + ",".join(_csv_cell(values[c]) for c, _, _ in cols) + "\n"
        _, secret = factory.token(["datasets"], agency=owner, name=f"canary-{owner.lower()}")
        r = client.post(f"/api/v1/datasets/{name}/batches", params={"mode": "append"},
                        headers={"Authorization": f"Bearer {secret}"},
                        files={"file": ("canary.csv", csv.encode(), "text/csv")})
        assert r.status_code == 201, r.text
        planted.dataset_owner[name] = owner
        planted.batches[name] = str(r.json().get("batch_id") or r.json()["id"])


def _csv_cell(v: str) -> str:
    return f'"{v}"' if "," in v or '"' in v else v


def plant_report(client: Any, db: Any, factory: Any, rng: random.Random, planted: Planted) -> None:
    """A citizen report through Open311 with every contact column given a canary (the columns of
    ``feedback_report_contact`` but its keys; ``name`` from ``first_name``)."""
    from dieuhanh.feedback.models import Report, ReportContact

    form_field = {"name": "first_name", "phone": "phone", "email": "email", "device_id": "device_id",
                  "account_id": "account_id"}
    columns = [c.name for c in ReportContact.__table__.columns if c.name not in ("id", "report_id")]
    assert set(columns) == set(form_field), f"a new contact column to plant a canary in: {columns}"
    with db.session() as session:
        sample = session.scalars(select(Report).where(Report.lat.is_not(None)).limit(1)).one()
        service_code, lat, lon = sample.category_code, sample.lat, sample.lon
    _, key = factory.token(["open311"], name="canary-app")
    values: dict[str, Canary] = {}
    for col in columns:
        values[col] = _shaped(rng, col, "string", f"feedback_report_contact.{col}", "?", "R")
    data = {"service_code": service_code, "lat": str(lat), "long": str(lon), "api_key": key,
            "description": "Đèn đường hỏng trước cổng chợ (kiểm thử canary)",
            **{form_field[c]: v.value for c, v in values.items()}}
    r = client.post("/open311/v2/requests.json", data=data)
    assert r.status_code == 200, r.text
    planted.report_code = r.json()[0]["service_request_id"]
    with db.session() as session:
        report = session.scalars(select(Report).where(Report.code == planted.report_code)).one()
        stored = session.scalars(select(ReportContact).where(ReportContact.report_id == report.id)).one()
        planted.report_owner = report.agency_code
        for col, canary in values.items():
            assert getattr(stored, col) == canary.value, col  # planted where the sweep expects it
            canary.owner = report.agency_code
            planted.canaries.append(canary)


def plant_dossier(client: Any, db: Any, factory: Any, rng: random.Random, planted: Planted) -> None:
    """A dossier pushed by its agency's ``publicservices`` token with every personal field of the portal's record
    (``PERSONAL_FIELDS``) given a canary."""
    from dieuhanh.publicservices.models import Dossier
    from dieuhanh.publicservices.service import PERSONAL_FIELDS

    with db.session() as session:
        sample = session.scalars(select(Dossier).where(Dossier.ma_don_vi_hanh_chinh.is_not(None)).limit(1)).one()
        proc, agency, unit = sample.ma_tthc, sample.ma_co_quan, sample.ma_don_vi_hanh_chinh
    code = f"000.00.37.CANARY-{_digits(rng, 6)}"
    record: dict[str, Any] = {
        "MaHoSo": code, "MaTTHC": proc, "MaCoQuan": agency, "MaDonViHanhChinh": unit, "KenhThucHien": 2,
        "TrangThaiHoSo": 4, "NgayTiepNhan": "20261201080000", "NgayHenTra": "20261215170000",
        "NgayCapNhat": "20261202090000", "SoLanYeuCauBoSung": 0, "DuocThanhToanTrucTuyen": 1,
        "CoKetQuaDienTu": 0, "DuocSoHoa": 1, "DuocTaiSuDung": 0, "CoPhanAnh": 0}
    canaries = {f: _shaped(rng, f, "string", f"ps_dossier.personal.{f}", agency, "P") for f in PERSONAL_FIELDS
                if f != "GioiTinh"}
    # GioiTinh is personal but has two values: no canary can be unique (it is stored with the rest)
    record.update({f: c.value for f, c in canaries.items()}, GioiTinh="Nữ")
    _, secret = factory.token(["publicservices"], agency=agency, name="canary-motcua")
    r = client.post("/api/v1/publicservices/dossiers", json=[record], headers={"Authorization": f"Bearer {secret}"})
    assert r.status_code == 200, r.text
    with db.session() as session:
        stored = session.get(Dossier, code)
        assert stored is not None and {f: stored.personal.get(f) for f in canaries} == {
            f: c.value for f, c in canaries.items()}, "personal fields not kept where the sweep expects them"
    planted.dossier, planted.dossier_owner = code, agency
    planted.canaries.extend(canaries.values())


# ------------------------------------------------------------------------------------------------ paths


def get_routes(app: Any) -> list[str]:
    """Every GET route path the app serves (FastAPI 0.16x keeps included routers as lazy groups: walk them)."""
    def walk(routes: list[Any]) -> Any:
        for r in routes:
            if hasattr(r, "effective_candidates"):
                yield from walk(r.effective_candidates())
            else:
                yield r

    return sorted({r.path for r in walk(app.routes) if "GET" in (getattr(r, "methods", None) or set())})


def demo_ids(db: Any, planted: Planted) -> dict[str, list[str]]:
    """Real ids of the demo for path parameters (the planted records first), by kind."""
    from dieuhanh.alerts.models import AlertInstance, AlertRule, Directive
    from dieuhanh.catalog.models import Dataset
    from dieuhanh.dashboard.models import Board
    from dieuhanh.documents.models import Document
    from dieuhanh.dti.models import DtiCampaign, DtiEvidenceFile, DtiFramework
    from dieuhanh.feedback.models import Category, ReportPhoto
    from dieuhanh.forecasting.models import TrafficForecast, WasteScenario
    from dieuhanh.indicators.models import IndicatorDefinition
    from dieuhanh.ingest.models import PullSource
    from dieuhanh.inspections.models import Enterprise
    from dieuhanh.operations.models import Camera, Event, Incident, IncidentPhoto
    from dieuhanh.operations.models import Procedure as SOP
    from dieuhanh.publicservices.models import Procedure
    from dieuhanh.reporting.models import ReportType

    def first(session: Any, col: Any, *where: Any) -> list[str]:
        return [str(v) for v in session.scalars(select(col).where(*where).order_by(col).limit(1))]

    with db.session() as s:
        return {
            "agency": sorted({planted.report_owner, planted.dossier_owner, *planted.dataset_owner.values()}),
            "commune": [first(s, Incident.unit_code, Incident.unit_code.is_not(None))[0]],
            "alert_instance": first(s, AlertInstance.id), "alert_rule": first(s, AlertRule.id),
            "directive": first(s, Directive.id), "document": first(s, Document.id), "board": first(s, Board.slug),
            "camera": first(s, Camera.id), "event": first(s, Event.id),
            "incident": first(s, Incident.id), "incident_photo": first(s, IncidentPhoto.id),
            "dataset": [*planted.dataset_owner, *first(s, Dataset.name, Dataset.published.is_(True))],
            "indicator": first(s, IndicatorDefinition.code), "report_type": first(s, ReportType.code),
            "campaign": first(s, DtiCampaign.id), "evidence": first(s, DtiEvidenceFile.id),
            "framework": first(s, DtiFramework.code), "feedback": [planted.report_code],
            "photo": first(s, ReportPhoto.id), "category": first(s, Category.service_code),
            "link": first(s, TrafficForecast.link_code), "scenario": first(s, WasteScenario.id),
            "pull_source": first(s, PullSource.id), "enterprise": first(s, Enterprise.id), "sop": first(s, SOP.code),
            "procedure": first(s, Procedure.ma_tthc, Procedure.ma_tthc.is_not(None)), "dossier": [planted.dossier],
        }


# Path parameter -> kind of id, by parameter name; ``{code}``, ``{name}``, ``{fmt}`` and ``{photo_id}`` depend on
# the route (``_KIND_BY_PREFIX``).
_KIND_BY_PARAM = {
    "instance_id": "alert_instance", "rule_id": "alert_rule", "directive_id": "directive",
    "document_id": "document", "camera_id": "camera", "event_id": "event", "incident_id": "incident",
    "campaign_id": "campaign", "file_id": "evidence", "scenario_id": "scenario", "source_id": "pull_source",
    "enterprise_id": "enterprise", "ma_ho_so": "dossier", "ma_tthc": "procedure", "slug": "board",
    "unit": "commune",
}
_KIND_BY_PREFIX = [  # (route prefix, parameter, kind or literal values)
    ("/agencies/", "code", "agency"), ("/api/v1/agencies/", "code", "agency"),
    ("/api/v1/dti/frameworks/", "code", "framework"), ("/api/v1/forecasts/traffic/links/", "code", "link"),
    ("/api/v1/feedback/public/reports/", "code", "feedback"), ("/api/v1/feedback/reports/", "code", "feedback"),
    ("/api/v1/indicators/", "code", "indicator"), ("/indicators/", "code", "indicator"),
    ("/du-bao/chi-tieu/", "code", "indicator"), ("/api/v1/procedures-sop/", "code", "sop"),
    ("/api/v1/reports/", "code", "report_type"), ("/reports/", "code", "report_type"),
    ("/api/v1/units/", "code", "commune"), ("/opendata/organizations/", "code", "agency"),
    ("/phan-anh/anh/", "photo_id", "photo"), ("/api/v1/feedback/public/photos/", "photo_id", "photo"),
    ("/api/v1/incidents/", "photo_id", "incident_photo"),
    ("/phan-anh/", "code", "feedback"), ("/xu-ly-phan-anh/", "code", "feedback"),
    ("/api/v1/datasets/", "name", "dataset"), ("/dataset/", "name", "dataset"), ("/datasets/", "name", "dataset"),
    ("/opendata/datasets/", "name", "dataset"),
    ("/open311/v2/requests/", "name", ["{feedback}.json", "{feedback}.xml"]),
    ("/open311/v2/tokens/", "name", ["{feedback}.json"]),
    ("/open311/v2/services/", "name", ["{category}.json", "{category}.xml"]),
    ("/open311/", "fmt", ["json", "xml"]), ("/opendata/datasets/", "fmt", ["csv", "json", "parquet", "xlsx"]),
    ("/api/3/action/", "action", "ckan"), ("/api/action/", "action", ["package_show?id={dataset}"]),
]
PARAM = re.compile(r"\{(\w+)\}")


def ckan_actions(planted: Planted) -> list[str]:
    """The CKAN Action API's read actions, with the PII datasets as arguments."""
    out = ["status_show", "package_list", "current_package_list_with_resources", "organization_list",
           "group_list", "tag_list", "license_list", "package_search?q=&rows=1000", "resource_view_list"]
    for ds in planted.dataset_owner:
        out += [f"package_show?id={ds}", f"package_search?q={ds}", f"resource_show?id={ds}-csv",
                f"datastore_search?resource_id={ds}", f"datastore_info?id={ds}",
                f"datastore_search_sql?sql=SELECT * FROM \"{ds}-csv\""]
    out += [f"organization_show?id={a}&include_datasets=true" for a in sorted(set(planted.dataset_owner.values()))]
    return out


def route_urls(template: str, ids: dict[str, list[str]], planted: Planted) -> list[str]:
    """Concrete URLs of a GET route: every combination of its parameters' values (an unknown parameter fails:
    a new route must say where its ids come from)."""
    urls = [template]
    for param in PARAM.findall(template):
        kind: Any = next((k for prefix, p, k in _KIND_BY_PREFIX if p == param and template.startswith(prefix)),
                         _KIND_BY_PARAM.get(param))
        if kind is None:
            raise AssertionError(f"{template}: no demo id known for {{{param}}} (add it to canary_sweep)")
        if kind == "ckan":
            values = ckan_actions(planted)
        elif isinstance(kind, list):
            values = [v.format(**{k: ids[k][0] for k in ("feedback", "category", "dataset")}) for v in kind]
        else:
            values = ids[kind] or ["1"]  # the demo has none: the route's "not found" answer is swept
        urls = [u.replace("{" + param + "}", v, 1) for u in urls for v in values]
    return urls


def extra_urls(planted: Planted) -> list[str]:
    """Query variants of list, filter and export routes that the bare routes do not reach."""
    a, d = planted.dossier_owner, planted.report_owner
    rows = [f"/api/v1/datasets/{ds}/rows?batch={b}" for ds, b in planted.batches.items()]
    return [*rows, *(f"/api/v1/datasets/{ds}/rows?limit=10000" for ds in planted.batches),
            *(f"/datasets/{ds}?batch={b}" for ds, b in planted.batches.items()),
            f"/api/v1/publicservices/dossiers?ma_co_quan={a}", f"/publicservices/dossiers?agency={a}",
            f"/api/v1/feedback/reports?agency={d}",
            f"/xu-ly-phan-anh?agency={d}", f"/xu-ly-phan-anh?q={planted.report_code}", "/admin/audit?page=1",
            f"/api/v1/audit?entity_id={planted.report_code}", "/api/v1/datasets?q=bao",
            f"/open311/v2/requests.json?service_request_id={planted.report_code}",
            # error responses: an id that does not exist, a malformed parameter
            "/api/v1/publicservices/dossiers/khong-co", "/api/v1/feedback/reports/KHONGCO",
            "/api/v1/datasets/khong_co/rows", f"/api/v1/datasets/{next(iter(planted.dataset_owner))}/rows?limit=-1",
            "/phan-anh/KHONGCO", "/open311/v2/requests/KHONGCO.json"]


def machine(url: str) -> bool:
    """Paths a system calls with a token (the rest are pages for people)."""
    return url.startswith(("/api/", "/open311/", "/opendata/datasets/", "/dataset/", "/catalog."))


def planted_urls(urls: list[str], planted: Planted) -> list[str]:
    """The URLs that name a planted record, its batch or its owner (the owners' officers read these)."""
    keys = [planted.report_code, planted.dossier, *planted.batches.values(), *planted.dataset_owner,
            f"={planted.report_owner}", f"={planted.dossier_owner}"]
    return [u for u in urls if any(k in u for k in keys)]


# ------------------------------------------------------------------------------------------------ reading


def response_text(response: Any) -> str:
    """What a response shows: its body as text; the XML inside an XLSX/DOCX, the text of a PDF, a Parquet
    file as CSV; and its headers (a Content-Disposition file name, a Location)."""
    body = response.content
    kind = response.headers.get("content-type", "")
    parts = [" ".join(f"{k}: {v}" for k, v in response.headers.items())]
    if body[:4] == b"PK\x03\x04":
        with zipfile.ZipFile(io.BytesIO(body)) as z:
            parts += [z.read(n).decode("utf-8", "replace") for n in z.namelist() if n.endswith((".xml", ".rels"))]
    elif body[:5] == b"%PDF-":
        from pypdf import PdfReader

        parts += [p.extract_text() or "" for p in PdfReader(io.BytesIO(body)).pages]
        parts.append(body.decode("latin-1"))
    elif body[:4] == b"PAR1":
        import pyarrow.parquet as pq

        parts.append(str(pq.read_table(io.BytesIO(body)).to_pylist()))
    else:
        parts.append(body.decode("utf-8", "replace"))
        if "json" in kind:  # a JSON body may escape non-ASCII or slashes
            parts.append(body.decode("unicode_escape", "replace"))
    return "\n".join(parts)
