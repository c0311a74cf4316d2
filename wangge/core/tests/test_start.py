"""After login each role lands where it works."""

import pytest

from wangge.accounts.models import Role
from wangge.accounts.services import user_create


@pytest.mark.parametrize(("role", "where"), [(Role.UNION_STAFF, "/unions/"), (Role.STATION_HOST, "/stations/host/"),
                                             (Role.OPERATOR, "/"), (Role.GRID_WORKER, "/")])
def test_login_lands_on_the_roles_start_page(client, territory, role, where):
    user_create(username="someone", password="pw-someone-1", role=role, jurisdiction=territory)
    response = client.post("/accounts/login/", {"username": "someone", "password": "pw-someone-1"})
    assert response.status_code == 302
    assert client.get(response["Location"])["Location"] == where


def test_start_without_login_goes_to_login(client, db):
    assert client.get("/start/")["Location"].startswith("/accounts/login/")
