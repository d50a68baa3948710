"""Domain errors naming the field they are about."""

from __future__ import annotations

from dieuhanh.core.errors import DomainError, FieldError


def on_field(cls: type[DomainError], message: str, field: str) -> DomainError:
    return cls(message, errors=[FieldError(message=message, field=field)])
