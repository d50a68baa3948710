"""Storage of procedures and dossiers pushed by the one-stop-shop system (or imported from its export files).

Two stores, one rule: a record is validated with every other record of its request first; one invalid record
rejects the whole request and nothing is stored anywhere.

* Operational database — the current state: ``ps_procedure`` (by ``ma_tthc``) and ``ps_dossier`` (by
  ``ma_ho_so``), with the personal fields of a dossier (``personal``) and the accepted extra fields.
* Warehouse — history and computation, two internal catalog datasets owned by the provincial public
  administration service centre (``TTPVHCC``, which runs the one-stop shop):

  - ``tthc_thu_tuc``: the current procedures, replaced whole (one batch) whenever procedures change;
  - ``tthc_ho_so``: every accepted dossier version, appended, one load batch per push or import, with
    ``nap_luc`` = server time of loading (naive local time). The current state of a dossier in SQL is its row
    with the greatest (``ngay_cap_nhat``, ``nap_luc``). Personal fields are never written there.

Ordering: a dossier version whose ``NgayCapNhat`` is older than the stored one is skipped (``skipped_older``);
an equal or newer one is applied; one identical to the stored version changes nothing (``unchanged``), so
re-sending a push is idempotent and appends nothing. Inside one request, several versions of one dossier
collapse to the newest (the last one on equal times); the others count as ``skipped_older``.

Validation (errors ``{index, field, message}``, plus ``row`` for files):

* dates: ISO 8601 (an offset is converted to Asia/Ho_Chi_Minh), the portal's ``yyyyMMddHHmmss`` or
  ``dd/mm/yyyy [HH:MM[:SS]]``, stored as naive local time; ``NgayCapNhat`` is required, ``NgayTiepNhan`` too
  unless the status is 1 or 3 (never received);
* enums and 0/1 flags as in the portal's record; ``KenhThucHien`` empty → 1; empty flags → 0;
* ``MaCoQuan`` must be an agency of our list; ``MaTTHC`` must be a stored procedure — push procedures first
  (the procedure carries the rules' inputs: online level, fees, deadline);
* ``MaDonViHanhChinh``: a current commune code or name, a pre-2025 commune name or code (official
  conversion of the geography service); an old commune split between several new ones is an error, never a
  guess; the province's own code or an empty value means no commune (None);
* at most ``max_records`` records per call (API: 5,000, then 413).

Unknown fields are ignored (their names are listed in the result as ``ignored_fields``) — a system may send
the portal's whole record. Personal fields (owner name, ID numbers, phone, address, e-mail …) go to
``personal`` only. The extra fields of the other Decision 766 indicators go to ``extra``; those a rule of
``rules_profile.yaml`` reads (``extra_field``) are also nullable warehouse columns (validated 0/1 when the
profile says so).

Permissions (``publicservices.sync``): admins; ``publicservices`` tokens — with an agency only for records of
that agency: any other record makes the whole request fail with 403 and the records' indexes.
"""

from __future__ import annotations

import re
import threading
import unicodedata
import uuid
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from functools import cache, lru_cache
from pathlib import Path
from typing import Any, cast

import pyarrow as pa
from sqlalchemy import Table, bindparam, insert, select, text, update
from sqlalchemy.orm import Session

from dieuhanh.catalog import service as catalog
from dieuhanh.catalog.models import Dataset, LoadBatch
from dieuhanh.catalog.schemas import DatasetIn
from dieuhanh.core import audit
from dieuhanh.core.db import utcnow
from dieuhanh.core.errors import FieldError, InvalidInput, NotFound, PermissionDenied, TooLarge
from dieuhanh.core.formatting import LOCAL_TZ
from dieuhanh.core.security import SYSTEM, Principal, allowed, authorize
from dieuhanh.core.warehouse import Warehouse
from dieuhanh.core.warehouse_tx import TransactionalWarehouse
from dieuhanh.orgs.models import Agency
from dieuhanh.publicservices.models import Dossier, Procedure

_PROCEDURE_TABLE = cast(Table, Procedure.__table__)
_DOSSIER_TABLE = cast(Table, Dossier.__table__)

PROCEDURES_DATASET = "tthc_thu_tuc"
DOSSIERS_DATASET = "tthc_ho_so"
# The provincial public administration service centre runs the one-stop-shop system and owns its data.
OWNER_AGENCY = "TTPVHCC"
MAX_RECORDS = 5000
MAX_REPORTED_ERRORS = 1000

MUC_DO_DVC = ("toan_trinh", "mot_phan", "khong")
DANH_GIA = ("hai_long", "khong_hai_long")
TRANG_THAI = {
    1: "Mới đăng ký", 2: "Được tiếp nhận", 3: "Không được tiếp nhận", 4: "Đang xử lý",
    5: "Yêu cầu bổ sung giấy tờ", 6: "Yêu cầu thực hiện nghĩa vụ tài chính", 7: "Công dân yêu cầu rút hồ sơ",
    8: "Dừng xử lý", 9: "Đã xử lý xong", 10: "Đã trả kết quả",
}
KENH = {1: "Trực tiếp", 2: "Trực tuyến", 3: "Bưu chính công ích"}
NOT_RECEIVED = (1, 3)  # never received: NgayTiepNhan may be empty

# Personal fields of the portal's record (matched without case, spaces or diacritics). Stored only in
# ps_dossier.personal, never in the warehouse.
PERSONAL_FIELDS = (
    "HoTenNguoiNop", "HoTenNguoiNopHoSo", "TenNguoiNop", "NguoiNop", "ChuHoSo", "TenChuHoSo", "HoTenChuHoSo",
    "HoTen", "SoCCCD", "SoCMND", "CMND", "CCCD", "SoDinhDanh", "MaDinhDanh", "SoGiayTo", "SoGiayToTuyThan",
    "SoHoChieu", "NgaySinh", "GioiTinh", "SoDienThoai", "DienThoai", "SoDienThoaiNguoiNop", "DiaChi",
    "DiaChiNguoiNop", "DiaChiChuHoSo", "DiaChiThuongTru", "Email", "EmailNguoiNop", "MaSoThueCaNhan",
)
# Extra non-personal fields kept for the remaining Decision 766 indicators (groups 1.x, 2.2, 3.5, 4.4, 4.5,
# 5.1–5.3). The rules engine's profile (rules_profile.yaml, ``extra_fields``) may add more names.
DEFAULT_PROCEDURE_EXTRA = (
    "CongKhaiCSDLQG", "CongKhaiDayDu", "CongKhaiDungHan", "NgayCongKhai", "NgayQuyetDinhCongBo", "SoQuyetDinh",
    "TichHopThanhToan", "CapDoThucHien", "ThoiHanGiaiQuyetTrucTuyen",
)
DEFAULT_DOSSIER_EXTRA = (
    "NgayDongBo", "DongBoDVCQG", "ThanhToanTichHop", "SoTienPhi", "SoTienLePhi", "KetQuaDuocChiaSe",
    "SuDungDuLieuChiaSe", "DuLieuTuCSDLQG", "SoPhanAnh", "PhanAnhDaXuLy", "PhanAnhDungHan", "NgayPhanAnh",
    "NgayXuLyPhanAnh", "MaHoSoQuocGia", "KenhNop", "DonViXuLy", "NgayTraKetQua",
)


@dataclass
class UpsertResult:
    received: int = 0
    inserted: int = 0
    updated: int = 0
    unchanged: int = 0
    skipped_older: int = 0
    batch_id: str | None = None
    ignored_fields: list[str] = field(default_factory=list)

    def as_dict(self) -> dict[str, Any]:
        return {"received": self.received, "inserted": self.inserted, "updated": self.updated,
                "unchanged": self.unchanged, "skipped_older": self.skipped_older, "batch_id": self.batch_id,
                "ignored_fields": self.ignored_fields}


class RecordErrors(InvalidInput):
    """Some records are invalid: ``errors`` holds ``{index, field, message}`` (``row`` for files)."""


# ------------------------------------------------------------------------------------------ field names


@lru_cache(maxsize=8192)
def _norm_key(name: str) -> str:
    text_ = unicodedata.normalize("NFD", str(name)).replace("đ", "d").replace("Đ", "D")
    return re.sub(r"[^0-9a-z]", "", "".join(c for c in text_ if not unicodedata.combining(c)).lower())


def _snake(name: str) -> str:
    """MaTTHC -> ma_tthc, NgayCapNhat -> ngay_cap_nhat, CongKhaiCSDLQG -> cong_khai_csdlqg."""
    return re.sub(r"(?<=[a-z0-9])(?=[A-Z])", "_", name).lower()


