"""Background jobs of intake, through Django's tasks API: the 12345 import's preview and commit."""

from django.tasks import task


@task()
def hotline_preview_task(import_id: int) -> dict:
    from wangge.intake.hotline_services import hotline_preview

    batch = hotline_preview(batch_id=import_id)
    return {"status": batch.status, "counts": batch.counts}


@task()
def hotline_commit_task(import_id: int) -> dict:
    from wangge.intake.hotline_services import hotline_commit

    batch = hotline_commit(batch_id=import_id)
    return {"status": batch.status, "counts": batch.counts}
