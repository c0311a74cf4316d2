"""The one NinjaAPI at /api/v1/: session auth for pages, bearer tokens for machines, problem+json errors."""

from django.contrib.auth.decorators import login_required
from django.db import OperationalError
from django.http import HttpRequest
from ninja import NinjaAPI
from ninja.errors import AuthenticationError, HttpError, ValidationError
from ninja.security import HttpBearer, django_auth

from wangge.accounts.services import api_token_authenticate
from wangge.core.errors import ApplicationError, Throttled
from wangge.core.middleware import is_busy


class BearerToken(HttpBearer):
    def authenticate(self, request: HttpRequest, token: str):
        user = api_token_authenticate(key=token)
        if user is not None:
            request.user = user
        return user


api = NinjaAPI(
    title="wangge API",
    version="1",
    description="Grids, 多格合一 layers, locate, merge report and imports of the wangge street platform.",
    auth=[django_auth, BearerToken()],
    urls_namespace="api",
    docs_decorator=login_required,  # the docs and the schema are for logged-in users too
)


def problem(request: HttpRequest, status: int, title: str, detail: str, code: str, **extra):
    body = {"type": f"about:blank#{code}", "title": title, "status": status, "detail": detail, "code": code, **extra}
    response = api.create_response(request, body, status=status)
    response["Content-Type"] = "application/problem+json"
    return response


@api.exception_handler(ApplicationError)
def application_error(request, exc: ApplicationError):
    extra = {"errors": exc.details} if exc.details is not None else {}
    response = problem(request, exc.status, exc.__class__.__name__, exc.message, exc.code, **extra)
    if isinstance(exc, Throttled):
        response["Retry-After"] = str(exc.retry_after)
    return response


@api.exception_handler(ValidationError)
def validation_error(request, exc: ValidationError):
    return problem(request, 422, "ValidationError", "The request is not valid.", "invalid_request", errors=exc.errors)


@api.exception_handler(AuthenticationError)
def authentication_error(request, exc):
    return problem(request, 401, "Unauthorized", "Log in or send a valid API token.", "unauthorized")


@api.exception_handler(OperationalError)
def database_busy(request, exc: OperationalError):
    if not is_busy(exc):
        raise exc
    response = problem(request, 503, "ServiceUnavailable", "The server is busy; nothing was written. Retry in a few "
                       "seconds.", "busy")
    response["Retry-After"] = "5"
    return response


@api.exception_handler(HttpError)
def http_error(request, exc: HttpError):
    return problem(request, exc.status_code, "HttpError", str(exc), "http_error")


api.add_router("/", "wangge.grids.api.router")
api.add_router("/", "wangge.routing.api.router")
api.add_router("/", "wangge.cases.api.router")
api.add_router("/", "wangge.intake.api.router")
api.add_router("/", "wangge.stations.api.router")
api.add_router("/", "wangge.unions.api.router")
api.add_router("/", "wangge.outreach.api.router")
api.add_router("/", "wangge.vision.api.router")
