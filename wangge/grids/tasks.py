from django.tasks import task

from wangge.core.models import Jurisdiction


@task()
def merge_recompute_task(jurisdiction_id: int) -> dict:
    """Background 多格合一 recompute (large territories; the import commit recomputes inline)."""
    from wangge.grids.services import merge_recompute

    run = merge_recompute(jurisdiction=Jurisdiction.objects.get(pk=jurisdiction_id))
    return {"run_id": run.pk, "duration_ms": run.duration_ms, "stats": run.stats}
