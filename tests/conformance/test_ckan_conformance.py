"""CKAN Action API conformance (issue 17), through the real ``ckanapi`` client talking to a live local server:
``facet.limit=-1``, stable datastore paging in load order, CKAN and SPDX licence ids, ``license_list``."""

from __future__ import annotations

import ckanapi
import pytest

from conftest import login

SCHEMA = [{"name": "ma_xa", "type": "unit_code", "required": True}, {"name": "nam", "type": "integer"},
          {"name": "dan_so", "type": "integer", "required": True}]
# The first two columns tie on every row: only the load order tells the rows apart before dan_so.
ROWS = [("13285", 2024, 45123), ("13285", 2024, 38210), ("13285", 2024, 51000), ("13285", 2024, 12000),
        ("13285", 2024, 30500), ("13285", 2024, 99999), ("13285", 2024, 100)]


def _dataset(client, factory, name: str, license_id: str, rows=ROWS):  # type: ignore[no-untyped-def]
    _, secret = factory.token(["datasets"], agency="TKT", name=f"he-thong-{name}")
    headers = {"Authorization": f"Bearer {secret}"}
    body = {"name": name, "title": f"Bộ dữ liệu {name}", "owner_agency": "TKT", "license_id": license_id,
            "access": "public", "update_frequency": "yearly", "tags": ["dân số"], "schema": SCHEMA}
    created = client.post("/api/v1/datasets", json=body, headers=headers)
    if created.status_code != 201:
        return created
    csv = "ma_xa,nam,dan_so\n" + "".join(f"{a},{b},{c}\n" for a, b, c in rows)
    loaded = client.post(f"/api/v1/datasets/{name}/batches", headers=headers,
                         files={"file": ("data.csv", csv.encode("utf-8"), "text/csv")})
    assert loaded.status_code == 201, loaded.text
    return created


@pytest.fixture
def site(client, factory, live_server):  # type: ignore[no-untyped-def]
    _dataset(client, factory, "dan_so_ckan", "cc-by")  # CKAN's id
    _dataset(client, factory, "dan_so_spdx", "CC-BY-SA-4.0", rows=ROWS[:2])  # SPDX's id
    _dataset(client, factory, "dan_so_odbl", "odc-odbl", rows=ROWS[:1])  # CKAN's, not one of the product's first
    _, analyst, _ = factory.user("analyst")
    _, csrf = login(client, analyst)
    for name in ("dan_so_ckan", "dan_so_spdx", "dan_so_odbl"):
        assert client.post(f"/api/v1/datasets/{name}/publish", headers={"X-CSRF-Token": csrf}).status_code == 200
    client.cookies.clear()
    return ckanapi.RemoteCKAN(live_server, user_agent="dieuhanh-conformance/1.0")


def test_ckan_client_conformance(site, client, factory) -> None:  # type: ignore[no-untyped-def]
    """One published portal serves the three checks (building it is most of the time)."""
    _facet_limit_minus_one_means_all_and_default_is_50(site)
    _datastore_paging_returns_every_record_once_in_load_order(site)
    _ckan_and_spdx_licence_ids_are_accepted_and_shown_as_ckan_does(site, client, factory)


def _facet_limit_minus_one_means_all_and_default_is_50(site) -> None:  # type: ignore[no-untyped-def]
    everything = site.action.package_search(**{"facet.limit": -1, "facet.field": '["license_id"]'})
    items = everything["search_facets"]["license_id"]["items"]
    assert {i["name"] for i in items} == {"cc-by-4.0", "cc-by-sa", "odc-odbl"}
    one = site.action.package_search(**{"facet.limit": 1, "facet.field": '["license_id"]'})
    assert len(one["search_facets"]["license_id"]["items"]) == 1
    assert len(site.action.package_search()["search_facets"]["license_id"]["items"]) == 3
    with pytest.raises(ckanapi.ValidationError):
        site.action.package_search(**{"facet.limit": "nhieu"})


def _datastore_paging_returns_every_record_once_in_load_order(site) -> None:  # type: ignore[no-untyped-def]
    whole = site.action.datastore_search(resource_id="dan_so_ckan-csv")["records"]
    assert [r["dan_so"] for r in whole] == [c for _, _, c in ROWS]  # as CKAN: by _id, i.e. the load order
    assert [r["dan_so"] for r in site.action.datastore_search(resource_id="dan_so_ckan-csv", limit=2, offset=1)[
        "records"]] == [38210, 51000]
    pages = [r for offset in range(0, len(ROWS), 2)
             for r in site.action.datastore_search(resource_id="dan_so_ckan-json", limit=2, offset=offset)["records"]]
    assert pages == whole
    newest_first = site.action.datastore_search(resource_id="dan_so_ckan-csv", sort="_id desc", limit=3)
    assert [r["dan_so"] for r in newest_first["records"]] == [100, 99999, 30500]
    by_year = site.action.datastore_search(resource_id="dan_so_ckan-csv", sort="nam asc", limit=3, offset=2)
    assert [r["dan_so"] for r in by_year["records"]] == [51000, 12000, 30500]  # ties keep the load order


def _ckan_and_spdx_licence_ids_are_accepted_and_shown_as_ckan_does(site, client, factory) -> None:  # type: ignore[no-untyped-def]
    pkg = site.action.package_show(id="dan_so_ckan")
    assert pkg["license_id"] == "cc-by-4.0" and pkg["license_title"] == "Creative Commons Ghi công 4.0"
    assert pkg["license_url"] == "https://creativecommons.org/licenses/by/4.0/" and pkg["isopen"] is True
    spdx = site.action.package_show(id="dan_so_spdx")
    assert spdx["license_id"] == "cc-by-sa" and spdx["license_url"].startswith("https://creativecommons.org/")
    assert site.action.package_search(fq="license_id:odc-odbl")["count"] == 1
    licences = {lic["id"]: lic for lic in site.action.license_list()}
    assert {"cc-by-4.0", "cc-by-sa", "cc-nc", "odc-odbl", "odc-pddl", "other-open", "other-pd", "other-at",
            "other-nc", "other-closed", "notspecified"} <= set(licences)
    assert licences["odc-odbl"]["url"] and licences["odc-odbl"]["is_okd_compliant"] is True
    assert licences["other-closed"]["is_okd_compliant"] is False and licences["cc-nc"]["title"]
    refused = _dataset(client, factory, "giay_phep_la", "khong-co-giay-phep")
    assert refused.status_code == 422 and "license_id" in refused.json()["detail"]
    created = _dataset(client, factory, "cc_zero", "cc-zero", rows=ROWS[:1]).json()
    assert created["license_id"] == "cc0-1.0" and created["license_url"].endswith("/zero/1.0/")
    assert created["license_title"] == "CC0 1.0 (miễn trừ bản quyền)"
