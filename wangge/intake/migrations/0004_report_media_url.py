from django.db import migrations, models

MEDIA_LINE = "media_url: "


def backfill(apps, schema_editor):
    """Reports that Open311 clients (API token users) sent before the field existed carry their media_url as
    the description's last line: keep it as the report's reference. Other channels' text is left as text."""
    Report = apps.get_model("intake", "Report")
    ApiToken = apps.get_model("accounts", "ApiToken")
    clients = ApiToken.objects.values("user_id")
    for report in Report.objects.filter(reporter_user__in=clients, description__contains=MEDIA_LINE).only(
        "id", "description"
    ):
        head, sep, tail = report.description.rpartition(MEDIA_LINE)
        url = tail.strip()
        if sep and head.endswith("\n") and url and " " not in url and url.startswith(("http://", "https://")):
            Report.objects.filter(pk=report.pk).update(media_url=url[:500])


class Migration(migrations.Migration):
    dependencies = [
        ("accounts", "0001_initial"),
        ("intake", "0003_report_fingerprint_index"),
    ]

    operations = [
        migrations.AddField(
            model_name="report",
            name="media_url",
            field=models.URLField(
                blank=True,
                default="",
                help_text="an http(s) link to a photo an Open311 client sent: a reference, never fetched",
                max_length=500,
                verbose_name="media URL",
            ),
        ),
        migrations.RunPython(backfill, migrations.RunPython.noop),
    ]
