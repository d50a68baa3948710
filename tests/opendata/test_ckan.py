"""The CKAN-compatible Action API, exercised with the real ``ckanapi`` client against a live server."""

from __future__ import annotations

import json

import ckanapi
import httpx
import pytest

from conftest import login
from dieuhanh.opendata import ckan

SCHEMA = [
    {"name": "ma_xa", "type": "unit_code", "required": True},
    {"name": "ten_xa", "type": "string"},
    {"name": "nam", "type": "integer", "required": True},
    {"name": "dan_so", "type": "integer", "required": True},
]
CSV = ("ma_xa,ten_xa,nam,dan_so\n"
       "13285,Phường Hoa Lư,2024,45123\n"
       "13291,Xã Gia Viễn,2024,38210\n"
       "13318,Xã Nho Quan,2023,21004\n")
PII_SCHEMA = [
    {"name": "ma_xa", "type": "unit_code", "required": True},
    {"name": "ho_ten", "type": "string", "pii": True},
    {"name": "so_cccd", "type": "string", "pii": True},
    {"name": "muc_tro_cap", "type": "number", "required": True},
]
PII_CSV = "ma_xa,ho_ten,so_cccd,muc_tro_cap\n13285,Nguyễn Văn An,035090001234,540000\n"
PUBLIC_FIELDS = [{"id": "ma_xa", "type": "text"}, {"id": "ten_xa", "type": "text"}, {"id": "nam", "type": "int"},
                 {"id": "dan_so", "type": "int"}]


def _body(name: str, owner: str, title: str, tags: list[str], access: str = "public", schema=None) -> dict:
    return {"name": name, "title": title, "owner_agency": owner, "license_id": "cc-by-4.0", "access": access,
            "update_frequency": "yearly", "tags": tags, "schema": schema or SCHEMA,
            "description": f"Bộ dữ liệu {title.lower()}."}


def _create(client, factory, body: dict, content: str) -> None:
    _, secret = factory.token(["datasets"], agency=body["owner_agency"], name=f"he-thong-{body['name']}")
    headers = {"Authorization": f"Bearer {secret}"}
    assert client.post("/api/v1/datasets", json=body, headers=headers).status_code == 201
    response = client.post(f"/api/v1/datasets/{body['name']}/batches", headers=headers,
                           files={"file": ("data.csv", content.encode("utf-8"), "text/csv")})
    assert response.status_code == 201, response.text


@pytest.fixture
def portal(app, client, factory):  # type: ignore[no-untyped-def]
    if not any(getattr(r, "path", "") == "/api/3/action/{action}" for r in app.routes):
        app.include_router(ckan.router)
    app.state.csrf_exempt_prefixes = (*app.state.csrf_exempt_prefixes, *ckan.CSRF_EXEMPT_PREFIXES)
    _create(client, factory, _body("dan_so_xa", "TKT", "Dân số trung bình theo xã, phường", ["dân số"]), CSV)
    _create(client, factory, _body("truong_hoc", "SGDDT", "Số trường học theo xã", ["giáo dục", "trường học"]), CSV)
    _create(client, factory, _body("giuong_benh", "SYT", "Giường bệnh theo xã", ["y tế"]), CSV)
    _create(client, factory, _body("chua_cong_bo", "TKT", "Dân số chưa công bố", ["bí mật"]), CSV)
    _create(client, factory, _body("doi_tuong_bao_tro", "SNV", "Đối tượng bảo trợ xã hội", ["bảo trợ"],
                                   access="restricted", schema=PII_SCHEMA), PII_CSV)
    _, analyst, _ = factory.user("analyst")
    _, csrf = login(client, analyst)
    for name in ("dan_so_xa", "truong_hoc", "giuong_benh"):
        assert client.post(f"/api/v1/datasets/{name}/publish", headers={"X-CSRF-Token": csrf}).status_code == 200
    assert client.post("/api/v1/datasets/doi_tuong_bao_tro/publish",
                       headers={"X-CSRF-Token": csrf}).status_code != 200
    client.cookies.clear()
    return app


@pytest.fixture
def site(portal, live_server):  # type: ignore[no-untyped-def]
    return live_server, ckanapi.RemoteCKAN(live_server, user_agent="dieuhanh-tests/1.0")


