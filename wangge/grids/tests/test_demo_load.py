"""The demo street loads through the real import services, idempotently, with users for every role."""

import pytest
from django.core.management import call_command

from wangge.accounts.models import Role, User
from wangge.core.models import Jurisdiction
from wangge.grids.models import Grid, GridAssignment, Layer, MergeIssue


@pytest.fixture(scope="module")
def demo(django_db_setup, django_db_blocker):
    with django_db_blocker.unblock():
        call_command("seed_demo")
        yield Jurisdiction.objects.get()
        call_command("flush", "--noinput")


@pytest.mark.django_db
def test_demo_street_shape(demo):
    assert 3e6 <= demo.area_m2 <= 5e6
    assert 30 <= Grid.objects.filter(jurisdiction=demo).count() <= 50
    assert Layer.objects.filter(jurisdiction=demo).count() >= 5
    kinds = set(MergeIssue.objects.filter(jurisdiction=demo).values_list("kind", flat=True))
    assert {"gap", "overlap", "sliver"} <= kinds  # departmental layers do not line up with the grids
    for grid in Grid.objects.filter(jurisdiction=demo):
        roles = list(GridAssignment.objects.filter(grid=grid).values_list("role", flat=True))
        assert roles.count("liaison") == 1 and roles.count("grid_worker") >= 1


@pytest.mark.django_db
def test_demo_logins_for_every_role(demo):
    roles = set(User.objects.filter(jurisdiction=demo).values_list("role", flat=True))
    assert roles == set(Role.values)
    assert User.objects.get(username="operator").check_password("wangge123")


@pytest.mark.django_db
def test_seed_demo_is_idempotent(demo):
    before = (Grid.objects.count(), User.objects.count())
    call_command("seed_demo")
    assert (Grid.objects.count(), User.objects.count()) == before
