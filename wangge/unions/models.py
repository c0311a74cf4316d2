"""Unions (工会) for new-form workers and merchants: one-step membership by QR code (一键入会).

A rider scans a union's QR code, confirms their phone with a one-time code and becomes a pending member;
the union's staff approve or reject (with a reason) and export the list. Personal data (name, phone, ID
fragment) is seen in full only by the staff of the union concerned; every export is logged.
"""

from django.conf import settings
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from wangge.core.models import Jurisdiction


class UnionKind(models.TextChoices):
    NEW_EMPLOYMENT = "new_employment", _("New-form workers' union federation")
    MERCHANT = "merchant", _("Merchants' joint union")
    INDUSTRY = "industry", _("Industry union")
    OTHER = "other", _("Other union")


class Union(models.Model):
    jurisdiction = models.ForeignKey(Jurisdiction, on_delete=models.PROTECT, related_name="unions")
    name = models.CharField(_("name"), max_length=100)
    kind = models.CharField(_("kind"), max_length=20, choices=UnionKind.choices, default=UnionKind.NEW_EMPLOYMENT)
    # In the QR join URL (/u/<code>/): short, lowercase, stable once posters are printed.
    code = models.SlugField(_("code"), max_length=32, unique=True)
    active = models.BooleanField(_("accepting members"), default=True)
    intro = models.TextField(_("introduction"), blank=True)
    contact_phone = models.CharField(_("contact phone"), max_length=32, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = _("union")
        verbose_name_plural = _("unions")
        ordering = ["jurisdiction_id", "name"]

    def __str__(self) -> str:
        return self.name


class UnionStaff(models.Model):
    """Who works for a union: they see its members in full and review, approve and export them."""

    union = models.ForeignKey(Union, on_delete=models.CASCADE, related_name="staff")
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="union_posts")
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = _("union staff")
        verbose_name_plural = _("union staff")
        constraints = [models.UniqueConstraint(fields=["union", "user"], name="union_staff_unique")]

    def __str__(self) -> str:
        return f"{self.user} @ {self.union}"


class MembershipStatus(models.TextChoices):
    PENDING = "pending", _("Awaiting review")
    APPROVED = "approved", _("Approved")
    REJECTED = "rejected", _("Declined")


class Occupation(models.TextChoices):
    DELIVERY = "delivery", _("Food delivery")
    COURIER = "courier", _("Courier")
    RIDE_HAILING = "ride_hailing", _("Ride-hailing driver")
    FREIGHT = "freight", _("Freight driver")
    SANITATION = "sanitation", _("Sanitation worker")
    HOUSEKEEPING = "housekeeping", _("Housekeeping")
    MERCHANT = "merchant", _("Shop staff")
    OTHER = "other", _("Other")


# Platforms a rider can pick (stored as the name itself).
PLATFORMS = ["美团", "饿了么", "顺丰", "京东", "闪送", "达达", "中通", "圆通", "申通", "韵达", "邮政", "滴滴", "货拉拉",
             "其他"]


class Membership(models.Model):
    union = models.ForeignKey(Union, on_delete=models.PROTECT, related_name="memberships")
    name = models.CharField(_("full name"), max_length=30)
    phone = models.CharField(_("phone"), max_length=11)
    id_fragment = models.CharField(_("last 4 of ID number"), max_length=4, blank=True)
    platform = models.CharField(_("platform"), max_length=20, blank=True)
    occupation = models.CharField(_("occupation"), max_length=20, choices=Occupation.choices)
    status = models.CharField(_("status"), max_length=10, choices=MembershipStatus.choices,
                              default=MembershipStatus.PENDING)
    reason = models.CharField(_("reason"), max_length=200, blank=True)
    reviewed_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL,
                                    related_name="+")
    reviewed_at = models.DateTimeField(null=True, blank=True)
    confirmed_at = models.DateTimeField(help_text="when the phone was confirmed by a one-time code")
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        verbose_name = _("membership")
        verbose_name_plural = _("memberships")
        ordering = ["-created_at", "-id"]
        constraints = [
            # The same phone joins a union once: also the guard against two joins at the same moment.
            models.UniqueConstraint(fields=["union", "phone"], name="membership_union_phone_unique"),
            models.CheckConstraint(condition=models.Q(status__in=MembershipStatus.values), name="membership_status_valid"),
            models.CheckConstraint(condition=~models.Q(status="rejected") | ~models.Q(reason=""),
                                   name="membership_rejected_has_reason"),
        ]
        indexes = [models.Index(fields=["union", "status", "-created_at"], name="membership_review_queue")]

    def __str__(self) -> str:
        return self.member_no

    @property
    def member_no(self) -> str:
        """The number printed on the card: the union's code and the row id."""
        return f"{self.union.code.upper()}-{self.pk:06d}" if self.pk else ""


class PhoneConfirmation(models.Model):
    """A one-time code sent by SMS. Only an HMAC of the code is stored; each code works once, for a few
    minutes, with a limited number of wrong tries. Usable by any app through the services
    `phone_confirmation_start` / `phone_confirmation_check` with its own `purpose`."""

    phone = models.CharField(max_length=11)
    purpose = models.CharField(max_length=40)
    salt = models.CharField(max_length=32)
    code_hash = models.CharField(max_length=64)
    source_key = models.CharField(max_length=64, blank=True, help_text="hashed sender (IP): floods are throttled")
    created_at = models.DateTimeField(auto_now_add=True)
    expires_at = models.DateTimeField()
    attempts = models.PositiveSmallIntegerField(default=0)
    used_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        verbose_name = _("phone confirmation")
        verbose_name_plural = _("phone confirmations")
        indexes = [
            models.Index(fields=["phone", "purpose", "-created_at"], name="phoneconf_latest"),
            models.Index(fields=["phone", "created_at"], name="phoneconf_per_phone"),
            models.Index(fields=["source_key", "created_at"], name="phoneconf_per_source"),
        ]

    def __str__(self) -> str:
        return f"{self.purpose} {self.phone[:3]}****{self.phone[-4:]}"


class CodeRequestLock(models.Model):
    """One row per phone and per sender that ever asked for a code (keys are keyed hashes, not the numbers).
    `phone_confirmation_start` locks the rows (SELECT … FOR UPDATE) while it counts the last hour's codes and
    writes the new one, so two requests at the same moment cannot both pass the hourly limits."""

    key = models.CharField(max_length=64, unique=True)
    # Purged with the codes after a day: the hourly limits count PhoneConfirmation rows, not these.
    created_at = models.DateTimeField(default=timezone.now, db_index=True)

    class Meta:
        verbose_name = _("code request lock")
        verbose_name_plural = _("code request locks")

    def __str__(self) -> str:
        return self.key


class ExportLog(models.Model):
    """Every export of a union's member list: who, when, how many rows, with which filters."""

    union = models.ForeignKey(Union, on_delete=models.PROTECT, related_name="exports")
    user = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+")
    username = models.CharField(max_length=150, help_text="outlives the user")
    at = models.DateTimeField(auto_now_add=True)
    rows = models.PositiveIntegerField()
    filters = models.JSONField(default=dict, blank=True)

    class Meta:
        verbose_name = _("member export")
        verbose_name_plural = _("member exports")
        ordering = ["-at", "-id"]

    def __str__(self) -> str:
        return f"{self.username} {self.at:%Y-%m-%d %H:%M} {self.rows}"
