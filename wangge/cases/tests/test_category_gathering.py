"""人员聚集 (SJ0808): in the default classification, and added by a data migration to databases seeded before it."""

import importlib

from django.apps import apps

from wangge.cases.models import Category
from wangge.cases.services import category_seed

migration = importlib.import_module("wangge.cases.migrations.0005_category_gathering_sj0808")


def test_seed_has_gathering_under_public_order(territory):
    category_seed(jurisdiction=territory)
    gathering = Category.objects.get(jurisdiction=territory, code="SJ0808")
    assert (gathering.name, gathering.parent.code, gathering.kind) == ("人员聚集", "SJ08", "event")
    assert (gathering.department_kind, gathering.size) == ("urban_management", "coordinated")
    assert 0 < gathering.sign_hours <= gathering.handle_hours


def test_migration_adds_it_to_an_older_seed_once_and_keeps_edits(territory):
    category_seed(jurisdiction=territory)
    Category.objects.filter(code="SJ0808").delete()  # as seeded before the category existed
    migration.add_gathering(apps, None)
    migration.add_gathering(apps, None)  # idempotent
    gathering = Category.objects.get(jurisdiction=territory, code="SJ0808")
    assert gathering.parent == Category.objects.get(jurisdiction=territory, code="SJ08")
    assert gathering.keywords == migration.GATHERING["keywords"]
    gathering.name = "人员聚集（改）"
    gathering.save()
    migration.add_gathering(apps, None)
    assert Category.objects.get(jurisdiction=territory, code="SJ0808").name == "人员聚集（改）"
    migration.remove_unused_gathering(apps, None)
    assert not Category.objects.filter(code="SJ0808").exists()


def test_migration_leaves_unseeded_jurisdictions_alone(territory):
    migration.add_gathering(apps, None)
    assert not Category.objects.filter(jurisdiction=territory).exists()