PROCEDURE_FIELDS = ("MaTTHC", "TenTTHC", "MaLinhVuc", "TenLinhVuc", "MaCoQuan", "MucDoDVC", "CoPhiLePhi",
                    "YeuCauKetQua", "ThoiHanGiaiQuyet")
DOSSIER_FIELDS = ("MaHoSo", "MaTTHC", "MaCoQuan", "MaDonViHanhChinh", "KenhThucHien", "TrangThaiHoSo",
                  "NgayTiepNhan", "NgayHenTra", "NgayKetThucXuLy", "NgayYeuCauBoSung", "NgayCapNhat",
                  "SoLanYeuCauBoSung", "DuocThanhToanTrucTuyen", "CoKetQuaDienTu", "DuocSoHoa", "DuocTaiSuDung",
                  "CoPhanAnh", "DanhGia")
# Column of each core field in the operational table and the warehouse.
COLUMN = {name: _snake(name) for name in (*PROCEDURE_FIELDS, *DOSSIER_FIELDS)}
COLUMN.update({"MaTTHC": "ma_tthc", "TenTTHC": "ten_tthc", "MucDoDVC": "muc_do_dvc"})
DATE_FIELDS = ("NgayTiepNhan", "NgayHenTra", "NgayKetThucXuLy", "NgayYeuCauBoSung", "NgayCapNhat")
DOSSIER_COLUMNS = [COLUMN[f] for f in DOSSIER_FIELDS]
PROCEDURE_COLUMNS = [COLUMN[f] for f in PROCEDURE_FIELDS]


@dataclass(frozen=True)
class ExtraColumn:
    """An extra field a rule of the profile needs: kept in ``extra`` and as a warehouse column."""

    field: str  # PascalCase name in the portal's record
    column: str  # snake_case column of tthc_thu_tuc / tthc_ho_so
    level: str  # procedure | dossier
    kind: str  # flag (0/1) | int | date (ISO yyyy-mm-dd) | text


@dataclass(frozen=True)
class ExtraFields:
    procedure: frozenset[str]  # every accepted extra name (kept in ``extra``)
    dossier: frozenset[str]
    procedure_columns: tuple[ExtraColumn, ...]  # those that are also warehouse columns
    dossier_columns: tuple[ExtraColumn, ...]


NESTED_LISTS = ("TaiLieuNop", "DanhSachLePhi", "DanhSachHoSoBoSung", "DanhSachGiayToKetQua", "DSKetNoiCSDL")
_KINDS = {"0/1": "flag", "0|1": "flag", "int": "int", "date": "date"}


@cache
def extra_fields() -> ExtraFields:
    """The defaults plus the extra columns of every built-in rules profile (``columns`` and each rule's
    ``extra_field``; see profiles/qd766-dvcqg-2026.yaml and rules_profile.yaml)."""
    import yaml

    from dieuhanh.publicservices.rules import PROFILE_FILES

    columns: dict[str, ExtraColumn] = {}
    for path in PROFILE_FILES:
        try:
            data = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
        except (OSError, yaml.YAMLError):
            data = {}
        if not isinstance(data, dict):
            continue
        items = [*(data.get("columns") or []),
                 *(r.get("extra_field") for r in data.get("rules") or [] if isinstance(r, dict))]
        for e in items:
            if not isinstance(e, dict) or not e.get("field") or not e.get("column"):
                continue
            if not re.fullmatch(r"[a-z][a-z0-9_]{0,62}", str(e["column"])) or e.get("level") not in (
                    "procedure", "dossier"):
                continue
            kind = _KINDS.get(str(e.get("values", "")).replace(" ", ""), "text")
            columns.setdefault(str(e["field"]), ExtraColumn(str(e["field"]), str(e["column"]), str(e["level"]),
                                                            kind))
    proc = tuple(c for c in columns.values() if c.level == "procedure")
    doss = tuple(c for c in columns.values() if c.level == "dossier")
    return ExtraFields(
        procedure=frozenset(DEFAULT_PROCEDURE_EXTRA) | {c.field for c in proc},
        dossier=frozenset(DEFAULT_DOSSIER_EXTRA) | {c.field for c in doss} | set(NESTED_LISTS),
        procedure_columns=proc, dossier_columns=doss,
    )


class _KeyMap:
    """Raw key -> ("core"|"extra"|"personal"|"ignored", canonical name); cached per distinct key."""

    def __init__(self, core: Iterable[str], extra: Iterable[str]):
        self.core = {_norm_key(n): n for n in core}
        self.extra = {_norm_key(n): n for n in extra}
        self.personal = {_norm_key(n): n for n in PERSONAL_FIELDS}
        self.cache: dict[str, tuple[str, str]] = {}

    def __call__(self, key: str) -> tuple[str, str]:
        hit = self.cache.get(key)
        if hit is None:
            k = _norm_key(key)
            if k in self.core:
                hit = ("core", self.core[k])
            elif k in self.personal:
                hit = ("personal", self.personal[k])
            elif k in self.extra:
                hit = ("extra", self.extra[k])
            else:
                hit = ("ignored", str(key))
            self.cache[key] = hit
        return hit


# ----------------------------------------------------------------------------------------------- values

_ISO_HINT = "ISO 8601 (2025-06-12T08:30:00) hoặc yyyyMMddHHmmss (20250612083000)"
_VN_DATE = re.compile(r"^(\d{1,2})/(\d{1,2})/(\d{4})(?:[ T](\d{1,2}):(\d{2})(?::(\d{2}))?)?$")


def _text(value: Any) -> str | None:
    if value is None:
        return None
    if isinstance(value, float) and value.is_integer():
        value = int(value)
    s = str(value).strip()
    return s or None


def parse_datetime(value: Any) -> datetime | None:
    """ISO 8601 (with an offset: converted to Asia/Ho_Chi_Minh), the portal's yyyyMMddHHmmss, or dd/mm/yyyy
    [HH:MM[:SS]] → naive local time. Empty → None. Raises ValueError with a Vietnamese message."""
    if value is None:
        return None
    if type(value) is str and len(value) == 14 and value.isdigit():  # the portal's form: the common case
        try:
            result = datetime(int(value[0:4]), int(value[4:6]), int(value[6:8]), int(value[8:10]),
                              int(value[10:12]), int(value[12:14]))
        except ValueError:
            raise ValueError(f"Ngày giờ «{value}» không hợp lệ: dùng {_ISO_HINT}.") from None
        if not 1990 <= result.year <= 2100:
            raise ValueError(f"Ngày giờ «{value}» nằm ngoài khoảng hợp lý (1990–2100).")
        return result
    if isinstance(value, datetime):
        result = value
    elif isinstance(value, date):
        result = datetime(value.year, value.month, value.day)
    else:
        if isinstance(value, float) and value.is_integer():
            value = int(value)
        s = str(value).strip()
        if not s:
            return None
        try:
            if len(s) == 14 and s.isdigit():
                result = datetime(int(s[0:4]), int(s[4:6]), int(s[6:8]), int(s[8:10]), int(s[10:12]),
                                  int(s[12:14]))
            elif len(s) == 8 and s.isdigit():
                result = datetime(int(s[0:4]), int(s[4:6]), int(s[6:8]))
            elif (m := _VN_DATE.match(s)) is not None:
                d, mo, y, h, mi, sec = m.groups()
                result = datetime(int(y), int(mo), int(d), int(h or 0), int(mi or 0), int(sec or 0))
            elif len(s) >= 10 and s[4] == "-" and s[7] == "-":
                result = datetime.fromisoformat(s[:-1] + "+00:00" if s.endswith(("Z", "z")) else s)
            else:
                raise ValueError
        except ValueError:
            raise ValueError(f"Ngày giờ «{s}» không hợp lệ: dùng {_ISO_HINT}.") from None
    if result.tzinfo is not None:
        result = result.astimezone(LOCAL_TZ).replace(tzinfo=None)
    if not 1990 <= result.year <= 2100:
        raise ValueError(f"Ngày giờ «{value}» nằm ngoài khoảng hợp lý (1990–2100).")
    return result


_DATE_ONLY = re.compile(r"^\s*(\d{4}-\d{2}-\d{2}|\d{1,2}/\d{1,2}/\d{4}|\d{8})\s*$")


def _date_only(value: Any) -> bool:
    """A date given without a time (2025-06-12, 12/06/2025, 20250612; or a date object)."""
    if isinstance(value, datetime):
        return False
    if isinstance(value, date):
        return True
    return isinstance(value, str) and _DATE_ONLY.match(value) is not None


