"""DCAT-AP 3 feeds of the open data portal, validated against the official SHACL shapes."""

from __future__ import annotations

from pathlib import Path

import pytest
from rdflib import Graph, Literal, Namespace, URIRef
from rdflib.compare import isomorphic

from conftest import login

SHAPES_DIR = Path(__file__).resolve().parents[2].parent / "shared" / "data" / "dcat-ap-3.0.0"
SHAPE_FILES = ("shapes.ttl", "range.ttl", "mdr-vocabularies.shape.ttl", "shapes_recommended.ttl")
# Plain namespaces: rdflib's closed ones warn when pytest probes the module's attributes. Terms that are str
# methods (title, format) must be written DCTERMS["title"].
RDF = Namespace("http://www.w3.org/1999/02/22-rdf-syntax-ns#")
DCAT = Namespace("http://www.w3.org/ns/dcat#")
DCTERMS = Namespace("http://purl.org/dc/terms/")
FOAF = Namespace("http://xmlns.com/foaf/0.1/")
SH = Namespace("http://www.w3.org/ns/shacl#")
HYDRA = Namespace("http://www.w3.org/ns/hydra/core#")
VCARD = Namespace("http://www.w3.org/2006/vcard/ns#")
EU = "http://publications.europa.eu/resource/authority/"
BASE = "http://127.0.0.1"

BENEFICIARIES = [
    {"name": "ma_xa", "type": "unit_code", "required": True},
    {"name": "ho_ten", "type": "string", "pii": True},
    {"name": "so_cccd", "type": "string", "pii": True},
    {"name": "muc_tro_cap", "type": "number", "required": True},
]


def dataset_body(name: str, owner: str = "TKT", access: str = "public", schema=None, **extra):  # type: ignore[no-untyped-def]
    return {"name": name, "title": "Dân số trung bình theo xã, phường", "owner_agency": owner,
            "license_id": "cc-by-4.0", "access": access, "update_frequency": "yearly", "tags": ["dân số"],
            "schema": schema, **extra}


def csv_upload(client, name: str, content: str, headers: dict):  # type: ignore[no-untyped-def]
    return client.post(f"/api/v1/datasets/{name}/batches", params={"mode": "append"}, headers=headers,
                       files={"file": ("data.csv", content.encode("utf-8"), "text/csv")})


@pytest.fixture
def feeds(app, client, factory, agency_token):  # type: ignore[no-untyped-def]
    """Two published public datasets, one public but unpublished, one restricted with personal data."""
    from dieuhanh.opendata import dcat

    if not any(getattr(r, "path", None) == "/catalog.ttl" for r in app.routes):
        app.include_router(dcat.router)
    population = dataset_body(name="dan_so_xa", access="public", description="Dân số trung bình từng xã, phường.",
                              schema=[{"name": "ma_xa", "type": "unit_code"}, {"name": "dan_so", "type": "integer"}])
    schools = dataset_body(name="truong_hoc", access="public", tags=["giáo dục", "trường học"],
                           title="Số trường học theo xã", update_frequency="monthly", license_id="other-open",
                           schema=[{"name": "ma_xa", "type": "unit_code"}, {"name": "so_truong", "type": "integer"}])
    hidden = dataset_body(name="chua_cong_bo", access="public", title="Bộ dữ liệu chưa công bố",
                          schema=[{"name": "ma_xa", "type": "unit_code"}, {"name": "so_luong", "type": "integer"}])
    for body, content in ((population, "ma_xa,dan_so\n13285,45123\n"), (schools, "ma_xa,so_truong\n13285,12\n"),
                          (hidden, "ma_xa,so_luong\n13285,3\n")):
        assert client.post("/api/v1/datasets", json=body, headers=agency_token).status_code == 201
        assert csv_upload(client, body["name"], content, agency_token).status_code == 201
    _, secret = factory.token(["datasets"], agency="SNV", name="he-thong-noi-vu")
    owner = {"Authorization": f"Bearer {secret}"}
    restricted = dataset_body(name="doi_tuong_bao_tro", owner="SNV", access="restricted", schema=BENEFICIARIES)
    assert client.post("/api/v1/datasets", json=restricted, headers=owner).status_code == 201
    content = "ma_xa,ho_ten,so_cccd,muc_tro_cap\n13285,Nguyễn Văn An,035090001234,\"540.000\"\n"
    assert csv_upload(client, "doi_tuong_bao_tro", content, owner).status_code == 201
    _, analyst, _ = factory.user("analyst")
    _, csrf = login(client, analyst)
    for name in ("dan_so_xa", "truong_hoc"):
        published = client.post(f"/api/v1/datasets/{name}/publish", headers={"X-CSRF-Token": csrf})
        assert published.status_code == 200, published.text
    client.cookies.clear()
    return client


