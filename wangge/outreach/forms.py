"""Forms of the outreach pages: they check the shape of the input; the services decide and write."""

import json
import uuid

from django import forms
from django.utils.translation import gettext_lazy as _

from wangge.intake.forms import PLATFORMS
from wangge.outreach.models import Event, GovernanceRole, Service


class DateTimeLocal(forms.DateTimeInput):
    input_type = "datetime-local"

    def __init__(self, **kwargs):
        super().__init__(format="%Y-%m-%dT%H:%M", **kwargs)


class ServiceForm(forms.ModelForm):
    class Meta:
        model = Service
        fields = ["kind", "title", "description", "provider", "how_to_use", "active", "order"]
        widgets = {"description": forms.Textarea(attrs={"rows": 3}), "how_to_use": forms.Textarea(attrs={"rows": 2})}


class EventForm(forms.ModelForm):
    class Meta:
        model = Event
        fields = ["title", "place", "starts_at", "ends_at", "signup_closes_at", "capacity"]
        widgets = {"starts_at": DateTimeLocal(), "ends_at": DateTimeLocal(), "signup_closes_at": DateTimeLocal()}

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        for name in ("starts_at", "ends_at", "signup_closes_at"):
            self.fields[name].input_formats = ["%Y-%m-%dT%H:%M", "%Y-%m-%d %H:%M", "%Y-%m-%d %H:%M:%S"]
        self.fields["capacity"].min_value = 1
        self.fields["capacity"].widget.attrs["min"] = 1


class SignUpForm(forms.Form):
    name = forms.CharField(label=_("Your name"), max_length=50)
    phone = forms.CharField(label=_("Mobile phone"), max_length=20,
                            widget=forms.TextInput(attrs={"type": "tel", "inputmode": "numeric",
                                                          "autocomplete": "tel", "placeholder": "138xxxxxxxx"}))


class SurveyForm(forms.Form):
    title = forms.CharField(label=_("Title"), max_length=100)
    intro = forms.CharField(label=_("Introduction"), required=False, max_length=2000,
                            widget=forms.Textarea(attrs={"rows": 2}))
    questions = forms.CharField(
        label=_("Questions (JSON)"), widget=forms.Textarea(attrs={"rows": 16, "class": "code", "spellcheck": "false"}),
        help_text=_('A list of questions. Each has "type" (single, multiple, rating or text), "label", optional '
                    '"required": true, "options" for single and multiple choice, "max_length" for text.'))
    opens_at = forms.DateTimeField(label=_("Opens at"), required=False, widget=DateTimeLocal(),
                                   input_formats=["%Y-%m-%dT%H:%M", "%Y-%m-%d %H:%M"])
    closes_at = forms.DateTimeField(label=_("Closes at"), required=False, widget=DateTimeLocal(),
                                    input_formats=["%Y-%m-%dT%H:%M", "%Y-%m-%d %H:%M"])

    def clean_questions(self):
        text = self.cleaned_data["questions"]
        try:
            return json.loads(text)
        except json.JSONDecodeError as exc:
            raise forms.ValidationError(_("This is not valid JSON (line %(line)s, column %(col)s): %(msg)s"),
                                        params={"line": exc.lineno, "col": exc.colno, "msg": exc.msg}) from exc


class ConventionForm(forms.Form):
    title = forms.CharField(label=_("Title"), max_length=100, initial="小哥公约")
    text = forms.CharField(label=_("Text"), max_length=20000, widget=forms.Textarea(attrs={"rows": 14}))


class ConventionSignForm(forms.Form):
    name = forms.CharField(label=_("Your name"), max_length=50)
    phone = forms.CharField(label=_("Mobile phone"), max_length=20,
                            widget=forms.TextInput(attrs={"type": "tel", "inputmode": "numeric", "autocomplete": "tel"}))
    version = forms.IntegerField(widget=forms.HiddenInput)
    agree = forms.BooleanField(label=_("I have read the convention and agree to keep it"))


class RiderForm(forms.Form):
    name = forms.CharField(label=_("Name"), max_length=50)
    phone = forms.CharField(label=_("Mobile phone"), max_length=20,
                            widget=forms.TextInput(attrs={"type": "tel", "inputmode": "numeric"}))
    platform = forms.ChoiceField(label=_("Platform"), required=False, choices=[("", "—")] + [(p, p) for p in PLATFORMS])
    role = forms.ChoiceField(label=_("Role"), choices=GovernanceRole.choices)
    active_since = forms.DateField(label=_("Active since"), required=False,
                                   widget=forms.DateInput(attrs={"type": "date"}))
    note = forms.CharField(label=_("Note"), required=False, max_length=200)


def new_idempotency_key() -> str:
    return uuid.uuid4().hex
