"""Rest stations for riders and outdoor workers (暖新驿站, 爱心接力站) and merchants' pledges (商户承诺).

Opening hours are weekly rows plus dated exceptions, in minutes of the local day (Asia/Shanghai): a row runs
from `start` (0–1439) to `end` (1–1440); an `end` at or before `start` runs past midnight into the next day
(22:00–06:00), and 00:00–24:00 is a 24-hour day. Amenities are one integer bitmask so that "has water and a
toilet" is one SQL condition (`amenities & mask = mask`).
"""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from wangge.core.models import Jurisdiction
from wangge.grids.models import Grid


class Amenity:
    """Bit, code and label of every amenity a station can offer. Codes are the API's words."""

    CHOICES: tuple[tuple[str, int, object, str], ...] = (
        ("charging", 1 << 0, _("Charging"), "🔌"),
        ("water", 1 << 1, _("Drinking water"), "🚰"),
        ("microwave", 1 << 2, _("Microwave"), "🍱"),
        ("toilet", 1 << 3, _("Toilet"), "🚻"),
        ("aircon", 1 << 4, _("Air conditioning"), "❄️"),
        ("first_aid", 1 << 5, _("First aid kit"), "🩹"),
        ("umbrella", 1 << 6, _("Umbrella loan"), "☂️"),
        ("seating", 1 << 7, _("Seats to rest"), "🪑"),
        ("wifi", 1 << 8, _("Wi-Fi"), "📶"),
        ("repair", 1 << 9, _("Tyre pump and tools"), "🔧"),
    )
    BITS: dict[str, int] = {code: bit for code, bit, _label, _icon in CHOICES}
    ALL = sum(BITS.values())


class StationKind(models.TextChoices):
    WARM_NEW = "warm_new", _("暖新驿站 (warm station)")
    LOVE_RELAY = "love_relay", _("爱心接力站 (love relay station)")
    OTHER = "other", _("Other rest point")


class HostType(models.TextChoices):
    COMMUNITY = "community", _("Residents' committee (居委)")
    MERCHANT = "merchant", _("Merchant (商户)")
    BUILDING = "building", _("Office building (楼宇)")
    UNION = "union", _("Trade union (工会)")
    OTHER = "other", _("Other")


class LiveStatus(models.TextChoices):
    OPEN = "open", _("Open as usual")
    FULL = "full", _("Full right now")
    CLOSED = "closed", _("Closed right now")


class Station(models.Model):
    jurisdiction = models.ForeignKey(Jurisdiction, on_delete=models.PROTECT, related_name="stations")
    name = models.CharField(_("name"), max_length=100)
    kind = models.CharField(_("kind"), max_length=12, choices=StationKind.choices, default=StationKind.WARM_NEW)
    host_type = models.CharField(_("host"), max_length=12, choices=HostType.choices, default=HostType.COMMUNITY)
    address = models.CharField(_("address"), max_length=200, blank=True)
    phone = models.CharField(_("station phone"), max_length=32, blank=True, help_text="the station's public number")
    lon = models.FloatField()
    lat = models.FloatField()
    grid = models.ForeignKey(Grid, null=True, blank=True, on_delete=models.SET_NULL, related_name="stations")
    amenities = models.PositiveIntegerField(_("amenities"), default=0)
    live_status = models.CharField(_("live status"), max_length=8, choices=LiveStatus.choices, default=LiveStatus.OPEN)
    status_updated_at = models.DateTimeField(null=True, blank=True)
    note = models.CharField(_("note"), max_length=300, blank=True)
    active = models.BooleanField(_("active"), default=True)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        verbose_name = _("station")
        verbose_name_plural = _("stations")
        ordering = ["name", "id"]
        constraints = [
            models.CheckConstraint(condition=models.Q(lon__gte=-180, lon__lte=180, lat__gte=-90, lat__lte=90),
                                   name="station_lonlat_range"),
            models.CheckConstraint(condition=models.Q(amenities__lte=Amenity.ALL), name="station_amenities_known"),
        ]
        indexes = [
            # The nearest query's bounding-box prefilter: a latitude band, then longitude, per street.
            models.Index(fields=["jurisdiction", "active", "lat", "lon"], name="station_bbox"),
        ]

    def __str__(self) -> str:
        return self.name

    @property
    def amenity_codes(self) -> list[str]:
        return [code for code, bit, _label, _icon in Amenity.CHOICES if self.amenities & bit]


