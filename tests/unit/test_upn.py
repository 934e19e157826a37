import pytest

from shared.upn import check_letter, make_upn, upn_problem


def test_published_example_upn_validates_and_its_wrong_letter_does_not():
    # The example used by python-stdnum's gb.upn documentation.
    assert check_letter("801200005001") == "B"
    assert upn_problem("B801200005001") is None
    assert upn_problem("A801200005001") == "check letter is 'A' but the digits give 'B'"


def test_made_upns_validate():
    for serial in range(200):
        assert upn_problem(make_upn(807, 4001, 18, serial)) is None


@pytest.mark.parametrize(
    ("upn", "reason"),
    [
        ("A12345678901", "13 characters, this has 12"),
        ("I123456789012", "check letter, 11 digits"),
        ("A12345678901O", "check letter, 11 digits"),
        ("A1234567890X1", "check letter, 11 digits"),
    ],
)
def test_malformed_upn_is_explained(upn, reason):
    assert reason in upn_problem(upn)


def test_wrong_check_letter_names_the_expected_one():
    good = make_upn(807, 4001, 18, 7)
    wrong = ("B" if good[0] != "B" else "C") + good[1:]
    assert upn_problem(wrong) == f"check letter is {wrong[0]!r} but the digits give {good[0]!r}"


def test_temporary_upn_with_a_final_letter_is_valid_when_its_check_letter_is():
    body = "80140011800A"
    assert upn_problem(check_letter(body) + body) is None
