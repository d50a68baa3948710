"""The timestamps of the API's output models, documented as they are serialised (issue 17).

The stores keep UTC times without an offset, and pydantic writes them as ``2026-12-07T10:39:30.514273``: an
ISO 8601 time, but not an RFC 3339 ``date-time`` (which needs an offset), so a client validating the answers
against ``format: date-time`` refused them. ``Stamp`` documents exactly what is written; the value is unchanged.
"""

from __future__ import annotations

from datetime import datetime
from typing import Annotated

from pydantic import WithJsonSchema

STAMP_SCHEMA = {
    "type": "string",
    "pattern": r"^[0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9]{2}:[0-9]{2}:[0-9]{2}(\.[0-9]+)?(Z|[+-][0-9]{2}:[0-9]{2})?$",
    "description": "Thời điểm ISO 8601; không kèm múi giờ: giờ UTC",
}
Stamp = Annotated[datetime, WithJsonSchema(STAMP_SCHEMA, mode="serialization")]
