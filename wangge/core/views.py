from django.db import connection
from django.http import HttpResponse, JsonResponse
from django.shortcuts import redirect


def livez(request):
    """Liveness: the process answers (no database). Also the bare-framework baseline of the benchmarks."""
    return HttpResponse("ok", content_type="text/plain")


def healthz(request):
    with connection.cursor() as cursor:
        cursor.execute("SELECT 1")
    return JsonResponse({"status": "ok", "database": connection.vendor})


# Where each role starts after logging in (others: the operations map).
START_PAGES = {"union_staff": "unions:console", "station_host": "stations:host_console"}


def start(request):
    """After login: the page a role works from. Union staff and station hosts have no use for the grid map."""
    if not request.user.is_authenticated:
        return redirect("login")
    role = getattr(request.user, "role", "")
    if role == "union_staff":
        from wangge.unions.selectors import staff_union_ids

        if not staff_union_ids(request.user):  # union staff who run rider services but no union's members
            return redirect("outreach:staff")
    return redirect(START_PAGES.get(role, "grids:map"))
