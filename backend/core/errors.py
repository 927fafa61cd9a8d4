"""Domain errors raised by services; they are mapped to HTTP once, in backend.app."""

from __future__ import annotations

from typing import Any


class DomainError(Exception):
    status_code = 400
    code = "bad_request"

    def __init__(self, message: str, *, details: Any = None) -> None:
        super().__init__(message)
        self.message = message
        self.details = details


class NotFound(DomainError):
    status_code = 404
    code = "not_found"


class PermissionDenied(DomainError):
    status_code = 403
    code = "permission_denied"


class NotAuthenticated(DomainError):
    status_code = 401
    code = "not_authenticated"


class Conflict(DomainError):
    status_code = 409
    code = "conflict"


class InvalidInput(DomainError):
    """A request value that is well-formed but not acceptable; `field` names it for forms."""

    status_code = 422
    code = "invalid_input"

    def __init__(self, message: str, *, field: str | None = None, details: Any = None) -> None:
        super().__init__(
            message, details=details if details is not None else ({"field": field} if field else None)
        )
        self.field = field


class PayloadTooLarge(DomainError):
    status_code = 413
    code = "payload_too_large"


class UnsupportedMedia(DomainError):
    status_code = 415
    code = "unsupported_media_type"
