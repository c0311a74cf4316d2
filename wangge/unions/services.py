"""Unions: phone confirmation by one-time code (reusable by any app), one-step joining, review, export.

Phone confirmation
    `phone_confirmation_start(phone=, purpose=)` sends a 6-digit code through the SMS backend and stores
    only its HMAC; `phone_confirmation_check(phone=, purpose=, code=)` accepts it once, before it expires,
    with a limited number of wrong tries; codes per phone (and per sender) per hour are limited. Errors are
    ApplicationErrors with precise codes; throttling is a 429.
Joining
    `membership_join` validates everything first, then spends the code, then records the membership: the
    same phone joins a union once (a unique constraint; a lost insert race returns the existing row).
"""

from __future__ import annotations

import hashlib
import hmac
import io
import logging
import re
import secrets
from datetime import datetime, timedelta

from django.conf import settings
from django.core import signing
from django.db import IntegrityError, transaction
from django.db.models import F
from django.utils import timezone
from django.utils.translation import gettext as _

from wangge.core.errors import ApplicationError, Conflict, NotFound, PermissionDenied, Throttled
from wangge.core.models import Jurisdiction
from wangge.core.phones import mobile_normalize
from wangge.core.throttle import source_key_hash
from wangge.unions import selectors
from wangge.unions.models import (
    PLATFORMS,
    CodeRequestLock,
    ExportLog,
    Membership,
    MembershipStatus,
    Occupation,
    PhoneConfirmation,
    Union,
    UnionKind,
    UnionStaff,
)
from wangge.unions.sms import sms_send

logger = logging.getLogger("wangge.unions")

ID_FRAGMENT_RE = re.compile(r"^[0-9]{3}[0-9X]$", re.ASCII)
CODE_RE = re.compile(r"^[0-9]{6}$", re.ASCII)
UNION_CODE_RE = re.compile(r"^[a-z0-9][a-z0-9-]{1,31}$", re.ASCII)
RESERVED_CODES = {"card", "v", "join", "api", "static", "media"}
CARD_SALT = "wangge.unions.card"
VERIFY_SALT = "wangge.unions.verify"


class ServiceUnavailable(ApplicationError):
    status = 503
    code = "unavailable"


def _setting(name: str, default: int) -> int:
    return int(getattr(settings, name, default))


def code_ttl_seconds() -> int:
    return _setting("WANGGE_PHONE_CODE_TTL_SECONDS", 300)


def max_attempts() -> int:
    return _setting("WANGGE_PHONE_CODE_MAX_ATTEMPTS", 5)


def codes_per_phone_hour() -> int:
    return _setting("WANGGE_PHONE_CODES_PER_HOUR", 5)


def codes_per_source_hour() -> int:
    return _setting("WANGGE_PHONE_CODES_PER_SOURCE_HOUR", 30)


def resend_seconds() -> int:
    return _setting("WANGGE_PHONE_CODE_RESEND_SECONDS", 60)


# --- Input checks (shared by the page form, the API and the services) -----------------------------------------

phone_normalize = mobile_normalize  # a mainland mobile number, 11 digits 1[3-9]… (core.phones)


def id_fragment_normalize(value: object) -> str:
    """The last 4 characters of a resident ID number (digits, the last may be X); empty is allowed."""
    raw = str(value or "").strip().upper()
    if raw and not ID_FRAGMENT_RE.match(raw):
        raise ApplicationError(_("The ID fragment is the last 4 characters of the ID card number: digits, "
                                 "the last one may be X."), code="invalid_id_fragment")
    return raw


def name_normalize(value: object) -> str:
    name = " ".join(str(value or "").split())
    if not name:
        raise ApplicationError(_("Enter your name."), code="name_required")
    if len(name) > 30:
        raise ApplicationError(_("The name is too long (at most 30 characters)."), code="invalid_name")
    return name


def _check_choices(*, platform: str, occupation: str) -> None:
    if platform and platform not in PLATFORMS:
        raise ApplicationError(_("Pick a platform from the list."), code="invalid_platform")
    if occupation not in Occupation.values:
        raise ApplicationError(_("Pick an occupation from the list."), code="invalid_occupation")


