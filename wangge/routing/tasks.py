"""Background jobs of the routing app, through Django's tasks API."""

from django.tasks import task


@task()
def retrain_classifier(jurisdiction_id: int) -> dict:
    """Retrain a jurisdiction's classifier from its category keywords plus its settled cases."""
    from wangge.core.models import Jurisdiction
    from wangge.routing.classify import classifier_history_samples, classifier_seed_samples, classifier_train
    from wangge.routing.models import ClassifierSource

    j = Jurisdiction.objects.get(pk=jurisdiction_id)
    seed = classifier_seed_samples(jurisdiction=j)
    history = classifier_history_samples(jurisdiction=j)
    row = classifier_train(jurisdiction=j, samples=seed + history,
                           source=ClassifierSource.SEED_HISTORY if history else ClassifierSource.SEED)
    return {"classifier_model_id": row.pk, "labels": len(row.labels), "seed_samples": len(seed),
            "history_samples": len(history)}


def retrain_due(*, max_age_hours: float) -> list[int]:
    """Enqueue a retraining for every jurisdiction whose active classifier is older than `max_age_hours`
    (the scheduler calls this each tick; a street without any model is left to its operators)."""
    from datetime import timedelta

    from django.utils import timezone

    from wangge.routing.models import ClassifierModel

    stale = list(ClassifierModel.objects.filter(active=True, created_at__lt=timezone.now() - timedelta(hours=max_age_hours))
                 .values_list("jurisdiction_id", flat=True))
    for jurisdiction_id in stale:
        retrain_classifier.enqueue(jurisdiction_id)
    return stale
