from datetime import timedelta

import pytest
from django.utils import timezone

from wangge.accounts.models import Role
from wangge.accounts.services import user_create
from wangge.outreach import services

QUESTIONS = [
    {"id": "need", "type": "single", "label": "最需要哪项服务？", "required": True, "options": ["体检", "心理咨询", "技能培训"]},
    {"id": "when", "type": "multiple", "label": "什么时间方便？", "options": ["上午", "下午", "晚上"]},
    {"id": "stars", "type": "rating", "label": "对驿站满意吗？", "required": True},
    {"id": "say", "type": "text", "label": "还有什么建议？", "max_length": 50},
]


@pytest.fixture
def outreach(people, territory):
    """The fixture street with union staff, a service with two events (one with two seats) and a survey."""
    j = territory
    users = dict(people)
    users["union"] = user_create(username="union", password="pw-union-1", role=Role.UNION_STAFF, jurisdiction=j,
                                 full_name="工会小周")
    staff = users["union"]
    service = services.service_create(jurisdiction=j, actor=staff, kind="medical", title="小哥医靠·免费体检",
                                      description="社区卫生服务中心每月一次", provider="社区卫生服务中心",
                                      how_to_use="报名后带身份证到场")
    soon = timezone.now() + timedelta(days=3)
    small = services.event_create(service=service, actor=staff, title="免费体检（上午场）", place="社区卫生服务中心二楼",
                                  starts_at=soon, ends_at=soon + timedelta(hours=3), capacity=2)
    big = services.event_create(service=service, actor=staff, title="免费体检（下午场）", place="社区卫生服务中心二楼",
                                starts_at=soon + timedelta(hours=5), ends_at=soon + timedelta(hours=8), capacity=30)
    survey = services.survey_create(jurisdiction=j, actor=staff, title="小哥需求调查", intro="占用您一分钟",
                                    questions=QUESTIONS)
    survey = services.survey_transition(survey=survey, actor=staff, action="publish")
    return {"j": j, "users": users, "service": service, "small": small, "big": big, "survey": survey}