def _int(value: Any, *, allowed_values: Iterable[int] | None = None, minimum: int | None = None) -> int | None:
    if type(value) is int and (allowed_values is None or value in allowed_values) and (
            minimum is None or value >= minimum):
        return value  # the common case of JSON pushes, without the checks below
    if value is None or (isinstance(value, str) and not value.strip()):
        return None
    if isinstance(value, bool):
        n = int(value)
    elif isinstance(value, int):
        n = value
    elif isinstance(value, float) and value.is_integer():
        n = int(value)
    else:
        s = str(value).strip()
        if not re.fullmatch(r"[+-]?\d+", s):
            raise ValueError(f"«{s}» không phải số nguyên.")
        n = int(s)
    if allowed_values is not None:
        values = tuple(allowed_values)
        if n not in values:
            raise ValueError(f"Giá trị {n} không hợp lệ: chỉ nhận {', '.join(map(str, values))}.")
    if minimum is not None and n < minimum:
        raise ValueError(f"Giá trị {n} không hợp lệ: phải từ {minimum} trở lên.")
    return n


def _enum(value: Any, choices: tuple[str, ...], label: str) -> str | None:
    if value in choices:
        return str(value)
    s = _text(value)
    if s is None:
        return None
    key = _norm_key(s)
    for c in choices:
        if key == c.replace("_", ""):
            return c
    raise ValueError(f"{label} «{s}» không hợp lệ: chỉ nhận {', '.join(choices)}.")


# ------------------------------------------------------------------------------------------ validation


class _Errors:
    def __init__(self, row_offset: int | None = None) -> None:
        self.items: list[FieldError] = []
        self.count = 0
        self.forbidden = 0
        self.row_offset = row_offset

    def add(self, index: int, field_name: str, message: str) -> None:
        self.count += 1
        if len(self.items) < MAX_REPORTED_ERRORS:
            row = None if self.row_offset is None else self.row_offset + index
            self.items.append(FieldError(message=message, field=field_name, index=index, row=row,
                                         column=field_name if row is not None else None))


@dataclass
class _Context:
    """What validation needs from the database, loaded once per request."""

    agencies: set[str]
    resolve_unit: Callable[[str], str | None]


_RESOLVERS: dict[str, Callable[[str], str | None]] = {}
_RESOLVER_LOCK = threading.Lock()


def unit_resolver(province_code: str) -> Callable[[str], str | None]:
    """MaDonViHanhChinh → current commune code: current codes and names, legacy (pre-2025) names through the
    geography service's official conversion, legacy 5-digit commune codes through the same table. The
    province's own code means "no commune" (None). Cached per province for the process."""
    with _RESOLVER_LOCK:
        resolver = _RESOLVERS.get(province_code)
        if resolver is None:
            resolver = _RESOLVERS[province_code] = _make_resolver(province_code)
        return resolver


def _make_resolver(province_code: str) -> Callable[[str], str | None]:
    from dieuhanh.geo import reference
    from dieuhanh.ingest.service import unit_resolver as ingest_resolver

    base = ingest_resolver(province_code)
    cache_: dict[str, str | None] = {}

    def resolve(value: str) -> str | None:
        if value in cache_:
            return cache_[value]
        text_ = value.strip()
        if text_ == province_code:
            result: str | None = None
        elif re.fullmatch(r"\d{5}", text_) and reference.get_commune(text_) is None:
            result = _legacy_code(province_code, text_)
        else:
            result = base(text_)
        cache_[value] = result
        return result

    return resolve


def _legacy_code(province_code: str, code: str) -> str:
    """A pre-2025 commune code → the current commune of the province it became (official conversion)."""
    from dieuhanh.geo import reference

    old = reference.legacy_commune(code)
    if old is None:
        raise ValueError(f"Không có xã, phường nào (hiện nay hoặc trước 01/07/2025) mang mã {code}.")
    label = f"{old.name} (mã cũ {code})"
    here = old.successors_in(province_code)
    if len(here) == 1:
        return here[0].code
    if len(here) > 1:
        names = ", ".join(f"{u.name} ({u.code})" for u in here)
        raise ValueError(f"{label} nay thuộc nhiều xã, phường: {names}. Hãy ghi mã xã hiện nay.")
    raise ValueError(f"{label} không thuộc tỉnh, thành phố đang vận hành (mã {province_code}).")


def _context(session: Session, province_code: str | None) -> _Context:
    if province_code is None:
        from dieuhanh.settings import get_settings

        province_code = get_settings().province_code
    agencies = set(session.scalars(select(Agency.code)).all())
    return _Context(agencies=agencies, resolve_unit=unit_resolver(province_code))


def _check_agency(ctx: _Context, principal: Principal, errors: _Errors, i: int, code: str | None) -> None:
    if code is None:
        return
    if code not in ctx.agencies:
        errors.add(i, "MaCoQuan", f"Mã cơ quan «{code}» không có trong danh mục cơ quan của tỉnh.")
    elif not allowed(principal, "publicservices.sync", code):
        errors.forbidden += 1
        errors.add(i, "MaCoQuan", f"Mã truy cập này chỉ được gửi dữ liệu của cơ quan «{principal.agency_code}», "
                                  f"không được gửi cho «{code}».")


def _split(record: Any, keymap: _KeyMap, errors: _Errors, i: int,
           ignored: set[str]) -> tuple[dict[str, Any], dict[str, Any], dict[str, Any]] | None:
    if not isinstance(record, dict):
        errors.add(i, "", "Mỗi phần tử phải là một đối tượng JSON (các cặp tên trường: giá trị).")
        return None
    core: dict[str, Any] = {}
    extra: dict[str, Any] = {}
    personal: dict[str, Any] = {}
    cache = keymap.cache
    for key, value in record.items():
        hit = cache.get(key)
        kind, name = hit if hit is not None else keymap(key)
        if kind == "core":
            core[name] = value
        elif kind == "ignored":
            ignored.add(name)
        elif value is not None and value != "":
            if kind == "personal":
                personal[name] = value if isinstance(value, str | int | float | bool) else str(value)
            elif isinstance(value, list) and name in NESTED_LISTS:
                extra[name] = value  # the sync record's nested lists: summarised by _nested, never stored
            else:
                extra[name] = value if isinstance(value, str | int | float | bool) else str(value)
    return core, extra, personal


def _required_text(core: dict[str, Any], name: str, errors: _Errors, i: int, max_len: int) -> str | None:
    value = _text(core.get(name))
    if value is None:
        errors.add(i, name, f"Thiếu trường bắt buộc {name}.")
        return None
    if len(value) > max_len:
        errors.add(i, name, f"{name} dài quá {max_len} ký tự.")
        return None
    return value


def _optional_text(core: dict[str, Any], name: str, errors: _Errors, i: int, max_len: int) -> str | None:
    value = _text(core.get(name))
    if value is not None and len(value) > max_len:
        errors.add(i, name, f"{name} dài quá {max_len} ký tự.")
        return None
    return value


def _field(errors: _Errors, i: int, name: str, parse: Callable[..., Any], *args: Any, **kwargs: Any) -> Any:
    """``parse(*args, **kwargs)``; a ValueError becomes the record's error for ``name``."""
    try:
        return parse(*args, **kwargs)
    except ValueError as exc:
        errors.add(i, name, str(exc))
        return None


def _flag(core: dict[str, Any], name: str, errors: _Errors, i: int, values: tuple[int, ...] = (0, 1)) -> int:
    value = core.get(name)
    if type(value) is int and value in values:
        return value
    value = _field(errors, i, name, _int, value, allowed_values=values)
    return 0 if value is None else int(value)


def _parse_extras(extra: dict[str, Any], columns: tuple[ExtraColumn, ...], errors: _Errors,
                  i: int) -> dict[str, Any]:
    """Typed values of the extra fields the rules profile reads (flags are 0/1)."""
    for col in columns:
        if col.field not in extra:
            continue
        if col.kind == "flag":
            extra[col.field] = _field(errors, i, col.field, _int, extra[col.field], allowed_values=(0, 1))
        elif col.kind == "int":
            extra[col.field] = _field(errors, i, col.field, _int, extra[col.field], minimum=0)
        elif col.kind == "date":
            day = _field(errors, i, col.field, parse_datetime, extra[col.field])
            extra[col.field] = None if day is None else day.date().isoformat()
        elif col.field == "DonViTinh":
            unit = _norm_key(str(extra[col.field]))
            if unit not in ("ngay", "gio"):
                errors.add(i, col.field, f"DonViTinh «{extra[col.field]}» không hợp lệ: chỉ nhận «ngày» hoặc «giờ».")
            extra[col.field] = unit
    return extra


def _items(value: Any, name: str, errors: _Errors, i: int) -> list[dict[str, Any]]:
    if type(value) is not list or not all(type(x) is dict for x in value):
        errors.add(i, name, f"{name} phải là một danh sách các đối tượng JSON.")
        return []
    return value


