"""Reads of the routing app, including the (read-only) looks at other apps' rows that training needs."""

from __future__ import annotations

from datetime import datetime

from wangge.cases.models import Case, Category
from wangge.cases.workflow import State
from wangge.core.models import Jurisdiction
from wangge.routing.models import ClassifierModel

# States whose category is settled: the case went through the whole loop with this category.
SETTLED_STATES = (State.CLOSED, State.EVALUATED)


def classifier_active(*, jurisdiction_id: int) -> ClassifierModel | None:
    return ClassifierModel.objects.filter(jurisdiction_id=jurisdiction_id, active=True).first()


def classifier_active_key(*, jurisdiction_id: int) -> tuple[int, datetime] | None:
    """The cheap freshness check: (id, created_at) of the active model through the partial unique index,
    no blob. created_at too, because SQLite may hand a deleted row's id to the next row."""
    return (ClassifierModel.objects.filter(jurisdiction_id=jurisdiction_id, active=True)
            .values_list("pk", "created_at").first())


def minor_categories(*, jurisdiction: Jurisdiction) -> list[tuple[str, str, list[str]]]:
    """(code, name, keywords) of the jurisdiction's active minor classes (小类), by code."""
    return list(
        Category.objects.filter(jurisdiction=jurisdiction, parent__isnull=False, active=True)
        .order_by("code").values_list("code", "name", "keywords")
    )


def settled_case_texts(*, jurisdiction: Jurisdiction, limit: int) -> list[tuple[str, str]]:
    """(description, minor category code) of the newest closed or evaluated cases, at most ``limit``."""
    return list(
        Case.objects.filter(jurisdiction=jurisdiction, state__in=SETTLED_STATES, category__parent__isnull=False)
        .exclude(description="")
        .order_by("-id").values_list("description", "category__code")[:limit]
    )
