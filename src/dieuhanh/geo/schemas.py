from __future__ import annotations

from pydantic import BaseModel, ConfigDict


class UnitOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)
    code: str
    name: str
    type: str
    parent_code: str | None


class ResolutionOut(BaseModel):
    code: str
    name: str
    matched_from: str
    confidence: float
