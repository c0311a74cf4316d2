"""The scheduler's periodic retraining: a street's classifier older than the limit is retrained (through the
tasks API) from its categories and closed cases; a fresh one is left alone."""

from datetime import timedelta
from io import StringIO

from django.core.management import call_command
from django.utils import timezone

from wangge.cases.services import category_seed
from wangge.routing import classify
from wangge.routing.models import ClassifierModel
from wangge.routing.tasks import retrain_due


def test_stale_classifiers_are_retrained_by_the_scheduler(territory, settings):
    category_seed(jurisdiction=territory)
    first = classify.classifier_train(jurisdiction=territory, samples=classify.classifier_seed_samples(jurisdiction=territory),
                                      source="seed")
    assert retrain_due(max_age_hours=1) == []  # fresh: nothing to do
    ClassifierModel.objects.filter(pk=first.pk).update(created_at=timezone.now() - timedelta(hours=30))
    settings.WANGGE_RETRAIN_HOURS = 24
    out = StringIO()
    call_command("run_scheduler", "--once", stdout=out)
    assert f"classifier retraining for jurisdictions [{territory.pk}]" in out.getvalue()
    active = ClassifierModel.objects.get(jurisdiction=territory, active=True)
    assert active.pk != first.pk and active.created_at > timezone.now() - timedelta(minutes=5)
    assert retrain_due(max_age_hours=24) == []
