"""Unions over HTTP: the public join API and page need no account and answer bad input with a precise 4xx
(problem+json for the API), never a 500; the card shows the full name only to its holder; the console and
the member API are scoped: the union's own staff see everything, the street's roles see it masked, other
unions' staff and everyone else see nothing; exports are logged."""

import io
from datetime import timedelta

from django.test import Client
from django.utils import timezone
from python_calamine import CalamineWorkbook

from wangge.unions import services
from wangge.unions.models import ExportLog, Membership, PhoneConfirmation
from wangge.unions.tests.conftest import PHONE, joined, last_code


def logged_in(user) -> Client:
    c = Client()
    c.force_login(user)
    return c


def api_join(c, code, **extra):
    body = {"name": "张三", "phone": PHONE, "code": code, "occupation": "delivery", "platform": "美团",
            "id_fragment": "123X", "consent": True, **extra}
    return c.post("/api/v1/unions/t1-riders/join", body, content_type="application/json")


def test_the_public_api_joins_in_two_calls_and_rejoining_returns_the_membership(unions):
    c = Client()
    info = c.get("/api/v1/unions/t1-riders")
    assert info.status_code == 200 and info.json()["join_url"].endswith("/u/t1-riders/")
    assert "delivery" in info.json()["occupations"] and "美团" in info.json()["platforms"]
    r = c.post("/api/v1/unions/t1-riders/confirmations", {"phone": PHONE}, content_type="application/json")
    assert r.status_code == 202 and r.json()["phone"] == "138****5678" and r.json()["expires_in"] == 300
    r = api_join(c, last_code())
    assert r.status_code == 201, r.content
    body = r.json()
    assert body["status"] == "pending" and body["card_url"].endswith(f"/u/card/{body['card_token']}/")
    card = c.get(f"/u/card/{body['card_token']}/")
    assert card.status_code == 200 and "张三" in card.content.decode() and body["member_no"] in card.content.decode()
    PhoneConfirmation.objects.update(created_at=timezone.now() - timedelta(minutes=2))
    c.post("/api/v1/unions/t1-riders/confirmations", {"phone": PHONE}, content_type="application/json")
    again = api_join(c, last_code(), name="别人")
    assert again.status_code == 200 and again.json()["member_no"] == body["member_no"]
    assert Membership.objects.count() == 1


def test_bad_input_over_the_api_is_a_precise_problem_and_writes_nothing(unions):
    c = Client()
    post = c.post
    checks = [
        (post("/api/v1/unions/t1-riders/confirmations", {"phone": "12345"}, content_type="application/json"), 422,
         "invalid_phone"),
        (post("/api/v1/unions/nope/confirmations", {"phone": PHONE}, content_type="application/json"), 404, "not_found"),
        (post("/api/v1/unions/t1-riders/confirmations", {}, content_type="application/json"), 422, "invalid_request"),
        (post("/api/v1/unions/t1-riders/confirmations", "not json", content_type="application/json"), 400,
         "http_error"),
        (api_join(c, "123456"), 422, "no_code"),
        (api_join(c, "12ab56"), 422, "invalid_code"),
        (api_join(c, "123456", phone="1381234567"), 422, "invalid_phone"),
        (api_join(c, "123456", id_fragment="12345"), 422, "invalid_id_fragment"),
        (api_join(c, "123456", consent=False), 422, "consent_required"),
        (api_join(c, "123456", occupation="pilot"), 422, "invalid_occupation"),
        (api_join(c, "123456", name=["x"]), 422, "invalid_request"),
    ]
    for response, status, code in checks:
        assert response.status_code == status, (code, response.content)
        assert response["Content-Type"] == "application/problem+json" and response.json()["code"] == code
    assert Membership.objects.count() == 0 and PhoneConfirmation.objects.count() == 0


