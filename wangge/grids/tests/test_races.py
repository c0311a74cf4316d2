"""Two administrators confirming imports at the same moment: exactly one wins, the other gets a 409."""

import threading

import pytest
from django.db import connection

from conftest import fc, metres
from wangge.core.errors import Conflict
from wangge.grids import imports
from wangge.grids.models import LayerUnit


@pytest.mark.django_db(transaction=True)
def test_concurrent_commits_one_wins(territory):
    a = imports.import_preview(jurisdiction=territory, user=None, kind="layer", layer_code="police",
                               raw=fc({"PA": metres(0, 0, 1000, 1000)}))
    b = imports.import_preview(jurisdiction=territory, user=None, kind="layer", layer_code="police",
                               raw=fc({"PB": metres(0, 0, 1000, 1000)}))
    barrier = threading.Barrier(2)
    outcomes: dict[str, str] = {}

    def run(batch):
        try:
            barrier.wait(timeout=10)
            imports.import_commit(jurisdiction=territory, batch_id=batch.pk, user=None)
            outcomes[batch.layer_code + str(batch.pk)] = "ok"
        except Conflict as exc:
            outcomes[batch.layer_code + str(batch.pk)] = exc.code
        finally:
            connection.close()

    threads = [threading.Thread(target=run, args=(batch,)) for batch in (a, b)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(30)
    assert sorted(outcomes.values()) == ["ok", "stale_preview"], outcomes
    codes = list(LayerUnit.objects.filter(layer__code="police").values_list("code", flat=True))
    assert codes in (["PA"], ["PB"])
