"""Union pages: the public join page (phone-sized, what the QR code opens), the member card, the card check,
and the staff console (members, review, export) with a printable poster per union."""

from __future__ import annotations

from urllib.parse import urlencode

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied as DjangoPermissionDenied
from django.http import Http404, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_POST

from wangge.core.errors import ApplicationError, NotFound, PermissionDenied
from wangge.core.privacy import mask_phone
from wangge.unions import selectors, services
from wangge.unions.forms import JoinForm, MemberFilterForm
from wangge.unions.models import MembershipStatus
from wangge.unions.qr import qr_svg

PAGE_SIZE = 50
# Service errors that belong next to a form field rather than at the top of the page.
FIELD_OF_ERROR = {"invalid_phone": "phone", "invalid_code": "code", "no_code": "code", "code_used": "code",
                  "code_expired": "code", "too_many_attempts": "code", "wrong_code": "code",
                  "invalid_id_fragment": "id_fragment", "name_required": "name", "invalid_name": "name",
                  "invalid_platform": "platform", "invalid_occupation": "occupation", "consent_required": "consent"}


def _client_ip(request) -> str:
    return request.META.get("REMOTE_ADDR", "")


def _public_union(code: str):
    try:
        return selectors.public_union(code=code)
    except NotFound as exc:
        raise Http404(exc.message) from exc


def _scoped_union(request, code: str):
    try:
        return selectors.union_for_user(request.user, code)
    except NotFound as exc:
        raise Http404(exc.message) from exc