def _yes(item: dict[str, Any], name: str) -> bool:
    v = item.get(name)
    return v == 1 or v in ("1", "true", "True")  # 1 == True


def _nested(row: dict[str, Any], extra: dict[str, Any], errors: _Errors, i: int) -> None:
    """What the indicators need from the DVCQG sync record's nested lists, as flat fields (the lists themselves
    are not kept): TaiLieuNop → DuocSoHoa, DuocTaiSuDung, DuocLayTuKhoDMQG; DanhSachLePhi → CoLePhi (a fee
    above 0); DanhSachHoSoBoSung → SoLanYeuCauBoSung and ThoiGianChoBoSung (seconds from each request,
    NgayBoSung, to the citizen's supplement, NgayTiepNhanBoSung); DanhSachGiayToKetQua → CoKetQuaDienTu (a
    result file link); derived: KetNoiChiaSe (rule 4.4), DuLieuDanCu (rule 4.5b)."""
    pop = extra.pop
    docs = pop("TaiLieuNop", None)
    if docs is not None:
        so_hoa, tai_su_dung, kho = row["duoc_so_hoa"], row["duoc_tai_su_dung"], 0
        for d in _items(docs, "TaiLieuNop", errors, i):
            if _yes(d, "IsDeleted"):
                continue
            so_hoa = so_hoa or _yes(d, "DuocSoHoa")
            tai_su_dung = tai_su_dung or _yes(d, "DuocTaiSuDung")
            kho = kho or _yes(d, "DuocLayTuKhoDMQG")
        row["duoc_so_hoa"], row["duoc_tai_su_dung"] = int(so_hoa), int(tai_su_dung)
        extra["DuocLayTuKhoDMQG"] = int(kho or extra.get("DuocLayTuKhoDMQG") == 1)
    fees = pop("DanhSachLePhi", None)
    if fees is not None:
        positive = False
        for k, f in enumerate(_items(fees, "DanhSachLePhi", errors, i)):
            price = f.get("Gia")
            if type(price) is not int:
                price = _field(errors, i, f"DanhSachLePhi[{k}].Gia", _int, price, minimum=0) or 0
            positive = positive or price > 0
        extra["CoLePhi"] = int(positive)
    sups = pop("DanhSachHoSoBoSung", None)
    if sups is not None:
        sups = _items(sups, "DanhSachHoSoBoSung", errors, i)
        row["so_lan_yeu_cau_bo_sung"] = max(row["so_lan_yeu_cau_bo_sung"], len(sups))
        waited = 0
        for k, sup in enumerate(sups):
            asked = _field(errors, i, f"DanhSachHoSoBoSung[{k}].NgayBoSung", parse_datetime, sup.get("NgayBoSung"))
            back = _field(errors, i, f"DanhSachHoSoBoSung[{k}].NgayTiepNhanBoSung", parse_datetime,
                          sup.get("NgayTiepNhanBoSung"))
            if asked is not None and back is not None and back > asked:
                waited += int((back - asked).total_seconds())
        extra["ThoiGianChoBoSung"] = waited
    results = pop("DanhSachGiayToKetQua", None)
    if results is not None:
        row["co_ket_qua_dien_tu"] = int(row["co_ket_qua_dien_tu"] or any(
            _text(r.get("DuongDanTepTinKetQua")) for r in _items(results, "DanhSachGiayToKetQua", errors, i)))
    links = pop("DSKetNoiCSDL", None)
    if links is not None:
        links = _items(links, "DSKetNoiCSDL", errors, i)
    kho_dmqg = extra.get("DuocLayTuKhoDMQG") == 1
    if "DuocLayTuKhoDMQG" in extra or "DongBoDVCQG" in extra:
        extra.setdefault("KetNoiChiaSe", int(kho_dmqg or (extra.get("DongBoDVCQG") == 1
                                                          and row["co_ket_qua_dien_tu"] == 1)))
    if links is not None or "TaiKhoanDuocXacThucVoiVNeID" in extra or "DuocLayTuKhoDMQG" in extra:
        extra.setdefault("DuLieuDanCu", int(extra.get("TaiKhoanDuocXacThucVoiVNeID") == 1 or kho_dmqg
                                           or bool(links)))


def _validate_procedures(session: Session, records: list[Any], *, principal: Principal, ctx: _Context,
                         errors: _Errors, ignored: set[str]) -> list[dict[str, Any]]:
    extras = extra_fields()
    keymap = _KeyMap(PROCEDURE_FIELDS, extras.procedure)
    rows: list[dict[str, Any]] = []
    for i, record in enumerate(records):
        parts = _split(record, keymap, errors, i, ignored)
        if parts is None:
            continue
        core, extra, _personal = parts  # a procedure has no personal fields: they are dropped
        before = errors.count
        row = {
            "ma_tthc": _required_text(core, "MaTTHC", errors, i, 60),
            "ten_tthc": _required_text(core, "TenTTHC", errors, i, 2000),
            "ma_linh_vuc": _optional_text(core, "MaLinhVuc", errors, i, 60),
            "ten_linh_vuc": _optional_text(core, "TenLinhVuc", errors, i, 255),
            "ma_co_quan": _required_text(core, "MaCoQuan", errors, i, 40),
            "muc_do_dvc": _field(errors, i, "MucDoDVC", _enum, core.get("MucDoDVC"), MUC_DO_DVC,
                                 "Mức độ dịch vụ công"),
            "co_phi_le_phi": _flag(core, "CoPhiLePhi", errors, i),
            "yeu_cau_ket_qua": _flag(core, "YeuCauKetQua", errors, i),
            "thoi_han_giai_quyet": _field(errors, i, "ThoiHanGiaiQuyet", _int, core.get("ThoiHanGiaiQuyet"),
                                          minimum=0),
            "extra": _parse_extras(extra, extras.procedure_columns, errors, i),
        }
        if row["muc_do_dvc"] is None and _text(core.get("MucDoDVC")) is None:
            errors.add(i, "MucDoDVC", f"Thiếu trường bắt buộc MucDoDVC ({' | '.join(MUC_DO_DVC)}).")
        _check_agency(ctx, principal, errors, i, row["ma_co_quan"])
        if errors.count == before:
            rows.append(row)
    return rows


def _validate_dossiers(session: Session, records: list[Any], *, principal: Principal, ctx: _Context,
                       errors: _Errors, ignored: set[str]) -> list[dict[str, Any]]:
    extras = extra_fields()
    keymap = _KeyMap(DOSSIER_FIELDS, extras.dossier)
    rows: list[dict[str, Any]] = []
    pending_procedures: dict[str, list[int]] = {}
    for i, record in enumerate(records):
        parts = _split(record, keymap, errors, i, ignored)
        if parts is None:
            continue
        core, extra, personal = parts
        before = errors.count
        row: dict[str, Any] = {
            "ma_ho_so": _required_text(core, "MaHoSo", errors, i, 100),
            "ma_tthc": _required_text(core, "MaTTHC", errors, i, 60),
            "ma_co_quan": _required_text(core, "MaCoQuan", errors, i, 40),
        }
        unit = _text(core.get("MaDonViHanhChinh"))
        row["ma_don_vi_hanh_chinh"] = None if unit is None else _field(errors, i, "MaDonViHanhChinh",
                                                                       ctx.resolve_unit, unit)
        kenh = _field(errors, i, "KenhThucHien", _int, core.get("KenhThucHien"), allowed_values=KENH)
        row["kenh_thuc_hien"] = 1 if kenh is None else kenh
        status = _field(errors, i, "TrangThaiHoSo", _int, core.get("TrangThaiHoSo"), allowed_values=TRANG_THAI)
        if status is None and _text(core.get("TrangThaiHoSo")) is None:
            errors.add(i, "TrangThaiHoSo", "Thiếu trường bắt buộc TrangThaiHoSo (1–10).")
        row["trang_thai_ho_so"] = status
        for name in DATE_FIELDS:
            try:
                row[COLUMN[name]] = parse_datetime(core.get(name))
            except ValueError as exc:
                errors.add(i, name, str(exc))
                row[COLUMN[name]] = None
        if row["ngay_cap_nhat"] is None and _text(core.get("NgayCapNhat")) is None:
            errors.add(i, "NgayCapNhat", "Thiếu trường bắt buộc NgayCapNhat (thời điểm cập nhật hồ sơ).")
        if (row["ngay_tiep_nhan"] is None and status is not None and status not in NOT_RECEIVED
                and _text(core.get("NgayTiepNhan")) is None):
            errors.add(i, "NgayTiepNhan",
                       f"Hồ sơ ở trạng thái {status} ({TRANG_THAI[status]}) phải có NgayTiepNhan.")
        supplements = _field(errors, i, "SoLanYeuCauBoSung", _int, core.get("SoLanYeuCauBoSung"), minimum=0)
        row["so_lan_yeu_cau_bo_sung"] = supplements or 0
        row["duoc_thanh_toan_truc_tuyen"] = _flag(core, "DuocThanhToanTrucTuyen", errors, i, (0, 1, 2))
        for name in ("CoKetQuaDienTu", "DuocSoHoa", "DuocTaiSuDung", "CoPhanAnh"):
            row[COLUMN[name]] = _flag(core, name, errors, i)
        row["danh_gia"] = _field(errors, i, "DanhGia", _enum, core.get("DanhGia"), DANH_GIA, "Đánh giá")
        row["extra"] = _parse_extras(extra, extras.dossier_columns, errors, i)
        _nested(row, row["extra"], errors, i)
        if row["ngay_hen_tra"] is not None and _date_only(core.get("NgayHenTra")):
            # A due date without a time compares by date: finishing on the due day is on time.
            row["ngay_hen_tra"] = row["ngay_hen_tra"].replace(hour=23, minute=59, second=59)
        row["personal"] = personal
        _check_agency(ctx, principal, errors, i, row["ma_co_quan"])
        if row["ma_tthc"] is not None:
            pending_procedures.setdefault(row["ma_tthc"], []).append(i)
        if errors.count == before:
            rows.append(row)
    known = _existing_keys(session, Procedure.ma_tthc, list(pending_procedures))
    for code, indexes in pending_procedures.items():
        if code not in known:
            for i in indexes:
                errors.add(i, "MaTTHC", f"Thủ tục «{code}» chưa có: hãy gửi thủ tục (POST /api/v1/publicservices/"
                                        "procedures) trước hồ sơ của nó.")
    return rows


