"""Chinese first: every UI string in templates and Python has a Chinese translation."""

import ast
import re
from pathlib import Path

from django.utils import translation

ROOT = Path(__file__).resolve().parents[2]
PO = ROOT / "locale" / "zh_Hans" / "LC_MESSAGES" / "django.po"
TEMPLATE_STRING = re.compile(r'{%\s*translate\s+"([^"]+)"')
# _() and the names makemessages extracts, and any other name a marker might be imported as (`gettext_noop as N_`
# would be left out of the catalogue silently, and its strings would stay English): this test finds them all.
MARKERS = {"_", "N_", "gettext", "gettext_lazy", "gettext_noop", "pgettext_lazy"}


def python_strings(source: str) -> set[str]:
    """The first argument of every marker call, with implicitly joined literals ("a " "b") as one string."""
    return {node.args[0].value for node in ast.walk(ast.parse(source))
            if isinstance(node, ast.Call) and isinstance(node.func, ast.Name) and node.func.id in MARKERS
            and node.args and isinstance(node.args[0], ast.Constant) and isinstance(node.args[0].value, str)}


def ui_strings() -> set[str]:
    found = set()
    for path in ROOT.rglob("*.html"):
        found |= set(TEMPLATE_STRING.findall(path.read_text(encoding="utf-8")))
    for path in ROOT.rglob("*.py"):
        if "tests" not in path.parts and "migrations" not in path.parts:
            found |= python_strings(path.read_text(encoding="utf-8"))
    return found


def test_every_ui_string_is_translated():
    strings = ui_strings()
    assert len(strings) > 100
    with translation.override("zh-hans"):
        untranslated = sorted(s for s in strings if translation.gettext(s) == s and s not in {"JSON"})
    assert untranslated == [], f"add these to {PO.relative_to(ROOT.parent)}: {untranslated}"
