"""Builders for catalog and ingestion tests."""

from __future__ import annotations

POPULATION_SCHEMA = [
    {"name": "ma_xa", "type": "unit_code", "required": True, "unique": True, "description": "Xã, phường"},
    {"name": "nam", "type": "integer", "required": True},
    {"name": "dan_so", "type": "integer", "required": True},
    {"name": "dien_tich", "type": "number"},
    {"name": "ngay_cap_nhat", "type": "date"},
]

CSV_OK = (
    "ma_xa,nam,dan_so,dien_tich,ngay_cap_nhat\n"
    "13285,2024,\"45.123\",\"12,5\",31/12/2024\n"
    "Phường Phù Vân,2024,38210,\"20,75\",31/12/2024\n"
    "\"xã Thanh Sơn, huyện Kim Bảng, tỉnh Hà Nam\",2024,21.004,,2024-12-31\n"
)


def dataset_body(name: str = "dan_so_xa", owner: str = "TKT", access: str = "internal", schema=None, **extra):
    return {"name": name, "title": "Dân số trung bình theo xã, phường", "owner_agency": owner,
            "license_id": "cc-by-4.0", "access": access, "update_frequency": "yearly", "tags": ["dân số"],
            "schema": schema or POPULATION_SCHEMA, **extra}


def csv_upload(client, name: str, content: str, headers: dict, mode: str = "append"):
    return client.post(f"/api/v1/datasets/{name}/batches", params={"mode": mode}, headers=headers,
                       files={"file": ("data.csv", content.encode("utf-8"), "text/csv")})