# --- Phone confirmation -----------------------------------------------------------------------------------------

def source_key_for(*, ip: str = "", user=None) -> str:
    """A hashed label for who asked for a code (the IP itself is not stored)."""
    return source_key_hash(scope="sms", ip=ip, user=user)


def _code_hash(*, salt: str, phone: str, purpose: str, code: str) -> str:
    message = f"wangge.phone-code|{salt}|{purpose}|{phone}|{code}".encode()
    return hmac.new(settings.SECRET_KEY.encode(), message, hashlib.sha256).hexdigest()


def _check_purpose(purpose: str) -> str:
    if not purpose or len(purpose) > 40:
        raise ApplicationError("purpose must be 1-40 characters.", code="invalid_purpose")
    return purpose


def _lock_code_requests(*, phone: str, source_key: str) -> None:
    """Serialize code requests for one phone (and one sender) until the transaction ends: their lock rows are
    created if new and locked in a fixed order (no deadlock between two requests sharing a phone or sender)."""
    labels = [f"phone:{phone}", *([f"source:{source_key}"] if source_key else [])]
    keys = sorted(hashlib.sha256(f"{settings.SECRET_KEY}|sms-lock|{label}".encode()).hexdigest() for label in labels)
    for _attempt in range(3):  # a purge may delete an old row between the insert and the lock: insert it again
        CodeRequestLock.objects.bulk_create([CodeRequestLock(key=k) for k in keys], ignore_conflicts=True)
        locked = CodeRequestLock.objects.select_for_update().filter(key__in=keys).order_by("key")
        if len(list(locked.values_list("id", flat=True))) == len(keys):
            return
    raise Conflict(_("Too many code requests at the same moment; try again."), code="code_request_busy")