def _graph(response, fmt: str) -> Graph:  # type: ignore[no-untyped-def]
    assert response.status_code == 200, response.text
    return Graph().parse(data=response.text, format=fmt)


def _shapes() -> Graph:
    shapes = Graph()
    for name in SHAPE_FILES:
        shapes.parse(SHAPES_DIR / name, format="turtle")
    return shapes


def test_catalog_validates_against_dcat_ap_3_shapes(feeds):
    import pyshacl

    response = feeds.get("/catalog.ttl")
    assert response.headers["content-type"].startswith("text/turtle")
    graph = _graph(response, "turtle")
    conforms, results, text = pyshacl.validate(graph, shacl_graph=_shapes(), inference="none", allow_warnings=True)
    # Only the report's own results: nested sh:detail results are explanations of a top-level one.
    report = results.value(predicate=RDF.type, object=SH.ValidationReport)
    severities = [results.value(r, SH.resultSeverity) for r in results.objects(report, SH.result)]
    violations = severities.count(SH.Violation)
    print(f"DCAT-AP 3 SHACL: {violations} violations, {severities.count(SH.Warning)} warnings, "
          f"{severities.count(SH.Info)} infos")
    assert violations == 0, text
    assert conforms, text


def test_catalog_lists_only_published_datasets_with_dcat_ap_metadata(feeds):
    graph = _graph(feeds.get("/catalog.ttl"), "turtle")
    catalog = URIRef(f"{BASE}/catalog")
    assert (catalog, RDF.type, DCAT.Catalog) in graph
    assert set(graph.objects(catalog, DCAT.dataset)) == {URIRef(f"{BASE}/dataset/dan_so_xa"),
                                                          URIRef(f"{BASE}/dataset/truong_hoc")}
    assert set(graph.subjects(RDF.type, DCAT.Dataset)) == set(graph.objects(catalog, DCAT.dataset))
    assert (catalog, DCTERMS.language, URIRef(f"{EU}language/VIE")) in graph
    publisher = graph.value(catalog, DCTERMS.publisher)
    assert (publisher, RDF.type, FOAF.Agent) in graph
    assert graph.value(publisher, FOAF.name) == Literal("Ủy ban nhân dân tỉnh Ninh Bình", lang="vi")
    assert graph.value(catalog, DCTERMS["title"]).language == "vi"
    assert graph.value(catalog, DCTERMS.modified) is not None

    schools = URIRef(f"{BASE}/dataset/truong_hoc")
    assert graph.value(schools, DCTERMS["title"]) == Literal("Số trường học theo xã", lang="vi")
    assert graph.value(schools, DCTERMS.identifier) == Literal("truong_hoc")
    assert Literal("giáo dục", lang="vi") in set(graph.objects(schools, DCAT.keyword))
    assert graph.value(schools, DCTERMS.accrualPeriodicity) == URIRef(f"{EU}frequency/MONTHLY")
    assert URIRef(f"{EU}data-theme/EDUC") in set(graph.objects(schools, DCAT.theme))
    assert graph.value(URIRef(f"{BASE}/dataset/dan_so_xa"), DCTERMS.accrualPeriodicity) == URIRef(
        f"{EU}frequency/ANNUAL")
    assert graph.value(schools, DCTERMS.issued) is not None and graph.value(schools, DCTERMS.modified) is not None
    owner = graph.value(schools, DCTERMS.publisher)
    assert graph.value(owner, FOAF.name) == Literal("Thống kê tỉnh", lang="vi")
    contact = graph.value(schools, DCAT.contactPoint)
    assert (contact, RDF.type, VCARD.Organization) in graph and graph.value(contact, VCARD.fn) is not None

    distributions = list(graph.objects(schools, DCAT.distribution))
    formats = {graph.value(d, DCTERMS["format"]) for d in distributions}
    assert formats == {URIRef(f"{EU}file-type/{f}") for f in ("CSV", "JSON", "PARQUET", "XLSX")}
    downloads = {graph.value(d, DCAT.downloadURL) for d in distributions}
    assert URIRef(f"{BASE}/opendata/datasets/truong_hoc/download.csv") in downloads
    csv = next(d for d in distributions if str(graph.value(d, DCAT.downloadURL)).endswith(".csv"))
    assert graph.value(csv, DCAT.accessURL) == graph.value(csv, DCAT.downloadURL)
    assert graph.value(csv, DCAT.mediaType) == URIRef("https://www.iana.org/assignments/media-types/text/csv")
    licence = graph.value(csv, DCTERMS.license)
    assert (licence, RDF.type, DCTERMS.LicenseDocument) in graph and licence.startswith(BASE)  # other-open
    population_csv = next(d for d in graph.objects(URIRef(f"{BASE}/dataset/dan_so_xa"), DCAT.distribution))
    assert graph.value(population_csv, DCTERMS.license) == URIRef("https://creativecommons.org/licenses/by/4.0/")

    text = feeds.get("/catalog.ttl").text
    for secret in ("chua_cong_bo", "doi_tuong_bao_tro", "ho_ten", "so_cccd", "Nguyễn Văn An", "035090001234"):
        assert secret not in text
    # Every literal of the catalogue and its datasets that a person reads is tagged Vietnamese.
    for subject in [catalog, *graph.objects(catalog, DCAT.dataset)]:
        for prop in (DCTERMS["title"], DCTERMS.description):
            assert {o.language for o in graph.objects(subject, prop)} == {"vi"}