def test_throttling_over_the_api_is_a_429_with_a_clear_message(unions):
    c = Client()
    ok = c.post("/api/v1/unions/t1-riders/confirmations", {"phone": PHONE}, content_type="application/json")
    assert ok.status_code == 202
    again = c.post("/api/v1/unions/t1-riders/confirmations", {"phone": PHONE}, content_type="application/json")
    assert again.status_code == 429 and again.json()["code"] == "resend_too_soon"
    assert 0 < int(again["Retry-After"]) <= 60
    assert "second" in again.json()["detail"] or "秒" in again.json()["detail"]
    real = last_code()
    wrong = f"{(int(real) + 3) % 10**6:06d}"
    for _ in range(5):
        assert api_join(c, wrong).json()["code"] == "wrong_code"
    dead = api_join(c, real)
    assert dead.status_code == 429 and dead.json()["code"] == "too_many_attempts"
    assert Membership.objects.count() == 0


def test_the_join_page_sends_a_code_keeps_the_input_and_lands_on_the_card(unions):
    c = Client()
    page = c.get("/u/t1-riders/")
    html = page.content.decode()
    assert page.status_code == 200 and 'for="id_phone"' in html and 'id="send-code"' in html
    form = {"name": "王五", "phone": "139 0000 1234", "platform": "饿了么", "occupation": "courier", "id_fragment": "",
            "code": "", "consent": "on"}
    sent = c.post("/u/t1-riders/", form | {"action": "send"})
    html = sent.content.decode()
    assert sent.status_code == 200 and "139****1234" in html and 'value="王五"' in html  # nothing lost
    bad = c.post("/u/t1-riders/", form | {"action": "join", "code": "000000" if last_code("13900001234") != "000000"
                                          else "111111"})
    assert bad.status_code == 422 and 'id="code-error"' in bad.content.decode() and Membership.objects.count() == 0
    assert 'value="王五"' in bad.content.decode()
    done = c.post("/u/t1-riders/", form | {"action": "join", "code": last_code("13900001234")})
    assert done.status_code == 302 and done["Location"].startswith("/u/card/")
    card = c.get(done["Location"]).content.decode()
    assert "王五" in card and "139****1234" in card and "<svg" in card and 'id="member-status"' in card


def test_the_join_page_shows_field_errors_with_the_right_status(unions):
    c = Client()
    r = c.post("/u/t1-riders/", {"action": "send", "phone": "1234"})
    assert r.status_code == 422 and 'id="phone-error"' in r.content.decode()
    assert 'id="name-error"' not in r.content.decode()  # sending a code needs only the phone
    r = c.post("/u/t1-riders/", {"action": "join", "name": "赵六", "phone": PHONE, "code": "123456",
                                 "occupation": "delivery", "id_fragment": "12345"})
    html = r.content.decode()
    assert r.status_code == 422 and 'id="id-fragment-error"' in html and 'id="consent-error"' in html
    c.post("/u/t1-riders/", {"action": "send", "phone": PHONE})
    r = c.post("/u/t1-riders/", {"action": "send", "phone": PHONE})
    assert r.status_code == 429 and 'id="join-error"' in r.content.decode() and 0 < int(r["Retry-After"]) <= 60
    assert c.get("/u/nope/").status_code == 404
    assert c.get("/u/card/forged-token/").status_code == 404
    assert Membership.objects.count() == 0


def test_a_closed_union_says_so(unions):
    Membership.objects.all()
    union = unions["riders"]
    union.active = False
    union.save()
    r = Client().get("/u/t1-riders/")
    assert r.status_code == 200 and 'id="union-closed"' in r.content.decode() and 'id="join-form"' not in r.content.decode()
    api = Client().post("/api/v1/unions/t1-riders/confirmations", {"phone": PHONE}, content_type="application/json")
    assert api.status_code == 409 and api.json()["code"] == "union_closed"


def test_the_card_check_shows_no_personal_data(unions):
    m, _ = joined(unions["riders"])
    r = Client().get(f"/u/v/{services.verify_token(m)}/")
    html = r.content.decode()
    assert r.status_code == 200 and m.member_no in html and "张*" in html
    assert "张三" not in html and PHONE not in html and "138****5678" not in html


