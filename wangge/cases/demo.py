"""Demo cases on the demo street: a realistic spread over the loop, all made through the services."""

from __future__ import annotations

import random

import shapely

from wangge.accounts.models import Role, User
from wangge.cases import services
from wangge.cases.models import Case, Category
from wangge.core.geo import to_shape
from wangge.core.models import Jurisdiction
from wangge.grids.models import Department, Grid

PLACES = ["长寿路", "常德路", "西康路", "胶州路", "陕西北路", "武宁路", "昌化路", "江宁路", "延平路", "澳门路"]
PROBLEMS = {
    "SJ0101": "路边垃圾堆放，无人清理", "SJ0103": "人行道上有油污", "SJ0104": "电线杆上小广告",
    "BJ0101": "井盖松动，车辆经过有响声", "SJ0701": "居民楼下跨门营业占道",
}


def demo_cases_load(*, jurisdiction: Jurisdiction, count: int = 30, seed: int = 7) -> int:
    if Case.objects.filter(jurisdiction=jurisdiction).exists():
        return 0
    services.category_seed(jurisdiction=jurisdiction)
    rng = random.Random(seed)
    operator = User.objects.get(username="operator")
    grids = list(Grid.objects.filter(jurisdiction=jurisdiction).order_by("code"))
    categories = list(Category.objects.filter(jurisdiction=jurisdiction, parent__isnull=False, code__in=PROBLEMS))
    handlers = {u.person.department_id: u for u in User.objects.filter(jurisdiction=jurisdiction, role=Role.HANDLER)
                .select_related("person") if hasattr(u, "person")}
    made = 0
    for _ in range(count):
        grid = grids[rng.randrange(len(grids))]
        point = shapely.point_on_surface(to_shape(grid.geometry))
        category = rng.choice(categories)
        case, _ = services.case_report(
            jurisdiction=jurisdiction, actor=operator, channel=rng.choice(["resident", "rider", "hotline", "patrol"]),
            category_code=category.code, description=PROBLEMS[category.code],
            lon=point.x, lat=point.y, address=f"{rng.choice(PLACES)}{rng.randint(1, 999)}号",
            reporter_name=rng.choice(["张先生", "李女士", "王师傅", "陈阿姨"]), reporter_phone=f"139{rng.randint(10**7, 10**8 - 1)}",
        )
        made += 1
        depth = rng.choice([0, 1, 2, 2, 3, 3, 4, 5, 6, 6, 7])
        department = Department.objects.filter(jurisdiction=jurisdiction, kind=category.department_kind or "urban_management").first()
        if depth == 0 or department is None:
            continue
        services.case_act(case_id=case.pk, actor=operator, action="accept")
        if depth == 1:
            continue
        services.case_act(case_id=case.pk, actor=operator, action="dispatch", payload={"lead_department_id": department.pk})
        handler = handlers.get(department.pk)
        if depth == 2 or handler is None:
            continue
        services.case_act(case_id=case.pk, actor=handler, action="sign")
        if depth == 3:
            continue
        services.case_act(case_id=case.pk, actor=handler, action="feedback", reason="已到场处置完毕")
        if depth == 4:
            continue
        worker = User.objects.filter(role=Role.GRID_WORKER, person__assignments__grid=grid).first() or operator
        services.case_act(case_id=case.pk, actor=worker, action="verify_pass")
        if depth == 5:
            continue
        services.case_act(case_id=case.pk, actor=operator, action="close")
        if depth == 7:
            services.case_act(case_id=case.pk, actor=operator, action="evaluate", payload={"rating": "satisfied"})
    return made
