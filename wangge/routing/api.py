from ninja import Router, Schema
from pydantic import Field

from wangge.grids.selectors import jurisdiction_for_user
from wangge.routing import services

router = Router(tags=["locate"])


class LocateIn(Schema):
    lon: float = Field(..., description="longitude in the given coordinate system")
    lat: float = Field(..., description="latitude in the given coordinate system")
    crs: str = Field("wgs84", pattern="^(wgs84|gcj02|bd09)$", description="wgs84, gcj02 (高德/腾讯/微信) or bd09 (百度)")
    jurisdiction: str | None = None


class LocateBatchIn(Schema):
    points: list[tuple[float, float]] = Field(..., max_length=services.MAX_BATCH, description="[[lon, lat], …]")
    crs: str = Field("wgs84", pattern="^(wgs84|gcj02|bd09)$")
    jurisdiction: str | None = None


class RefOut(Schema):
    id: int
    code: str
    name: str


class UnitRefOut(RefOut):
    layer: str
    layer_name: str


class LocateOut(Schema):
    input: dict
    wgs84: dict
    inside_jurisdiction: bool
    grid: RefOut | None
    units: list[UnitRefOut]
    reason: str | None


@router.post("/locate", response=LocateOut, summary="Point → grid and every layer unit")
def locate(request, payload: LocateIn):
    j = jurisdiction_for_user(request.user, payload.jurisdiction)
    return services.locate_point(jurisdiction=j, lon=payload.lon, lat=payload.lat, crs=payload.crs)


@router.post("/locate/batch", response=list[LocateOut], summary="Many points at once (at most 10,000)")
def locate_batch(request, payload: LocateBatchIn):
    j = jurisdiction_for_user(request.user, payload.jurisdiction)
    return services.locate_points(jurisdiction=j, points=payload.points, crs=payload.crs)
