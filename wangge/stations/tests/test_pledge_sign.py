"""Merchants sign their own pledges: the service (confirmed phone, duplicates, each bad input changes nothing),
the public two-step page (send code → sign), and what staff and the public see of a merchant-signed pledge."""

import json
from datetime import timedelta

import pytest
from django.test import Client
from django.utils import timezone

from wangge.core.errors import ApplicationError
from wangge.grids.tests.test_browser import live_url  # noqa: F401 - fixture
from wangge.routing.coords import from_wgs84
from wangge.stations import services
from wangge.stations.models import Pledge
from wangge.stations.tests.conftest import at
from wangge.unions.models import PhoneConfirmation
from wangge.unions.services import phone_confirmation_start
from wangge.unions.tests.conftest import last_code, outbox  # noqa: F401 (the SMS outbox, emptied per test)

PHONE = "13912345678"


def logged_in(user) -> Client:
    c = Client()
    c.force_login(user)
    return c


def sign_args(j, **extra) -> dict:
    p = at(480, 480)
    today = timezone.localdate()
    return {"jurisdiction": j, "merchant": "阿婆馄饨", "address": "测试路 12 号", "lon": p.x, "lat": p.y,
            "kind": "frontage", "text": "门前市容、环境卫生、秩序三包", "valid_from": today,
            "valid_until": today + timedelta(days=365), "contact_name": "王阿婆", "contact_phone": PHONE,
            "code": "", "consent": True, **extra}


def signed(j, **extra):
    services.pledge_sign_code_request(phone=extra.get("contact_phone", PHONE))
    return services.pledge_sign(**sign_args(j, code=last_code(extra.get("contact_phone", PHONE)), **extra))


def test_a_merchant_signs_with_a_confirmed_phone(territory):
    pledge, created = signed(territory)
    assert created and pledge.signed_by_merchant and pledge.phone_confirmed_at is not None
    assert pledge.contact_phone == PHONE and pledge.kind == "frontage" and pledge.grid_id is not None
    assert PhoneConfirmation.objects.get(phone=PHONE, purpose="pledge").used_at is not None
    # A staff-recorded pledge is not marked.
    p = at(100, 100)
    staff = services.pledge_create(jurisdiction=territory, actor=None, merchant="书店", kind="free_water", text="饮水",
                                   valid_from=timezone.localdate(), valid_until=None, lon=p.x, lat=p.y)
    assert not staff.signed_by_merchant


def test_the_same_phone_merchant_and_kind_overlapping_is_the_existing_pledge(territory):
    first, _ = signed(territory)
    PhoneConfirmation.objects.update(created_at=timezone.now() - timedelta(minutes=5))  # past the resend cool-down
    today = timezone.localdate()
    again, created = signed(territory, valid_from=today + timedelta(days=100), valid_until=today + timedelta(days=500))
    assert not created and again.pk == first.pk and Pledge.objects.count() == 1
    # Another kind, or a period after the first one ends, is a new pledge.
    PhoneConfirmation.objects.update(created_at=timezone.now() - timedelta(minutes=5))
    other, created = signed(territory, kind="free_water", text="免费饮水")
    assert created and other.pk != first.pk
    PhoneConfirmation.objects.update(created_at=timezone.now() - timedelta(minutes=5))
    later, created = signed(territory, valid_from=today + timedelta(days=366), valid_until=today + timedelta(days=700))
    assert created and Pledge.objects.count() == 3


@pytest.mark.parametrize("extra, code", [
    ({"merchant": "  "}, "invalid_merchant"),
    ({"address": ""}, "invalid_address"),
    ({"kind": "bribe"}, "invalid_kind"),
    ({"text": ""}, "invalid_text"),
    ({"contact_name": ""}, "invalid_contact_name"),
    ({"contact_phone": "12345"}, "invalid_phone"),
    ({"consent": False}, "consent_required"),
    ({"lon": 120.0, "lat": 30.0}, "outside_jurisdiction"),
    ({"valid_until": None}, "invalid_date"),
    ({"valid_until": "2026-01-01"}, "invalid_date"),
    ({"valid_from_days": 10, "valid_until_days": 5}, "invalid_date"),
    ({"valid_from_days": 0, "valid_until_days": 3 * 366 + 1}, "invalid_date"),
    ({"valid_from_days": -31, "valid_until_days": 30}, "invalid_date"),
])
def test_bad_input_is_refused_writes_nothing_and_keeps_the_code(territory, extra, code):
    today = timezone.localdate()
    if "valid_from_days" in extra:
        extra = {"valid_from": today + timedelta(days=extra["valid_from_days"]),
                 "valid_until": today + timedelta(days=extra["valid_until_days"])}
    services.pledge_sign_code_request(phone=PHONE)
    with pytest.raises(ApplicationError) as exc:
        services.pledge_sign(**sign_args(territory, code=last_code(PHONE), **extra))
    assert exc.value.code == code and exc.value.status == 422
    assert Pledge.objects.count() == 0
    assert PhoneConfirmation.objects.get(phone=PHONE).used_at is None  # a typo elsewhere does not burn the code


