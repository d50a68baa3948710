"""A restricted dataset with personal data (PII), owned by SNV, with canary values no output may show."""

from __future__ import annotations

CANARY_NAME = "Canary Hoàng Thị Zyx"
CANARY_CCCD = "035777123987"
CANARY_PHONE = "0987654321"
CANARIES = (CANARY_NAME, CANARY_CCCD, CANARY_PHONE)

SCHEMA = [
    {"name": "ma_xa", "type": "unit_code", "required": True},
    {"name": "thang", "type": "string", "required": True},
    {"name": "ho_ten", "type": "string", "pii": True},
    {"name": "so_cccd", "type": "string", "pii": True},
    {"name": "so_dien_thoai", "type": "string", "pii": True},
    {"name": "ghi_chu", "type": "string"},
    {"name": "muc_tro_cap", "type": "number", "required": True},
]
CSV = ("ma_xa,thang,ho_ten,so_cccd,so_dien_thoai,ghi_chu,muc_tro_cap\n"
       f"13285,2026-11,{CANARY_NAME},{CANARY_CCCD},{CANARY_PHONE},Ghi chú Qwv123,540000\n"
       "13291,2026-11,Trần Thị Bình,035185004321,0911000222,,720000\n")
DATASET = "doi_tuong_bao_tro_xa_hoi"


def owner_headers(factory) -> dict[str, str]:  # type: ignore[no-untyped-def]
    _, secret = factory.token(["datasets"], agency="SNV", name="he-thong-noi-vu")
    return {"Authorization": f"Bearer {secret}"}


def create_beneficiaries(client, factory) -> dict[str, str]:  # type: ignore[no-untyped-def]
    owner = owner_headers(factory)
    body = {"name": DATASET, "title": "Đối tượng bảo trợ xã hội", "owner_agency": "SNV", "license_id": "cc-by-4.0",
            "access": "restricted", "update_frequency": "monthly", "tags": ["bảo trợ"], "schema": SCHEMA}
    assert client.post("/api/v1/datasets", json=body, headers=owner).status_code == 201
    upload = client.post(f"/api/v1/datasets/{DATASET}/batches", params={"mode": "append"}, headers=owner,
                         files={"file": ("data.csv", CSV.encode(), "text/csv")})
    assert upload.status_code == 201, upload.text
    return owner


def assert_no_canary(text: str) -> None:
    for canary in CANARIES:
        assert canary not in text, f"personal data {canary!r} leaked: {text[:500]}"
