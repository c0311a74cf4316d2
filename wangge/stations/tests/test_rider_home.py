"""The riders' home page links every service: the unions accepting members, the open surveys, stations."""

from datetime import timedelta

from django.utils import timezone

from wangge.outreach import services as outreach
from wangge.stations.tests.conftest import make_station
from wangge.unions import services as unions

QUESTIONS = [{"id": "q1", "type": "single", "label": "最需要什么？", "options": ["充电", "饮水"], "required": True}]


def test_the_riders_home_lists_what_a_rider_can_use_now(client, territory):
    j = territory
    unions.union_create(jurisdiction=j, name="新就业形态劳动者工会联合会", code="riders")
    unions.union_create(jurisdiction=j, name="已停止入会的工会", code="closed-union", active=False)
    open_now = outreach.survey_create(jurisdiction=j, actor=None, title="骑手需求调查", questions=QUESTIONS)
    outreach.survey_transition(survey=open_now, actor=None, action="publish")
    outreach.survey_create(jurisdiction=j, actor=None, title="草稿问卷", questions=QUESTIONS)
    ended = outreach.survey_create(jurisdiction=j, actor=None, title="过期问卷", questions=QUESTIONS,
                                   closes_at=timezone.now() + timedelta(seconds=1))
    outreach.survey_transition(survey=ended, actor=None, action="publish")
    make_station(j, "一号驿站", 500, 500, ["water"])
    ended.closes_at = timezone.now() - timedelta(minutes=1)
    ended.opens_at = ended.closes_at - timedelta(days=1)
    ended.save(update_fields=["closes_at", "opens_at"])

    response = client.get("/rider/")
    assert response.status_code == 200
    html = response.content.decode()
    assert "/u/riders/" in html and "closed-union" not in html  # only unions taking members
    assert "骑手需求调查" in html and "草稿问卷" not in html and "过期问卷" not in html
    assert response.context["station_count"] == 1
    for anchor in ("rider-stations", "rider-join", "rider-report", "rider-services"):
        assert f'id="{anchor}"' in html


def test_the_riders_home_without_a_street_is_a_404(client, db):
    assert client.get("/rider/").status_code == 404