def _existing_keys(session: Session, column: Any, keys: list[str]) -> set[str]:
    found: set[str] = set()
    for start in range(0, len(keys), 1000):
        found.update(session.scalars(select(column).where(column.in_(keys[start:start + 1000]))).all())
    return found


def _raise(errors: _Errors, what: str) -> None:
    if not errors.count:
        return
    more = f" (hiển thị {len(errors.items)} lỗi đầu)" if errors.count > len(errors.items) else ""
    if errors.forbidden:
        raise PermissionDenied(f"Có {errors.forbidden} {what} của cơ quan mà mã truy cập không được gửi{more}. "
                               "Không có bản ghi nào được lưu.", errors=errors.items)
    raise RecordErrors(f"Dữ liệu không hợp lệ: {errors.count} lỗi{more}. Không có {what} nào được lưu.",
                       errors=errors.items)


def _check_size(records: Any, max_records: int | None) -> None:
    if not isinstance(records, list):
        raise InvalidInput("Nội dung gửi lên phải là một danh sách JSON các bản ghi.")
    if max_records is not None and len(records) > max_records:
        raise TooLarge(f"Mỗi lần gửi tối đa {max_records:,} bản ghi (đã nhận {len(records):,}). "
                       "Hãy chia thành nhiều lần gửi.".replace(",", "."))


# ------------------------------------------------------------------------------------------- datasets

_DOSSIER_SCHEMA: list[dict[str, Any]] = [
    {"name": "ma_ho_so", "type": "string", "required": True, "description": "Mã hồ sơ (MaHoSo)"},
    {"name": "ma_tthc", "type": "string", "required": True, "description": "Mã thủ tục hành chính"},
    {"name": "ma_co_quan", "type": "string", "required": True, "description": "Mã cơ quan giải quyết"},
    {"name": "ma_don_vi_hanh_chinh", "type": "unit_code", "description": "Mã xã, phường hiện nay"},
    {"name": "kenh_thuc_hien", "type": "integer", "required": True,
     "description": "1 trực tiếp, 2 trực tuyến, 3 bưu chính công ích"},
    {"name": "trang_thai_ho_so", "type": "integer", "required": True, "description": "Trạng thái 1–10"},
    {"name": "ngay_tiep_nhan", "type": "datetime", "description": "Ngày tiếp nhận (giờ Việt Nam)"},
    {"name": "ngay_hen_tra", "type": "datetime", "description": "Ngày hẹn trả"},
    {"name": "ngay_ket_thuc_xu_ly", "type": "datetime", "description": "Ngày kết thúc xử lý"},
    {"name": "ngay_yeu_cau_bo_sung", "type": "datetime", "description": "Ngày yêu cầu bổ sung"},
    {"name": "ngay_cap_nhat", "type": "datetime", "required": True, "description": "Ngày cập nhật hồ sơ"},
    {"name": "so_lan_yeu_cau_bo_sung", "type": "integer", "description": "Số lần yêu cầu bổ sung"},
    {"name": "duoc_thanh_toan_truc_tuyen", "type": "integer",
     "description": "0 không, 1 trên Cổng DVC quốc gia, 2 trên Cổng DVC của tỉnh"},
    {"name": "co_ket_qua_dien_tu", "type": "integer", "description": "1: có kết quả điện tử"},
    {"name": "duoc_so_hoa", "type": "integer", "description": "1: thành phần hồ sơ được số hóa"},
    {"name": "duoc_tai_su_dung", "type": "integer", "description": "1: sử dụng lại dữ liệu số hóa"},
    {"name": "co_phan_anh", "type": "integer", "description": "1: có phản ánh, kiến nghị về hồ sơ"},
    {"name": "danh_gia", "type": "string", "description": "hai_long | khong_hai_long | trống"},
    {"name": "nap_luc", "type": "datetime", "required": True, "description": "Thời điểm nạp vào kho (giờ Việt Nam)"},
]
_PROCEDURE_SCHEMA: list[dict[str, Any]] = [
    {"name": "ma_tthc", "type": "string", "required": True, "description": "Mã thủ tục hành chính"},
    {"name": "ten_tthc", "type": "string", "required": True, "description": "Tên thủ tục"},
    {"name": "ma_linh_vuc", "type": "string", "description": "Mã lĩnh vực"},
    {"name": "ten_linh_vuc", "type": "string", "description": "Tên lĩnh vực"},
    {"name": "ma_co_quan", "type": "string", "required": True, "description": "Mã cơ quan thực hiện"},
    {"name": "muc_do_dvc", "type": "string", "required": True, "description": "toan_trinh | mot_phan | khong"},
    {"name": "co_phi_le_phi", "type": "integer", "description": "1: có phí, lệ phí"},
    {"name": "yeu_cau_ket_qua", "type": "integer", "description": "1: thủ tục có văn bản kết quả"},
    {"name": "thoi_han_giai_quyet", "type": "integer", "description": "Thời hạn giải quyết (ngày làm việc)"},
    {"name": "ngay_cap_nhat", "type": "datetime", "required": True, "description": "Cập nhật lần cuối (giờ Việt Nam)"},
]
_ARROW = {"string": pa.string(), "unit_code": pa.string(), "integer": pa.int64(), "datetime": pa.timestamp("us")}


def _extra_schema(columns: tuple[ExtraColumn, ...]) -> list[dict[str, Any]]:
    return [{"name": c.column, "type": "integer" if c.kind in ("flag", "int") else "string",
             "description": f"{c.field} (trường bổ sung cho chỉ số QĐ 766; trống: không gửi)"} for c in columns]


def dataset_schema(name: str) -> list[dict[str, Any]]:
    """Catalog columns of ``tthc_thu_tuc`` or ``tthc_ho_so``: the core columns, then the extra columns the rules
    profile reads (nullable), then (dossiers) ``nap_luc``."""
    extras = extra_fields()
    if name == PROCEDURES_DATASET:
        return [*_PROCEDURE_SCHEMA, *_extra_schema(extras.procedure_columns)]
    return [*_DOSSIER_SCHEMA[:-1], *_extra_schema(extras.dossier_columns), _DOSSIER_SCHEMA[-1]]


def arrow_schema(name: str) -> pa.Schema:
    return pa.schema([pa.field(c["name"], _ARROW[c["type"]]) for c in dataset_schema(name)])


_DATASETS = {
    PROCEDURES_DATASET: (
        "Thủ tục hành chính (hiện hành)",
        "Danh mục thủ tục hành chính do Hệ thống thông tin giải quyết TTHC của tỉnh đồng bộ; thay toàn bộ mỗi khi "
        "thủ tục thay đổi. Nguồn của các chỉ số Quyết định 766/QĐ-TTg."),
    DOSSIERS_DATASET: (
        "Hồ sơ thủ tục hành chính (lịch sử phiên bản)",
        "Mọi phiên bản hồ sơ TTHC đã được chấp nhận (theo NgayCapNhat); mỗi lần đồng bộ hoặc nhập tệp là một lô. "
        "Trạng thái hiện tại của một hồ sơ: dòng có (ngay_cap_nhat, nap_luc) lớn nhất. Không chứa thông tin cá "
        "nhân."),
}