class OpeningHours(models.Model):
    """One weekly interval; several per weekday are allowed when they do not overlap."""

    station = models.ForeignKey(Station, on_delete=models.CASCADE, related_name="hours")
    weekday = models.PositiveSmallIntegerField(_("weekday"), help_text="0 = Monday … 6 = Sunday")
    start = models.PositiveSmallIntegerField(help_text="minutes after local midnight, 0–1439")
    end = models.PositiveSmallIntegerField(help_text="1–1440; at or before start: runs past midnight")

    class Meta:
        verbose_name = _("opening hours")
        verbose_name_plural = _("opening hours")
        ordering = ["station_id", "weekday", "start"]
        constraints = [
            models.CheckConstraint(condition=models.Q(weekday__lte=6, start__lte=1439, end__gte=1, end__lte=1440)
                                   & ~models.Q(start=models.F("end")), name="opening_hours_valid"),
            models.UniqueConstraint(fields=["station", "weekday", "start"], name="opening_hours_unique_start"),
        ]

    def __str__(self) -> str:
        return f"{self.station_id} {self.weekday} {self.start}-{self.end}"


class HoursException(models.Model):
    """A dated exception (holiday closure, shorter or longer hours): replaces the weekly intervals that start on
    that date. `closed` with no interval: closed all day."""

    station = models.ForeignKey(Station, on_delete=models.CASCADE, related_name="exceptions")
    date = models.DateField(_("date"))
    closed = models.BooleanField(_("closed all day"), default=True)
    start = models.PositiveSmallIntegerField(null=True, blank=True)
    end = models.PositiveSmallIntegerField(null=True, blank=True)
    note = models.CharField(_("note"), max_length=100, blank=True)

    class Meta:
        verbose_name = _("hours exception")
        verbose_name_plural = _("hours exceptions")
        ordering = ["station_id", "date"]
        constraints = [
            models.UniqueConstraint(fields=["station", "date"], name="hours_exception_one_per_day"),
            models.CheckConstraint(
                condition=models.Q(closed=True, start__isnull=True, end__isnull=True)
                | (models.Q(closed=False, start__lte=1439, end__gte=1, end__lte=1440) & ~models.Q(start=models.F("end"))),
                name="hours_exception_valid"),
        ]

    def __str__(self) -> str:
        return f"{self.station_id} {self.date}"


class StationHost(models.Model):
    """Who keeps a station up to date: a host edits only the stations listed here."""

    station = models.ForeignKey(Station, on_delete=models.CASCADE, related_name="hosts")
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="hosted_stations")
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = _("station host")
        verbose_name_plural = _("station hosts")
        constraints = [models.UniqueConstraint(fields=["station", "user"], name="station_host_unique")]

    def __str__(self) -> str:
        return f"{self.user_id} @ {self.station_id}"


class FeedbackKind(models.TextChoices):
    PRAISE = "praise", _("Praise")
    SUGGESTION = "suggestion", _("Suggestion")
    PROBLEM = "problem", _("Problem")


