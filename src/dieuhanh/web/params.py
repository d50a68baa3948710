"""What every route's parameters accept, said once for the whole API (and so in ``/openapi.json``).

Both stores keep ids and counts in 64-bit integers, and PostgreSQL refuses text holding a NUL character. A path or
query parameter declared as a bare ``int`` or ``str`` let such values through to the database, which answered with
a server error (found by schemathesis, issue 17). :func:`bound_parameters` runs once when the app is built, after
every module's router is mounted, and gives each such parameter that declares no bounds of its own:

* integers: ``0 ≤ n ≤ 2^63-1`` for ids, sizes, limits and offsets (names ending in ``id``, ``size``, ``limit``,
  ``offset``), ``0 ≤ page ≤ 1.000.000``, else the signed 64-bit range (a missing side only: a route's own
  ``ge=1`` stays);
* strings that declare no pattern: a pattern without control characters (a bad one is refused with 422, never
  reaches SQL).

Bounds a route declares itself (``Query(ge=1, le=500)``) are kept as they are. The documented schema then says
what the API accepts, and an out-of-range value gets the usual Vietnamese 422 of ``app.validation_error``.
"""

from __future__ import annotations

import copy
import inspect
import re
import types
import typing
from typing import Any

import annotated_types
from fastapi import FastAPI
from fastapi.routing import APIRoute
from pydantic import StringConstraints

INT64_MAX = 2**63 - 1
INT64_MIN = -(2**63)
MAX_PAGE = 1_000_000
COUNT_SUFFIXES = ("id", "page", "size", "limit", "offset")
NO_CONTROL = r"^[^\x00-\x08\x0b\x0c\x0e-\x1f\x7f]*$"  # tab, line feed and carriage return are allowed


def _base_type(annotation: Any) -> Any:
    """``int`` for ``int`` and ``int | None``; likewise ``str``; anything else as it is."""
    origin = typing.get_origin(annotation)
    if origin in (typing.Union, types.UnionType):
        args = [a for a in typing.get_args(annotation) if a is not type(None)]
        return args[0] if len(args) == 1 else annotation
    return annotation


def _extra_bounds(name: str, base: Any, metadata: list[Any]) -> list[Any]:
    """The bounds a parameter named ``name`` of type ``base`` lacks, given the metadata it declares."""
    if base is int:
        lower = any(isinstance(m, annotated_types.Ge | annotated_types.Gt) for m in metadata)
        upper = any(isinstance(m, annotated_types.Le | annotated_types.Lt) for m in metadata)
        extra: list[Any] = []
        if not lower:
            extra.append(annotated_types.Ge(0 if name.lower().endswith(COUNT_SUFFIXES) else INT64_MIN))
        if not upper:
            # a page number is multiplied by a page size into an offset: it stays far below 2^63
            extra.append(annotated_types.Le(MAX_PAGE if name.lower().endswith("page") else INT64_MAX))
        return extra
    if base is str and not any(getattr(m, "pattern", None) for m in metadata):
        return [StringConstraints(pattern=NO_CONTROL)]
    return []


def _bound(field: Any) -> bool:
    """Add the bounds to one built ``fastapi`` ModelField; True when it changed."""
    info = field.field_info
    extra = _extra_bounds(field.alias or field.name, _base_type(info.annotation), list(info.metadata))
    if not extra:
        return False
    info.metadata = [*info.metadata, *extra]
    field.__post_init__()  # rebuilds the field's validator from its (now bounded) FieldInfo
    return True


def _fields(dependant: Any) -> list[Any]:
    out = [*dependant.path_params, *dependant.query_params]
    for sub in dependant.dependencies:
        out.extend(_fields(sub))
    return out


_BOUNDED = "__dieuhanh_bounded__"
_DEPENDENCIES = "__dieuhanh_dependencies__"


