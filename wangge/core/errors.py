"""One family of domain errors; the API and pages map them to a status code once."""

from django.utils.translation import gettext as _


class ApplicationError(Exception):
    status = 422
    code = "invalid"

    def __init__(self, message: str, *, code: str | None = None, details: object = None) -> None:
        super().__init__(message)
        self.message = message
        if code:
            self.code = code
        self.details = details


class NotFound(ApplicationError):
    status = 404
    code = "not_found"


class PermissionDenied(ApplicationError):
    status = 403
    code = "forbidden"


class Conflict(ApplicationError):
    status = 409
    code = "conflict"


class Throttled(ApplicationError):
    """Too many requests from one source: 429 with Retry-After (details: retry_after, or the window's length)."""

    status = 429
    code = "throttled"

    @property
    def retry_after(self) -> int:
        details = self.details if isinstance(self.details, dict) else {}
        value = details.get("retry_after") or details.get("window_seconds") or 60
        return max(1, int(value))


def idempotency_mismatch() -> Conflict:
    """The same idempotency key came back with a different content (a report's or a case's)."""
    return Conflict(_("This idempotency key was already used for a different report."), code="idempotency_mismatch")
