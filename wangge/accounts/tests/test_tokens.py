import io

from django.core.management import call_command
from django.test import Client

from wangge.accounts.models import ApiToken


def test_token_command_prints_a_working_key_once(people):
    out = io.StringIO()
    call_command("create_api_token", "op", "12345-bridge", stdout=out, stderr=io.StringIO())
    key = out.getvalue().strip()
    token = ApiToken.objects.get(name="12345-bridge")
    assert key.startswith("wg_") and token.key_hash != key and key not in token.key_hash
    assert Client().get("/api/v1/grids", HTTP_AUTHORIZATION=f"Bearer {key}").status_code == 200
    ApiToken.objects.filter(pk=token.pk).update(revoked=True)
    assert Client().get("/api/v1/grids", HTTP_AUTHORIZATION=f"Bearer {key}").status_code == 401