def _bound_callable(call: Any, done: set[int]) -> int:
    """Rewrite the signature of an endpoint or dependency function once per process, so that every dependant
    FastAPI builds from it (each app builds its own from the included routers) carries the bounds; then its
    dependencies. Parameters keep their place (path or query: FastAPI decides from the route's path); only plain
    functions are rewritten."""
    if id(call) in done or not inspect.isfunction(call):
        return 0
    done.add(id(call))
    if getattr(call, _BOUNDED, False):
        return sum(_bound_callable(sub, done) for sub in getattr(call, _DEPENDENCIES, ()))
    from fastapi import params
    from fastapi.dependencies.utils import _get_signature, get_typed_annotation
    from pydantic.fields import FieldInfo
    from pydantic_core import PydanticUndefined

    signature = _get_signature(call)
    globalns = getattr(inspect.unwrap(call), "__globals__", {})
    changed = 0
    dependencies: list[Any] = []
    parameters = []
    for parameter in signature.parameters.values():
        annotation = get_typed_annotation(parameter.annotation, globalns)
        parameter = parameter.replace(annotation=annotation)
        value = parameter.default
        if typing.get_origin(annotation) is typing.Annotated:
            inner, *meta = typing.get_args(annotation)
        else:
            inner, meta = annotation, []
        depends = [m for m in [*meta, value] if isinstance(m, params.Depends)]
        if depends:
            dependencies.append(depends[-1].dependency or inner)
            parameters.append(parameter)
            continue
        infos = [m for m in [*meta, value] if isinstance(m, FieldInfo)]
        base = _base_type(inner)
        if (annotation is inspect.Parameter.empty or base not in (int, str)
                or any(not isinstance(i, params.Query | params.Path) for i in infos)
                or (isinstance(value, FieldInfo) and value.default_factory is not None)):
            parameters.append(parameter)
            continue
        declared = [*(m for i in infos for m in i.metadata), *(m for m in meta if not isinstance(m, FieldInfo))]
        name = next((i.alias for i in infos if i.alias), None) or parameter.name
        extra = _extra_bounds(name, base, declared)
        if not extra:
            parameters.append(parameter)
            continue
        if isinstance(value, FieldInfo):  # ``x: int = Query(10)`` → ``x: Annotated[int, Query(), …] = 10``
            info = copy.copy(value)
            default = value.default
            info.default = PydanticUndefined
            info._attributes_set = {k: v for k, v in value._attributes_set.items() if k != "default"}
            meta = [*meta, info]
            value = (inspect.Parameter.empty if default is PydanticUndefined or default is Ellipsis
                     else default)
        parameters.append(parameter.replace(annotation=typing.Annotated[(inner, *meta, *extra)], default=value))
        changed += 1
    call.__signature__ = signature.replace(parameters=parameters)  # type: ignore[attr-defined]
    setattr(call, _BOUNDED, True)
    setattr(call, _DEPENDENCIES, tuple(dependencies))
    return changed + sum(_bound_callable(sub, done) for sub in dependencies)


def _original_routes(routes: list[Any]) -> list[Any]:
    """The APIRoutes behind ``routes``: included routers (FastAPI 0.16x keeps each as one lazy route) opened
    without building their effective routes."""
    out: list[Any] = []
    for route in routes:
        if isinstance(route, APIRoute):
            out.append(route)
        elif hasattr(route, "original_router"):
            out.extend(_original_routes(route.original_router.routes))
    return out


def bound_parameters(app: FastAPI) -> int:
    """Bound every integer and string path/query parameter of ``app``'s routes; how many changed.

    Included routers are module-level objects shared by every app of the process, and each app builds its own
    effective routes from their functions' signatures: the signatures are rewritten once per process, so building
    another app costs next to nothing here. Routes defined on the app itself already have their dependant: its
    fields are bounded in place."""
    changed = 0
    done: set[int] = set()
    for route in _original_routes(app.routes):
        changed += _bound_callable(route.endpoint, done)
        for dep in route.dependencies:
            changed += _bound_callable(dep.dependency, done)
    for route in app.router.routes:
        if isinstance(route, APIRoute):
            changed += sum(_bound(field) for field in _fields(route.dependant))
    app.openapi_schema = None
    return changed


# ------------------------------------------------------------------------------------------------ documented checks