def ensure_datasets(session: Session, warehouse: Warehouse | None = None) -> tuple[Dataset, Dataset]:
    """Register ``tthc_thu_tuc`` and ``tthc_ho_so`` in the catalog (idempotent; internal, never published),
    owned by TTPVHCC; add columns the rules profile needs to an existing registration.

    With a warehouse, its tables are also created (empty, typed) or given their missing columns, so SQL over
    them works before the first push."""
    from dieuhanh.catalog.schemas import ColumnIn

    out = []
    for name, (title, description) in _DATASETS.items():
        schema = dataset_schema(name)
        try:
            ds = catalog.get_dataset(session, name)
        except NotFound:
            ds = catalog.create_dataset(session, principal=SYSTEM, dataset_in=DatasetIn.model_validate({
                "name": name, "title": title, "description": description, "owner_agency": OWNER_AGENCY,
                "license_id": "internal", "access": "internal", "update_frequency": "realtime",
                "tags": ["hệ thống", "dịch vụ công", "thủ tục hành chính", "Quyết định 766"], "schema": schema}))
        else:
            have = {c.name for c in ds.columns}
            if any(c["name"] not in have for c in schema):
                current = [ColumnIn(name=c.name, type=c.type, required=c.required, unique=c.unique, pii=c.pii,
                                    description=c.description) for c in ds.columns]
                added = [ColumnIn.model_validate({**c, "required": False}) for c in schema if c["name"] not in have]
                ds = catalog.update_schema(session, principal=SYSTEM, name=name, columns=[*current, *added])
        if warehouse is not None:
            # An empty append creates the table, or adds the columns it lacks; it stores no row.
            warehouse.append(name, arrow_schema(name).empty_table(), f"schema-{name}")
        out.append(ds)
    return out[0], out[1]


def _record_batch(session: Session, ds: Dataset, *, principal: Principal, batch_id: str, rows: int, mode: str,
                  source: str, filename: str | None) -> None:
    now = utcnow()
    if mode == "replace":
        session.execute(update(LoadBatch).where(LoadBatch.dataset_id == ds.id, LoadBatch.status == "loaded")
                        .values(status="superseded"))
        session.execute(update(Dataset).where(Dataset.id == ds.id).values(row_count=rows, last_batch_at=now))
    else:
        session.execute(update(Dataset).where(Dataset.id == ds.id)
                        .values(row_count=Dataset.row_count + rows, last_batch_at=now))
    session.add(LoadBatch(id=batch_id, dataset_id=ds.id, status="loaded", mode=mode, source=source[:20],
                          filename=filename, rows=rows, schema_version=ds.schema_version, created_by=principal.actor,
                          created_at=now))
    session.flush()
    session.expire(ds)


def _local_now() -> datetime:
    """Server time as naive local time (the warehouse's ``nap_luc``)."""
    return datetime.now(LOCAL_TZ).replace(tzinfo=None)


def _lock(session: Session, name: str) -> None:
    """Serialise pushes of one kind, so "older than the stored one" is decided against committed data and the
    warehouse receives versions in the order the database accepted them."""
    if session.get_bind().dialect.name == "postgresql":
        session.execute(text("SELECT pg_advisory_xact_lock(hashtext(:n))"), {"n": f"publicservices.{name}"})
    else:  # SQLite: take the database write lock now (pysqlite begins the transaction at the first write)
        table = "ps_dossier" if name == "dossiers" else "ps_procedure"
        session.execute(text(f"UPDATE {table} SET ma_co_quan = ma_co_quan WHERE 1 = 0"))


# ------------------------------------------------------------------------------------------ procedures


def validate_procedures(session: Session, records: list[Any], *, principal: Principal,
                        province_code: str | None = None, row_offset: int | None = None,
                        ignored: set[str] | None = None) -> list[dict[str, Any]]:
    """Validate without storing; raises RecordErrors/PermissionDenied. ``row_offset``: file row of record 0."""
    authorize(principal, "publicservices.sync", None)
    errors = _Errors(row_offset)
    rows = _validate_procedures(session, records, principal=principal, ctx=_context(session, province_code),
                                errors=errors, ignored=set() if ignored is None else ignored)
    codes = [r["ma_tthc"] for r in rows]
    if len(set(codes)) != len(codes):
        seen: dict[str, int] = {}
        for i, record in enumerate(records):
            code = _text(record.get("MaTTHC")) if isinstance(record, dict) else None
            if code is None:
                continue
            if code in seen:
                errors.add(i, "MaTTHC", f"Thủ tục «{code}» xuất hiện hai lần trong cùng một lần gửi "
                                        f"(phần tử {seen[code]} và {i}).")
            else:
                seen[code] = i
    _raise(errors, "thủ tục")
    return rows


def upsert_procedures(session: Session, warehouse: Warehouse, records: list[Any], *, principal: Principal,
                      source: str = "api", province_code: str | None = None, max_records: int | None = MAX_RECORDS,
                      filename: str | None = None) -> UpsertResult:
    """Upsert procedures by MaTTHC (all valid or nothing), then replace ``tthc_thu_tuc`` with the current list."""
    _check_size(records, max_records)
    ignored: set[str] = set()
    rows = validate_procedures(session, records, principal=principal, province_code=province_code,
                               ignored=ignored)
    result = UpsertResult(received=len(records), ignored_fields=sorted(ignored))
    ensure_datasets(session)
    _lock(session, "procedures")
    result.inserted, result.updated, result.unchanged = _apply_procedures(session, rows)
    if result.inserted or result.updated or not warehouse.table_exists(PROCEDURES_DATASET):
        result.batch_id = _replace_procedures(session, warehouse, principal=principal, source=source,
                                              filename=filename)
    audit.record(session, actor=principal.actor, action="publicservices.push_procedures", entity_type="dataset",
                 entity_id=PROCEDURES_DATASET, after={"source": source, "filename": filename, **result.as_dict()})
    return result


def _apply_procedures(session: Session, rows: list[dict[str, Any]]) -> tuple[int, int, int]:
    table = _PROCEDURE_TABLE
    existing: dict[str, dict[str, Any]] = {}
    codes = [r["ma_tthc"] for r in rows]
    for start in range(0, len(codes), 1000):
        for row in session.execute(select(table).where(table.c.ma_tthc.in_(codes[start:start + 1000]))).mappings():
            existing[row["ma_tthc"]] = dict(row)
    now = utcnow()
    new, changed, same = [], [], 0
    for r in rows:
        old = existing.get(r["ma_tthc"])
        if old is None:
            new.append({**r, "updated_at": now})
        elif any(old[k] != r[k] for k in (*PROCEDURE_COLUMNS, "extra")):
            changed.append({**{f"b_{k}": v for k, v in r.items()}, "b_updated_at": now})
        else:
            same += 1
    if new:
        session.execute(insert(table), new)
    if changed:
        cols = [*PROCEDURE_COLUMNS, "extra", "updated_at"]
        session.execute(
            update(table).where(table.c.ma_tthc == bindparam("b_ma_tthc"))
            .values({c: bindparam(f"b_{c}") for c in cols if c != "ma_tthc"}),
            changed,
        )
    return len(new), len(changed), same


def _replace_procedures(session: Session, warehouse: Warehouse, *, principal: Principal, source: str,
                        filename: str | None) -> str:
    session.flush()
    table = _PROCEDURE_TABLE
    rows = session.execute(select(table).order_by(table.c.ma_tthc)).mappings().all()
    data: dict[str, list[Any]] = {c: [r[c] for r in rows] for c in PROCEDURE_COLUMNS}
    data["ngay_cap_nhat"] = [_utc_to_local(r["updated_at"]) for r in rows]
    for col in extra_fields().procedure_columns:
        data[col.column] = [_extra_value(r["extra"], col) for r in rows]
    arrow = pa.Table.from_pydict(data, schema=arrow_schema(PROCEDURES_DATASET))
    ds = catalog.get_dataset(session, PROCEDURES_DATASET)
    batch_id = str(uuid.uuid4())
    _record_batch(session, ds, principal=principal, batch_id=batch_id, rows=len(rows), mode="replace",
                  source=source, filename=filename)
    # Follows the transaction: if it does not commit, the previous procedures come back (core/warehouse_tx.py).
    TransactionalWarehouse(session, warehouse).replace(PROCEDURES_DATASET, arrow, batch_id)
    return batch_id


def _utc_to_local(value: datetime) -> datetime:
    return value.replace(tzinfo=UTC).astimezone(LOCAL_TZ).replace(tzinfo=None)


# -------------------------------------------------------------------------------------------- dossiers


