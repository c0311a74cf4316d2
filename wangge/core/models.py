from django.db import models
from django.utils.translation import gettext_lazy as _


class Jurisdiction(models.Model):
    """A street (街道) or town (镇) running wangge. Every domain row belongs to one."""

    code = models.CharField(_("code"), max_length=32, unique=True)
    name = models.CharField(_("name"), max_length=100)
    boundary = models.JSONField(_("boundary"), help_text="GeoJSON Polygon/MultiPolygon, WGS84")
    min_lon = models.FloatField()
    min_lat = models.FloatField()
    max_lon = models.FloatField()
    max_lat = models.FloatField()
    area_m2 = models.FloatField(default=0)
    # Bumped whenever grids, layers or units change: per-process spatial indexes rebuild on a new value.
    territory_version = models.PositiveBigIntegerField(default=1)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        verbose_name = _("jurisdiction")
        verbose_name_plural = _("jurisdictions")
        constraints = [
            models.CheckConstraint(condition=models.Q(min_lon__lte=models.F("max_lon")), name="jurisdiction_bbox_lon"),
            models.CheckConstraint(condition=models.Q(min_lat__lte=models.F("max_lat")), name="jurisdiction_bbox_lat"),
        ]

    def __str__(self) -> str:
        return self.name


class SchedulerLease(models.Model):
    """Exactly one scheduler: whoever holds the unexpired lease enqueues the periodic jobs."""

    name = models.CharField(max_length=50, unique=True)
    holder = models.CharField(max_length=100, blank=True)
    expires_at = models.DateTimeField()

    def __str__(self) -> str:
        return f"{self.name}: {self.holder} until {self.expires_at}"