# What a route checks itself (with its own Vietnamese message) said in the documented schema too, so that the
# OpenAPI contract is no looser than the validation (issue 17): ``Query(json_schema_extra=one_of(STATUSES))``.
PERIOD_PATTERN = r"^[1-9][0-9]{3}(-(0[1-9]|1[0-2])|-Q[1-4])?$"  # 2025-06 (month), 2025-Q2 (quarter), 2025 (year)
NOT_BLANK_PATTERN = r"^[^\x00-\x08\x0b\x0c\x0e-\x1f\x7f]*[^\s\x00-\x1f\x7f][^\x00-\x08\x0b\x0c\x0e-\x1f\x7f]*$"
HTTP_URL_PATTERN = r"^https?://[^\s/?#]+([/?#]\S*)?$"


def one_of(values: Any) -> dict[str, Any]:
    """``json_schema_extra`` documenting the only values a route accepts (it checks them itself)."""
    return {"enum": list(values)}


def csv_of(values: Any) -> dict[str, Any]:
    """``json_schema_extra`` of a comma separated list of known values (``open,overdue``; empty: no filter)."""
    one = "|".join(re.escape(v) for v in values)
    return {"pattern": f"^(({one})(,({one}))*)?$"}


def documented(**schema: Any) -> dict[str, Any]:
    """``json_schema_extra`` documenting a format or pattern a route checks itself, e.g. ``format="date-time"``."""
    return schema


def _inline(node: Any, defs: dict[str, Any]) -> Any:
    if isinstance(node, dict):
        ref = node.get("$ref")
        if isinstance(ref, str) and ref.startswith("#/$defs/"):
            return _inline(defs[ref.removeprefix("#/$defs/")], defs)
        return {k: _inline(v, defs) for k, v in node.items() if k != "$defs"}
    if isinstance(node, list):
        return [_inline(v, defs) for v in node]
    return node


def json_schema(model: Any, **extra: Any) -> dict[str, Any]:
    """The JSON schema of a pydantic model (or a schema as it is), nested models inlined: a route that reads its
    body itself documents it in ``openapi_extra`` where the generator cannot resolve ``#/$defs/...``."""
    schema = model.model_json_schema(by_alias=True) if hasattr(model, "model_json_schema") else dict(model)
    return {**_inline(schema, schema.get("$defs", {})), **extra}


def json_body(model: Any, **extra: Any) -> dict[str, Any]:
    """``openapi_extra`` of a route that reads its JSON body itself: the body is required and has this schema."""
    return {"requestBody": {"required": True, "content": {"application/json": {"schema": json_schema(model,
                                                                                                       **extra)}}}}


# ------------------------------------------------------------------------------------------------ error answers

# What the app's error handlers answer on /api/v1 (DomainError and request validation, app.py): ``detail`` in
# Vietnamese, with the fields at fault for invalid input. FastAPI documents its own 422 shape (``detail`` as a list),
# which no route answers; the CKAN and Open311 APIs keep the error formats of their standards.
ERROR_OUT: dict[str, Any] = {
    "type": "object", "title": "Lỗi", "required": ["detail"], "properties": {
        "detail": {"type": "string", "description": "Thông báo lỗi bằng tiếng Việt"},
        "errors": {"type": "array", "items": {"type": "object"}, "description": "Các trường có lỗi"},
        "error_count": {"type": "integer"}}}
ERROR_STATUSES = {"400": "Yêu cầu không hợp lệ", "401": "Chưa đăng nhập", "403": "Không có quyền",
                  "404": "Không tìm thấy", "409": "Xung đột với dữ liệu hiện có", "413": "Nội dung quá lớn",
                  "422": "Dữ liệu không hợp lệ", "429": "Gửi quá nhiều yêu cầu"}


# Open311 GeoReport v2 errors: a list of {code, description}, in the format the request asked for
OPEN311_ERROR: dict[str, Any] = {"type": "array", "items": {
    "type": "object", "required": ["code", "description"],
    "properties": {"code": {"type": "integer"}, "description": {"type": "string"}}}}


