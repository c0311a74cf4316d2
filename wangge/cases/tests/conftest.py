import pytest

from conftest import metres
from wangge.accounts.models import Role
from wangge.accounts.services import user_create
from wangge.cases.services import case_report, category_seed
from wangge.grids.services import department_upsert, person_create


@pytest.fixture
def loop(people, territory):
    """The fixture territory with categories, three departments and a handler in each."""
    j = territory
    category_seed(jurisdiction=j)
    departments = {
        "urban": j.departments.get(code="urban"),
        "police": j.departments.get(code="police"),
        "disabled": department_upsert(jurisdiction=j, code="disabled", name="残联", kind="disabled"),
    }
    users = dict(people)
    users["police_handler"] = user_create(username="hp", password="pw-hp-1", role=Role.HANDLER, jurisdiction=j)
    person_create(jurisdiction=j, name="派出所王", phone="13500004444", department=departments["police"], user=users["police_handler"])
    users["disabled_handler"] = user_create(username="hd", password="pw-hd-1", role=Role.HANDLER, jurisdiction=j)
    person_create(jurisdiction=j, name="残联李", phone="13500005555", department=departments["disabled"], user=users["disabled_handler"])
    return {"j": j, "users": users, "departments": departments}


@pytest.fixture
def new_case(loop):
    """A reported case in grid A (the grid worker `gw` is assigned there)."""
    point = metres(100, 300, 101, 301).centroid
    case, _ = case_report(
        jurisdiction=loop["j"], actor=loop["users"]["operator"], channel="resident", category_code="SJ0101",
        description="垃圾桶满溢，气味很大", lon=point.x, lat=point.y, reporter_name="张三", reporter_phone="13911112222",
    )
    return case