def test_members_are_full_for_their_staff_masked_for_the_street_and_hidden_from_others(unions):
    m, _ = joined(unions["riders"])
    u = unions["users"]
    staff = logged_in(u["staff"]).get("/api/v1/unions/t1-riders/members").json()
    assert staff["count"] == 1 and staff["items"][0]["phone"] == PHONE and staff["items"][0]["name"] == "张三"
    assert staff["items"][0]["id_fragment"] == "123X" and staff["counts"]["pending"] == 1
    admin = logged_in(u["admin"]).get("/api/v1/unions/t1-riders/members").json()
    item = admin["items"][0]
    assert (item["phone"], item["name"], item["id_fragment"], item["masked"]) == ("138****5678", "张*", "****", True)
    for who in ("merchant_staff", "far_staff", "worker"):
        r = logged_in(u[who]).get("/api/v1/unions/t1-riders/members")
        assert r.status_code == 404, who
    assert Client().get("/api/v1/unions/t1-riders/members").status_code == 401
    listing = {x["code"]: x["staff"] for x in logged_in(u["merchant_staff"]).get("/api/v1/unions").json()}
    assert listing == {"t1-merchants": True}
    listing = {x["code"]: x["staff"] for x in logged_in(u["admin"]).get("/api/v1/unions").json()}
    assert listing == {"t1-riders": False, "t1-merchants": False}
    # Pages: the same scoping.
    page = logged_in(u["staff"]).get("/unions/t1-riders/").content.decode()
    assert "张三" in page and PHONE in page and 'id="export-link"' in page and "approve" in page
    page = logged_in(u["operator"]).get("/unions/t1-riders/").content.decode()
    assert "张三" not in page and PHONE not in page and "138****5678" in page and 'id="masked-note"' in page
    assert 'id="export-link"' not in page and 'class="approve"' not in page
    assert logged_in(u["merchant_staff"]).get("/unions/t1-riders/").status_code == 404
    assert logged_in(u["far_staff"]).get("/unions/t1-riders/poster/").status_code == 404
    assert logged_in(u["worker"]).get("/unions/").status_code == 403
    assert Client().get("/unions/t1-riders/").status_code == 302  # to the login page


def test_search_and_filter_and_pagination_over_the_api(unions):
    joined(unions["riders"])
    joined(unions["riders"], phone="13900002222", name="李四", platform="饿了么")
    c = logged_in(unions["users"]["staff"])
    assert [x["name"] for x in c.get("/api/v1/unions/t1-riders/members?q=饿了").json()["items"]] == ["李四"]
    assert c.get("/api/v1/unions/t1-riders/members?status=approved").json()["count"] == 0
    page = c.get("/api/v1/unions/t1-riders/members?limit=1&offset=1").json()
    assert page["count"] == 2 and len(page["items"]) == 1
    assert c.get("/api/v1/unions/t1-riders/members?limit=abc").status_code == 422


def test_review_over_the_api_and_the_console(unions):
    m1, _ = joined(unions["riders"])
    m2, _ = joined(unions["riders"], phone="13900002222", name="李四")
    u = unions["users"]
    url = f"/api/v1/unions/t1-riders/members/{m1.pk}/actions"
    assert logged_in(u["admin"]).post(f"{url}/approve", {}, content_type="application/json").status_code == 403
    assert logged_in(u["merchant_staff"]).post(f"{url}/approve", {}, content_type="application/json").status_code == 404
    staff = logged_in(u["staff"])
    r = staff.post(f"{url}/reject", {"reason": ""}, content_type="application/json")
    assert r.status_code == 422 and r.json()["code"] == "reason_required"
    assert staff.post(f"{url}/fly", {}, content_type="application/json").status_code == 404
    r = staff.post(f"{url}/approve", {}, content_type="application/json")
    assert r.status_code == 200 and r.json()["status"] == "approved" and r.json()["reviewed_by"] == "union01"
    again = staff.post(f"{url}/reject", {"reason": "不对"}, content_type="application/json")
    assert again.status_code == 409 and again.json()["code"] == "already_reviewed"
    # The console: reject with a reason, keeping the filter.
    r = staff.post(f"/unions/t1-riders/members/{m2.pk}/reject/", {"reason": "", "status": "pending"})
    assert r.status_code == 422 and 'id="review-error"' in r.content.decode()
    r = staff.post(f"/unions/t1-riders/members/{m2.pk}/reject/", {"reason": "非本街道从业", "status": "pending"})
    assert r.status_code == 302 and r["Location"] == "/unions/t1-riders/?status=pending"
    m2.refresh_from_db()
    assert m2.status == "rejected" and m2.reason == "非本街道从业"
    assert logged_in(u["operator"]).post(f"/unions/t1-riders/members/{m1.pk}/approve/").status_code == 403
    assert logged_in(u["merchant_staff"]).post(f"/unions/t1-riders/members/{m1.pk}/approve/").status_code == 404
    # The rider's card shows the reason.
    card = Client().get(f"/u/card/{services.card_token(m2)}/").content.decode()
    assert "非本街道从业" in card and 'id="member-reason"' in card


