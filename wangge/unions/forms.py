from django import forms
from django.utils.translation import gettext_lazy as _

from wangge.core.errors import ApplicationError
from wangge.unions import services
from wangge.unions.models import PLATFORMS, MembershipStatus, Occupation


def _service_check(fn, value):
    try:
        return fn(value)
    except ApplicationError as exc:
        raise forms.ValidationError(exc.message, code=exc.code) from exc


class JoinForm(forms.Form):
    """The one-step join form (phone-sized). "Send code" needs only the phone; "Join" needs everything."""

    name = forms.CharField(label=_("Name"), max_length=60,
                           widget=forms.TextInput(attrs={"autocomplete": "name"}))
    phone = forms.CharField(label=_("Mobile number"), max_length=32,
                            widget=forms.TextInput(attrs={"type": "tel", "inputmode": "numeric", "autocomplete": "tel"}))
    code = forms.CharField(label=_("Confirmation code"), max_length=16, required=False,
                           widget=forms.TextInput(attrs={"inputmode": "numeric", "autocomplete": "one-time-code"}))
    platform = forms.ChoiceField(label=_("Platform"), required=False, choices=[("", "—")] + [(p, p) for p in PLATFORMS])
    occupation = forms.ChoiceField(label=_("Occupation"), choices=[("", "—")] + list(Occupation.choices))
    id_fragment = forms.CharField(label=_("Last 4 characters of ID number (optional)"), max_length=8, required=False,
                                  widget=forms.TextInput(attrs={"autocomplete": "off", "maxlength": "4"}))
    consent = forms.BooleanField(label=_("I agree that the union keeps these details to manage my membership."))

    def clean_name(self):
        return _service_check(services.name_normalize, self.cleaned_data["name"])

    def clean_phone(self):
        return _service_check(services.phone_normalize, self.cleaned_data["phone"])

    def clean_id_fragment(self):
        return _service_check(services.id_fragment_normalize, self.cleaned_data["id_fragment"])

    def clean_code(self):
        code = "".join((self.cleaned_data.get("code") or "").split())
        if not code:
            raise forms.ValidationError(_("Enter the 6-digit code sent to your phone."), code="code_required")
        return code


class ReviewForm(forms.Form):
    reason = forms.CharField(label=_("Reason"), max_length=200, required=False)


class MemberFilterForm(forms.Form):
    status = forms.ChoiceField(required=False, choices=[("", _("All"))] + list(MembershipStatus.choices))
    q = forms.CharField(required=False, max_length=50)