def test_jsonld_and_rdfxml_carry_the_same_graph(feeds):
    turtle = _graph(feeds.get("/catalog.ttl"), "turtle")
    jsonld = feeds.get("/catalog.jsonld")
    assert jsonld.headers["content-type"].startswith("application/ld+json")
    xml = feeds.get("/catalog.xml")
    assert xml.headers["content-type"].startswith("application/rdf+xml")
    assert len(turtle) > 50
    assert isomorphic(turtle, _graph(jsonld, "json-ld"))
    assert isomorphic(turtle, _graph(xml, "xml"))


def test_dataset_feed_and_unpublished_is_404(feeds):
    graph = _graph(feeds.get("/dataset/truong_hoc.ttl"), "turtle")
    dataset = URIRef(f"{BASE}/dataset/truong_hoc")
    assert set(graph.subjects(RDF.type, DCAT.Dataset)) == {dataset}
    assert isomorphic(graph, _graph(feeds.get("/dataset/truong_hoc.jsonld"), "json-ld"))
    assert isomorphic(graph, _graph(feeds.get("/dataset/truong_hoc.xml"), "xml"))
    for name in ("chua_cong_bo", "doi_tuong_bao_tro", "khong_ton_tai"):
        assert feeds.get(f"/dataset/{name}.ttl").status_code == 404
        assert feeds.get(f"/dataset/{name}.jsonld").status_code == 404


def test_hydra_paging(feeds):
    first = _graph(feeds.get("/catalog.ttl", params={"page_size": 1}), "turtle")
    catalog = URIRef(f"{BASE}/catalog")
    assert len(list(first.objects(catalog, DCAT.dataset))) == 1
    view = first.value(catalog, HYDRA.view)
    assert (view, RDF.type, HYDRA.PartialCollectionView) in first
    assert (view, RDF.type, HYDRA.PagedCollection) in first
    assert first.value(view, HYDRA.totalItems).toPython() == 2
    assert first.value(view, HYDRA.itemsPerPage).toPython() == 1
    assert str(first.value(view, HYDRA.next)) == f"{BASE}/catalog.ttl?page=2&page_size=1"
    assert str(first.value(view, HYDRA.last)) == f"{BASE}/catalog.ttl?page=2&page_size=1"
    assert first.value(view, HYDRA.previous) is None
    second = _graph(feeds.get("/catalog.ttl", params={"page": 2, "page_size": 1}), "turtle")
    view2 = second.value(catalog, HYDRA.view)
    assert str(second.value(view2, HYDRA.previous)) == f"{BASE}/catalog.ttl?page=1&page_size=1"
    assert second.value(view2, HYDRA.next) is None
    assert set(first.objects(catalog, DCAT.dataset)) != set(second.objects(catalog, DCAT.dataset))
    assert feeds.get("/catalog.ttl", params={"page": 3, "page_size": 1}).status_code == 404
    # Without page parameters a small catalogue is one page and carries no Hydra view.
    assert _graph(feeds.get("/catalog.ttl"), "turtle").value(catalog, HYDRA.view) is None
    capped = _graph(feeds.get("/catalog.ttl", params={"page_size": 10**6}), "turtle")
    from dieuhanh.opendata.dcat import MAX_PAGE_SIZE

    assert capped.value(capped.value(catalog, HYDRA.view), HYDRA.itemsPerPage).toPython() == MAX_PAGE_SIZE


def test_urls_follow_the_public_base_url(feeds, app):
    app.state.settings.public_base_url = "https://dulieu.ninhbinh.gov.vn/"
    graph = _graph(feeds.get("/catalog.ttl"), "turtle")
    assert (URIRef("https://dulieu.ninhbinh.gov.vn/catalog"), RDF.type, DCAT.Catalog) in graph
    downloads = {str(o) for o in graph.objects(None, DCAT.downloadURL)}
    assert "https://dulieu.ninhbinh.gov.vn/opendata/datasets/dan_so_xa/download.parquet" in downloads
    assert not any(BASE in str(term) for triple in graph for term in triple)
