"""After login each role lands where it works."""

import pytest

from wangge.accounts.models import Role
from wangge.accounts.services import user_create
from wangge.unions.services import union_create, union_staff_add


@pytest.mark.parametrize(("role", "where"), [(Role.UNION_STAFF, "/unions/"), (Role.STATION_HOST, "/stations/host/"),
                                             (Role.OPERATOR, "/"), (Role.GRID_WORKER, "/")])
def test_login_lands_on_the_roles_start_page(client, territory, role, where):
    user = user_create(username="someone", password="pw-someone-1", role=role, jurisdiction=territory)
    if role == Role.UNION_STAFF:
        union_staff_add(union=union_create(jurisdiction=territory, name="骑手工会", code="riders"), user=user)
    response = client.post("/accounts/login/", {"username": "someone", "password": "pw-someone-1"})
    assert response.status_code == 302
    assert client.get(response["Location"])["Location"] == where


def test_start_without_login_goes_to_login(client, db):
    assert client.get("/start/")["Location"].startswith("/accounts/login/")


def test_union_staff_of_no_union_start_at_rider_outreach(client, territory):
    user_create(username="helper", password="pw-helper-1", role=Role.UNION_STAFF, jurisdiction=territory)
    client.post("/accounts/login/", {"username": "helper", "password": "pw-helper-1"})
    assert client.get("/start/")["Location"] == "/outreach/"


@pytest.mark.parametrize(("role", "page", "has_map"), [(Role.UNION_STAFF, "/outreach/", False),
                                                      (Role.STATION_HOST, "/stations/host/", False),
                                                      (Role.OPERATOR, "/cases/", True)])
def test_the_top_bar_offers_the_map_and_cases_only_to_roles_that_see_them(client, territory, role, page, has_map):
    """A station host or union staff saw an empty map, an empty case queue and case notifications in the top bar."""
    user = user_create(username="someone", password="pw-someone-1", role=role, jurisdiction=territory)
    client.force_login(user)
    html = client.get(page).content.decode()
    assert 'class="brand" href="/start/"' in html
    assert ('href="/cases/"' in html) is has_map and ('<a href="/">' in html) is has_map
    assert ('href="/notifications/"' in html) is has_map  # every notification is about a case