def phone_confirmation_start(*, phone: str, purpose: str, source_key: str = "", label: str = "") -> PhoneConfirmation:
    """Send a new one-time code to `phone` for `purpose` (e.g. "join:<union>"). A new code replaces the
    previous one. Throttled (429): a resend within the cool-down, too many codes for the phone or the
    sender in the last hour."""
    phone = phone_normalize(phone)
    purpose = _check_purpose(purpose)
    now = timezone.now()
    hour_ago = now - timedelta(hours=1)
    code = f"{secrets.randbelow(10**6):06d}"
    salt = secrets.token_hex(8)
    with transaction.atomic():
        _lock_code_requests(phone=phone, source_key=source_key)
        recent = PhoneConfirmation.objects.filter(phone=phone, created_at__gte=hour_ago)
        latest = recent.filter(purpose=purpose).order_by("-created_at", "-id").first()
        wait = resend_seconds() - int((now - latest.created_at).total_seconds()) if latest else 0
        if latest is not None and latest.used_at is None and wait > 0:
            raise Throttled(_("A code was sent to this phone a moment ago. Wait %(seconds)s seconds before asking "
                              "for another.") % {"seconds": wait}, code="resend_too_soon", details={"retry_after": wait})
        limit = codes_per_phone_hour()
        if recent.count() >= limit:
            raise Throttled(_("Too many codes for this phone: at most %(limit)s an hour. Try again later.")
                            % {"limit": limit}, code="too_many_codes", details={"retry_after": 3600})
        limit = codes_per_source_hour()
        if source_key and PhoneConfirmation.objects.filter(source_key=source_key, created_at__gte=hour_ago).count() >= limit:
            raise Throttled(_("Too many codes asked for from here: at most %(limit)s an hour. Try again later.")
                            % {"limit": limit}, code="too_many_codes", details={"retry_after": 3600})
        confirmation = PhoneConfirmation.objects.create(
            phone=phone, purpose=purpose, salt=salt, code_hash=_code_hash(salt=salt, phone=phone, purpose=purpose, code=code),
            source_key=source_key, expires_at=now + timedelta(seconds=code_ttl_seconds()),
        )
    minutes = max(1, code_ttl_seconds() // 60)
    message = _("[Wangge] Your confirmation code is %(code)s (%(label)s), valid for %(minutes)s minutes. Do not "
                "share it. If you did not ask for it, ignore this message.") % {
        "code": code, "label": label or purpose, "minutes": minutes}
    try:
        sms_send(phone=phone, message=message)
    except Exception as exc:
        # The code can never be used: it did not reach anyone. No cool-down either.
        PhoneConfirmation.objects.filter(pk=confirmation.pk).update(used_at=timezone.now())
        logger.exception("SMS could not be sent")
        raise ServiceUnavailable(_("The code could not be sent by SMS. Try again in a minute."),
                                 code="sms_failed") from exc
    return confirmation


def phone_confirmation_check(*, phone: str, purpose: str, code: str) -> PhoneConfirmation:
    """Spend the code last sent to `phone` for `purpose`. Wrong tries are counted (and kept) even though
    the call fails; once they reach the limit the code is dead (429) and a new one must be asked for."""
    phone = phone_normalize(phone)
    purpose = _check_purpose(purpose)
    code = re.sub(r"\s", "", str(code or ""))
    if not CODE_RE.match(code):
        raise ApplicationError(_("The confirmation code is the 6 digits sent to your phone."), code="invalid_code")
    now = timezone.now()
    failure: ApplicationError | None = None
    limit = max_attempts()
    with transaction.atomic():
        conf = (PhoneConfirmation.objects.select_for_update().filter(phone=phone, purpose=purpose)
                .order_by("-created_at", "-id").first())
        if conf is None:
            failure = ApplicationError(_("No code has been sent to this phone. Ask for a code first."), code="no_code")
        elif conf.used_at is not None:
            failure = ApplicationError(_("This code has already been used. Ask for a new code."), code="code_used")
        elif conf.expires_at <= now:
            failure = ApplicationError(_("The code has expired. Ask for a new code."), code="code_expired")
        elif conf.attempts >= limit:
            failure = Throttled(_("Too many wrong codes. Ask for a new code."), code="too_many_attempts")
        elif hmac.compare_digest(_code_hash(salt=conf.salt, phone=phone, purpose=purpose, code=code), conf.code_hash):
            if not PhoneConfirmation.objects.filter(pk=conf.pk, used_at__isnull=True).update(used_at=now):
                failure = ApplicationError(_("This code has already been used. Ask for a new code."), code="code_used")
        else:
            PhoneConfirmation.objects.filter(pk=conf.pk).update(attempts=F("attempts") + 1)
            left = limit - conf.attempts - 1
            failure = ApplicationError(
                _("Wrong code. %(left)s tries left.") % {"left": left} if left > 0
                else _("Wrong code. No tries left: ask for a new code."), code="wrong_code", details={"tries_left": left})
    # Raised after the block: the counted wrong try is committed, not rolled back with the error.
    if failure is not None:
        raise failure
    conf.used_at = now
    return conf


def phone_confirmation_purge(*, older_than: timedelta = timedelta(days=1)) -> int:
    """Delete codes older than `older_than` (they hold phone numbers of people who may never have joined).
    Keep at least an hour so the per-hour limits still see them. Returns how many were deleted."""
    older_than = max(older_than, timedelta(hours=1))
    cutoff = timezone.now() - older_than
    deleted, _by_model = PhoneConfirmation.objects.filter(created_at__lt=cutoff).delete()
    CodeRequestLock.objects.filter(created_at__lt=cutoff).delete()  # recreated on the next request
    return deleted


# --- Unions and staff -------------------------------------------------------------------------------------------

@transaction.atomic
def union_create(*, jurisdiction: Jurisdiction, name: str, code: str, kind: str = UnionKind.NEW_EMPLOYMENT,
                 intro: str = "", contact_phone: str = "", active: bool = True) -> Union:
    code = code.strip().lower()
    if not UNION_CODE_RE.match(code) or code in RESERVED_CODES:
        raise ApplicationError(_("The union code is 2-32 lowercase letters, digits or dashes."), code="invalid_union_code")
    if Union.objects.filter(code=code).exists():
        raise Conflict(_("A union with this code already exists."), code="union_code_taken")
    union = Union(jurisdiction=jurisdiction, name=name.strip(), code=code, kind=kind, intro=intro,
                  contact_phone=contact_phone, active=active)
    union.full_clean()
    union.save()
    return union


@transaction.atomic
def union_staff_add(*, union: Union, user) -> UnionStaff:
    if user.jurisdiction_id not in (None, union.jurisdiction_id):
        raise PermissionDenied(_("This user works for another jurisdiction."), code="other_jurisdiction")
    staff, _created = UnionStaff.objects.get_or_create(union=union, user=user)
    return staff


# --- Joining ----------------------------------------------------------------------------------------------------

def join_purpose(union: Union) -> str:
    return f"join:{union.code}"


def join_code_request(*, union: Union, phone: str, source_key: str = "") -> PhoneConfirmation:
    if not union.active:
        raise Conflict(_("This union is not taking new members at the moment."), code="union_closed")
    return phone_confirmation_start(phone=phone, purpose=join_purpose(union), source_key=source_key,
                                    label=_("joining %(union)s") % {"union": union.name})


def membership_join(*, union: Union, name: str, phone: str, code: str, occupation: str, platform: str = "",
                    id_fragment: str = "", consent: bool) -> tuple[Membership, bool]:
    """Join `union` after confirming the phone. Returns (membership, created): a phone that already
    belongs to the union gets its existing membership back (a rejected one applies again)."""
    if not union.active:
        raise Conflict(_("This union is not taking new members at the moment."), code="union_closed")
    name = name_normalize(name)
    phone = phone_normalize(phone)
    id_fragment = id_fragment_normalize(id_fragment)
    platform = (platform or "").strip()
    _check_choices(platform=platform, occupation=occupation)
    if not consent:
        raise ApplicationError(_("Please agree that the union keeps your details for membership."),
                               code="consent_required")
    # Everything else is valid: only now is the code spent (a typo elsewhere does not burn it).
    confirmation = phone_confirmation_check(phone=phone, purpose=join_purpose(union), code=code)
    return membership_record(union=union, name=name, phone=phone, id_fragment=id_fragment, platform=platform,
                             occupation=occupation, confirmed_at=confirmation.used_at or timezone.now())


def membership_record(*, union: Union, name: str, phone: str, id_fragment: str, platform: str, occupation: str,
                      confirmed_at: datetime) -> tuple[Membership, bool]:
    """Record a confirmed phone's membership, duplicate-safe. Callers have confirmed the phone."""
    fields = {"name": name, "id_fragment": id_fragment, "platform": platform, "occupation": occupation}
    existing = Membership.objects.select_related("union").filter(union=union, phone=phone).first()
    if existing is not None:
        if existing.status == MembershipStatus.REJECTED:
            # Applying again after a rejection: the new details go back to the review queue.
            Membership.objects.filter(pk=existing.pk, status=MembershipStatus.REJECTED).update(
                **fields, status=MembershipStatus.PENDING, reason="", reviewed_by=None, reviewed_at=None,
                confirmed_at=confirmed_at, updated_at=timezone.now())
            existing.refresh_from_db()
        return existing, False
    return membership_insert(union=union, phone=phone, confirmed_at=confirmed_at, **fields)


def membership_insert(*, union: Union, phone: str, confirmed_at: datetime, **fields) -> tuple[Membership, bool]:
    """Insert, or — when another request inserted the same phone first — return that row."""
    membership = Membership(union=union, phone=phone, confirmed_at=confirmed_at, **fields)
    membership.full_clean(validate_unique=False, validate_constraints=False)
    try:
        with transaction.atomic():
            membership.save()
    except IntegrityError:
        existing = Membership.objects.select_related("union").filter(union=union, phone=phone).first()
        if existing is None:
            raise
        return existing, False
    return membership, True


# --- Member cards ----------------------------------------------------------------------------------------------

def _phone_tag(phone: str) -> str:
    return hashlib.sha256(f"{settings.SECRET_KEY}|card|{phone}".encode()).hexdigest()[:10]


def card_token(membership: Membership) -> str:
    """A signed token for the member's browser: the card page shows the full name to whoever holds it."""
    return signing.dumps({"m": membership.pk, "p": _phone_tag(membership.phone)}, salt=CARD_SALT)


def verify_token(membership: Membership) -> str:
    """The token in the card's QR code: shows a station or union desk that the card is real (masked)."""
    return signing.dumps({"m": membership.pk, "p": _phone_tag(membership.phone)}, salt=VERIFY_SALT)


def membership_from_token(token: str, *, salt: str = CARD_SALT) -> Membership:
    try:
        data = signing.loads(token, salt=salt)
        membership = Membership.objects.select_related("union__jurisdiction").get(pk=int(data["m"]))
    except (signing.BadSignature, KeyError, TypeError, ValueError, Membership.DoesNotExist) as exc:
        raise NotFound(_("This member card link is not valid."), code="invalid_card") from exc
    if not hmac.compare_digest(str(data.get("p", "")), _phone_tag(membership.phone)):
        raise NotFound(_("This member card link is not valid."), code="invalid_card")
    return membership


# --- Review and export (union staff) -----------------------------------------------------------------------------

def _require_staff(actor, union: Union) -> None:
    if not selectors.is_union_staff(actor, union):
        raise PermissionDenied(_("Only the staff of this union may do this."), code="not_union_staff")


def membership_review(*, union: Union, membership_id: int, actor, approve: bool, reason: str = "") -> Membership:
    """Approve or reject (with a reason the applicant sees) a pending application, exactly once."""
    _require_staff(actor, union)
    reason = " ".join((reason or "").split())
    if not approve and not reason:
        raise ApplicationError(_("Give a reason for the rejection: the applicant sees it."), code="reason_required")
    if len(reason) > 200:
        raise ApplicationError(_("The reason is too long (at most 200 characters)."), code="invalid_reason")
    now = timezone.now()
    status = MembershipStatus.APPROVED if approve else MembershipStatus.REJECTED
    with transaction.atomic():
        done = Membership.objects.filter(pk=membership_id, union=union, status=MembershipStatus.PENDING).update(
            status=status, reason=reason, reviewed_by=actor, reviewed_at=now, updated_at=now)
        membership = Membership.objects.select_related("union", "reviewed_by").filter(pk=membership_id, union=union).first()
        if membership is None:
            raise NotFound(_("No such member."), code="not_found")
        if not done:
            raise Conflict(_("This application has already been reviewed: %(status)s.")
                           % {"status": membership.get_status_display()}, code="already_reviewed")
    return membership


EXPORT_HEADER = ["会员编号", "姓名", "手机号", "身份证后四位", "平台", "职业", "状态", "原因", "申请时间", "审核时间"]


def membership_export(*, union: Union, actor, status: str | None = None, q: str = "") -> tuple[bytes, int]:
    """The union's members as an xlsx sheet, for its staff only; logged (who, when, rows, filters)."""
    import xlsxwriter

    _require_staff(actor, union)
    members = list(selectors.members(union=union, status=status, q=q))
    buf = io.BytesIO()
    book = xlsxwriter.Workbook(buf, {"in_memory": True, "remove_timezone": True})
    sheet = book.add_worksheet("会员")
    bold = book.add_format({"bold": True})
    when = book.add_format({"num_format": "yyyy-mm-dd hh:mm"})
    sheet.write_row(0, 0, EXPORT_HEADER, bold)
    sheet.set_column(0, 0, 16)
    sheet.set_column(2, 2, 14)
    sheet.set_column(8, 9, 18)
    for r, m in enumerate(members, start=1):
        values = [m.member_no, m.name, m.phone, m.id_fragment, m.platform, m.get_occupation_display(),
                  m.get_status_display(), m.reason]
        for c, value in enumerate(values):
            sheet.write_string(r, c, str(value))
        for c, at in ((8, m.created_at), (9, m.reviewed_at)):
            if at is not None:
                sheet.write_datetime(r, c, timezone.localtime(at).replace(tzinfo=None), when)
    book.close()
    ExportLog.objects.create(union=union, user=actor, username=actor.get_username(), rows=len(members),
                             filters={"status": status or "", "q": q})
    logger.info("union %s: %s exported %d members", union.code, actor.get_username(), len(members))
    return buf.getvalue(), len(members)
