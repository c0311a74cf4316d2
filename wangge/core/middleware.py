from django.conf import settings
from django.utils import translation
from django.utils.cache import patch_vary_headers


class ChineseFirstLocaleMiddleware:
    """zh-hans unless the user picked another language (language cookie, set by /i18n/setlang/).

    Unlike Django's LocaleMiddleware the browser's Accept-Language is ignored: a street office's
    screens speak Chinese whatever browser they run, and English is a choice, not a guess.
    """

    def __init__(self, get_response):
        self.get_response = get_response
        self.supported = {code for code, _ in settings.LANGUAGES}

    def __call__(self, request):
        chosen = request.COOKIES.get(settings.LANGUAGE_COOKIE_NAME)
        language = chosen if chosen in self.supported else settings.LANGUAGE_CODE
        translation.activate(language)
        request.LANGUAGE_CODE = translation.get_language()
        try:
            response = self.get_response(request)
        finally:
            translation.deactivate()  # never leak one request's language into the next on this thread
        patch_vary_headers(response, ("Cookie",))
        response.headers.setdefault("Content-Language", language)
        return response


def is_busy(exc: BaseException) -> bool:
    """The database could not take our write in time (SQLite's one writer, or a PostgreSQL lock timeout)."""
    from django.db import OperationalError

    text = str(exc).lower()
    return isinstance(exc, OperationalError) and ("locked" in text or "lock timeout" in text or "busy" in text)


class BusyDatabaseMiddleware:
    """A write that waited too long for the database is a 503 the client can retry, not a 500: the
    transaction rolled back, so nothing was half-written."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        return self.get_response(request)

    def process_exception(self, request, exc):
        if not is_busy(exc):
            return None
        from django.http import HttpResponse

        response = HttpResponse("服务繁忙，请稍后重试。The server is busy; please retry in a few seconds.",
                                status=503, content_type="text/plain; charset=utf-8")
        response["Retry-After"] = "5"
        return response
