"""Small display helpers for station pages."""

from django import template
from django.utils.translation import gettext as _

register = template.Library()


@register.filter
def distance(metres) -> str:
    """350 → "350 m", 1234 → "1.2 km" (translated units)."""
    if metres is None or metres == "":
        return "—"
    metres = int(metres)
    if metres < 1000:
        return _("%(m)s m") % {"m": metres}
    return _("%(km)s km") % {"km": f"{metres / 1000:.1f}"}


@register.filter
def hhmm(minutes) -> str:
    minutes = int(minutes)
    return f"{minutes // 60:02d}:{minutes % 60:02d}"
