"""Demo reports on the demo street, through the intake services: filed, joined, and a triage queue with one
report of each kind routing cannot settle."""

from __future__ import annotations

import shapely

from wangge.cases.models import Category
from wangge.core.geo import to_shape
from wangge.core.models import Jurisdiction
from wangge.grids.models import Grid
from wangge.intake import services
from wangge.intake.models import Report


def _classifier_seed(jurisdiction: Jurisdiction) -> None:
    """Train the demo street's text classifier from its categories, so uncategorised reports get a guess."""
    from wangge.routing import classify

    classify.classifier_train(jurisdiction=jurisdiction, samples=classify.classifier_seed_samples(jurisdiction=jurisdiction),
                              source="seed")


def demo_reports_load(*, jurisdiction: Jurisdiction) -> int:
    if Report.objects.filter(jurisdiction=jurisdiction).exists():
        return 0
    _classifier_seed(jurisdiction)
    grids = list(Grid.objects.filter(jurisdiction=jurisdiction).order_by("code"))
    at = [shapely.point_on_surface(to_shape(g.geometry)) for g in grids[:6]]
    category = Category.objects.filter(jurisdiction=jurisdiction, code="SJ0101").first()
    if category is None:
        return 0
    minx, miny, maxx, maxy = to_shape(jurisdiction.boundary).bounds
    reports = [
        dict(channel="resident", description="小区门口垃圾桶满溢，好几天没人清运", point=at[0], category_code="SJ0101",
             reporter_phone="13900001111"),
        dict(channel="resident", description="小区门口垃圾桶满溢了，没人清运", point=at[0], category_code="SJ0101",
             reporter_phone="13900002222"),  # a sure duplicate of the first: joins it
        dict(channel="rider", description="路口井盖松动，电动车经过很危险", point=at[1], category_code="BJ0101",
             rider_platform="美团", rider_station="长寿路站", reporter_phone="13700003333"),
        dict(channel="rider", description="非机动车道被机动车占用停车", point=at[2], rider_platform="饿了么",
             rider_station="西康路站"),
        dict(channel="resident", description="楼下餐馆油烟很大，晚上还很吵", point=at[3]),
        dict(channel="resident", description="路灯坏了好几盏，晚上很黑", point=None, address="某小区后门附近"),
        dict(channel="resident", description="马路对面有人乱倒建筑垃圾", point=shapely.Point(maxx + 0.01, maxy + 0.01),
             category_code="SJ0101"),
        dict(channel="resident", description="有点问题想反映一下情况", point=at[4]),
    ]
    made = 0
    for i, r in enumerate(reports):
        point = r.pop("point")
        services.report_submit(jurisdiction=jurisdiction, lon=point.x if point else None, lat=point.y if point else None,
                               source_key=f"demo-{i}", idempotency_key=f"demo-report-{i}", **r)
        made += 1
    return made