def test_exports_are_for_the_unions_staff_and_logged(unions):
    joined(unions["riders"])
    u = unions["users"]
    assert logged_in(u["admin"]).get("/api/v1/unions/t1-riders/members/export").status_code == 403
    assert logged_in(u["admin"]).get("/unions/t1-riders/export.xlsx").status_code == 403
    assert logged_in(u["merchant_staff"]).get("/unions/t1-riders/export.xlsx").status_code == 404
    assert ExportLog.objects.count() == 0
    r = logged_in(u["staff"]).get("/api/v1/unions/t1-riders/members/export?status=pending")
    assert r.status_code == 200 and r["Content-Type"].startswith("application/vnd.openxmlformats")
    rows = CalamineWorkbook.from_filelike(io.BytesIO(r.content)).get_sheet_by_index(0).to_python()
    assert rows[1][1] == "张三" and rows[1][2] == PHONE
    r = logged_in(u["staff"]).get("/unions/t1-riders/export.xlsx?status=approved")
    assert r.status_code == 200 and r["Cache-Control"] == "private, no-store"
    logs = list(ExportLog.objects.order_by("at", "id").values_list("username", "rows", "filters"))
    assert logs == [("union01", 1, {"status": "pending", "q": ""}), ("union01", 0, {"status": "approved", "q": ""})]


def test_the_poster_has_a_qr_code_of_the_join_page(unions):
    r = logged_in(unions["users"]["staff"]).get("/unions/t1-riders/poster/")
    html = r.content.decode()
    assert r.status_code == 200 and "http://testserver/u/t1-riders/" in html and '<svg viewBox="0 0 ' in html
    assert unions["riders"].name in html
    assert logged_in(unions["users"]["admin"]).get("/unions/t1-riders/poster/").status_code == 200
    console = logged_in(unions["users"]["admin"]).get("/unions/").content.decode()
    assert "t1-riders" in console and "t1-merchants" in console and "t2-riders" not in console


def test_masked_viewers_cannot_search_by_phone_and_lists_take_few_queries(unions, django_assert_max_num_queries):
    for i in range(8):
        m, _ = joined(unions["riders"], phone=f"1390000{i:04d}", name=f"会员{i}")
        if i % 2:
            services.membership_review(union=unions["riders"], membership_id=m.pk, actor=unions["users"]["staff"],
                                       approve=True)
    admin = logged_in(unions["users"]["admin"])
    # A masked viewer's search is ignored: a phone number cannot be confirmed by searching for it.
    assert admin.get("/api/v1/unions/t1-riders/members?q=13900000003").json()["count"] == 8
    staff = logged_in(unions["users"]["staff"])
    assert staff.get("/api/v1/unions/t1-riders/members?q=13900000003").json()["count"] == 1
    with django_assert_max_num_queries(8):  # session, user, union, staff check, count, status counts, page
        body = staff.get("/api/v1/unions/t1-riders/members?limit=200").json()
    assert body["count"] == 8 and {x["reviewed_by"] for x in body["items"]} == {None, "union01"}
    with django_assert_max_num_queries(10):
        page = staff.get("/unions/t1-riders/")
    assert page.status_code == 200 and page.content.decode().count('class="approve"') == 4
