"""Pictures of the operations room: incident photos and cameras' latest snapshots, verified and re-encoded without
EXIF by the citizen reports' photo checks (feedback/photos.py), stored under DATA_DIR/uploads/operations."""

from __future__ import annotations

import secrets
from pathlib import Path
from typing import Any

from sqlalchemy.orm import Session

from dieuhanh.core.errors import InvalidInput
from dieuhanh.feedback import photos as photo_lib
from dieuhanh.operations.models import Camera, Incident, IncidentPhoto

MAX_PHOTOS = 5
MAX_MB = 10
SNAPSHOT_MAX_MB = 5


def storage_dir(settings: Any) -> Path:
    return Path(settings.data_dir) / "uploads" / "operations"


def _write(settings: Any, folder: str, stem: str, photo: photo_lib.ProcessedPhoto) -> tuple[str, str]:
    target = storage_dir(settings) / folder
    target.mkdir(parents=True, exist_ok=True)
    name, thumb = f"{stem}.{photo.extension}", f"{stem}-thumb.jpg"
    (target / name).write_bytes(photo.content)
    (target / thumb).write_bytes(photo.thumb)
    return f"{folder}/{name}", f"{folder}/{thumb}"


def resolve(settings: Any, relative: str) -> Path:
    base = storage_dir(settings).resolve()
    path = (base / relative).resolve()
    if base not in path.parents or not path.is_file():
        raise InvalidInput("Không tìm thấy ảnh.")
    return path


def store_incident_photos(session: Session, incident: Incident, photos: list[bytes], *, actor: str, settings: Any,
                          step: int | None) -> list[int]:
    processed = photo_lib.process_all(photos, max_count=MAX_PHOTOS, max_mb=MAX_MB)
    ids = []
    for photo in processed:
        path, thumb = _write(settings, f"incidents/{incident.code}", secrets.token_hex(8), photo)
        row = IncidentPhoto(incident_id=incident.id, step=step, path=path, thumb_path=thumb,
                            content_type=photo.content_type, width=photo.width, height=photo.height,
                            created_by=actor)
        session.add(row)
        session.flush()
        ids.append(row.id)
    return ids


def store_snapshot(camera: Camera, data: bytes, *, settings: Any) -> None:
    photo = photo_lib.process(data, max_mb=SNAPSHOT_MAX_MB)
    old = (camera.snapshot_path, )
    path, _thumb = _write(settings, f"cameras/{camera.code}", secrets.token_hex(6), photo)
    camera.snapshot_path = path
    for rel in old:  # keep only the latest frame of a camera
        if rel:
            try:
                file = resolve(settings, rel)
                file.unlink(missing_ok=True)
                file.with_name(file.stem + "-thumb.jpg").unlink(missing_ok=True)
            except InvalidInput:
                pass
