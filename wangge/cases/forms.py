import uuid

from django import forms
from django.utils.translation import gettext_lazy as _

from wangge.accounts.models import Role
from wangge.cases.models import Category
from wangge.routing.coords import CRS_CHOICES

# Extra inputs an action's form shows besides the reason (see templates/cases/partials/panel.html).
ACTION_FIELDS = {
    "dispatch": ("departments",), "reassign": ("departments",), "request_extension": ("hours",),
    "evaluate": ("rating",), "feedback": ("photos",), "assist_feedback": ("photos",), "verify_pass": ("photos",),
    "verify_fail": ("photos",),
}


class ReportForm(forms.Form):
    category = forms.ChoiceField(label=_("Category"))
    description = forms.CharField(label=_("Description"), widget=forms.Textarea(attrs={"rows": 3}), max_length=2000)
    address = forms.CharField(label=_("Address"), required=False, max_length=200)
    lon = forms.FloatField(widget=forms.HiddenInput, min_value=-180, max_value=180,
                           error_messages={"required": _("Click the map to place the case.")})
    lat = forms.FloatField(widget=forms.HiddenInput, min_value=-90, max_value=90,
                           error_messages={"required": _("Click the map to place the case.")})
    crs = forms.ChoiceField(widget=forms.HiddenInput, choices=[(c, c) for c in CRS_CHOICES], initial="wgs84")
    reporter_name = forms.CharField(label=_("Reporter name"), required=False, max_length=50)
    reporter_phone = forms.RegexField(label=_("Reporter phone"), required=False, regex=r"^[0-9+\- ]{5,20}$")
    priority = forms.ChoiceField(label=_("Priority"), choices=[("1", _("Urgent")), ("2", _("Normal")), ("3", _("Low"))],
                                 initial="2")
    idempotency_key = forms.CharField(widget=forms.HiddenInput, max_length=80)
    quick = forms.BooleanField(label=_("Handled on the spot (即办件)"), required=False)
    result = forms.CharField(label=_("What was done"), required=False, widget=forms.Textarea(attrs={"rows": 2}))

    def __init__(self, *args, jurisdiction, user, **kwargs):
        super().__init__(*args, **kwargs)
        groups: dict[str, list] = {}
        for c in Category.objects.filter(jurisdiction=jurisdiction, parent__isnull=False, active=True).select_related("parent"):
            groups.setdefault(c.parent.name, []).append((c.code, f"{c.name}"))
        self.fields["category"].choices = [("", "—")] + list(groups.items())
        self.fields["idempotency_key"].initial = uuid.uuid4().hex
        if user.role != Role.GRID_WORKER:
            del self.fields["quick"]
            del self.fields["result"]

    def clean(self):
        data = super().clean()
        if data.get("quick") and not (data.get("result") or "").strip():
            self.add_error("result", _("Say what was done."))
        return data