def validate_dossiers(session: Session, records: list[Any], *, principal: Principal,
                      province_code: str | None = None, row_offset: int | None = None,
                      ignored: set[str] | None = None) -> list[dict[str, Any]]:
    """Validate without storing; raises RecordErrors/PermissionDenied. ``row_offset``: file row of record 0."""
    authorize(principal, "publicservices.sync", None)
    errors = _Errors(row_offset)
    rows = _validate_dossiers(session, records, principal=principal, ctx=_context(session, province_code),
                              errors=errors, ignored=set() if ignored is None else ignored)
    _raise(errors, "hồ sơ")
    _check_stored_owners(session, rows, principal=principal, errors=errors)  # rows[i] is records[i] here
    _raise(errors, "hồ sơ")
    return rows


def _check_stored_owners(session: Session, rows: list[dict[str, Any]], *, principal: Principal,
                         errors: _Errors) -> None:
    """A caller may update only dossiers whose **stored** owner it may write for: an agency-bound token cannot take
    over another agency's dossier by sending its MaHoSo with its own MaCoQuan (and so move it, or wipe its
    personal data). Moving a dossier between agencies is for a caller allowed for both."""
    table = _DOSSIER_TABLE
    keys = [r["ma_ho_so"] for r in rows]
    owners: dict[str, str] = {}
    for start in range(0, len(keys), 1000):
        owners.update(session.execute(select(table.c.ma_ho_so, table.c.ma_co_quan).where(
            table.c.ma_ho_so.in_(keys[start:start + 1000]))).tuples().all())
    for i, row in enumerate(rows):
        owner = owners.get(row["ma_ho_so"])
        if owner is not None and owner != row["ma_co_quan"] and not allowed(principal, "publicservices.sync", owner):
            errors.forbidden += 1
            errors.add(i, "MaHoSo", f"Hồ sơ «{row['ma_ho_so']}» thuộc cơ quan «{owner}»; mã truy cập này không được "
                                    "sửa hồ sơ của cơ quan khác.")


def upsert_dossiers(session: Session, warehouse: Warehouse, records: list[Any], *, principal: Principal,
                    source: str = "api", province_code: str | None = None, max_records: int | None = MAX_RECORDS,
                    filename: str | None = None) -> UpsertResult:
    """Upsert dossiers by MaHoSo, ordered by NgayCapNhat (all valid or nothing); append the accepted versions to
    ``tthc_ho_so`` as one load batch."""
    _check_size(records, max_records)
    ignored: set[str] = set()
    rows = validate_dossiers(session, records, principal=principal, province_code=province_code, ignored=ignored)
    result = UpsertResult(received=len(records), ignored_fields=sorted(ignored))
    ensure_datasets(session)
    _lock(session, "dossiers")
    accepted = _apply_dossiers(session, rows, result)
    if accepted:
        result.batch_id = _append_dossiers(session, warehouse, [_arrow_dossiers(accepted, _local_now())],
                                           principal=principal, source=source, filename=filename)
    audit.record(session, actor=principal.actor, action="publicservices.push_dossiers", entity_type="dataset",
                 entity_id=DOSSIERS_DATASET, after={"source": source, "filename": filename, **result.as_dict()})
    return result


_COMPARED = [c for c in DOSSIER_COLUMNS if c != "ma_ho_so"] + ["extra", "personal"]


def _apply_dossiers(session: Session, rows: list[dict[str, Any]], result: UpsertResult) -> list[dict[str, Any]]:
    """Write the accepted versions to ps_dossier; returns them (for the warehouse). Counts into ``result``."""
    # Several versions of one dossier in the request: keep the newest (the last one on equal times).
    latest: dict[str, dict[str, Any]] = {}
    for r in rows:
        prev = latest.get(r["ma_ho_so"])
        if prev is None or r["ngay_cap_nhat"] >= prev["ngay_cap_nhat"]:
            latest[r["ma_ho_so"]] = r
    result.skipped_older += len(rows) - len(latest)
    table = _DOSSIER_TABLE
    keys = list(latest)
    stored: dict[str, datetime] = {}
    for start in range(0, len(keys), 1000):
        stored.update(session.execute(select(table.c.ma_ho_so, table.c.ngay_cap_nhat)
                                      .where(table.c.ma_ho_so.in_(keys[start:start + 1000]))).all())
    equal = [k for k, r in latest.items() if k in stored and stored[k] == r["ngay_cap_nhat"]]
    same: set[str] = set()
    for start in range(0, len(equal), 1000):
        for old in session.execute(select(table).where(table.c.ma_ho_so.in_(equal[start:start + 1000]))).mappings():
            new = latest[old["ma_ho_so"]]
            if all(old[c] == new[c] for c in _COMPARED):
                same.add(old["ma_ho_so"])
    inserts, updates, accepted = [], [], []
    for key, r in latest.items():
        old_time = stored.get(key)
        if old_time is None:
            inserts.append(r)
        elif r["ngay_cap_nhat"] < old_time:
            result.skipped_older += 1
            continue
        elif key in same:
            result.unchanged += 1
            continue
        else:
            updates.append(r)
        accepted.append(r)
    _write_dossiers(session, inserts, updates)
    result.inserted += len(inserts)
    result.updated += len(updates)
    return accepted


_WRITTEN = [*DOSSIER_COLUMNS, "extra", "personal", "received_at"]
_DATETIME_COLUMNS = {COLUMN[f] for f in DATE_FIELDS} | {"received_at"}


def _write_dossiers(session: Session, inserts: list[dict[str, Any]], updates: list[dict[str, Any]]) -> None:
    """Bulk INSERT and UPDATE through the driver's executemany (thousands of rows per push): values are
    converted here the way SQLAlchemy stores them (SQLite: datetimes as 'YYYY-MM-DD HH:MM:SS.ffffff' text,
    JSON as text), without SQLAlchemy's per-value processing."""
    import json

    if not inserts and not updates:
        return
    conn = session.connection()
    sqlite = conn.dialect.name == "sqlite"
    mark = "?" if sqlite else "%s"
    json_mark = mark if sqlite else "CAST(%s AS JSON)"
    now = utcnow()

    stamp: Any = now.isoformat(" ", "microseconds") if sqlite else now
    plain = [c for c in DOSSIER_COLUMNS if not (sqlite and c in _DATETIME_COLUMNS)]
    position = {c: i for i, c in enumerate(_WRITTEN)}

    def as_json(v: dict[str, Any] | None) -> str:
        return json.dumps(v, ensure_ascii=False) if v else "{}"

    def values(r: dict[str, Any]) -> list[Any]:
        out: list[Any] = [None] * len(_WRITTEN)
        for c in plain:
            out[position[c]] = r[c]
        if sqlite:
            for c in _DATETIME_COLUMNS - {"received_at"}:
                v = r[c]
                out[position[c]] = None if v is None else v.isoformat(" ", "microseconds")
        out[-3], out[-2], out[-1] = as_json(r["extra"]), as_json(r["personal"]), stamp
        return out

    assert _WRITTEN[-3:] == ["extra", "personal", "received_at"]
    if not sqlite:
        # PostgreSQL: COPY into a temporary table, then one INSERT … ON CONFLICT DO UPDATE (the decision which
        # versions apply is already taken under the advisory lock).
        cols = ", ".join(_WRITTEN)
        conn.exec_driver_sql("CREATE TEMP TABLE IF NOT EXISTS _ps_dossier_in "
                             "(LIKE ps_dossier INCLUDING DEFAULTS) ON COMMIT DROP")
        conn.exec_driver_sql("TRUNCATE _ps_dossier_in")
        raw: Any = conn.connection.dbapi_connection  # psycopg 3
        with raw.cursor() as cur, cur.copy(f"COPY _ps_dossier_in ({cols}) FROM STDIN") as copy:
            for r in (*inserts, *updates):
                copy.write_row(values(r))
        sets = ", ".join(f"{c} = EXCLUDED.{c}" for c in _WRITTEN[1:])
        conn.exec_driver_sql(f"INSERT INTO ps_dossier ({cols}) SELECT {cols} FROM _ps_dossier_in "
                             f"ON CONFLICT (ma_ho_so) DO UPDATE SET {sets}")
        return
    marks = [json_mark if c in ("extra", "personal") else mark for c in _WRITTEN]
    if inserts:
        conn.exec_driver_sql(
            f"INSERT INTO ps_dossier ({', '.join(_WRITTEN)}) VALUES ({', '.join(marks)})",
            [tuple(values(r)) for r in inserts])
    if updates:
        sets = ", ".join(f"{c} = {m}" for c, m in zip(_WRITTEN[1:], marks[1:], strict=True))
        conn.exec_driver_sql(f"UPDATE ps_dossier SET {sets} WHERE ma_ho_so = {mark}",
                             [(*values(r)[1:], r["ma_ho_so"]) for r in updates])