class StationFeedback(models.Model):
    station = models.ForeignKey(Station, on_delete=models.CASCADE, related_name="feedback")
    kind = models.CharField(_("kind"), max_length=12, choices=FeedbackKind.choices, default=FeedbackKind.SUGGESTION)
    rating = models.PositiveSmallIntegerField(_("rating"), null=True, blank=True)
    text = models.TextField(_("text"), max_length=1000)
    phone = models.CharField(_("phone"), max_length=32, blank=True)
    # Hashed source (IP or user) for the flood limit; the address itself is not stored.
    source_key = models.CharField(max_length=64, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = _("station feedback")
        verbose_name_plural = _("station feedback")
        ordering = ["-created_at", "-id"]
        constraints = [
            models.CheckConstraint(condition=models.Q(rating__isnull=True) | models.Q(rating__gte=1, rating__lte=5),
                                   name="station_feedback_rating_range"),
        ]
        indexes = [models.Index(fields=["source_key", "created_at"], name="station_feedback_source")]

    def __str__(self) -> str:
        return f"{self.station_id}: {self.text[:30]}"


class StationCheckIn(models.Model):
    """An anonymous visit: when and where, nothing about who. `visitor` is a hash that changes every day, only
    so that one phone tapping twice counts once."""

    station = models.ForeignKey(Station, on_delete=models.CASCADE, related_name="checkins")
    at = models.DateTimeField()
    local_date = models.DateField()
    local_hour = models.PositiveSmallIntegerField()
    visitor = models.CharField(max_length=32, blank=True)

    class Meta:
        verbose_name = _("check-in")
        verbose_name_plural = _("check-ins")
        constraints = [models.CheckConstraint(condition=models.Q(local_hour__lte=23), name="checkin_hour_range")]
        indexes = [
            models.Index(fields=["station", "local_date", "local_hour"], name="checkin_station_hour"),
            models.Index(fields=["visitor", "at"], name="checkin_visitor_recent"),
        ]

    def __str__(self) -> str:
        return f"{self.station_id} {self.at}"


class PledgeKind(models.TextChoices):
    MEAL_HOURS = "meal_hours", _("Longer meal hours for riders")
    LOVE_LUNCH = "love_lunch", _("骑手爱心午餐 (caring lunch)")
    FREE_HAIRCUT = "free_haircut", _("Free haircut")
    FREE_WATER = "free_water", _("Free water and a rest")
    RESTROOM = "restroom", _("Toilet open to riders")
    CHARGING = "charging", _("Phone charging")
    FRONTAGE = "frontage", _("门责三包 (frontage responsibility)")
    OTHER = "other", _("Other")


class Pledge(models.Model):
    jurisdiction = models.ForeignKey(Jurisdiction, on_delete=models.PROTECT, related_name="pledges")
    merchant = models.CharField(_("merchant"), max_length=100)
    kind = models.CharField(_("kind"), max_length=14, choices=PledgeKind.choices)
    text = models.CharField(_("what is promised"), max_length=500)
    valid_from = models.DateField(_("valid from"))
    valid_until = models.DateField(_("valid until"), null=True, blank=True)
    address = models.CharField(_("address"), max_length=200, blank=True)
    lon = models.FloatField()
    lat = models.FloatField()
    grid = models.ForeignKey(Grid, null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    contact_name = models.CharField(_("contact"), max_length=50, blank=True)
    contact_phone = models.CharField(_("contact phone"), max_length=32, blank=True)
    station = models.ForeignKey(Station, null=True, blank=True, on_delete=models.SET_NULL, related_name="pledges")
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL,
                                   related_name="+")
    followed_up_at = models.DateTimeField(null=True, blank=True)
    followed_up_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL,
                                       related_name="+")
    follow_up_note = models.CharField(_("follow-up note"), max_length=300, blank=True)
    # Signed by the merchant on the public sign page (contact phone confirmed by an SMS code), not recorded by staff.
    signed_by_merchant = models.BooleanField(_("signed by the merchant"), default=False)
    phone_confirmed_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = _("merchant pledge")
        verbose_name_plural = _("merchant pledges")
        ordering = ["valid_until", "id"]
        constraints = [
            models.CheckConstraint(condition=models.Q(valid_until__isnull=True)
                                   | models.Q(valid_until__gte=models.F("valid_from")), name="pledge_valid_range"),
            models.CheckConstraint(condition=models.Q(lon__gte=-180, lon__lte=180, lat__gte=-90, lat__lte=90),
                                   name="pledge_lonlat_range"),
        ]
        indexes = [
            models.Index(fields=["jurisdiction", "lat", "lon"], name="pledge_bbox"),
            models.Index(fields=["jurisdiction", "valid_until"], name="pledge_expiry"),
        ]

    def __str__(self) -> str:
        return f"{self.merchant}: {self.get_kind_display()}"