def document_errors(schema: dict[str, Any]) -> dict[str, Any]:
    """Document the error answers of every /api/v1 and /open311 operation in a generated OpenAPI document (in
    place)."""
    schema.setdefault("components", {}).setdefault("schemas", {})["HTTPValidationError"] = ERROR_OUT
    ours = {"application/json": {"schema": {"$ref": "#/components/schemas/HTTPValidationError"}}}
    open311 = {"application/json": {"schema": OPEN311_ERROR}, "application/xml": {}}
    for path, operations in schema.get("paths", {}).items():
        content = ours if path.startswith("/api/v1/") else open311 if path.startswith("/open311/") else None
        if content is None:
            continue
        for operation in operations.values():
            if not isinstance(operation, dict):
                continue
            responses = operation.setdefault("responses", {})
            for code, text in ERROR_STATUSES.items():
                responses.setdefault(code, {"description": text, "content": content})
    return schema


# ------------------------------------------------------------------------------------------------ messages

# Pydantic's English messages of the errors a caller meets most, in Vietnamese (others keep pydantic's text).
VI_MESSAGES = {
    "missing": "Thiếu giá trị bắt buộc.",
    "int_parsing": "Phải là số nguyên.",
    "int_type": "Phải là số nguyên.",
    "int_from_float": "Phải là số nguyên.",
    "float_parsing": "Phải là số.",
    "float_type": "Phải là số.",
    "bool_parsing": "Phải là true hoặc false.",
    "bool_type": "Phải là true hoặc false.",
    "string_type": "Phải là chuỗi ký tự.",
    "greater_than_equal": "Phải lớn hơn hoặc bằng {ge}.",
    "greater_than": "Phải lớn hơn {gt}.",
    "less_than_equal": "Phải nhỏ hơn hoặc bằng {le}.",
    "less_than": "Phải nhỏ hơn {lt}.",
    "string_too_short": "Cần ít nhất {min_length} ký tự.",
    "string_too_long": "Dài quá {max_length} ký tự.",
    "string_pattern_mismatch": "Không đúng dạng quy định ({pattern}).",
    "too_short": "Cần ít nhất {min_length} phần tử.",
    "too_long": "Nhiều quá {max_length} phần tử.",
    "enum": "Chỉ nhận một trong: {expected}.",
    "literal_error": "Chỉ nhận một trong: {expected}.",
    "json_invalid": "Nội dung không phải JSON hợp lệ.",
    "model_type": "Phải là một đối tượng JSON.",
    "model_attributes_type": "Phải là một đối tượng JSON.",
    "dict_type": "Phải là một đối tượng JSON.",
    "list_type": "Phải là một danh sách.",
    "date_from_datetime_parsing": "Phải là ngày dạng YYYY-MM-DD.",
    "date_parsing": "Phải là ngày dạng YYYY-MM-DD.",
    "datetime_parsing": "Phải là thời điểm dạng ISO 8601.",
    "datetime_from_date_parsing": "Phải là thời điểm dạng ISO 8601.",
    "extra_forbidden": "Trường không được phép.",
}


def vi_message(error: dict[str, Any]) -> str:
    """The Vietnamese message of one pydantic error (a ``ValueError`` raised by our validators keeps its own)."""
    kind = str(error.get("type", ""))
    if kind == "value_error":
        message = str(error.get("msg", ""))
        return message.removeprefix("Value error, ")
    if kind == "string_pattern_mismatch" and (error.get("ctx") or {}).get("pattern") == NO_CONTROL:
        return "Không được chứa ký tự điều khiển."
    template = VI_MESSAGES.get(kind)
    if template is None:
        return str(error.get("msg", ""))
    try:
        ctx = {k: f"{v:,}".replace(",", ".") if isinstance(v, int) and not isinstance(v, bool) else v
               for k, v in (error.get("ctx") or {}).items()}  # 1.000.000, as the UI writes numbers
        return template.format(**ctx)
    except (KeyError, IndexError, ValueError):
        return template.split(" (")[0].split(":")[0] + "."
