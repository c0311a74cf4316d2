"""Demo data for the outreach app (called by seed_demo): the street's 暖新十条 catalogue, two upcoming events
with seats, a published needs survey with answers, the 《小哥公约》 and a few riders in community governance.
Everything goes through the services, so the demo obeys the same rules as real input."""

from __future__ import annotations

import random
from datetime import timedelta

from django.utils import timezone

from wangge.accounts.models import Role, User
from wangge.accounts.services import user_create
from wangge.core.models import Jurisdiction
from wangge.outreach import services
from wangge.outreach.models import Service

CATALOGUE = [
    ("medical", "小哥医靠·家庭医生签约", "社区卫生服务中心为快递外卖小哥签约家庭医生，常见病就近看、慢病随访、健康咨询。",
     "社区卫生服务中心", "到社区卫生服务中心一楼签约窗口出示骑手App个人页即可办理；每月第二个周三有小哥专场免费体检。"),
    ("counselling", "暖心驿站·心理疏导", "一对一心理咨询与情绪疏导，遇到投诉、差评、家庭压力时可以找人聊一聊。",
     "街道社会工作服务站", "每周二、周四 19:00–21:00 在暖新驿站，或拨打 12356 心理援助热线。"),
    ("course", "技能提升·新就业形态劳动者课堂", "电动车安全维修、学历提升（开放大学）、直播带货等课程，结业发证书。",
     "街道总工会 · 社区学校", "在下方活动中报名；课程免费，提供茶歇。"),
    ("shopping", "爱心商户·优惠购", "辖区 30 余家爱心商户为小哥提供餐饮、理发、洗衣等 8 折起优惠。",
     "街道商会", "出示工会会员卡或骑手App个人页即可享受；商户门口贴有“爱心商户”标识。"),
    ("insurance", "职工互助保障·新就业形态专享", "工会会员免费参加住院医疗互助保障和意外伤害互助保障。",
     "上海市职工保障互助会", "入会后由工会统一办理，无需个人缴费；出险后 30 日内联系工会站点申请。"),
    ("legal", "法律援助·劳动争议咨询", "工资结算、劳动关系、交通事故责任等问题免费法律咨询。",
     "街道公共法律服务工作站", "每周三下午律师坐班，或在驿站扫码预约。"),
    ("other", "暖新驿站·歇脚充电", "驿站提供饮水、微波炉、充电、空调和卫生间，雨天可借伞。",
     "街道党群服务中心", "在“驿站”页面查找最近的开放驿站。"),
]

QUESTIONS = [
    {"id": "need", "type": "single", "label": "您最需要哪一项服务？", "required": True,
     "options": ["免费体检", "心理疏导", "技能培训", "法律咨询", "子女托管"]},
    {"id": "time", "type": "multiple", "label": "什么时间参加活动最方便？（可多选）", "required": True,
     "options": ["工作日上午", "工作日下午 2–4 点", "晚上 8 点后", "周末"]},
    {"id": "station", "type": "rating", "label": "您对街道暖新驿站的满意度", "required": True},
    {"id": "advice", "type": "text", "label": "还有什么建议或困难想告诉我们？", "max_length": 300},
]

ADVICE = ["希望驿站晚上开到 11 点", "充电插座再多一些", "希望有小孩暑期托管", "小区门禁能不能给骑手开通", "", "", ""]

CONVENTION = """一、安全骑行：遵守交通信号，不闯红灯、不逆行、不走机动车道，佩戴安全头盔。
二、文明配送：礼貌待人，进小区按规定路线和停放点停车，不在人行道乱停乱放。
三、守护社区：发现安全隐患、矛盾纠纷、需要帮助的老人，及时通过“上报问题”反映，做流动网格员。
四、互帮互助：遇到同行困难主动帮一把，驿站设施共同爱护。
五、依法维权：遇到劳动争议通过工会、法律援助工作站依法表达诉求。"""

