"""PII canary: unique values planted in every PII column of a restricted dataset appear in no page, API
response, export, open-data output or error reachable by anyone but the owner agency's officers."""

from __future__ import annotations

from sec_helpers import CANARIES, DATASET, assert_no_canary, create_beneficiaries

from conftest import ONE_STORE, login

pytestmark = ONE_STORE

READS = [f"/api/v1/datasets/{DATASET}", f"/api/v1/datasets/{DATASET}/rows", f"/api/v1/datasets/{DATASET}/batches",
         f"/datasets/{DATASET}", "/datasets", "/data-quality", f"/opendata/datasets/{DATASET}",
         f"/opendata/datasets/{DATASET}/download.csv", f"/opendata/datasets/{DATASET}/download.json",
         f"/api/3/action/package_show?id={DATASET}", "/api/3/action/package_search?q=bao", "/catalog.jsonld",
         f"/dataset/{DATASET}.jsonld", "/opendata"]
SQL = [f"SELECT ma_xa, ghi_chu, muc_tro_cap FROM {DATASET}", f"SELECT CAST(ghi_chu AS INTEGER) FROM {DATASET}",
       f"SELECT count(*) FROM {DATASET} WHERE so_cccd LIKE '0%'", f"SELECT * FROM {DATASET}"]


def test_pii_canaries_reach_no_one_but_the_owner(client, factory, caplog):
    owner = create_beneficiaries(client, factory)
    owned = client.get(f"/api/v1/datasets/{DATASET}/rows", headers=owner).text
    assert all(c in owned for c in CANARIES)  # planted (the check below can fail)

    _, read_secret = factory.token(["read"], agency="SNV", name="bi")
    _, reports_secret = factory.token(["reports"], agency="SNV", name="bao-cao")
    viewers: list[tuple[str, dict[str, str], str | None]] = [
        ("anonymous", {}, None), ("read token", {"Authorization": f"Bearer {read_secret}"}, None),
        ("reports token", {"Authorization": f"Bearer {reports_secret}"}, None)]
    for role, agency in (("leader", None), ("analyst", None), ("admin", None), ("officer", "SYT")):
        viewers.append((role, {}, factory.user(role, agency=agency)[1]))
    for _who, headers, username in viewers:
        client.cookies.clear()
        if username:
            _, csrf = login(client, username)
            headers = {"X-CSRF-Token": csrf}
        for path in READS:
            assert_no_canary(client.get(path, headers=headers).text)
        for sql in SQL:
            assert_no_canary(client.post("/api/v1/query", json={"sql": sql}, headers=headers).text)
    assert_no_canary(caplog.text)