def test_both_prefixes_envelope_and_read_only(site):
    base, api = site
    assert api.action.package_list() == ["dan_so_xa", "giuong_benh", "truong_hoc"]
    assert api.action.status_show()["ckan_version"].startswith("2.")
    for prefix in ("/api/3/action", "/api/action"):
        got = httpx.get(f"{base}{prefix}/package_list").json()
        assert got["success"] is True and got["result"] == ["dan_so_xa", "giuong_benh", "truong_hoc"]
        assert got["help"].startswith(base) and "help_show" in got["help"]
        shown = httpx.post(f"{base}{prefix}/package_show", json={"id": "dan_so_xa"}).json()
        assert shown["result"]["name"] == "dan_so_xa"
        form = httpx.post(f"{base}{prefix}/package_show", data={"id": "truong_hoc"}).json()
        assert form["result"]["name"] == "truong_hoc"
        missing = httpx.get(f"{base}{prefix}/package_show", params={"id": "khong_co"})
        assert missing.status_code == 404 and missing.json()["error"]["__type"] == "Not Found Error"
        unknown = httpx.get(f"{base}{prefix}/lam_gi_do")
        assert unknown.status_code == 400
        assert unknown.json()["error"]["message"] == "Bad request - Action name not known: lam_gi_do"
        for action in ("package_create", "package_delete", "datastore_upsert", "organization_create"):
            refused = httpx.post(f"{base}{prefix}/{action}", json={"name": "x"})
            assert refused.status_code == 403, action
            assert refused.json()["success"] is False
            assert refused.json()["error"]["__type"] == "Authorization Error"
        assert httpx.get(f"{base}{prefix}/package_patch", params={"id": "dan_so_xa"}).status_code == 403
    for action, data in (("package_create", {"name": "moi"}), ("package_update", {"id": "dan_so_xa"}),
                         ("resource_create", {"package_id": "dan_so_xa"}), ("datastore_create", {})):
        with pytest.raises(ckanapi.NotAuthorized):
            api.call_action(action, data)
    assert api.action.package_list() == ["dan_so_xa", "giuong_benh", "truong_hoc"]


def test_package_search_text_facets_filters_paging_sort(site):
    _base, api = site
    found = api.action.package_search(q="dan so")
    assert found["count"] == 1 and found["results"][0]["name"] == "dan_so_xa"
    assert api.action.package_search(q="DÂN SỐ")["count"] == 1
    everything = api.action.package_search(rows=10)
    assert everything["count"] == 3
    assert everything["facets"]["organization"] == {"tkt": 1, "sgddt": 1, "syt": 1}
    orgs = {i["name"]: i for i in everything["search_facets"]["organization"]["items"]}
    assert orgs["tkt"]["display_name"] == "Thống kê tỉnh" and orgs["tkt"]["count"] == 1
    assert everything["facets"]["res_format"]["CSV"] == 3
    only = api.action.package_search(**{"facet.field": json.dumps(["tags"])})
    assert set(only["facets"]) == {"tags"} and only["facets"]["tags"]["y tế"] == 1
    assert [d["name"] for d in api.action.package_search(fq="organization:tkt")["results"]] == ["dan_so_xa"]
    assert [d["name"] for d in api.action.package_search(fq='tags:"y tế"')["results"]] == ["giuong_benh"]
    assert [d["name"] for d in api.action.package_search(fq="groups:giao-duc")["results"]] == ["truong_hoc"]
    assert api.action.package_search(fq="res_format:CSV organization:syt")["count"] == 1
    assert api.action.package_search(fq="organization:snv")["count"] == 0
    by_name = api.action.package_search(sort="name asc", rows=1, start=1)
    assert by_name["count"] == 3 and [d["name"] for d in by_name["results"]] == ["giuong_benh"]
    desc = api.action.package_search(sort="name desc", rows=2)
    assert [d["name"] for d in desc["results"]] == ["truong_hoc", "giuong_benh"]
    with pytest.raises(ckanapi.ValidationError):
        api.action.package_search(sort="drop table asc")
    with pytest.raises(ckanapi.ValidationError):
        api.action.package_search(rows="nhieu")
    assert api.action.package_search(q="bao tro")["count"] == 0
    assert api.action.package_search(q="chua cong bo")["count"] == 0