RIDERS = [
    ("陈志强", "13916620101", "美团", "mobile_grid", 420, "长寿路片区流动网格员，已上报隐患 37 件"),
    ("刘小军", "13816620102", "饿了么", "mobile_grid", 300, ""),
    ("赵敏", "13716620103", "顺丰", "volunteer", 200, "驿站志愿者，每周六值守"),
    ("孙浩", "13616620104", "京东", "safety", 150, "骑行安全劝导员"),
    ("周建华", "13516620105", "闪送", "volunteer", 90, ""),
    ("吴磊", "13916620106", "美团", "mobile_grid", 700, "已转岗，暂停"),
]


def _staff(jurisdiction: Jurisdiction) -> User:
    from wangge.grids.demo import DEMO_PASSWORD

    return User.objects.filter(username="outreach").first() or user_create(
        username="outreach", password=DEMO_PASSWORD, role=Role.UNION_STAFF, jurisdiction=jurisdiction,
        full_name="工会服务站 周老师")


def demo_outreach_load(*, jurisdiction: Jurisdiction) -> None:
    if Service.objects.filter(jurisdiction=jurisdiction).exists():
        return
    rng = random.Random(20261125)
    staff = _staff(jurisdiction)
    made = {}
    for order, (kind, title, description, provider, how) in enumerate(CATALOGUE, start=1):
        made[kind] = services.service_create(jurisdiction=jurisdiction, actor=staff, kind=kind, title=title,
                                             description=description, provider=provider, how_to_use=how,
                                             order=order * 10)

    day = timezone.localtime().replace(hour=0, minute=0, second=0, microsecond=0)
    checkup = day + timedelta(days=6, hours=9)
    course = day + timedelta(days=9, hours=20)
    e1 = services.event_create(service=made["medical"], actor=staff, title="小哥专场免费体检", place="社区卫生服务中心二楼体检科",
                               starts_at=checkup, ends_at=checkup + timedelta(hours=3), capacity=30,
                               signup_closes_at=checkup - timedelta(days=1))
    e2 = services.event_create(service=made["course"], actor=staff, title="电动车安全与简单维修（夜间班）",
                               place="暖新驿站（长寿路站）活动室", starts_at=course, ends_at=course + timedelta(hours=2),
                               capacity=12)
    signups = [("王大伟", "13900110001"), ("李强", "13900110002"), ("张磊", "13900110003"), ("马超", "13900110004"),
               ("黄晓明", "13900110005")]
    for i, (name, phone) in enumerate(signups):
        services.event_signup(event_id=e1.pk, name=name, phone=phone, source_key=f"demo-{i}")
    for i, (name, phone) in enumerate(signups[:3] + [("徐刚", "13900110006")]):
        services.event_signup(event_id=e2.pk, name=name, phone=phone, source_key=f"demo-c{i}")

    survey = services.survey_create(jurisdiction=jurisdiction, actor=staff, title="2026 年新就业群体需求调查",
                                    intro="花 1 分钟告诉我们您最需要什么，街道和工会据此安排服务。匿名填写。",
                                    questions=QUESTIONS)
    services.survey_transition(survey=survey, actor=staff, action="publish")
    needs = QUESTIONS[0]["options"]
    times = QUESTIONS[1]["options"]
    for i in range(23):
        answers = {"need": rng.choices(needs, weights=[5, 2, 4, 3, 2])[0],
                   "time": rng.sample(times, rng.randint(1, 2)),
                   "station": rng.choices([1, 2, 3, 4, 5], weights=[1, 1, 3, 6, 5])[0],
                   "advice": rng.choice(ADVICE)}
        services.survey_answer(code=survey.code, answers=answers, device_key=f"demo-device-{i}",
                               idempotency_key=f"demo-answer-{i}")

    services.convention_publish(jurisdiction=jurisdiction, actor=staff, title="小哥公约", text=CONVENTION)
    today = timezone.localdate()
    for name, phone, platform, role, days, note in RIDERS:
        rider = services.rider_add(jurisdiction=jurisdiction, actor=staff, name=name, phone=phone, platform=platform,
                                   role=role, active_since=today - timedelta(days=days), note=note)
        if note.startswith("已转岗"):
            services.rider_set_active(jurisdiction=jurisdiction, actor=staff, rider_id=rider.pk, active=False)
        elif role == "mobile_grid":
            services.convention_sign(jurisdiction=jurisdiction, version_number=1, name=name, phone=phone)
