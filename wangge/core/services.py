import shapely
from django.db import transaction
from django.db.models import F
from django.utils.translation import gettext as _

from wangge.core.errors import ApplicationError
from wangge.core.geo import area_m2, bbox, polygonal_part, to_geojson, to_shape
from wangge.core.models import Jurisdiction
from wangge.core.signals import territory_changed


def _valid_boundary(geojson: dict):
    try:
        geom = to_shape(geojson)
    except (ValueError, TypeError, AttributeError, IndexError, shapely.errors.GEOSException) as exc:
        raise ApplicationError(_("Invalid boundary geometry: %(reason)s") % {"reason": exc}) from exc
    if geom.geom_type not in ("Polygon", "MultiPolygon") or geom.is_empty:
        raise ApplicationError(_("The boundary must be a non-empty Polygon or MultiPolygon."))
    if not geom.is_valid:
        raise ApplicationError(_("Invalid boundary geometry: %(reason)s") % {"reason": shapely.is_valid_reason(geom)})
    return polygonal_part(geom)


@transaction.atomic
def jurisdiction_upsert(*, code: str, name: str, boundary: dict) -> Jurisdiction:
    geom = _valid_boundary(boundary)
    min_lon, min_lat, max_lon, max_lat = bbox(geom)
    jurisdiction, _created = Jurisdiction.objects.update_or_create(
        code=code,
        defaults={
            "name": name, "boundary": to_geojson(geom), "min_lon": min_lon, "min_lat": min_lat,
            "max_lon": max_lon, "max_lat": max_lat, "area_m2": area_m2(geom),
        },
    )
    jurisdiction_territory_changed(jurisdiction=jurisdiction)
    return jurisdiction


def jurisdiction_territory_changed(*, jurisdiction: Jurisdiction) -> int:
    """Bump the territory version so every process rebuilds its spatial index."""
    Jurisdiction.objects.filter(pk=jurisdiction.pk).update(territory_version=F("territory_version") + 1)
    jurisdiction.refresh_from_db(fields=["territory_version"])
    jurisdiction_id = jurisdiction.pk
    transaction.on_commit(lambda: territory_changed.send(sender=Jurisdiction, jurisdiction_id=jurisdiction_id))
    return jurisdiction.territory_version
