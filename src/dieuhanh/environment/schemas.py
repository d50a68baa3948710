"""Input and output models of the environment API."""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, Field

Parameter = Literal["pm25", "pm10", "o3", "co", "so2", "no2"]


class StationIn(BaseModel):
    code: str = Field(min_length=1, max_length=40, pattern=r"^[A-Za-z0-9][A-Za-z0-9_.\-]*$")
    name: str = Field(min_length=1, max_length=200)
    lat: float = Field(ge=-90, le=90)
    lon: float = Field(ge=-180, le=180)
    unit_code: str | None = Field(default=None, max_length=10, pattern=r"^[0-9]{1,10}$")
    operator: str = Field(min_length=1, max_length=200)
    kind: Literal["auto", "lowcost"] = "auto"
    parameters: list[Parameter] = Field(min_length=1, max_length=6)


class StationOut(BaseModel):
    code: str
    name: str
    lat: float
    lon: float
    unit_code: str | None
    operator: str
    kind: str
    parameters: list[str]
    demo: bool


class PushOut(BaseModel):
    created: int
    updated: int
    duplicates: int
    flagged: int