def test_package_show_resources_and_base_url(site, portal):
    base, api = site
    pkg = api.action.package_show(id="dan_so_xa")
    assert pkg["title"] == "Dân số trung bình theo xã, phường" and pkg["state"] == "active"
    assert pkg["organization"]["name"] == "tkt" and pkg["organization"]["title"] == "Thống kê tỉnh"
    assert pkg["owner_org"] == pkg["organization"]["id"]
    assert [t["name"] for t in pkg["tags"]] == ["dân số"] and pkg["num_tags"] == 1
    assert "dan-cu" in [g["name"] for g in pkg["groups"]]
    assert pkg["license_id"] == "cc-by-4.0" and pkg["license_title"]
    assert {"key": "update_frequency", "value": "yearly"} in pkg["extras"]
    assert pkg["private"] is False and pkg["type"] == "dataset" and pkg["metadata_modified"]
    assert [r["format"] for r in pkg["resources"]] == ["CSV", "JSON", "Parquet", "XLSX"]
    assert pkg["num_resources"] == 4
    csv = pkg["resources"][0]
    assert csv["id"] == "dan_so_xa-csv" and csv["datastore_active"] is True
    assert csv["url"] == f"{base}/opendata/datasets/dan_so_xa/download.csv"
    assert sum(r["datastore_active"] for r in pkg["resources"]) == 1
    assert api.action.package_show(id=pkg["id"])["name"] == "dan_so_xa"
    for name in ("chua_cong_bo", "doi_tuong_bao_tro", "khong_co"):
        with pytest.raises(ckanapi.NotFound):
            api.action.package_show(id=name)
    assert api.action.resource_show(id="truong_hoc-parquet")["format"] == "Parquet"
    with pytest.raises(ckanapi.NotFound):
        api.action.resource_show(id="doi_tuong_bao_tro-csv")
    portal.state.settings.public_base_url = "https://dulieu.example.vn/"
    moved = api.action.resource_show(id="dan_so_xa-json")
    assert moved["url"] == "https://dulieu.example.vn/opendata/datasets/dan_so_xa/download.json"


def test_organizations_groups_and_tags(site):
    _base, api = site
    assert api.action.organization_list() == ["sgddt", "syt", "tkt"]
    full = api.action.organization_list(all_fields=True, sort="package_count desc")
    assert {o["name"]: o["package_count"] for o in full} == {"sgddt": 1, "syt": 1, "tkt": 1}
    assert next(o for o in full if o["name"] == "syt")["title"] == "Sở Y tế"
    tkt = api.action.organization_show(id="tkt", include_datasets=True)
    assert tkt["title"] == "Thống kê tỉnh" and [p["name"] for p in tkt["packages"]] == ["dan_so_xa"]
    assert api.action.organization_show(id=tkt["id"])["name"] == "tkt"
    assert api.action.organization_show(id="snv")["package_count"] == 0
    with pytest.raises(ckanapi.NotFound):
        api.action.organization_show(id="khong-co")
    groups = api.action.group_list()
    assert {"dan-cu", "giao-duc", "y-te"} <= set(groups)
    counts = {g["name"]: g["package_count"] for g in api.action.group_list(all_fields=True)}
    assert counts["y-te"] == 1 and counts["giao-duc"] == 1
    tags = api.action.tag_list()
    assert tags == sorted(tags, key=lambda t: t.replace("â", "a").replace("á", "a"))
    assert {"dân số", "giáo dục", "trường học", "y tế"} == set(tags)
    assert api.action.tag_list(query="truong") == ["trường học"]


