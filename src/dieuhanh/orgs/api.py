from __future__ import annotations

from datetime import date
from typing import Any

from fastapi import APIRouter, Query
from pydantic import BaseModel

from dieuhanh.core import audit
from dieuhanh.core.security import authorize
from dieuhanh.orgs import service
from dieuhanh.orgs.schemas import AgencyOut, AgencyUpdate, AuditOut, TokenIn, TokenOut, UserIn, UserOut
from dieuhanh.web.deps import DB, CurrentPrincipal, LoggedIn

router = APIRouter(prefix="/api/v1", tags=["cơ quan, người dùng"])


@router.get("/agencies", response_model=list[AgencyOut])
def list_agencies(db: DB, q: str | None = None, kind: str | None = None) -> list[AgencyOut]:
    """Agencies of the province (public): departments, sectors and commune People's Committees."""
    rows, _ = service.list_agencies(db, q=q, kind=kind, page_size=10_000)
    return [AgencyOut.model_validate(a) for a in rows]


@router.get("/agencies/{code}", response_model=AgencyOut)
def get_agency(code: str, db: DB) -> AgencyOut:
    return AgencyOut.model_validate(service.get_agency(db, code))


@router.patch("/agencies/{code}", response_model=AgencyOut)
def update_agency(code: str, data: AgencyUpdate, db: DB, principal: CurrentPrincipal) -> AgencyOut:
    return AgencyOut.model_validate(service.update_agency(db, principal=principal, code=code, data=data))


class MeOut(BaseModel):
    kind: str
    name: str
    role: str | None
    agency_code: str | None
    scopes: list[str]


@router.get("/me", response_model=MeOut)
def me(principal: LoggedIn) -> MeOut:
    return MeOut(kind=principal.kind, name=principal.name, role=principal.role,
                 agency_code=principal.agency_code, scopes=sorted(principal.scopes))


@router.get("/users", response_model=list[UserOut])
def list_users(db: DB, principal: CurrentPrincipal) -> list[UserOut]:
    return [UserOut.model_validate(u) for u in service.list_users(db, principal=principal)]


class CreatedUser(UserOut):
    password: str


@router.post("/users", response_model=CreatedUser, status_code=201)
def create_user(user_in: UserIn, db: DB, principal: CurrentPrincipal) -> CreatedUser:
    user, password = service.create_user(db, principal=principal, user_in=user_in)
    return CreatedUser(**UserOut.model_validate(user).model_dump(), password=password)


@router.get("/tokens", response_model=list[TokenOut])
def list_tokens(db: DB, principal: CurrentPrincipal) -> list[TokenOut]:
    return [TokenOut.model_validate(t) for t in service.list_tokens(db, principal=principal)]


class CreatedToken(TokenOut):
    token: str


@router.post("/tokens", response_model=CreatedToken, status_code=201)
def create_token(token_in: TokenIn, db: DB, principal: CurrentPrincipal) -> CreatedToken:
    token, secret = service.create_token(db, principal=principal, token_in=token_in)
    return CreatedToken(**TokenOut.model_validate(token).model_dump(), token=secret)


@router.delete("/tokens/{token_id}", response_model=TokenOut)
def revoke_token(token_id: int, db: DB, principal: CurrentPrincipal) -> TokenOut:
    return TokenOut.model_validate(service.revoke_token(db, principal=principal, token_id=token_id))


class AuditPage(BaseModel):
    items: list[AuditOut]
    total: int
    page: int
    page_size: int


@router.get("/audit", response_model=AuditPage)
def list_audit(
    db: DB,
    principal: CurrentPrincipal,
    actor: str | None = None,
    entity_type: str | None = None,
    entity_id: str | None = None,
    action: str | None = None,
    date_from: date | None = None,
    date_to: date | None = None,
    page: int = Query(1, ge=1),
    page_size: int = Query(50, ge=1, le=500),
) -> Any:
    """The audit log (admin only), newest first, filtered and paginated."""
    authorize(principal, "audit.read")
    items, total = audit.list_entries(
        db, actor=actor, entity_type=entity_type, entity_id=entity_id, action=action,
        date_from=date_from, date_to=date_to, page=page, page_size=page_size,
    )
    return AuditPage(items=[AuditOut.model_validate(i) for i in items], total=total, page=page, page_size=page_size)
