"""Demo data for the unions app (called by seed_demo): a new-form workers' union federation and a merchants'
joint union, their staff logins (union01, union02), and a few members waiting for review or approved."""

from __future__ import annotations

from django.db import transaction
from django.utils import timezone

from wangge.accounts.models import Role, User
from wangge.accounts.services import user_create
from wangge.grids.demo import DEMO_PASSWORD
from wangge.unions.models import Occupation, Union, UnionKind
from wangge.unions.services import membership_record, membership_review, union_create, union_staff_add

RIDERS = [  # name, phone, id fragment, platform, occupation, reviewed
    ("张建国", "13800138001", "123X", "美团", Occupation.DELIVERY, "approve"),
    ("李明", "13800138002", "4567", "饿了么", Occupation.DELIVERY, "approve"),
    ("王芳", "13800138003", "", "顺丰", Occupation.COURIER, ""),
    ("赵磊", "13800138004", "0021", "滴滴", Occupation.RIDE_HAILING, ""),
    ("陈强", "13800138005", "8888", "京东", Occupation.COURIER, "reject"),
]
MERCHANTS = [("刘小燕", "13900139001", "", "", Occupation.MERCHANT, "approve"),
             ("周海", "13900139002", "3344", "", Occupation.MERCHANT, "")]


def _staff(username: str, full_name: str, jurisdiction) -> User:
    return User.objects.filter(username=username).first() or user_create(
        username=username, password=DEMO_PASSWORD, role=Role.UNION_STAFF, jurisdiction=jurisdiction,
        full_name=full_name)


@transaction.atomic
def demo_unions_load(*, jurisdiction) -> None:
    prefix = jurisdiction.code.lower().replace("_", "-")[:20]
    specs = [
        (f"{prefix}-riders", f"{jurisdiction.name}新就业形态劳动者工会联合会", UnionKind.NEW_EMPLOYMENT,
         "外卖小哥、快递小哥、网约车司机：扫码一键入会，享受驿站服务、法律援助、健康体检和节日慰问。",
         "union01", "工会干事小周", RIDERS),
        (f"{prefix}-merchants", f"{jurisdiction.name}商户联合工会", UnionKind.MERCHANT,
         "沿街商户和店员的联合工会：权益维护、技能培训、困难帮扶。", "union02", "工会干事小吴", MERCHANTS),
    ]
    now = timezone.now()
    for code, name, kind, intro, username, staff_name, people in specs:
        if Union.objects.filter(code=code).exists():
            continue
        union = union_create(jurisdiction=jurisdiction, name=name, code=code, kind=kind, intro=intro,
                             contact_phone="021-12345678")
        staff = _staff(username, staff_name, jurisdiction)
        union_staff_add(union=union, user=staff)
        for person_name, phone, id_fragment, platform, occupation, review in people:
            membership, _created = membership_record(union=union, name=person_name, phone=phone, id_fragment=id_fragment,
                                                     platform=platform, occupation=occupation, confirmed_at=now)
            if review:
                membership_review(union=union, membership_id=membership.pk, actor=staff, approve=review == "approve",
                                  reason="" if review == "approve" else "所填平台与工作证明不符，请核对后重新申请")