def test_wrong_missing_and_expired_codes_are_refused(territory):
    with pytest.raises(ApplicationError) as exc:
        services.pledge_sign(**sign_args(territory, code="123456"))
    assert exc.value.code == "no_code"
    services.pledge_sign_code_request(phone=PHONE)
    good = last_code(PHONE)
    with pytest.raises(ApplicationError) as exc:
        services.pledge_sign(**sign_args(territory, code="000000" if good != "000000" else "111111"))
    assert exc.value.code == "wrong_code"
    assert PhoneConfirmation.objects.get(phone=PHONE).attempts == 1  # the wrong try is counted, not rolled back
    PhoneConfirmation.objects.update(expires_at=timezone.now() - timedelta(seconds=1))
    with pytest.raises(ApplicationError) as exc:
        services.pledge_sign(**sign_args(territory, code=good))
    assert exc.value.code == "code_expired" and Pledge.objects.count() == 0
    # A code sent for another purpose (joining a union) does not sign a pledge.
    PhoneConfirmation.objects.all().delete()
    phone_confirmation_start(phone=PHONE, purpose="join:t1-riders")
    with pytest.raises(ApplicationError) as exc:
        services.pledge_sign(**sign_args(territory, code=last_code(PHONE)))
    assert exc.value.code == "no_code" and Pledge.objects.count() == 0


def page_form(**extra) -> dict:
    p = at(480, 480)
    glon, glat = from_wgs84(p.x, p.y, "gcj02")
    today = timezone.localdate()
    return {"j": "T1", "merchant": "阿婆馄饨", "address": "测试路 12 号",
            "where": f"https://uri.amap.com/marker?position={glon},{glat}", "kind": "frontage",
            "text": "门前三包", "valid_from": today.isoformat(), "valid_until": (today + timedelta(days=365)).isoformat(),
            "contact_name": "王阿婆", "contact_phone": PHONE, "consent": "1", **extra}


def test_the_sign_page_two_steps(territory):
    c = Client()
    page = c.get("/stations/pledges/sign/", {"j": "T1"})
    html = page.content.decode()
    assert page.status_code == 200 and 'id="send-code"' in html and 'value="frontage"' in html
    sent = c.post("/stations/pledges/sign/", page_form(action="send"))
    assert sent.status_code == 200 and 'id="code-sent"' in sent.content.decode() and "139****5678" in sent.content.decode()
    assert 'value="阿婆馄饨"' in sent.content.decode()  # the form is kept
    again = c.post("/stations/pledges/sign/", page_form(action="send"))
    assert again.status_code == 429 and int(again["Retry-After"]) > 0
    code = last_code(PHONE)
    bad = c.post("/stations/pledges/sign/", page_form(action="sign", code="000000" if code != "000000" else "111111"))
    assert bad.status_code == 422 and 'id="sign-error"' in bad.content.decode() and Pledge.objects.count() == 0
    done = c.post("/stations/pledges/sign/", page_form(action="sign", code=code))
    assert done.status_code == 302 and "/stations/pledges/signed/" in done["Location"]
    pledge = Pledge.objects.get()
    assert pledge.signed_by_merchant and pledge.merchant == "阿婆馄饨"
    assert abs(pledge.lon - at(480, 480).x) < 1e-5 and abs(pledge.lat - at(480, 480).y) < 1e-5  # GCJ-02 → WGS84
    thanks = c.get(done["Location"])
    body = thanks.content.decode()
    assert thanks.status_code == 200 and 'id="signed-notice"' in body and "139****5678" in body and PHONE not in body
    assert c.get("/stations/pledges/signed/forged-token/").status_code == 404
    # Signing the same again (a new code) shows the existing pledge.
    PhoneConfirmation.objects.update(created_at=timezone.now() - timedelta(minutes=5))
    c.post("/stations/pledges/sign/", page_form(action="send"))
    dup = c.post("/stations/pledges/sign/", page_form(action="sign", code=last_code(PHONE)), follow=True)
    assert dup.status_code == 200 and 'id="signed-existing"' in dup.content.decode() and Pledge.objects.count() == 1


@pytest.mark.parametrize("extra, status, field", [
    ({"contact_phone": "1234", "action": "send"}, 422, "sign-phone"),
    ({"contact_phone": "1234"}, 422, "sign-phone"),
    ({"where": "120.0,30.0"}, 422, "sign-where"),
    ({"where": ""}, 422, "sign-where"),
    ({"where": "https://example.com/x"}, 422, "sign-where"),
    ({"valid_until": "2020-01-01"}, 422, "sign-until"),
    ({"valid_until": "tomorrow"}, 422, "sign-until"),
    ({"merchant": ""}, 422, "sign-merchant"),
    ({"kind": ""}, 422, "sign-kind"),
    ({"consent": ""}, 422, "sign-consent"),
    ({"code": "12"}, 422, "sign-code"),
])
def test_the_sign_page_refuses_bad_input_keeping_the_form(territory, extra, status, field):
    form = page_form(action="sign", code="123456")
    form.update(extra)
    r = Client().post("/stations/pledges/sign/", form)
    html = r.content.decode()
    assert r.status_code == status and 'id="sign-error"' in html
    assert f'id="{field}"' in html and 'aria-invalid="true"' in html.split(f'id="{field}"')[1].split(">")[0]
    assert 'value="测试路 12 号"' in html and Pledge.objects.count() == 0


