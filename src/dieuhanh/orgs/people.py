"""Who did something, as a person reads it: audit actors ("user:lanhdao", "token:3:man-hinh", "system") to the
user's full name, the token's name, "Hệ thống"."""

from __future__ import annotations

from collections.abc import Iterable

from sqlalchemy import select
from sqlalchemy.orm import Session

from dieuhanh.orgs.models import ApiToken, User

SYSTEM_NAMES = {"system": "Hệ thống", "cli": "Hệ thống (dòng lệnh)", "anonymous": "Người dân (không đăng nhập)"}


def actor_names(session: Session, actors: Iterable[str | None]) -> dict[str, str]:
    """{actor: name} for every actor given (unknown users keep their user name, never a bare code)."""
    wanted = {a for a in actors if a}
    usernames = {a.split(":", 1)[1] for a in wanted if a.startswith("user:")}
    token_ids = set()
    for a in wanted:
        if a.startswith("token:"):
            parts = a.split(":", 2)
            if len(parts) > 1 and parts[1].isdigit():
                token_ids.add(int(parts[1]))
    users = {str(u): str(n) for u, n in session.execute(
        select(User.username, User.full_name).where(User.username.in_(usernames)))} if usernames else {}
    tokens = {int(i): str(n) for i, n in session.execute(
        select(ApiToken.id, ApiToken.name).where(ApiToken.id.in_(token_ids)))} if token_ids else {}
    out: dict[str, str] = {}
    for a in wanted:
        kind, _, rest = a.partition(":")
        if kind == "user":
            out[a] = users.get(rest) or rest
        elif kind == "token":
            token_id, _, name = rest.partition(":")
            shown = tokens.get(int(token_id)) if token_id.isdigit() else None
            out[a] = f"Hệ thống kết nối «{shown or name or token_id}»"
        else:
            out[a] = SYSTEM_NAMES.get(a, a)
    return out


def actor_name(session: Session, actor: str | None) -> str:
    return actor_names(session, [actor]).get(actor or "", "–") if actor else "–"
