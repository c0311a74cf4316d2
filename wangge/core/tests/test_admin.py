"""Tables the admin only shows (core.admin.ReadOnlyAdmin): listed for the administrator, never added or edited."""

from django.contrib import admin
from django.test import Client

from wangge.core.admin import ReadOnlyAdmin


def test_read_only_admins_list_but_never_add(people):
    read_only = [
        m for m, model_admin in admin.site._registry.items() if isinstance(model_admin, ReadOnlyAdmin)
    ]
    labels = {f"{m._meta.app_label}.{m._meta.model_name}" for m in read_only}
    assert {"unions.exportlog", "outreach.signup", "intake.hotlineorder", "intake.hotlineimport"} <= labels
    c = Client()
    c.force_login(people["admin"])
    for model in read_only:
        base = f"/admin/{model._meta.app_label}/{model._meta.model_name}/"
        assert c.get(base).status_code == 200, base
        assert c.get(f"{base}add/").status_code == 403, base
