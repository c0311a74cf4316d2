"""Background jobs of the vision loop, through Django's tasks API: each `vision_watch_batch` watches a
batch of cameras for a while (one worker thread, several cameras); the scheduler enqueues one per batch
every tick, so more workers watch more cameras. The purge enforces frame retention."""

from __future__ import annotations

from datetime import datetime, timedelta

from django.conf import settings
from django.tasks import task
from django.utils import timezone


@task()
def vision_watch_batch(camera_ids: list[int], seconds: float, not_after: str) -> dict:
    """Watch these cameras for `seconds`. A batch picked up after `not_after` is skipped: a later one
    (enqueued by the next scheduler tick) covers the same cameras."""
    from wangge.vision.watch import Watcher, cameras_for_shard

    if timezone.now() > datetime.fromisoformat(not_after):
        return {"skipped": True, "frames": 0}
    frames = Watcher(cameras_for_shard(ids=camera_ids)).run(seconds=seconds)
    return {"skipped": False, "frames": frames}


@task()
def vision_purge_task() -> dict:
    from wangge.vision.services import alerts_retry_cases, vision_purge

    return {**vision_purge(), "cases_opened": alerts_retry_cases()}


def vision_enqueue(*, seconds: float) -> int:
    """The scheduler's tick: one watch job per batch of active cameras, plus the purge. Returns the batches."""
    from wangge.vision.models import Camera

    per_batch = max(1, int(getattr(settings, "WANGGE_VISION_CAMERAS_PER_JOB", 4)))
    ids = list(Camera.objects.filter(active=True).order_by("pk").values_list("pk", flat=True))
    not_after = (timezone.now() + timedelta(seconds=seconds / 2)).isoformat()
    batches = [ids[i : i + per_batch] for i in range(0, len(ids), per_batch)]
    for batch in batches:
        vision_watch_batch.enqueue(batch, seconds, not_after)
    vision_purge_task.enqueue()
    return len(batches)
