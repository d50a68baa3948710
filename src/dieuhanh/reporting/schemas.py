"""Report type definitions as typed by an analyst (JSON API or the admin form)."""

from __future__ import annotations

import re
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator

FIELD_TYPES = {"number": "Số", "int": "Số nguyên", "text": "Văn bản", "date": "Ngày (dd/mm/yyyy)",
               "unit": "Mã xã, phường"}
# A "unit" field holds an official commune (or province) code: names and pre-2025 names are mapped on entry.
COLUMN_TYPE = {"number": "number", "int": "integer", "text": "string", "date": "date", "unit": "unit_code"}
RESERVED_COLUMNS = {"ky", "co_quan"}
CELL = re.compile(r"^([A-Z]{1,3})([1-9][0-9]{0,5})$")
# Cells of the template's header block (title, instructions, agency, period, template version).
HEADER_CELLS = {"A1", "A2", "B3", "C3", "D3", "B4", "C4", "D4", "B5", "C5"}
FIRST_FIELD_ROW = 7


class FieldDef(BaseModel):
    model_config = ConfigDict(extra="forbid")

    name: str = Field(pattern=r"^[a-z][a-z0-9_]{0,62}$", description="cột của bộ dữ liệu đích")
    label: str = Field(min_length=1, max_length=255)
    type: Literal["number", "int", "text", "date", "unit"] = "number"
    required: bool = False
    min: float | None = None
    max: float | None = None
    unit: str = ""
    # _cell: from column B and row 7 on (rows 1–6 hold the form's heading); lower case is read as upper
    cell: str | None = Field(default=None, description="ô cố định (mẫu dạng biểu), ví dụ C7",
                             json_schema_extra={"pattern": r"^([B-Z]|[A-Z]{2,3})([7-9]|[1-9][0-9]{1,5})$"})
    header: str | None = Field(default=None, description="tiêu đề cột (mẫu dạng bảng)")

    @field_validator("name")
    @classmethod
    def _name(cls, value: str) -> str:
        if value in RESERVED_COLUMNS:
            raise ValueError(f"tên trường «{value}» dành cho kỳ và cơ quan báo cáo")
        return value

    @field_validator("cell")
    @classmethod
    def _cell(cls, value: str | None) -> str | None:
        if value is None or not value.strip():
            return None
        value = value.strip().upper()
        match = CELL.match(value)
        if not match:
            raise ValueError(f"ô «{value}» không hợp lệ (ví dụ C7)")
        if match.group(1) == "A":
            raise ValueError("ô nhập liệu phải từ cột B trở đi (cột bên trái ghi tên chỉ tiêu)")
        if value in HEADER_CELLS or int(match.group(2)) < FIRST_FIELD_ROW:
            raise ValueError(f"ô «{value}» nằm trong phần đầu biểu (dòng 1–6)")
        return value

    @model_validator(mode="after")
    def _bounds(self) -> FieldDef:
        if self.min is not None and self.max is not None and self.min > self.max:
            raise ValueError(f"trường {self.name}: giá trị nhỏ nhất lớn hơn giá trị lớn nhất")
        return self


class ReportTypeIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    code: str = Field(pattern=r"^[a-z][a-z0-9_]{1,59}$")
    title: str = Field(min_length=3, max_length=255)
    description: str = ""
    periodicity: Literal["month", "quarter", "year"] = "month"
    due_day: int = Field(default=5, ge=1, le=31)
    dataset: str = Field(pattern=r"^[a-z][a-z0-9_]{0,62}$")
    dataset_owner: str = "VPUBND"
    fields: list[FieldDef] = Field(min_length=1, max_length=200)

    @model_validator(mode="after")
    def _layout(self) -> ReportTypeIn:
        names = [f.name for f in self.fields]
        dupes = sorted({n for n in names if names.count(n) > 1})
        if dupes:
            raise ValueError(f"tên trường bị trùng: {', '.join(dupes)}")
        with_cell = [f for f in self.fields if f.cell]
        with_header = [f for f in self.fields if f.header]
        if with_cell and with_header:
            raise ValueError("mọi trường hoặc có ô cố định (mẫu dạng biểu), hoặc có tiêu đề cột (mẫu dạng bảng)")
        if with_cell and len(with_cell) != len(self.fields):
            raise ValueError("mẫu dạng biểu: trường nào cũng cần ô cố định")
        cells = [f.cell for f in with_cell]
        dup_cells = sorted({c for c in cells if c and cells.count(c) > 1})
        if dup_cells:
            raise ValueError(f"ô bị dùng cho hai trường: {', '.join(dup_cells)}")
        return self

    @property
    def layout(self) -> str:
        return "form" if all(f.cell for f in self.fields) else "table"


class AssignmentIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    agency_code: str
    from_period: str | None = None
    due_day: int | None = Field(default=None, ge=1, le=31)
