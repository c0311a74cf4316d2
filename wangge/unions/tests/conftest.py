import re

import pytest

from conftest import metres
from wangge.accounts.models import Role
from wangge.accounts.services import user_create
from wangge.core.geo import to_geojson
from wangge.core.services import jurisdiction_upsert
from wangge.unions import services
from wangge.unions.sms import LoggingSmsBackend, sent_messages

PHONE = "13812345678"
CODE_IN_SMS = re.compile(r"(?<![0-9])([0-9]{6})(?![0-9])")


def last_code(phone: str = PHONE) -> str:
    """The code the logging SMS backend 'sent' last to this phone."""
    messages = sent_messages(phone)
    assert messages, f"no SMS was sent to {phone}"
    return CODE_IN_SMS.search(messages[-1]["message"]).group(1)


def join_args(union, **extra) -> dict:
    return {"union": union, "name": "张三", "phone": PHONE, "occupation": "delivery", "platform": "美团",
            "id_fragment": "123x", "consent": True, **extra}


@pytest.fixture(autouse=True)
def outbox():
    LoggingSmsBackend.OUTBOX.clear()
    yield LoggingSmsBackend.OUTBOX
    LoggingSmsBackend.OUTBOX.clear()


@pytest.fixture
def unions(db):
    """Two unions of one street (each with its own staff), one of another street; street roles."""
    j = jurisdiction_upsert(code="T1", name="测试街道", boundary=to_geojson(metres(0, 0, 1000, 1000), 9))
    j2 = jurisdiction_upsert(code="T2", name="别的街道", boundary=to_geojson(metres(2000, 0, 3000, 1000), 9))
    riders = services.union_create(jurisdiction=j, name="测试街道新就业形态劳动者工会联合会", code="t1-riders",
                                   intro="骑手之家")
    merchants = services.union_create(jurisdiction=j, name="测试街道商户联合工会", code="t1-merchants", kind="merchant")
    far = services.union_create(jurisdiction=j2, name="别的街道工会", code="t2-riders")
    users = {
        "staff": user_create(username="union01", password="pw-u-1", role=Role.UNION_STAFF, jurisdiction=j),
        "merchant_staff": user_create(username="union02", password="pw-u-2", role=Role.UNION_STAFF, jurisdiction=j),
        "far_staff": user_create(username="union09", password="pw-u-9", role=Role.UNION_STAFF, jurisdiction=j2),
        "admin": user_create(username="admin", password="pw-admin-1", role=Role.ADMIN, jurisdiction=j),
        "operator": user_create(username="op", password="pw-op-1", role=Role.OPERATOR, jurisdiction=j),
        "worker": user_create(username="gw", password="pw-gw-1", role=Role.GRID_WORKER, jurisdiction=j),
    }
    services.union_staff_add(union=riders, user=users["staff"])
    services.union_staff_add(union=merchants, user=users["merchant_staff"])
    services.union_staff_add(union=far, user=users["far_staff"])
    return {"j": j, "riders": riders, "merchants": merchants, "far": far, "users": users}


def joined(union, phone: str = PHONE, **extra):
    """Ask for a code and join with it (the happy path)."""
    services.join_code_request(union=union, phone=phone)
    return services.membership_join(**join_args(union, phone=phone, code=last_code(phone), **extra))
