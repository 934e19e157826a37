import pytest

from shared.codes import Category, UnknownCode, current_table

# The statutory register codes in force from 19 August 2024 (docs/alert-rules.md, "Register codes").
EXPECTED = {
    Category.PRESENT: {"/", "\\", "L"},
    Category.APPROVED_ACTIVITY: {"K", "V", "P", "W", "B"},
    Category.AUTHORISED: {"C", "C1", "C2", "M", "J1", "S", "T", "R", "I", "E"},
    Category.UNAUTHORISED: {"G", "N", "O", "U"},
    Category.NOT_POSSIBLE: {"D", "X", "Q", "Y1", "Y2", "Y3", "Y4", "Y5", "Y6", "Y7", "Z", "#"},
}


def test_every_code_has_the_category_domain_gives_it():
    table = current_table()
    actual = {category: {c.code for c in table.codes.values() if c.category is category} for category in Category}
    assert actual == EXPECTED
    assert table.version == "2024-08-19"


@pytest.mark.parametrize(
    ("category", "possible", "attended", "absent"),
    [
        (Category.PRESENT, True, True, False),
        (Category.APPROVED_ACTIVITY, True, True, False),
        (Category.AUTHORISED, True, False, True),
        (Category.UNAUTHORISED, True, False, True),
        (Category.NOT_POSSIBLE, False, False, False),
    ],
)
def test_category_counts_as_possible_attended_or_absent(category, possible, attended, absent):
    assert (category.counts_as_possible, category.attended, category.absent) == (possible, attended, absent)


@pytest.mark.parametrize(("code", "replacement"), [("H", "G"), ("J", "J1"), ("Y", "Y1-Y7")])
def test_retired_code_is_rejected_naming_its_replacement(code, replacement):
    with pytest.raises(UnknownCode) as raised:
        current_table().lookup(code)
    assert f"retired code '{code}'" in str(raised.value)
    assert replacement in str(raised.value)


def test_unknown_code_is_rejected_naming_the_table_version():
    with pytest.raises(UnknownCode, match=r"'I01' is not a register code in the 2024-08-19 table"):
        current_table().lookup("I01")