def test_datastore_search(site):
    base, api = site
    got = api.action.datastore_search(resource_id="dan_so_xa-csv")
    assert got["fields"] == PUBLIC_FIELDS and got["total"] == 3 and got["limit"] == 100 and got["offset"] == 0
    assert len(got["records"]) == 3 and set(got["records"][0]) == {"ma_xa", "ten_xa", "nam", "dan_so"}
    assert "offset=100" in got["_links"]["next"] and got["_links"]["start"].startswith("/api/action/datastore_search")
    filtered = api.action.datastore_search(resource_id="dan_so_xa-json", filters={"nam": 2024}, sort="dan_so desc")
    assert filtered["total"] == 2 and [r["dan_so"] for r in filtered["records"]] == [45123, 38210]
    assert api.action.datastore_search(resource_id="dan_so_xa-csv", filters={"nam": "2023"})["total"] == 1
    either = api.action.datastore_search(resource_id="dan_so_xa-csv",
                                         filters={"ten_xa": ["Xã Gia Viễn", "Xã Nho Quan"]})
    assert either["total"] == 2
    page = api.action.datastore_search(resource_id="dan_so_xa-csv", sort="dan_so asc, nam desc", limit=1, offset=1)
    assert page["total"] == 3 and [r["dan_so"] for r in page["records"]] == [38210] and page["limit"] == 1
    text = api.action.datastore_search(resource_id="dan_so_xa-csv", q="gia vien")
    assert text["total"] == 1 and text["records"][0]["ten_xa"] == "Xã Gia Viễn"
    assert api.action.datastore_search(resource_id="dan_so_xa-csv", q="XÃ")["total"] == 2
    assert api.action.datastore_search(resource_id="dan_so_xa-csv", q="khong co dau")["total"] == 0
    some = api.action.datastore_search(resource_id="dan_so_xa-csv", fields=["ten_xa", "dan_so"], limit=2)
    assert [f["id"] for f in some["fields"]] == ["ten_xa", "dan_so"] and set(some["records"][0]) == {"ten_xa", "dan_so"}
    assert len(some["records"]) == 2 and some["total"] == 3
    for bad in ({"filters": {"_batch_id": "x"}}, {"sort": "_batch_id asc"}, {"fields": ["_batch_id"]},
                {"filters": {"nam": "hai nghin"}}, {"sort": "dan_so; drop table x"}, {"limit": -1}):
        with pytest.raises(ckanapi.ValidationError):
            api.action.datastore_search(resource_id="dan_so_xa-csv", **bad)
    refused = httpx.post(f"{base}/api/3/action/datastore_search",
                         json={"resource_id": "dan_so_xa-csv", "filters": {"ho_ten": "An"}})
    assert refused.status_code == 409 and "ho_ten" in refused.json()["error"]["message"]
    assert refused.json()["error"]["__type"] == "Validation Error" and "filters" in refused.json()["error"]
    capped = httpx.get(f"{base}/api/3/action/datastore_search", params={"resource_id": "dan_so_xa-csv",
                                                                       "limit": "99999"}).json()["result"]
    assert capped["limit"] == 32000
    for ref in ("doi_tuong_bao_tro-csv", "chua_cong_bo-csv", "khong_co"):
        with pytest.raises(ckanapi.NotFound):
            api.action.datastore_search(resource_id=ref)


def test_personal_data_never_leaves(site, db):
    base, api = site
    from sqlalchemy import select

    from dieuhanh.catalog.models import Dataset, DatasetColumn

    # Defence in depth: even if a published dataset ended up with a PII or unreviewed suspicious column, the
    # API never shows it.
    with db.session() as session:
        ds = session.scalar(select(Dataset).where(Dataset.name == "dan_so_xa"))
        columns = {c.name: c for c in session.scalars(select(DatasetColumn).where(DatasetColumn.dataset_id == ds.id))}
        columns["ten_xa"].pii = True
        columns["dan_so"].pii_suggestion, columns["dan_so"].pii_reviewed = "phone", False
    got = api.action.datastore_search(resource_id="dan_so_xa-csv")
    assert got["fields"] == [{"id": "ma_xa", "type": "text"}, {"id": "nam", "type": "int"}]
    assert all(set(r) == {"ma_xa", "nam"} for r in got["records"])
    for bad in ({"filters": {"ten_xa": "Xã Gia Viễn"}}, {"sort": "dan_so desc"}, {"fields": ["ten_xa"]},
                {"q": {"ten_xa": "gia"}}):
        with pytest.raises(ckanapi.ValidationError):
            api.action.datastore_search(resource_id="dan_so_xa-csv", **bad)
    assert api.action.datastore_search(resource_id="dan_so_xa-csv", q="gia vien")["total"] == 0
    outputs = [
        api.action.package_list(), api.action.package_search(rows=100), api.action.package_show(id="dan_so_xa"),
        api.action.organization_list(all_fields=True), api.action.group_list(all_fields=True),
        api.action.tag_list(), got, api.action.datastore_search(resource_id="dan_so_xa-csv", q="2024"),
        httpx.get(f"{base}/api/3/action/current_package_list_with_resources").json(),
    ]
    text = json.dumps(outputs, ensure_ascii=False)
    for secret in ("doi_tuong_bao_tro", "so_cccd", "ho_ten", "035090001234", "Nguyễn Văn An", "chua_cong_bo",
                   "Gia Viễn", "45123", "bảo trợ", "bí mật", "snv"):
        assert secret not in text, secret
