from django import forms
from django.utils.translation import gettext_lazy as _

from wangge.grids.models import ImportKind, LayerKind
from wangge.routing.coords import CRS_CHOICES

CRS_LABELS = {"wgs84": _("WGS84 (GPS, 天地图)"), "gcj02": _("GCJ-02 (AMap, Tencent, WeChat)"), "bd09": _("BD-09 (Baidu)")}


class ImportForm(forms.Form):
    kind = forms.ChoiceField(label=_("What the file holds"), choices=ImportKind.choices)
    layer_code = forms.SlugField(label=_("Layer code"), required=False, max_length=64)
    layer_name = forms.CharField(label=_("Layer name"), required=False, max_length=100)
    layer_kind = forms.ChoiceField(label=_("Layer kind"), required=False, choices=[("", "—"), *LayerKind.choices])
    crs = forms.ChoiceField(label=_("Coordinate system"), choices=[(c, CRS_LABELS[c]) for c in CRS_CHOICES])
    repair = forms.BooleanField(label=_("Repair invalid polygons"), required=False)
    file = forms.FileField(label=_("GeoJSON file"))

    def clean(self):
        data = super().clean()
        if data.get("kind") == ImportKind.LAYER and not data.get("layer_code"):
            self.add_error("layer_code", _("A layer import needs a layer code."))
        return data