@never_cache
def join_page(request, code: str):
    """一键入会: name, phone → "send code" → code, platform, occupation, consent → the member card."""
    union = _public_union(code)
    form = JoinForm(request.POST or None)
    notice, error, status, retry_after = "", "", 200, None
    if request.method == "POST":
        action = request.POST.get("action", "join")
        if action == "send":
            form.is_valid()
            for field in [f for f in form.errors if f != "phone"]:
                del form.errors[field]  # only the phone matters for sending a code
            if "phone" in form.errors:
                status = 422
            else:
                try:
                    conf = services.join_code_request(union=union, phone=form.cleaned_data["phone"],
                                                      source_key=services.source_key_for(ip=_client_ip(request)))
                    notice = _("A code was sent to %(phone)s. It is valid for %(minutes)s minutes.") % {
                        "phone": mask_phone(conf.phone), "minutes": max(1, services.code_ttl_seconds() // 60)}
                except ApplicationError as exc:
                    error, status = exc.message, exc.status
                    retry_after = (exc.details or {}).get("retry_after") if isinstance(exc.details, dict) else None
        elif form.is_valid():
            d = form.cleaned_data
            try:
                membership, created = services.membership_join(
                    union=union, name=d["name"], phone=d["phone"], code=d["code"], occupation=d["occupation"],
                    platform=d["platform"], id_fragment=d["id_fragment"], consent=d["consent"])
                if not created:
                    messages.info(request, _("This phone is already registered with %(union)s: here is the membership.")
                                  % {"union": union.name})
                return redirect("unions:card", token=services.card_token(membership))
            except ApplicationError as exc:
                status = exc.status
                if exc.code in FIELD_OF_ERROR:
                    form.add_error(FIELD_OF_ERROR[exc.code], exc.message)
                else:
                    error = exc.message
        else:
            status = 422
    context = {"union": union, "form": form, "notice": notice, "error": error}
    response = render(request, "unions/join.html", context, status=status)
    if status == 429 and isinstance(retry_after, int):
        response["Retry-After"] = str(retry_after)
    return response


@never_cache
def card_page(request, token: str):
    """The member card: the full name only here, for whoever holds the signed link from joining."""
    try:
        membership = services.membership_from_token(token)
    except NotFound as exc:
        raise Http404(exc.message) from exc
    verify_url = request.build_absolute_uri(reverse("unions:verify", args=[services.verify_token(membership)]))
    context = {"m": membership, "union": membership.union, "phone": mask_phone(membership.phone),
               "qr": qr_svg(verify_url, title=_("Member card check code")), "verify_url": verify_url}
    return render(request, "unions/card.html", context)


def verify_page(request, token: str):
    """What the card's QR code opens (a station or union desk checks a card): masked, no phone."""
    try:
        membership = services.membership_from_token(token, salt=services.VERIFY_SALT)
    except NotFound as exc:
        raise Http404(exc.message) from exc
    return render(request, "unions/verify.html", {"m": membership, "member": selectors.member_view(membership, full=False)})


# --- Staff console ------------------------------------------------------------------------------------------

@login_required
def console_page(request):
    mine = selectors.staff_union_ids(request.user)
    unions = [{"union": u, "staff": u.pk in mine, "counts": selectors.status_counts(union=u)}
              for u in selectors.unions_for_user(request.user)]
    if not unions:
        raise DjangoPermissionDenied(_("You are not staff of any union."))
    return render(request, "unions/console.html", {"unions": unions})


def _members_context(request, union) -> dict:
    full = selectors.is_union_staff(request.user, union)
    filters = MemberFilterForm(request.GET or None)
    status = q = ""
    if filters.is_valid():
        status, q = filters.cleaned_data["status"], filters.cleaned_data["q"] if full else ""
    try:
        page = max(1, int(request.GET.get("page", "1")))
    except ValueError:
        page = 1
    qs = selectors.members(union=union, status=status or None, q=q)
    count = qs.count()
    rows = [selectors.member_view(m, full=full) for m in qs[(page - 1) * PAGE_SIZE: page * PAGE_SIZE]]
    query = urlencode({k: v for k, v in (("status", status), ("q", q)) if v})
    return {"union": union, "full": full, "rows": rows, "count": count, "page": page, "status": status, "q": q,
            "query": query, "has_next": page * PAGE_SIZE < count, "counts": selectors.status_counts(union=union),
            "statuses": MembershipStatus.choices}


@login_required
def members_page(request, code: str):
    union = _scoped_union(request, code)
    return render(request, "unions/members.html", _members_context(request, union))


@login_required
@require_POST
def member_review(request, code: str, member_id: int, verb: str):
    union = _scoped_union(request, code)
    if verb not in ("approve", "reject"):
        raise Http404("Unknown action.")
    try:
        membership = services.membership_review(union=union, membership_id=member_id, actor=request.user,
                                                approve=verb == "approve", reason=request.POST.get("reason", ""))
    except PermissionDenied as exc:
        raise DjangoPermissionDenied(exc.message) from exc
    except NotFound as exc:
        raise Http404(exc.message) from exc
    except ApplicationError as exc:
        context = _members_context(request, union) | {"error": exc.message}
        return render(request, "unions/members.html", context, status=exc.status)
    messages.success(request, _("%(no)s: %(status)s.") % {"no": membership.member_no,
                                                          "status": membership.get_status_display()})
    back = reverse("unions:members", args=[union.code])
    query = urlencode({k: v for k in ("status", "q") if (v := request.POST.get(k, ""))})
    return redirect(f"{back}?{query}" if query else back)


@login_required
def member_export(request, code: str):
    union = _scoped_union(request, code)
    filters = MemberFilterForm(request.GET or None)
    status, q = (filters.cleaned_data["status"], filters.cleaned_data["q"]) if filters.is_valid() else ("", "")
    try:
        data, _rows = services.membership_export(union=union, actor=request.user, status=status or None, q=q)
    except PermissionDenied as exc:
        raise DjangoPermissionDenied(exc.message) from exc
    response = HttpResponse(data, content_type="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet")
    response["Content-Disposition"] = f'attachment; filename="members-{union.code}.xlsx"'
    response["Cache-Control"] = "private, no-store"
    return response


@login_required
def poster_page(request, code: str):
    """A printable A4 poster: the union's name and a big QR code that opens its join page."""
    union = _scoped_union(request, code)
    join_url = request.build_absolute_uri(reverse("unions:join", args=[union.code]))
    return render(request, "unions/poster.html", {"union": union, "join_url": join_url,
                                                  "qr": qr_svg(join_url, title=union.name)})
