"""Photos of a report: verified by decoding, GPS read as a location hint, re-encoded without metadata.

Only JPEG, PNG and WebP are accepted, whatever the file name says: the bytes are opened with Pillow, the
format checked, the image fully decoded (a truncated or fake file fails here), its EXIF GPS position read,
and the pixels saved again in the same format, which drops every EXIF/XMP/ICC block. A thumbnail of at most
320 px is saved next to it.
"""

from __future__ import annotations

import io
import secrets
import threading
import warnings
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from PIL import Image, ImageFile, ImageOps

from dieuhanh.core.errors import FieldError, InvalidInput, TooLarge

FORMATS = {"JPEG": ("image/jpeg", "jpg"), "PNG": ("image/png", "png"), "WEBP": ("image/webp", "webp")}
MAX_PIXELS = 60_000_000  # decompression-bomb guard (a 10 MB file may claim a huge canvas)
MAX_SIDE = 4096  # stored photos are scaled down to this side
THUMB_SIDE = 320
GPS_TAG = 0x8825


@dataclass
class ProcessedPhoto:
    content: bytes
    thumb: bytes
    content_type: str
    extension: str
    width: int
    height: int
    gps_lat: float | None = None
    gps_lon: float | None = None


def _rational(value: object) -> float:
    try:
        return float(value)  # type: ignore[arg-type]
    except (TypeError, ValueError, ZeroDivisionError):
        pair: Any = value
        return float(pair[0]) / float(pair[1])


def _dms(values: object, ref: object) -> float | None:
    try:
        d, m, s = (_rational(v) for v in values)  # type: ignore[attr-defined]
    except Exception:
        return None
    deg = d + m / 60 + s / 3600
    if isinstance(ref, bytes):
        ref = ref.decode(errors="ignore")
    if str(ref).strip().upper() in ("S", "W"):
        deg = -deg
    return deg


def read_gps(img: Image.Image) -> tuple[float | None, float | None]:
    """Latitude and longitude from the EXIF GPS block, or (None, None)."""
    try:
        gps = img.getexif().get_ifd(GPS_TAG)
    except Exception:
        return None, None
    if not gps or 2 not in gps or 4 not in gps:
        return None, None
    lat = _dms(gps.get(2), gps.get(1, "N"))
    lon = _dms(gps.get(4), gps.get(3, "E"))
    if lat is None or lon is None or not (-90 <= lat <= 90 and -180 <= lon <= 180) or (lat == 0 and lon == 0):
        return None, None
    return lat, lon


def _reject(index: int, message: str) -> InvalidInput:
    return InvalidInput(message, errors=[FieldError(message=message, field="photos", index=index)])


_STRICT = threading.Lock()


def _strict_load(image: Image.Image) -> None:
    """Decode fully, refusing truncated files even though WeasyPrint (PDF exports) sets Pillow's process-wide
    ``ImageFile.LOAD_TRUNCATED_IMAGES`` when it is imported."""
    with _STRICT:
        previous = ImageFile.LOAD_TRUNCATED_IMAGES
        ImageFile.LOAD_TRUNCATED_IMAGES = False
        try:
            image.load()
        finally:
            ImageFile.LOAD_TRUNCATED_IMAGES = previous


def process(data: bytes, *, index: int = 0, max_mb: int = 10) -> ProcessedPhoto:
    """Verify one photo and return its re-encoded bytes and thumbnail (raises InvalidInput/TooLarge)."""
    label = f"Ảnh thứ {index + 1}"
    if len(data) > max_mb * 1024 * 1024:
        raise TooLarge(f"{label} lớn hơn {max_mb} MB. Hãy chụp lại với độ phân giải thấp hơn.",
                       errors=[FieldError(message=f"Ảnh lớn hơn {max_mb} MB.", field="photos", index=index)])
    if not data:
        raise _reject(index, f"{label} rỗng.")
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("error", Image.DecompressionBombWarning)
            opened = Image.open(io.BytesIO(data))
            fmt = opened.format
            if fmt not in FORMATS:
                raise _reject(index, f"{label} không phải ảnh JPEG, PNG hoặc WebP (định dạng {fmt or 'không rõ'}).")
            if opened.width * opened.height > MAX_PIXELS:
                raise _reject(index, f"{label} có kích thước điểm ảnh quá lớn.")
            lat, lon = read_gps(opened)
            _strict_load(opened)  # full decode: truncated or forged files fail here
    except InvalidInput:
        raise
    except Exception as exc:
        raise _reject(index, f"{label} không đọc được như một ảnh JPEG, PNG hoặc WebP. "
                             "Hãy chọn đúng tệp ảnh.") from exc
    content_type, ext = FORMATS[fmt]
    img: Image.Image = ImageOps.exif_transpose(opened)  # keep the orientation the phone meant, then drop the tag
    if fmt == "JPEG" and img.mode not in ("RGB", "L"):
        img = img.convert("RGB")
    if fmt != "JPEG" and img.mode not in ("RGB", "RGBA", "L", "LA", "P"):
        img = img.convert("RGBA")
    if max(img.size) > MAX_SIDE:
        img.thumbnail((MAX_SIDE, MAX_SIDE))
    out = io.BytesIO()
    save_args: dict[str, object] = {"quality": 85} if fmt in ("JPEG", "WEBP") else {"optimize": True}
    img.save(out, format=fmt, **save_args)  # no exif= / icc_profile=: metadata is dropped
    thumb = img.copy()
    thumb.thumbnail((THUMB_SIDE, THUMB_SIDE))
    if thumb.mode not in ("RGB", "L"):
        thumb = thumb.convert("RGB")
    tout = io.BytesIO()
    thumb.save(tout, format="JPEG", quality=80)
    return ProcessedPhoto(content=out.getvalue(), thumb=tout.getvalue(), content_type=content_type, extension=ext,
                          width=img.width, height=img.height, gps_lat=lat, gps_lon=lon)


def process_all(photos: list[bytes], *, max_count: int = 3, max_mb: int = 10) -> list[ProcessedPhoto]:
    if len(photos) > max_count:
        raise _reject(max_count, f"Chỉ được đính kèm tối đa {max_count} ảnh cho một phản ánh.")
    return [process(data, index=i, max_mb=max_mb) for i, data in enumerate(photos)]


def storage_dir(settings: object) -> Path:
    return Path(settings.data_dir) / "uploads" / "feedback"  # type: ignore[attr-defined]


def store(settings: object, report_code: str, photo: ProcessedPhoto) -> tuple[str, str]:
    """Write a processed photo and its thumbnail; return their paths relative to the feedback upload dir."""
    year = report_code.split("-")[1] if report_code.count("-") >= 2 else "misc"
    folder = storage_dir(settings) / year
    folder.mkdir(parents=True, exist_ok=True)
    stem = f"{report_code}-{secrets.token_hex(6)}"
    name, thumb = f"{stem}.{photo.extension}", f"{stem}-thumb.jpg"
    (folder / name).write_bytes(photo.content)
    (folder / thumb).write_bytes(photo.thumb)
    return f"{year}/{name}", f"{year}/{thumb}"


def resolve_path(settings: object, relative: str) -> Path:
    """The file of a stored photo; refuses anything that escapes the upload dir."""
    base = storage_dir(settings).resolve()
    path = (base / relative).resolve()
    if base not in path.parents:
        raise InvalidInput("Đường dẫn ảnh không hợp lệ.")
    return path
