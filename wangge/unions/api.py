"""Unions over HTTP. Public (no account): a union's card, ask for a code, join. Staff: the member list
(full data for the union's staff, masked for the street's other roles), approve / reject, export (logged)."""

from __future__ import annotations

from datetime import datetime

from django.http import HttpRequest, HttpResponse
from django.utils.translation import gettext as _
from ninja import Router, Schema, Status
from pydantic import Field

from wangge.core.errors import NotFound
from wangge.unions import selectors, services
from wangge.unions.models import PLATFORMS, Occupation, Union

router = Router(tags=["unions"])
MAX_PAGE = 200


class UnionOut(Schema):
    code: str
    name: str
    kind: str
    kind_label: str
    intro: str
    jurisdiction: str
    active: bool
    join_url: str
    platforms: list[str]
    occupations: dict[str, str]


class CodeRequestIn(Schema):
    phone: str = Field(..., max_length=32, description="mainland mobile number, 1[3-9] and 9 digits")


class CodeRequestOut(Schema):
    sent: bool
    phone: str = Field(..., description="masked")
    expires_in: int
    resend_after: int


class JoinIn(Schema):
    name: str = Field(..., max_length=60)
    phone: str = Field(..., max_length=32)
    code: str = Field(..., max_length=16, description="the 6-digit code sent by SMS")
    occupation: str = Field(..., description="delivery / courier / ride_hailing / freight / sanitation / …")
    platform: str = Field("", max_length=20, description="美团, 饿了么, 顺丰 …")
    id_fragment: str = Field("", max_length=8, description="last 4 characters of the ID card number (optional)")
    consent: bool = Field(False, description="agrees that the union keeps these details for membership")


class JoinOut(Schema):
    member_no: str
    union: str
    status: str
    status_label: str
    reason: str
    card_token: str
    card_url: str


class MemberOut(Schema):
    id: int
    member_no: str
    union: str
    name: str
    phone: str
    id_fragment: str
    platform: str
    occupation: str
    occupation_label: str
    status: str
    status_label: str
    reason: str
    reviewed_by: str | None
    reviewed_at: datetime | None
    created_at: datetime
    masked: bool


class MemberListOut(Schema):
    count: int
    counts: dict[str, int]
    items: list[MemberOut]


class ReviewIn(Schema):
    reason: str = Field("", max_length=400)


class StaffUnionOut(Schema):
    code: str
    name: str
    kind: str
    active: bool
    staff: bool = Field(..., description="whether you are this union's staff (full data, review, export)")
    counts: dict[str, int]


def _client_ip(request: HttpRequest) -> str:
    return request.META.get("REMOTE_ADDR", "")


def union_out(union: Union, request: HttpRequest) -> dict:
    return {
        "code": union.code, "name": union.name, "kind": union.kind, "kind_label": str(union.get_kind_display()),
        "intro": union.intro, "jurisdiction": union.jurisdiction.name, "active": union.active,
        "join_url": request.build_absolute_uri(f"/u/{union.code}/"), "platforms": PLATFORMS,
        "occupations": {k: str(v) for k, v in Occupation.choices},
    }


@router.get("/unions/{code}", auth=None, response=UnionOut, summary="A union's public card (what the QR code opens)")
def union_get(request, code: str):
    return union_out(selectors.public_union(code=code), request)


@router.post("/unions/{code}/confirmations", auth=None, response={202: CodeRequestOut},
             summary="Send a one-time code to the phone (join step 1); throttled with 429")
def union_code_request(request, code: str, payload: CodeRequestIn):
    union = selectors.public_union(code=code)
    conf = services.join_code_request(union=union, phone=payload.phone,
                                      source_key=services.source_key_for(ip=_client_ip(request)))
    from wangge.core.privacy import mask_phone

    return Status(202, {"sent": True, "phone": mask_phone(conf.phone), "expires_in": services.code_ttl_seconds(),
                        "resend_after": services.resend_seconds()})


@router.post("/unions/{code}/join", auth=None, response={200: JoinOut, 201: JoinOut},
             summary="Join with the code (join step 2): 201 a new membership, 200 the existing one for this phone")
def union_join(request, code: str, payload: JoinIn):
    union = selectors.public_union(code=code)
    membership, created = services.membership_join(
        union=union, name=payload.name, phone=payload.phone, code=payload.code, occupation=payload.occupation,
        platform=payload.platform, id_fragment=payload.id_fragment, consent=payload.consent)
    token = services.card_token(membership)
    return Status(201 if created else 200, {
        "member_no": membership.member_no, "union": union.code, "status": membership.status,
        "status_label": str(membership.get_status_display()), "reason": membership.reason, "card_token": token,
        "card_url": request.build_absolute_uri(f"/u/card/{token}/"),
    })


@router.get("/unions", response=list[StaffUnionOut], summary="Unions you may look at (staff, street roles)")
def union_list(request):
    mine = selectors.staff_union_ids(request.user)
    return [{"code": u.code, "name": u.name, "kind": u.kind, "active": u.active, "staff": u.pk in mine,
             "counts": selectors.status_counts(union=u)} for u in selectors.unions_for_user(request.user)]


@router.get("/unions/{code}/members", response=MemberListOut,
            summary="Members of a union: full for its staff, masked for the street's other roles")
def member_list(request, code: str, status: str | None = None, q: str = "", limit: int = 50, offset: int = 0):
    union = selectors.union_for_user(request.user, code)
    full = selectors.is_union_staff(request.user, union)
    qs = selectors.members(union=union, status=status, q=q if full else "")
    limit, offset = max(1, min(limit, MAX_PAGE)), max(0, offset)
    return {"count": qs.count(), "counts": selectors.status_counts(union=union),
            "items": [selectors.member_view(m, full=full) for m in qs[offset: offset + limit]]}


@router.post("/unions/{code}/members/{member_id}/actions/{verb}", response=MemberOut,
             summary="Review an application: approve, or reject with a reason (the union's staff only)")
def member_review(request, code: str, member_id: int, verb: str, payload: ReviewIn):
    union = selectors.union_for_user(request.user, code)
    if verb not in ("approve", "reject"):
        raise NotFound(_("Unknown action %(verb)s: approve or reject.") % {"verb": repr(verb)})
    membership = services.membership_review(union=union, membership_id=member_id, actor=request.user,
                                            approve=verb == "approve", reason=payload.reason)
    return selectors.member_view(membership, full=True)


@router.get("/unions/{code}/members/export", response={200: None},
            summary="The member list as xlsx (the union's staff only; every export is logged)")
def member_export(request, code: str, status: str | None = None, q: str = ""):
    union = selectors.union_for_user(request.user, code)
    data, _rows = services.membership_export(union=union, actor=request.user, status=status, q=q)
    response = HttpResponse(data, content_type="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet")
    response["Content-Disposition"] = f'attachment; filename="members-{union.code}.xlsx"'
    return response
