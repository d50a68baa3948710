from __future__ import annotations

from datetime import date
from typing import Annotated

from fastapi import APIRouter, Form, Query, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from pydantic import ValidationError

from dieuhanh.core import audit
from dieuhanh.core.errors import DomainError
from dieuhanh.core.security import allowed, authorize
from dieuhanh.orgs import service
from dieuhanh.orgs.schemas import AgencyUpdate, TokenIn, UserIn
from dieuhanh.web.deps import DB, CurrentPrincipal, LoggedIn
from dieuhanh.web.templating import render

router = APIRouter(include_in_schema=False)


def _validation_message(exc: ValidationError) -> str:
    parts = []
    for err in exc.errors():
        field = ".".join(str(x) for x in err.get("loc", ()))
        parts.append(f"{field}: {err.get('msg', '')}".strip(": "))
    return "Dữ liệu chưa hợp lệ — " + "; ".join(parts)


@router.get("/agencies", response_class=HTMLResponse)
def agencies_page(request: Request, db: DB, principal: CurrentPrincipal, q: str = "", kind: str = "",
                  page: int = Query(1, ge=1)) -> HTMLResponse:
    rows, total = service.list_agencies(db, q=q or None, kind=kind or None, page=page, page_size=50)
    return render(request, "orgs/agencies.html", {
        "agencies": rows, "total": total, "q": q, "kind": kind, "page": page, "page_size": 50,
    })


@router.get("/agencies/{code}", response_class=HTMLResponse)
def agency_page(request: Request, code: str, db: DB, principal: CurrentPrincipal) -> HTMLResponse:
    agency = service.get_agency(db, code)
    return render(request, "orgs/agency.html", {
        "agency": agency, "can_edit": allowed(principal, "agency.update", agency),
    })


@router.post("/agencies/{code}", response_class=HTMLResponse)
def agency_update(
    request: Request, code: str, db: DB, principal: LoggedIn,
    address: Annotated[str, Form()] = "", phone: Annotated[str, Form()] = "",
    email: Annotated[str, Form()] = "", website: Annotated[str, Form()] = "",
) -> Response:
    try:
        data = AgencyUpdate(address=address or None, phone=phone or None, email=email or None,
                            website=website or None)
        service.update_agency(db, principal=principal, code=code, data=data)
    except ValidationError as exc:
        agency = service.get_agency(db, code)
        return render(request, "orgs/agency.html", {"agency": agency, "can_edit": True,
                                                    "error": _validation_message(exc)}, status_code=422)
    return RedirectResponse(f"/agencies/{code}?saved=1", status_code=303)


# ------------------------------------------------------------------------------------------------ users


@router.get("/admin/users", response_class=HTMLResponse)
def users_page(request: Request, db: DB, principal: LoggedIn) -> HTMLResponse:
    users = service.list_users(db, principal=principal)
    agencies, _ = service.list_agencies(db, page_size=10_000)
    return render(request, "orgs/users.html", {"users": users, "agencies": agencies})


@router.post("/admin/users", response_class=HTMLResponse)
def users_create(
    request: Request, db: DB, principal: LoggedIn,
    username: Annotated[str, Form()], role: Annotated[str, Form()],
    full_name: Annotated[str, Form()] = "", agency_code: Annotated[str, Form()] = "",
) -> HTMLResponse:
    created = error = None
    try:
        user_in = UserIn(username=username, role=role, full_name=full_name, agency_code=agency_code or None)
        created = service.create_user(db, principal=principal, user_in=user_in)
    except ValidationError as exc:
        error = _validation_message(exc)
    except DomainError as exc:
        if exc.status_code in (401, 403):
            raise
        error = exc.message
    users = service.list_users(db, principal=principal)
    agencies, _ = service.list_agencies(db, page_size=10_000)
    return render(request, "orgs/users.html", {
        "users": users, "agencies": agencies, "error": error,
        "created": created, "form": {"username": username, "role": role, "full_name": full_name,
                                     "agency_code": agency_code},
    }, status_code=422 if error else 200)


@router.post("/admin/users/{user_id}/active", response_class=HTMLResponse)
def users_set_active(request: Request, user_id: int, db: DB, principal: LoggedIn,
                     active: Annotated[str, Form()]) -> Response:
    service.set_user_active(db, principal=principal, user_id=user_id, active=active == "1")
    return RedirectResponse("/admin/users", status_code=303)


@router.post("/admin/users/{user_id}/reset-password", response_class=HTMLResponse)
def users_reset_password(request: Request, user_id: int, db: DB, principal: LoggedIn) -> HTMLResponse:
    user, password = service.reset_password(db, principal=principal, user_id=user_id)
    users = service.list_users(db, principal=principal)
    agencies, _ = service.list_agencies(db, page_size=10_000)
    return render(request, "orgs/users.html", {"users": users, "agencies": agencies, "reset": (user, password)})


# ------------------------------------------------------------------------------------------------ tokens


@router.get("/admin/tokens", response_class=HTMLResponse)
def tokens_page(request: Request, db: DB, principal: LoggedIn) -> HTMLResponse:
    tokens = service.list_tokens(db, principal=principal)
    agencies, _ = service.list_agencies(db, page_size=10_000)
    return render(request, "orgs/tokens.html", {"tokens": tokens, "agencies": agencies})


@router.post("/admin/tokens", response_class=HTMLResponse)
async def tokens_create(request: Request, db: DB, principal: LoggedIn) -> HTMLResponse:
    form = await request.form()
    created = error = None
    try:
        token_in = TokenIn(
            name=str(form.get("name", "")),
            agency_code=str(form.get("agency_code") or "") or None,
            scopes=[str(s) for s in form.getlist("scopes")],
        )
        created = service.create_token(db, principal=principal, token_in=token_in)
    except ValidationError as exc:
        error = _validation_message(exc)
    except DomainError as exc:
        if exc.status_code in (401, 403):
            raise
        error = exc.message
    tokens = service.list_tokens(db, principal=principal)
    agencies, _ = service.list_agencies(db, page_size=10_000)
    return render(request, "orgs/tokens.html", {"tokens": tokens, "agencies": agencies, "created": created,
                                                "error": error}, status_code=422 if error else 200)


@router.post("/admin/tokens/{token_id}/revoke")
def tokens_revoke(token_id: int, db: DB, principal: LoggedIn) -> Response:
    service.revoke_token(db, principal=principal, token_id=token_id)
    return RedirectResponse("/admin/tokens", status_code=303)


# ------------------------------------------------------------------------------------------------ audit


@router.get("/admin/audit", response_class=HTMLResponse)
def audit_page(
    request: Request, db: DB, principal: LoggedIn, actor: str = "", entity_type: str = "", action: str = "",
    date_from: str = "", date_to: str = "", page: int = Query(1, ge=1),
) -> HTMLResponse:
    authorize(principal, "audit.read")
    error = None
    try:
        d_from = date.fromisoformat(date_from) if date_from else None
        d_to = date.fromisoformat(date_to) if date_to else None
    except ValueError:
        d_from = d_to = None
        error = "Ngày lọc không hợp lệ."
    items, total = audit.list_entries(db, actor=actor or None, entity_type=entity_type or None,
                                      action=action or None, date_from=d_from, date_to=d_to, page=page,
                                      page_size=50)
    from dieuhanh.orgs.people import actor_names

    return render(request, "orgs/audit.html", {
        "items": items, "total": total, "page": page, "page_size": 50, "error": error,
        "people": actor_names(db, [e.actor for e in items]),
        "filters": {"actor": actor, "entity_type": entity_type, "action": action, "date_from": date_from,
                    "date_to": date_to},
    })
