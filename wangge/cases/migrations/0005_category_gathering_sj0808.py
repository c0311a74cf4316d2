"""Add 人员聚集 (SJ0808, under SJ08 社会治安与矛盾纠纷) to every jurisdiction already seeded with the classification.

Video gathering alerts (the vision app) open their cases in this category. Jurisdictions seeded later get it
from ``category_data`` through ``category_seed``; an edited or existing SJ0808 is left alone.
"""

from django.db import migrations

GATHERING = {
    "code": "SJ0808",
    "name": "人员聚集",
    "kind": "event",
    "department_kind": "urban_management",
    "size": "coordinated",
    "sign_hours": 0.5,
    "handle_hours": 4,
    "verify_hours": 4,
    "keywords": ["人员聚集", "聚集", "围观", "人群拥挤", "踩踏", "街头表演", "卖艺", "堵塞路口"],
}


def add_gathering(apps, schema_editor):
    Category = apps.get_model("cases", "Category")
    for parent in Category.objects.filter(code="SJ08", parent__isnull=True):
        defaults = {key: value for key, value in GATHERING.items() if key != "code"}
        Category.objects.get_or_create(
            jurisdiction_id=parent.jurisdiction_id,
            code=GATHERING["code"],
            defaults={**defaults, "parent": parent},
        )


def remove_unused_gathering(apps, schema_editor):
    Category = apps.get_model("cases", "Category")
    Category.objects.filter(code=GATHERING["code"], cases__isnull=True).delete()


class Migration(migrations.Migration):
    dependencies = [
        ("cases", "0004_case_suggested_department"),
    ]

    operations = [
        migrations.RunPython(add_gathering, remove_unused_gathering),
    ]
