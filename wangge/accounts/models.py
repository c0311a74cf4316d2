import hashlib

from django.conf import settings
from django.contrib.auth.models import AbstractUser
from django.db import models
from django.utils.translation import gettext_lazy as _


class Role(models.TextChoices):
    ADMIN = "admin", _("Administrator")
    OPERATOR = "operator", _("Operations-centre operator")
    LEADER = "leader", _("Street leader")
    GRID_WORKER = "grid_worker", _("Grid worker")
    HANDLER = "handler", _("Department handler")
    UNION_STAFF = "union_staff", _("Union staff")
    STATION_HOST = "station_host", _("Station host")


# Roles that see the whole jurisdiction (every grid, unmasked personal data).
JURISDICTION_WIDE_ROLES = {Role.ADMIN, Role.OPERATOR, Role.LEADER}


class User(AbstractUser):
    role = models.CharField(_("role"), max_length=20, choices=Role.choices, default=Role.OPERATOR)
    jurisdiction = models.ForeignKey(
        "core.Jurisdiction", verbose_name=_("jurisdiction"), null=True, blank=True, on_delete=models.PROTECT,
        related_name="users",
    )

    class Meta:
        verbose_name = _("user")
        verbose_name_plural = _("user")

    @property
    def is_jurisdiction_wide(self) -> bool:
        return self.is_superuser or self.role in JURISDICTION_WIDE_ROLES

    @property
    def is_territory_admin(self) -> bool:
        return self.is_superuser or self.role == Role.ADMIN


class ApiToken(models.Model):
    """A machine credential: `Authorization: Bearer <token>`. Only a hash is stored."""

    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="api_tokens")
    name = models.CharField(_("name"), max_length=100)
    key_hash = models.CharField(max_length=64, unique=True)
    prefix = models.CharField(max_length=8)
    created_at = models.DateTimeField(auto_now_add=True)
    last_used_at = models.DateTimeField(null=True, blank=True)
    revoked = models.BooleanField(default=False)

    class Meta:
        verbose_name = _("API token")
        verbose_name_plural = _("API token")

    def __str__(self) -> str:
        return f"{self.name} ({self.prefix}…)"

    @staticmethod
    def hash_key(key: str) -> str:
        return hashlib.sha256(key.encode()).hexdigest()