def _arrow_dossiers(rows: list[dict[str, Any]], loaded_at: datetime) -> pa.Table:
    data: dict[str, Any] = {c: [r[c] for r in rows] for c in DOSSIER_COLUMNS}
    for col in extra_fields().dossier_columns:
        data[col.column] = [_extra_value(r["extra"], col) for r in rows]
    data["nap_luc"] = [loaded_at] * len(rows)
    return pa.Table.from_pydict(data, schema=arrow_schema(DOSSIERS_DATASET))


def _extra_value(extra: dict[str, Any] | None, col: ExtraColumn) -> Any:
    value = (extra or {}).get(col.field)
    if value is None:
        return None
    if col.kind in ("flag", "int"):
        return int(value)
    return str(value)


def _append_dossiers(session: Session, warehouse: Warehouse, tables: list[pa.Table], *, principal: Principal,
                     source: str, filename: str | None) -> str:
    """One load batch of accepted versions. The warehouse append comes last: if it fails the caller's
    database transaction rolls back too; if that transaction does not commit, the appended rows are removed
    again (``core/warehouse_tx.py``). Both stores stay unchanged either way."""
    session.flush()
    ds = catalog.get_dataset(session, DOSSIERS_DATASET)
    batch_id = str(uuid.uuid4())
    n = sum(t.num_rows for t in tables)
    _record_batch(session, ds, principal=principal, batch_id=batch_id, rows=n, mode="append", source=source,
                  filename=filename)
    reader = pa.RecordBatchReader.from_batches(arrow_schema(DOSSIERS_DATASET),
                                               (b for t in tables for b in t.to_batches()))
    TransactionalWarehouse(session, warehouse).append(DOSSIERS_DATASET, reader, batch_id)
    return batch_id


# ------------------------------------------------------------------------------------------ file import


@dataclass
class ImportResult(UpsertResult):
    rows: int = 0
    chunks: int = 0


def _file_chunks(path: Path, *, max_bytes: int, chunk: int) -> Iterator[tuple[list[dict[str, Any]], int]]:
    from dieuhanh.ingest.readers import ReadError, open_table

    try:
        reader = open_table(str(path), path.name, max_bytes=max_bytes)
    except ReadError as exc:
        raise InvalidInput(f"Không đọc được tệp: {exc.message}",
                           errors=[FieldError(message=exc.message, row=exc.row, column=exc.column)]) from exc
    try:
        columns = reader.columns
        for batch, first_row in reader.batches(batch_size=chunk):
            arrays = [batch.column(i).to_pylist() for i in range(batch.num_columns)]
            records = [{columns[j]: arrays[j][k] for j in range(len(columns)) if arrays[j][k] not in (None, "")}
                       for k in range(batch.num_rows)]
            yield records, first_row
    except ReadError as exc:
        raise InvalidInput(f"Không đọc được tệp: {exc.message}",
                           errors=[FieldError(message=exc.message, row=exc.row, column=exc.column)]) from exc
    finally:
        reader.close()


def import_file(session: Session, warehouse: Warehouse, path: Path, *, kind: str, principal: Principal,
                province_code: str | None = None, max_bytes: int = 1 << 40, chunk: int = MAX_RECORDS,
                progress: Callable[[str, int, int | None], None] | None = None) -> ImportResult:
    """Import a CSV/XLSX/JSON export of the one-stop-shop system (columns = the portal's field names).

    All or nothing per file: every chunk of ``chunk`` rows is validated first (errors carry file row numbers);
    only then are the chunks applied, in one database transaction and one warehouse batch.
    ``progress(stage, rows_done, rows_total)`` is called after each chunk (stage "check", total unknown, then
    "apply")."""
    if kind not in ("dossiers", "procedures"):
        raise InvalidInput("--kind phải là 'dossiers' hoặc 'procedures'.")
    authorize(principal, "publicservices.sync", None)
    ignored: set[str] = set()
    errors: list[FieldError] = []
    error_count = rows = 0
    validate = validate_dossiers if kind == "dossiers" else validate_procedures
    seen_procedures: dict[str, int] = {}
    for records, first_row in _file_chunks(path, max_bytes=max_bytes, chunk=chunk):
        try:
            valid = validate(session, records, principal=principal, province_code=province_code,
                             row_offset=first_row, ignored=ignored)
            if kind == "procedures":
                for k, r in enumerate(valid):
                    if r["ma_tthc"] in seen_procedures:
                        error_count += 1
                        errors.append(FieldError(message=f"Thủ tục «{r['ma_tthc']}» trùng với dòng "
                                                         f"{seen_procedures[r['ma_tthc']]}.", field="MaTTHC",
                                                 column="MaTTHC", row=first_row + k, index=rows + k))
                    seen_procedures[r["ma_tthc"]] = first_row + k
        except (RecordErrors, PermissionDenied) as exc:
            error_count += len(exc.errors)
            for e in exc.errors:
                if len(errors) < MAX_REPORTED_ERRORS:
                    e.index = rows + (e.index or 0)
                    errors.append(e)
        rows += len(records)
        if progress:
            progress("check", rows, None)
    if error_count:
        raise RecordErrors(f"Tệp có {error_count} lỗi. Không có dòng nào được lưu.", errors=errors)
    if rows == 0:
        raise InvalidInput("Tệp không có dòng dữ liệu nào.")
    result = ImportResult(received=rows, rows=rows, ignored_fields=sorted(ignored))
    source = "cli"
    if kind == "procedures":
        all_records: list[dict[str, Any]] = []
        for records, _first in _file_chunks(path, max_bytes=max_bytes, chunk=chunk):
            all_records.extend(records)
        done = upsert_procedures(session, warehouse, all_records, principal=principal, source=source,
                                 province_code=province_code, max_records=None, filename=path.name)
        for name in ("inserted", "updated", "unchanged", "skipped_older", "batch_id"):
            setattr(result, name, getattr(done, name))
        if progress:
            progress("apply", rows, rows)
        return result
    ensure_datasets(session)
    _lock(session, "dossiers")
    tables: list[pa.Table] = []
    base = _local_now()
    done_rows = 0
    for n, (records, _first) in enumerate(_file_chunks(path, max_bytes=max_bytes, chunk=chunk)):
        valid = validate_dossiers(session, records, principal=principal, province_code=province_code)
        accepted = _apply_dossiers(session, valid, result)
        session.flush()
        if accepted:
            # Strictly increasing load times per chunk: two versions with equal NgayCapNhat in one file
            # still order as the database applied them.
            tables.append(_arrow_dossiers(accepted, base + timedelta(microseconds=n)))
        result.chunks += 1
        done_rows += len(records)
        if progress:
            progress("apply", done_rows, rows)
    if tables:
        result.batch_id = _append_dossiers(session, warehouse, tables, principal=principal, source=source,
                                           filename=path.name)
    audit.record(session, actor=principal.actor, action="publicservices.import_dossiers", entity_type="dataset",
                 entity_id=DOSSIERS_DATASET, after={"filename": path.name, "rows": rows, **result.as_dict()})
    return result


# ------------------------------------------------------------------------------------------------ reads


def get_dossier(session: Session, *, principal: Principal, ma_ho_so: str) -> dict[str, Any]:
    """One dossier's current state; personal fields only for officials of its agency."""
    dossier = session.get(Dossier, ma_ho_so)
    if dossier is None:
        raise NotFound(f"Không có hồ sơ «{ma_ho_so}».")
    authorize(principal, "publicservices.dossiers", dossier.ma_co_quan)
    return dossier_out(dossier, personal=allowed(principal, "publicservices.personal", dossier))


def get_procedure(session: Session, *, principal: Principal, ma_tthc: str) -> dict[str, Any]:
    authorize(principal, "publicservices.read", None)
    procedure = session.get(Procedure, ma_tthc)
    if procedure is None:
        raise NotFound(f"Không có thủ tục «{ma_tthc}».")
    return procedure_out(procedure)


def dossier_out(d: Dossier, *, personal: bool = False) -> dict[str, Any]:
    out: dict[str, Any] = {name: getattr(d, COLUMN[name]) for name in DOSSIER_FIELDS}
    out["extra"] = d.extra or {}
    if personal:
        out["personal"] = d.personal or {}
    out["received_at"] = d.received_at
    return out


def procedure_out(p: Procedure) -> dict[str, Any]:
    out: dict[str, Any] = {name: getattr(p, COLUMN[name]) for name in PROCEDURE_FIELDS}
    out["extra"] = p.extra or {}
    out["updated_at"] = p.updated_at
    return out
