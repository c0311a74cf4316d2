"""The admin shows the 12345 imports, orders and rows read only, with callers' phones and names masked."""

from django.test import Client

from wangge.intake.hotline_models import HotlineImport, HotlineImportRow, HotlineOrder


def test_admin_lists_hotline_imports_and_orders_read_only_with_phones_masked(street):
    j, admin_user = street["j"], street["users"]["admin"]
    batch = HotlineImport.objects.create(
        jurisdiction=j,
        filename="12345-十二月.xlsx",
        sha256="ab" * 32,
        size=10,
        file_format="xlsx",
        status="previewed",
        progress_total=1,
    )
    order = HotlineOrder.objects.create(
        jurisdiction=j,
        order_no="GD20261203001",
        caller_name="张三丰",
        caller_phone="13812345678",
        content="楼下餐馆油烟很大",
        last_import=batch,
    )
    row = HotlineImportRow.objects.create(
        batch=batch,
        line=2,
        order_no=order.order_no,
        action="create",
        data={"caller_name": "张三丰", "caller_phone": "13812345678"},
    )
    c = Client()
    c.force_login(admin_user)
    pages = {
        "/admin/intake/hotlineorder/": ["GD20261203001", "138****5678", "张**"],
        f"/admin/intake/hotlineorder/{order.pk}/change/": [
            "GD20261203001",
            "138****5678",
            "楼下餐馆油烟很大",
        ],
        "/admin/intake/hotlineimport/": ["12345-十二月.xlsx"],
        f"/admin/intake/hotlineimport/{batch.pk}/change/": ["12345-十二月.xlsx"],
        "/admin/intake/hotlineimportrow/": ["GD20261203001"],
        f"/admin/intake/hotlineimportrow/{row.pk}/change/": ["GD20261203001"],
        f"/admin/intake/hotlineorder/?jurisdiction__id__exact={j.pk}": ["GD20261203001"],
        "/admin/intake/hotlineimport/?status__exact=previewed": ["12345-十二月.xlsx"],
    }
    for url, expected in pages.items():
        r = c.get(url)
        html = r.content.decode()
        assert r.status_code == 200, url
        for text in expected:
            assert text in html, (url, text)
        assert "13812345678" not in html and "张三丰" not in html, url
        assert 'type="submit"' not in html or "_save" not in html, url  # nothing to save: read only
    # Nothing is added, edited or deleted from the admin: the hotline page and its jobs write.
    assert c.get("/admin/intake/hotlineimport/add/").status_code == 403
    assert c.post(f"/admin/intake/hotlineorder/{order.pk}/change/", {"order_no": "X"}).status_code == 403
    assert c.post(f"/admin/intake/hotlineimport/{batch.pk}/delete/", {"post": "yes"}).status_code == 403
    order.refresh_from_db()
    assert order.order_no == "GD20261203001" and HotlineImport.objects.filter(pk=batch.pk).exists()
    # Other staff do not see the admin at all.
    other = Client()
    other.force_login(street["users"]["leader"])
    assert other.get("/admin/intake/hotlineorder/").status_code == 302
