"""Reads for unions, scoped: a union's staff see their unions' members in full; the jurisdiction-wide roles
(admin, operator, leader) see every union of their street, with personal data masked; nobody else sees any."""

from __future__ import annotations

from django.db.models import Count, Q, QuerySet
from django.utils.translation import gettext as _

from wangge.core.errors import NotFound
from wangge.core.privacy import mask_name, mask_phone
from wangge.unions.models import Membership, MembershipStatus, Union, UnionStaff


def public_union(*, code: str) -> Union:
    union = Union.objects.select_related("jurisdiction").filter(code=(code or "").lower()).first()
    if union is None:
        raise NotFound(_("No such union."), code="not_found")
    return union


def public_unions(*, jurisdiction) -> list[Union]:
    """The street's unions accepting members: what a rider may join."""
    return list(Union.objects.filter(jurisdiction=jurisdiction, active=True).order_by("kind", "name"))


def unions_for_user(user) -> QuerySet[Union]:
    if not getattr(user, "is_authenticated", False) or not user.is_active:
        return Union.objects.none()
    qs = Union.objects.select_related("jurisdiction")
    staff_of = Q(staff__user=user)
    if user.is_superuser:
        return qs.all()
    if user.is_jurisdiction_wide and user.jurisdiction_id:
        return qs.filter(Q(jurisdiction_id=user.jurisdiction_id) | staff_of).distinct()
    return qs.filter(staff_of).distinct()


def union_for_user(user, code: str) -> Union:
    """A union the user may look at; one outside their scope is not found (its existence is not told)."""
    union = unions_for_user(user).filter(code=(code or "").lower()).first()
    if union is None:
        raise NotFound(_("No such union."), code="not_found")
    return union


def is_union_staff(user, union: Union) -> bool:
    if not getattr(user, "is_authenticated", False) or not user.is_active:
        return False
    return UnionStaff.objects.filter(union=union, user=user).exists()


def staff_union_ids(user) -> set[int]:
    if not getattr(user, "is_authenticated", False):
        return set()
    return set(UnionStaff.objects.filter(user=user).values_list("union_id", flat=True))


def members(*, union: Union, status: str | None = None, q: str = "") -> QuerySet[Membership]:
    qs = Membership.objects.filter(union=union).select_related("union", "reviewed_by").order_by("-created_at", "-id")
    if status in MembershipStatus.values:
        qs = qs.filter(status=status)
    q = (q or "").strip()
    if q:
        qs = qs.filter(Q(name__icontains=q) | Q(phone__contains=q) | Q(platform__icontains=q))
    return qs


def status_counts(*, union: Union) -> dict[str, int]:
    counts = dict.fromkeys(MembershipStatus.values, 0)
    for row in Membership.objects.filter(union=union).values("status").annotate(n=Count("id")):
        counts[row["status"]] = row["n"]
    counts["all"] = sum(counts.values())
    return counts


def member_view(m: Membership, *, full: bool) -> dict:
    """What a viewer may see of a member: everything for the union's staff, masked for everyone else."""
    return {
        "id": m.pk, "member_no": m.member_no, "union": m.union.code,
        "name": m.name if full else mask_name(m.name),
        "phone": m.phone if full else mask_phone(m.phone),
        "id_fragment": m.id_fragment if full else ("****" if m.id_fragment else ""),
        "platform": m.platform, "occupation": m.occupation, "occupation_label": str(m.get_occupation_display()),
        "status": m.status, "status_label": str(m.get_status_display()), "reason": m.reason,
        "reviewed_by": (m.reviewed_by.get_username() if m.reviewed_by and full else None),
        "reviewed_at": m.reviewed_at, "created_at": m.created_at, "masked": not full,
    }