def test_an_unknown_street_is_404(territory):
    assert Client().get("/stations/pledges/sign/", {"j": "nowhere"}).status_code == 404


def test_staff_see_merchant_signed_pledges_in_full_the_public_masked(street, pledges):
    mine, _ = signed(street["j"])
    users = street["users"]
    r = logged_in(users["union"]).get("/stations/pledges/")
    html = r.content.decode()
    assert r.status_code == 200 and f'data-signed="{mine.pk}"' in html and PHONE in html
    assert 'id="pledge-sign-link"' in html
    data = json.loads(html.split('id="pledge-data" type="application/json">')[1].split("</script>")[0])
    marks = {p["id"]: p["signed_by_merchant"] for p in data["pledges"]}
    assert marks[mine.pk] is True and marks[pledges["active"].pk] is False
    assert all("contact_phone" not in p for p in data["pledges"])
    assert logged_in(users["host"]).get("/stations/pledges/").status_code == 403
    assert Client().get("/stations/pledges/").status_code == 302
    # Riders see it in the finder with the contact masked, and the finder links to the sign page.
    c = street["centre"]
    finder = Client().get("/stations/", {"lon": c.x, "lat": c.y, "j": "T1"}).content.decode()
    assert "阿婆馄饨" in finder and PHONE not in finder and 'id="pledge-sign-footer"' in finder
    api = Client().get("/api/v1/stations/pledges/nearby", {"lon": c.x, "lat": c.y}).json()
    mine_out = next(p for p in api if p["id"] == mine.pk)
    assert mine_out["contact_phone"] == "139****5678" and mine_out["signed_by_merchant"] is True


@pytest.mark.browser
def test_a_merchant_signs_on_a_phone_and_staff_see_it_on_the_map(live_url, street, tmp_path):  # noqa: F811
    from pathlib import Path

    from playwright.sync_api import expect, sync_playwright

    from wangge.cases.tests.test_browser import orm
    from wangge.grids.tests.test_browser import ARTIFACTS, CHROMIUM, CHROMIUM_ARGS
    from wangge.stations.tests.test_browser import PHONE as PHONE_SIZE

    if not Path(CHROMIUM).exists():
        pytest.fail(f"{CHROMIUM} is missing: scripts/setup --test installs Debian's chromium")
    form = page_form()
    errors: list[str] = []
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, headless=True, args=CHROMIUM_ARGS)
        context = browser.new_context(**PHONE_SIZE, locale="zh-CN")
        page = context.new_page()
        page.on("pageerror", lambda exc: errors.append(str(exc)))
        # The 422 of the refused form (consent not ticked) is the page working, not an error.
        page.on("console", lambda msg: errors.append(msg.text) if msg.type == "error" and "422" not in msg.text
                else None)
        page.goto(live_url + "/stations/pledges/sign/?j=T1")
        for name in ("merchant", "address", "where", "text", "valid_from", "valid_until", "contact_name",
                     "contact_phone"):
            page.fill(f"#pledge-sign-form [name={name}]", form[name])
        page.select_option("#sign-kind", "frontage")
        page.click("#send-code")
        expect(page.locator("#code-sent")).to_contain_text("139****5678")
        expect(page.locator("#sign-merchant")).to_have_value("阿婆馄饨")  # kept across the step
        page.fill("#sign-code", last_code(PHONE))
        page.click("#sign-submit")
        expect(page.locator("#sign-error")).to_be_visible()  # consent not ticked yet: refused, nothing spent
        page.check("#sign-consent")
        page.click("#sign-submit")
        expect(page.locator("#signed-notice")).to_be_visible()
        expect(page.locator("#cert-contact")).to_contain_text("139****5678")
        assert page.evaluate("document.documentElement.scrollWidth") <= 390
        ARTIFACTS.mkdir(exist_ok=True)
        page.screenshot(path=str(ARTIFACTS / "stations-pledge-signed-phone.png"), full_page=True)
        staff = browser.new_context(locale="zh-CN").new_page()
        staff.on("pageerror", lambda exc: errors.append(str(exc)))
        staff.goto(live_url + "/accounts/login/")
        staff.fill("#id_username", "union1")
        staff.fill("#id_password", "pw-union-1")
        staff.click("button[type=submit].primary")
        staff.goto(live_url + "/stations/pledges/")
        expect(staff.locator("#pledge-map")).to_have_attribute("data-loaded", "1")
        expect(staff.locator("#pledge-list .tag.signed")).to_have_count(1)
        expect(staff.locator("#pledge-list")).to_contain_text(PHONE)
        context.close()
        browser.close()
    assert errors == [], errors
    assert orm(lambda: Pledge.objects.filter(signed_by_merchant=True).count()) == 1
