"""DCAT-AP 3 feeds of the open data portal: the catalogue and each dataset as Turtle, JSON-LD and RDF/XML.

Only what :mod:`dieuhanh.opendata.service` lets out appears here (published public datasets; no column is
described, so no personal data can leak through the metadata). Values of the EU controlled vocabularies are typed
explicitly in the graph, as ckanext-dcat does, so the DCAT-AP SHACL shapes validate without fetching the
vocabularies. Large catalogues are paged with Hydra (``?page=N``), also as ckanext-dcat does, so its harvesters
follow the pages.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Annotated, Any
from urllib.parse import quote, urlencode

from fastapi import APIRouter, Query, Request
from fastapi.responses import Response
from rdflib import RDF, RDFS, SKOS, XSD, Graph, Literal, Namespace, URIRef
from rdflib.namespace import DCAT, DCTERMS, FOAF
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from dieuhanh.catalog.models import Dataset
from dieuhanh.core.errors import NotFound
from dieuhanh.opendata import service
from dieuhanh.orgs.models import Agency
from dieuhanh.web.deps import DB

router = APIRouter(include_in_schema=False)

HYDRA = Namespace("http://www.w3.org/ns/hydra/core#")
VCARD = Namespace("http://www.w3.org/2006/vcard/ns#")
DCATAP = Namespace("http://data.europa.eu/r5r/")
EU = "http://publications.europa.eu/resource/authority/"
LANGUAGE_SCHEME = URIRef(EU + "language")
LANGUAGE_VIE = URIRef(EU + "language/VIE")
FREQUENCY_SCHEME = URIRef(EU + "frequency")
FILE_TYPE_SCHEME = URIRef(EU + "file-type")
THEME_SCHEME = URIRef(EU + "data-theme")
COUNTRY_SCHEME = URIRef(EU + "country")
AVAILABILITY_SCHEME = URIRef(EU + "planned-availability")
STABLE = URIRef(EU + "planned-availability/STABLE")
VIETNAM = URIRef(EU + "country/VNM")
PUBLISHER_TYPE_SCHEME = URIRef("http://purl.org/adms/publishertype/1.0")
REGIONAL_AUTHORITY = URIRef("http://purl.org/adms/publishertype/RegionalAuthority")
LOCAL_AUTHORITY = URIRef("http://purl.org/adms/publishertype/LocalAuthority")
DCAT_AP_3 = URIRef("http://data.europa.eu/r5r/")  # dct:conformsTo of the catalogue

PROVINCE_COMMITTEE = "UBND"
CATALOG_LICENSE = "cc-by-4.0"  # of the catalogue's own metadata
PAGE_SIZE = 100
MAX_PAGE_SIZE = 1000

# Codes of the catalogue -> EU frequency authority (http://publications.europa.eu/resource/authority/frequency).
FREQUENCIES: dict[str, tuple[str, str]] = {
    "realtime": ("CONT", "continuous"),
    "daily": ("DAILY", "daily"),
    "weekly": ("WEEKLY", "weekly"),
    "monthly": ("MONTHLY", "monthly"),
    "quarterly": ("QUARTERLY", "quarterly"),
    "yearly": ("ANNUAL", "annual"),
    "irregular": ("IRREG", "irregular"),
}
# Portal groups (service.GROUPS) -> EU data themes.
THEMES: dict[str, tuple[str, str]] = {
    "dan-cu": ("SOCI", "Population and society"),
    "kinh-te": ("ECON", "Economy and finance"),
    "giao-duc": ("EDUC", "Education, culture and sport"),
    "y-te": ("HEAL", "Health"),
    "moi-truong": ("ENVI", "Environment"),
    "giao-thong": ("TRAN", "Transport"),
    "hanh-chinh": ("GOVE", "Government and public sector"),
}
# Licences with a public URI; the others get one of our own, declared as a dct:LicenseDocument.
LICENSE_URIS = {
    "cc-by-4.0": "https://creativecommons.org/licenses/by/4.0/",
    "cc0-1.0": "https://creativecommons.org/publicdomain/zero/1.0/",
    "odc-by": "https://opendatacommons.org/licenses/by/1-0/",
}
# Download formats -> (EU file type, IANA media type).
FORMATS: dict[str, tuple[str, str]] = {
    "csv": ("CSV", "text/csv"),
    "json": ("JSON", "application/json"),
    "parquet": ("PARQUET", "application/vnd.apache.parquet"),
    "xlsx": ("XLSX", "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"),
}
SERIALIZATIONS: dict[str, tuple[str, str]] = {
    "ttl": ("turtle", "text/turtle; charset=utf-8"),
    "jsonld": ("json-ld", "application/ld+json"),
    "xml": ("xml", "application/rdf+xml"),
}


def base_url(request: Request) -> str:
    configured = request.app.state.settings.public_base_url
    return (configured or str(request.base_url)).rstrip("/")


def _vi(text: str) -> Literal:
    return Literal(text, lang="vi")


def _when(value: datetime | None) -> Literal | None:
    if value is None:
        return None
    if value.tzinfo is None:
        value = value.replace(tzinfo=UTC)
    return Literal(value.astimezone(UTC).replace(microsecond=0).isoformat(), datatype=XSD.dateTime)


class _Builder:
    """One graph under construction, with the code-list values it has already typed."""

    def __init__(self, session: Session, request: Request) -> None:
        self.session = session
        self.base = base_url(request)
        province = request.app.state.province
        self.province_label = f"{province.type} {province.name}"  # "tỉnh Ninh Bình", "thành phố Hà Nội"
        self.graph = Graph()
        self._typed: set[URIRef] = set()
        self._agencies: dict[str, Agency | None] = {}
        for prefix, ns in (("dcat", DCAT), ("dct", DCTERMS), ("foaf", FOAF), ("vcard", VCARD), ("skos", SKOS),
                           ("hydra", HYDRA), ("dcatap", DCATAP)):
            self.graph.bind(prefix, ns)

    # -------------------------------------------------------------------------------------- code lists

    def _once(self, uri: URIRef) -> bool:
        if uri in self._typed:
            return False
        self._typed.add(uri)
        return True

    def scheme(self, uri: URIRef, title: str) -> URIRef:
        if self._once(uri):
            self.graph.add((uri, RDF.type, SKOS.ConceptScheme))
            self.graph.add((uri, DCTERMS.title, Literal(title, lang="en")))
        return uri

    def concept(self, uri: URIRef, scheme: URIRef, scheme_title: str, label: str, *types: URIRef) -> URIRef:
        if self._once(uri):
            g = self.graph
            g.add((uri, RDF.type, SKOS.Concept))
            for t in types:
                g.add((uri, RDF.type, t))
            g.add((uri, SKOS.inScheme, self.scheme(scheme, scheme_title)))
            g.add((uri, SKOS.prefLabel, Literal(label, lang="en")))
        return uri

    def language(self) -> URIRef:
        return self.concept(LANGUAGE_VIE, LANGUAGE_SCHEME, "Languages", "Vietnamese", DCTERMS.LinguisticSystem)

    def spatial(self) -> URIRef:
        return self.concept(VIETNAM, COUNTRY_SCHEME, "Countries and territories", "Viet Nam", DCTERMS.Location)

    def frequency(self, code: str) -> URIRef | None:
        if code not in FREQUENCIES:
            return None
        eu, label = FREQUENCIES[code]
        return self.concept(URIRef(f"{EU}frequency/{eu}"), FREQUENCY_SCHEME, "Frequency", label, DCTERMS.Frequency)

    def theme(self, group: str) -> URIRef:
        eu, label = THEMES[group]
        uri = self.concept(URIRef(f"{EU}data-theme/{eu}"), THEME_SCHEME, "Data theme", label)
        self.graph.add((uri, SKOS.prefLabel, _vi(service.GROUPS[group][0])))
        return uri

    def file_type(self, fmt: str) -> URIRef:
        eu = FORMATS[fmt][0]
        return self.concept(URIRef(f"{EU}file-type/{eu}"), FILE_TYPE_SCHEME, "File type", eu,
                            DCTERMS.MediaTypeOrExtent)

    def media_type(self, fmt: str) -> URIRef:
        uri = URIRef(f"https://www.iana.org/assignments/media-types/{FORMATS[fmt][1]}")
        if self._once(uri):
            self.graph.add((uri, RDF.type, DCTERMS.MediaType))
            self.graph.add((uri, RDF.type, DCTERMS.MediaTypeOrExtent))
        return uri

    def license(self, license_id: str) -> URIRef:
        uri = URIRef(LICENSE_URIS.get(license_id) or f"{self.base}/opendata/licenses/{quote(license_id)}")
        if self._once(uri):
            self.graph.add((uri, RDF.type, DCTERMS.LicenseDocument))
            self.graph.add((uri, RDFS.label, _vi(service.license_title(license_id))))
            self.graph.add((uri, DCTERMS.identifier, Literal(license_id)))
        return uri

    def document(self, url: str) -> URIRef:
        uri = URIRef(url)
        self.graph.add((uri, RDF.type, FOAF.Document))
        return uri

    # -------------------------------------------------------------------------------------- agents

    def agency(self, code: str) -> Agency | None:
        if code not in self._agencies:
            self._agencies[code] = self.session.get(Agency, code)
        return self._agencies[code]

    def agent(self, code: str) -> URIRef:
        uri = URIRef(f"{self.base}/opendata/organizations/{quote(code.lower())}")
        if self._once(uri):
            agency = self.agency(code)
            g = self.graph
            g.add((uri, RDF.type, FOAF.Agent))
            g.add((uri, RDF.type, FOAF.Organization))
            name = agency.name if agency else code
            if code == PROVINCE_COMMITTEE:
                name = f"Ủy ban nhân dân {self.province_label}"
            g.add((uri, FOAF.name, _vi(name)))
            g.add((uri, DCTERMS.identifier, Literal(code)))
            commune = agency is not None and agency.kind == "commune"
            kind = (LOCAL_AUTHORITY, "Local authority") if commune else (REGIONAL_AUTHORITY, "Regional authority")
            g.add((uri, DCTERMS.type, self.concept(kind[0], PUBLISHER_TYPE_SCHEME, "Publisher type", kind[1])))
            if agency is not None and agency.website:
                g.add((uri, FOAF.homepage, self.document(agency.website)))
            if agency is not None and agency.email:
                g.add((uri, FOAF.mbox, URIRef(f"mailto:{agency.email}")))
        return uri

    def contact(self, code: str) -> URIRef:
        uri = URIRef(f"{self.base}/opendata/organizations/{quote(code.lower())}#contact")
        if self._once(uri):
            agency = self.agency(code)
            g = self.graph
            g.add((uri, RDF.type, VCARD.Organization))
            g.add((uri, RDF.type, VCARD.Kind))
            g.add((uri, VCARD.fn, _vi(agency.name if agency else code)))
            if agency is not None and agency.email:
                g.add((uri, VCARD.hasEmail, URIRef(f"mailto:{agency.email}")))
            if agency is not None and agency.phone:
                g.add((uri, VCARD.hasTelephone, URIRef(f"tel:{agency.phone.replace(' ', '')}")))
            if agency is not None and agency.website:
                g.add((uri, VCARD.hasURL, URIRef(agency.website)))
        return uri

    # -------------------------------------------------------------------------------------- resources

    def catalog_uri(self) -> URIRef:
        return URIRef(f"{self.base}/catalog")

    def dataset_uri(self, ds: Dataset) -> URIRef:
        return URIRef(f"{self.base}/dataset/{quote(ds.name)}")

    def catalog(self, issued: datetime | None, modified: datetime | None) -> URIRef:
        g, uri = self.graph, self.catalog_uri()
        g.add((uri, RDF.type, DCAT.Catalog))
        g.add((uri, DCTERMS.title, _vi(f"Cổng dữ liệu mở {self.province_label}")))
        g.add((uri, DCTERMS.description, _vi(
            f"Danh mục dữ liệu mở của {self.province_label}: các bộ dữ liệu công khai của các sở, ngành, "
            "địa phương trong kho dữ liệu dùng chung, tải về tự do theo giấy phép ghi trong từng bộ dữ liệu.")))
        g.add((uri, DCTERMS.publisher, self.agent(PROVINCE_COMMITTEE)))
        g.add((uri, DCTERMS.language, self.language()))
        g.add((uri, DCTERMS.spatial, self.spatial()))
        g.add((uri, FOAF.homepage, self.document(f"{self.base}/opendata")))
        g.add((uri, DCAT.themeTaxonomy, self.scheme(THEME_SCHEME, "Data theme")))
        g.add((uri, DCTERMS.conformsTo, DCAT_AP_3))
        g.add((DCAT_AP_3, RDF.type, DCTERMS.Standard))
        g.add((uri, DCTERMS.license, self.license(CATALOG_LICENSE)))
        for prop, value in ((DCTERMS.issued, issued), (DCTERMS.modified, modified)):
            when = _when(value)
            if when is not None:
                g.add((uri, prop, when))
        return uri

    def dataset(self, ds: Dataset) -> URIRef:
        g, uri = self.graph, self.dataset_uri(ds)
        g.add((uri, RDF.type, DCAT.Dataset))
        g.add((uri, DCTERMS.title, _vi(ds.title)))
        g.add((uri, DCTERMS.description, _vi(ds.description.strip() or ds.title)))
        g.add((uri, DCTERMS.identifier, Literal(ds.name)))
        for tag in ds.tags:
            g.add((uri, DCAT.keyword, _vi(tag)))
        g.add((uri, DCTERMS.publisher, self.agent(ds.owner_agency)))
        g.add((uri, DCAT.contactPoint, self.contact(ds.owner_agency)))
        g.add((uri, DCTERMS.language, self.language()))
        g.add((uri, DCTERMS.spatial, self.spatial()))
        frequency = self.frequency(ds.update_frequency)
        if frequency is not None:
            g.add((uri, DCTERMS.accrualPeriodicity, frequency))
        for group in service.groups_of(ds):
            if group in THEMES:
                g.add((uri, DCAT.theme, self.theme(group)))
        landing = f"{self.base}/opendata/datasets/{quote(ds.name)}"
        g.add((uri, DCAT.landingPage, self.document(landing)))
        for prop, value in ((DCTERMS.issued, ds.published_at or ds.created_at),
                            (DCTERMS.modified, service.last_modified(self.session, ds) or ds.updated_at)):
            when = _when(value)
            if when is not None:
                g.add((uri, prop, when))
        license_uri = self.license(ds.license_id)
        for fmt in service.FORMATS:
            g.add((uri, DCAT.distribution, self.distribution(ds, fmt, license_uri)))
        return uri

    def distribution(self, ds: Dataset, fmt: str, license_uri: URIRef) -> URIRef:
        g = self.graph
        uri = URIRef(f"{self.dataset_uri(ds)}/distribution/{fmt}")
        download = URIRef(f"{self.base}/opendata/datasets/{quote(ds.name)}/download.{fmt}")
        g.add((uri, RDF.type, DCAT.Distribution))
        g.add((uri, DCTERMS.title, _vi(f"{ds.title} ({service.FORMAT_LABELS[fmt]})")))
        g.add((uri, DCTERMS.description, _vi(
            f"Toàn bộ dữ liệu công khai của bộ dữ liệu, định dạng {service.FORMAT_LABELS[fmt]}, tải về trực tiếp.")))
        g.add((uri, DCATAP.availability, self.concept(STABLE, AVAILABILITY_SCHEME, "Planned availability", "stable")))
        g.add((uri, DCAT.accessURL, download))
        g.add((uri, DCAT.downloadURL, download))
        g.add((uri, DCTERMS.format, self.file_type(fmt)))
        g.add((uri, DCAT.mediaType, self.media_type(fmt)))
        g.add((uri, DCTERMS.license, license_uri))
        return uri

    def paging(self, request: Request, *, page: int, page_size: int, total: int, explicit_size: bool) -> None:
        """Hydra paging as ckanext-dcat writes it (hydra:PagedCollection with firstPage/nextPage/...), plus the
        current Hydra terms (PartialCollectionView with first/next/...) on the same node."""
        last = max(1, -(-total // page_size))

        def url(n: int) -> URIRef:
            params: dict[str, Any] = {"page": n}
            if explicit_size:
                params["page_size"] = page_size
            return URIRef(f"{self.base}{request.url.path}?{urlencode(params)}")

        g, view = self.graph, url(page)
        g.add((self.catalog_uri(), HYDRA.view, view))
        g.add((view, RDF.type, HYDRA.PagedCollection))
        g.add((view, RDF.type, HYDRA.PartialCollectionView))
        g.add((view, HYDRA.totalItems, Literal(total, datatype=XSD.integer)))
        g.add((view, HYDRA.itemsPerPage, Literal(page_size, datatype=XSD.integer)))
        links = [("first", "firstPage", 1), ("last", "lastPage", last)]
        if page < last:
            links.append(("next", "nextPage", page + 1))
        if page > 1:
            links.append(("previous", "previousPage", page - 1))
        for term, legacy, n in links:
            g.add((view, HYDRA[term], url(n)))
            g.add((view, HYDRA[legacy], Literal(str(url(n)))))


def _respond(graph: Graph, ext: str) -> Response:
    fmt, media_type = SERIALIZATIONS[ext]
    body = graph.serialize(format=fmt, auto_compact=True) if fmt == "json-ld" else graph.serialize(format=fmt)
    return Response(content=body, media_type=media_type)


def catalog_graph(session: Session, request: Request, *, page: int = 1, page_size: int | None = None) -> Graph:
    size = min(max(page_size or PAGE_SIZE, 1), MAX_PAGE_SIZE)
    query = service.published_query()
    counted = query.order_by(None).subquery()
    total, issued = session.execute(select(func.count(), func.min(counted.c.published_at))).one()
    last = max(1, -(-total // size))
    if page > last:
        raise NotFound(f"Danh mục chỉ có {last} trang.")
    datasets = list(session.scalars(query.order_by(Dataset.name).limit(size).offset((page - 1) * size)))
    builder = _Builder(session, request)
    modified = [m for ds in datasets if (m := service.last_modified(session, ds) or ds.updated_at) is not None]
    catalog = builder.catalog(issued, max(modified) if modified else None)
    for ds in datasets:
        builder.graph.add((catalog, DCAT.dataset, builder.dataset(ds)))
    if total > size or page > 1 or page_size is not None:
        builder.paging(request, page=page, page_size=size, total=total, explicit_size=page_size is not None)
    return builder.graph


def dataset_graph(session: Session, request: Request, name: str) -> Graph:
    ds = service.get_published(session, name)
    if ds.name != name:  # only the canonical name has a DCAT URI
        raise NotFound(f"Không có bộ dữ liệu mở '{name}'.")
    builder = _Builder(session, request)
    builder.dataset(ds)
    return builder.graph


Page = Annotated[int, Query(ge=1, description="Trang của danh mục (Hydra)")]
PageSize = Annotated[int | None, Query(ge=1, description=f"Số bộ dữ liệu mỗi trang (tối đa {MAX_PAGE_SIZE})")]


@router.get("/catalog.ttl")
def catalog_ttl(request: Request, db: DB, page: Page = 1, page_size: PageSize = None) -> Response:
    return _respond(catalog_graph(db, request, page=page, page_size=page_size), "ttl")


@router.get("/catalog.jsonld")
def catalog_jsonld(request: Request, db: DB, page: Page = 1, page_size: PageSize = None) -> Response:
    return _respond(catalog_graph(db, request, page=page, page_size=page_size), "jsonld")


@router.get("/catalog.xml")
@router.get("/catalog.rdf")
def catalog_xml(request: Request, db: DB, page: Page = 1, page_size: PageSize = None) -> Response:
    return _respond(catalog_graph(db, request, page=page, page_size=page_size), "xml")


@router.get("/dataset/{name}.ttl")
def dataset_ttl(name: str, request: Request, db: DB) -> Response:
    return _respond(dataset_graph(db, request, name), "ttl")


@router.get("/dataset/{name}.jsonld")
def dataset_jsonld(name: str, request: Request, db: DB) -> Response:
    return _respond(dataset_graph(db, request, name), "jsonld")


@router.get("/dataset/{name}.xml")
@router.get("/dataset/{name}.rdf")
def dataset_xml(name: str, request: Request, db: DB) -> Response:
    return _respond(dataset_graph(db, request, name), "xml")
