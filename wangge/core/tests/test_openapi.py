"""The API's contract is committed: a change to it must be deliberate (regenerate the snapshot)."""

import json
from pathlib import Path

from config.api import api

SNAPSHOT = Path(__file__).resolve().parents[3] / "docs" / "openapi.json"
REGENERATE = "manage.py export_openapi_schema --api config.api.api --output docs/openapi.json --indent 1"


def test_openapi_schema_matches_the_committed_snapshot():
    current = json.loads(json.dumps(api.get_openapi_schema(), sort_keys=True))
    committed = json.loads(SNAPSHOT.read_text(encoding="utf-8"))
    assert current == committed, f"The API changed; review it and regenerate the snapshot: {REGENERATE}"
