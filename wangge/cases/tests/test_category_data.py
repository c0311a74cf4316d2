"""The built-in classification table is internally consistent (no database needed)."""

from wangge.cases.category_data import CATEGORIES, DEPARTMENT_KINDS, KINDS, SIZES, iter_minor

MAJOR_KEYS = {"code", "kind", "name", "children"}
MINOR_KEYS = {"code", "name", "department_kind", "size", "limits", "keywords"}


def test_counts_in_range():
    assert 12 <= len(CATEGORIES) <= 16
    assert 70 <= sum(1 for _ in iter_minor()) <= 110
    assert all(major["children"] for major in CATEGORIES)


def test_shapes():
    for major in CATEGORIES:
        assert set(major) == MAJOR_KEYS, major["code"]
        for minor in major["children"]:
            assert set(minor) == MINOR_KEYS, minor["code"]
            assert set(minor["limits"]) == {"sign_hours", "handle_hours", "verify_hours"}, minor["code"]
            assert minor["name"] and len(minor["name"]) <= 60


def test_codes_unique_and_nested():
    codes = [m["code"] for m in CATEGORIES] + [minor["code"] for _, minor in iter_minor()]
    assert len(codes) == len(set(codes))
    for major, minor in iter_minor():
        assert minor["code"].startswith(major["code"])
        assert len(minor["code"]) == len(major["code"]) + 2


def test_kinds_and_prefixes():
    for major in CATEGORIES:
        assert major["kind"] in KINDS
        assert major["code"].startswith("BJ" if major["kind"] == "component" else "SJ")
    assert {m["kind"] for m in CATEGORIES} == set(KINDS)


def test_department_kinds_and_sizes_valid():
    for _, minor in iter_minor():
        assert minor["department_kind"] in DEPARTMENT_KINDS, minor["code"]
        assert minor["size"] in SIZES, minor["code"]


def test_choices_match_models():
    # Importing models needs settings (pytest-django provides them) but no database.
    from wangge.cases.models import CategoryKind, Size
    from wangge.grids.models import DepartmentKind

    assert set(DEPARTMENT_KINDS) == set(DepartmentKind.values)
    assert set(SIZES) == set(Size.values)
    assert set(KINDS) == set(CategoryKind.values)


def test_limits_positive_and_ordered():
    for _, minor in iter_minor():
        lim = minor["limits"]
        assert all(isinstance(v, int | float) and v > 0 for v in lim.values()), minor["code"]
        assert lim["sign_hours"] <= lim["handle_hours"], minor["code"]


def test_emergencies_are_fast():
    by_name = {minor["name"]: minor for _, minor in iter_minor()}
    for name in ("井盖缺失", "道路塌陷"):
        assert by_name[name]["limits"]["sign_hours"] <= 0.5
        assert by_name[name]["limits"]["handle_hours"] <= 4


def test_keywords():
    for _, minor in iter_minor():
        kws = minor["keywords"]
        assert 3 <= len(kws) <= 8, minor["code"]
        assert len(kws) == len(set(kws)), minor["code"]
        assert all(isinstance(k, str) and k.strip() == k and k for k in kws), minor["code"]


def test_iter_minor_order():
    pairs = list(iter_minor())
    assert pairs[0] == (CATEGORIES[0], CATEGORIES[0]["children"][0])
    assert pairs[-1] == (CATEGORIES[-1], CATEGORIES[-1]["children"][-1])
