"""Domain errors: a Vietnamese message the user can act on, where it happened, and an HTTP status."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any


@dataclass
class FieldError:
    message: str
    row: int | None = None
    column: str | None = None
    field: str | None = None
    index: int | None = None

    def as_dict(self) -> dict[str, Any]:
        return {k: v for k, v in self.__dict__.items() if v is not None}


class DomainError(Exception):
    status_code = 400

    def __init__(self, message: str, *, errors: list[FieldError] | None = None, status_code: int | None = None):
        super().__init__(message)
        self.message = message
        self.errors = errors or []
        if status_code is not None:
            self.status_code = status_code


class NotFound(DomainError):
    status_code = 404


class PermissionDenied(DomainError):
    status_code = 403


class NotAuthenticated(DomainError):
    status_code = 401


class Conflict(DomainError):
    status_code = 409


class InvalidInput(DomainError):
    status_code = 422


class TooLarge(DomainError):
    status_code = 413


class TooManyRequests(DomainError):
    status_code = 429


@dataclass
class ErrorBody:
    detail: str
    errors: list[dict[str, Any]] = field(default_factory=list)
