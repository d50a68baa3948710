"""Photos: decoded and verified, EXIF GPS used as a location hint then stripped, thumbnails, limits."""

from __future__ import annotations

import io
from pathlib import Path

import pytest
from fb_core_helpers import communes_with_points, image_bytes, load, submit
from PIL import Image

from dieuhanh.core.errors import InvalidInput, TooLarge

V2 = "/open311/v2"


def stored(settings, relative: str) -> Path:  # type: ignore[no-untyped-def]
    return Path(settings.data_dir) / "uploads" / "feedback" / relative


def test_jpeg_gps_is_a_hint_and_is_stripped(db, settings) -> None:  # type: ignore[no-untyped-def]
    (unit, lat, lon), = communes_with_points(db, 1)
    jpeg = image_bytes("JPEG", gps=(lat, lon), camera="Điện thoại thử")
    assert Image.open(io.BytesIO(jpeg)).getexif().get_ifd(0x8825)  # the input really carries GPS
    code = submit(db, settings, photos=[jpeg], description="Ổ gà lớn giữa đường", service_code="duong-via-he")
    snap = load(db, code)
    assert snap["unit_code"] == unit and snap["location_source"] == "photo"
    assert snap["lat"] == pytest.approx(lat, abs=1e-5) and snap["lon"] == pytest.approx(lon, abs=1e-5)
    (path, thumb, content_type, gps_lat, gps_lon), = snap["photos"]
    assert content_type == "image/jpeg" and gps_lat == pytest.approx(lat, abs=1e-5)
    data = stored(settings, path).read_bytes()
    assert b"Exif" not in data and "Điện thoại thử".encode() not in data
    out = Image.open(io.BytesIO(data))
    assert out.format == "JPEG" and out.size == (640, 480) and not dict(out.getexif())
    small = Image.open(stored(settings, thumb))
    assert max(small.size) <= 320


def test_png_and_webp_accepted_location_from_form_wins(db, settings) -> None:  # type: ignore[no-untyped-def]
    (unit, lat, lon), (unit2, lat2, lon2) = communes_with_points(db, 2)
    code = submit(db, settings, lat=lat, lon=lon, photos=[image_bytes("PNG"), image_bytes("WEBP")])
    snap = load(db, code)
    assert [p[2] for p in snap["photos"]] == ["image/png", "image/webp"]
    assert snap["unit_code"] == unit and snap["location_source"] == "gps"
    for path, thumb, *_ in snap["photos"]:
        assert Image.open(stored(settings, path)).format in ("PNG", "WEBP")
        assert stored(settings, thumb).exists()


def test_rejections(db, settings) -> None:  # type: ignore[no-untyped-def]
    (unit, lat, lon), = communes_with_points(db, 1)
    uploads = Path(settings.data_dir) / "uploads"
    before = set(uploads.rglob("*.*"))  # the data dir is shared by the session's tests
    with pytest.raises(InvalidInput, match="không đọc được như một ảnh"):
        submit(db, settings, lat=lat, lon=lon, photos=[b"Day khong phai la anh, chi la chu." * 10])
    gif = io.BytesIO()
    Image.new("RGB", (10, 10)).save(gif, "GIF")
    with pytest.raises(InvalidInput, match="không phải ảnh JPEG, PNG hoặc WebP"):
        submit(db, settings, lat=lat, lon=lon, photos=[gif.getvalue()])
    truncated = image_bytes("JPEG", size=(800, 600))[:3000]
    import weasyprint  # noqa: F401  (PDF exports import it; it makes Pillow tolerate truncated files process-wide)

    with pytest.raises(InvalidInput):
        submit(db, settings, lat=lat, lon=lon, photos=[truncated])
    big = image_bytes("PNG", size=(64, 64)) + b"\0" * (10 * 1024 * 1024)
    with pytest.raises(TooLarge, match="10 MB"):
        submit(db, settings, lat=lat, lon=lon, photos=[big])
    with pytest.raises(InvalidInput, match="tối đa 3 ảnh"):
        submit(db, settings, lat=lat, lon=lon, photos=[image_bytes("JPEG")] * 4)
    with db.session() as session:
        from sqlalchemy import func, select

        from dieuhanh.feedback.models import Report

        assert session.scalar(select(func.count()).select_from(Report)) == 0
    assert set(uploads.rglob("*.*")) == before  # no photo file of a refused report is left behind


def test_open311_multipart_media(client, factory, db, settings) -> None:  # type: ignore[no-untyped-def]
    (unit, lat, lon), = communes_with_points(db, 1)
    _, key = factory.token(["open311"], name="zalo-mini-app")
    form = {"api_key": key, "service_code": "cay-xanh", "description": "Cây đổ chắn ngang đường"}
    r = client.post(f"{V2}/requests.json", data=form,
                    files=[("media", ("cay.jpg", image_bytes("JPEG", gps=(lat, lon)), "image/jpeg"))])
    assert r.status_code == 200, r.text
    code = r.json()[0]["service_request_id"]
    (req,) = client.get(f"{V2}/requests/{code}.json").json()
    assert req["lat"] == pytest.approx(lat, abs=1e-5)
    assert req["media_url"].startswith("http://127.0.0.1/api/v1/feedback/public/photos/")
    assert len(load(db, code)["photos"]) == 1
    image = client.get(req["media_url"].replace("http://127.0.0.1", ""))
    assert image.status_code == 200 and image.headers["content-type"] == "image/jpeg"
    assert not dict(Image.open(io.BytesIO(image.content)).getexif())
    fake = client.post(f"{V2}/requests.json", data=form | {"lat": lat, "long": lon},
                       files=[("media", ("anh.jpg", b"<html>khong phai anh</html>", "image/jpeg"))])
    assert fake.status_code == 400 and "JPEG, PNG hoặc WebP" in fake.json()[0]["description"]
    four = client.post(f"{V2}/requests.json", data=form | {"lat": lat, "long": lon},
                       files=[("media", (f"a{i}.png", image_bytes("PNG", size=(32, 32)), "image/png"))
                              for i in range(4)])
    assert four.status_code == 400 and "tối đa 3 ảnh" in four.json()[0]["description"]
