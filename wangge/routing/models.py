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
