import uuid

from django import forms
from django.utils.translation import gettext_lazy as _

from wangge.cases.workflow import RATINGS
from wangge.core.errors import ApplicationError
from wangge.core.phones import contact_phone_normalize
from wangge.routing.coords import CRS_CHOICES

PLATFORMS = ["美团", "饿了么", "顺丰", "京东", "闪送", "达达", "中通", "圆通", "申通", "韵达", "邮政", "其他"]
RATING_CHOICES = [("satisfied", _("Satisfied")), ("basically_satisfied", _("Basically satisfied")),
                  ("unsatisfied", _("Unsatisfied"))]
assert {c for c, _label in RATING_CHOICES} == set(RATINGS)


class PublicReportForm(forms.Form):
    """A resident's or rider's report: no account needed. Grid workers use it with their login."""

    category = forms.CharField(required=False, widget=forms.HiddenInput)
    description = forms.CharField(label=_("What is the problem?"), max_length=2000,
                                  widget=forms.Textarea(attrs={"rows": 3, "placeholder": _("e.g. the street lamp at the gate is out")}))
    lon = forms.FloatField(required=False, widget=forms.HiddenInput, min_value=-180, max_value=180)
    lat = forms.FloatField(required=False, widget=forms.HiddenInput, min_value=-90, max_value=90)
    crs = forms.ChoiceField(required=False, widget=forms.HiddenInput, choices=[(c, c) for c in CRS_CHOICES])
    location_source = forms.CharField(required=False, widget=forms.HiddenInput)
    location_link = forms.CharField(label=_("…or paste a location link (WeChat, AMap)"), required=False, max_length=500)
    address = forms.CharField(label=_("Address or landmark"), required=False, max_length=200)
    reporter_phone = forms.CharField(label=_("Phone (optional, to be called back)"), required=False, max_length=32,
                                     widget=forms.TextInput(attrs={"type": "tel", "autocomplete": "tel"}))
    is_rider = forms.BooleanField(label=_("I am a delivery rider / courier"), required=False)
    rider_platform = forms.ChoiceField(label=_("Platform"), required=False,
                                       choices=[("", "—")] + [(p, p) for p in PLATFORMS])
    rider_station = forms.CharField(label=_("Station"), required=False, max_length=60)
    join_case = forms.CharField(required=False, widget=forms.HiddenInput)
    idempotency_key = forms.CharField(widget=forms.HiddenInput, max_length=80)

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        if not self.is_bound:
            self.initial.setdefault("idempotency_key", uuid.uuid4().hex)
            self.initial.setdefault("crs", "wgs84")

    def clean_reporter_phone(self) -> str:
        """A mobile or a fixed line to call back on, stored as digits; the reason when it is neither."""
        try:
            return contact_phone_normalize(self.cleaned_data["reporter_phone"])
        except ApplicationError as exc:
            raise forms.ValidationError(exc.message, code=exc.code) from exc


class RatingForm(forms.Form):
    rating = forms.ChoiceField(label=_("How was it handled?"), choices=RATING_CHOICES, widget=forms.RadioSelect)
    comment = forms.CharField(label=_("Comment"), required=False, max_length=500, widget=forms.Textarea(attrs={"rows": 2}))


class TrackForm(forms.Form):
    code = forms.CharField(label=_("Tracking code"), max_length=12)
