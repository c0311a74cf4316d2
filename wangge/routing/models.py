"""Routing data: responsibility rules (属地/属主) per category and area."""

from django.db import models
from django.utils.translation import gettext_lazy as _

from wangge.cases.models import Category
from wangge.core.models import Jurisdiction
from wangge.grids.models import Department, Grid, Layer, LayerUnit


class Basis(models.TextChoices):
    TERRITORY = "territory", _("Territory first (属地)")
    OWNER = "owner", _("Owner first (属主)")


class RoutingRule(models.Model):
    """Who leads on a category (minor or major class, or any) in an area (a grid, a layer unit, or anywhere):
    a fixed department, or the department of the unit of a layer that covers the place."""

    jurisdiction = models.ForeignKey(Jurisdiction, on_delete=models.CASCADE, related_name="routing_rules")
    category = models.ForeignKey(Category, null=True, blank=True, on_delete=models.CASCADE, related_name="+",
                                 help_text=_("a minor or major class; empty: any category"))
    grid = models.ForeignKey(Grid, null=True, blank=True, on_delete=models.CASCADE, related_name="+")
    unit = models.ForeignKey(LayerUnit, null=True, blank=True, on_delete=models.CASCADE, related_name="+")
    basis = models.CharField(_("basis"), max_length=10, choices=Basis.choices, default=Basis.TERRITORY)
    department = models.ForeignKey(Department, null=True, blank=True, on_delete=models.CASCADE, related_name="+")
    layer = models.ForeignKey(Layer, null=True, blank=True, on_delete=models.CASCADE, related_name="+",
                              help_text=_("the department of this layer's unit at the place leads"))
    priority = models.PositiveSmallIntegerField(default=0, help_text=_("lower wins among equally specific rules"))
    active = models.BooleanField(default=True)
    note = models.CharField(max_length=200, blank=True)

    class Meta:
        verbose_name = _("routing rule")
        verbose_name_plural = _("routing rules")
        ordering = ["priority", "id"]
        constraints = [
            models.CheckConstraint(condition=models.Q(department__isnull=False) | models.Q(layer__isnull=False),
                                   name="routing_rule_has_target"),
        ]

    def __str__(self) -> str:
        return f"{self.category or '*'} → {self.department or self.layer}"


class ClassifierSource(models.TextChoices):
    SEED = "seed", _("Category names and keywords")
    HISTORY = "history", _("Closed cases")
    SEED_HISTORY = "seed+history", _("Category keywords and closed cases")
    CSV = "csv", _("Imported CSV")


class ClassifierModel(models.Model):
    """A trained free-text classifier (text → minor category code) of one jurisdiction.

    ``blob`` is ``wangge.routing.classify.Model.to_bytes()``; at most one row per jurisdiction is active,
    and that one answers ``classify_text``. Older rows stay for comparison and rollback."""

    jurisdiction = models.ForeignKey(Jurisdiction, on_delete=models.CASCADE, related_name="classifier_models")
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)
    blob = models.BinaryField()
    labels = models.JSONField(default=list, help_text=_("the labels (category codes) the model can answer"))
    n_samples = models.PositiveIntegerField(default=0)
    metrics = models.JSONField(default=dict, blank=True,
                               help_text=_("cross-validated macro-F1 and accuracy, when measured"))
    source = models.CharField(_("source"), max_length=20, choices=ClassifierSource.choices)
    active = models.BooleanField(_("active"), default=False)

    class Meta:
        verbose_name = _("classifier model")
        verbose_name_plural = _("classifier models")
        ordering = ["-created_at", "-id"]
        constraints = [
            models.UniqueConstraint(fields=["jurisdiction"], condition=models.Q(active=True),
                                    name="classifier_one_active_per_jurisdiction"),
        ]

    def __str__(self) -> str:
        return f"{self.jurisdiction_id}/{self.pk} {self.source} ({len(self.labels)} labels)"
