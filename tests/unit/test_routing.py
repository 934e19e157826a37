"""The routing policy is valid data, and proposes what it says for each rule and band, with places."""

import pytest

from services.referrals.casework.catalogue import ProviderKind, catalogue
from services.referrals.casework.routing import Place, Situation, load_policy, policy, propose

RULES_AND_BANDS = [
    ("persistent_absence", "persistent_absence"),
    ("persistent_absence", "chronic_absence"),
    ("persistent_absence", "severe_absence"),
    ("strong_attendance_decline", None),
    ("attendance_decline", None),
    ("first_week_absence", None),
    ("unauthorised_10_in_10", None),
    ("missing_education", None),
]


def place(intervention: str, left: int, *, provider: int = 1, own: bool = True, name: str = "this school") -> Place:
    kind = ProviderKind.SCHOOL if own else ProviderKind.LA
    return Place(provider, name, kind, intervention, left, own)


def situation(rule: str, band: str | None = None, year_group: int | None = 9) -> Situation:
    return Situation(rule=rule, band=band, year_group=year_group, school_urn="111111")


def test_the_policy_file_loads_against_its_schema_and_the_catalogue():
    loaded = load_policy()
    assert loaded.version and len(loaded.routes) >= len(RULES_AND_BANDS)
    named = {code for route in loaded.routes for code in route.propose}
    assert named <= set(catalogue().interventions)


@pytest.mark.parametrize("rule, band", RULES_AND_BANDS)
def test_every_rule_and_band_has_a_route(rule, band):
    assert policy().route_for(rule, band, 9) is not None


def test_chronic_absence_in_secondary_proposes_mentoring_first_with_its_places():
    proposals = propose(situation("persistent_absence", "chronic_absence"), [place("mentoring", 3)], set())
    assert [p.intervention for p in proposals][:1] == ["mentoring"]
    assert proposals[0].reason == "chronic absence, year 9, attendance mentoring has 3 places at this school"
    assert not proposals[0].waitlist


def test_chronic_absence_in_primary_puts_the_team_around_the_family_first():
    proposals = propose(situation("persistent_absence", "chronic_absence", year_group=4), [], set())
    assert proposals[0].intervention == "team_around_the_family"


def test_a_full_provider_goes_after_those_with_places_and_is_marked_for_the_waitlist():
    places = [place("mentoring", 0), place("family_outreach", 2, provider=2, own=False, name="Redcar outreach")]
    proposals = propose(situation("persistent_absence", "chronic_absence"), places, set())
    assert [(p.intervention, p.waitlist) for p in proposals] == [
        ("family_outreach", False),
        ("mentoring", True),
        ("team_around_the_family", True),
    ]
    assert "with Redcar outreach" in proposals[0].reason and "waitlist" in proposals[1].reason


def test_the_schools_own_provider_is_preferred_when_it_has_a_place():
    places = [place("pastoral_check_in", 9, provider=2, own=False, name="LA"), place("pastoral_check_in", 1)]
    [first, *_] = propose(situation("persistent_absence", "persistent_absence"), places, set())
    assert first.provider_id == 1 and "at this school" in first.reason


def test_an_intervention_already_open_for_the_case_is_never_proposed_again():
    proposals = propose(situation("first_week_absence"), [place("pastoral_check_in", 5)], {"pastoral_check_in"})
    assert proposals == []


def test_missing_education_is_referred_to_the_cme_officer_at_once():
    places = [place("la_children_missing_education_officer", 50, own=False, name="LA CME team")]
    [cme, *rest] = propose(situation("missing_education"), places, set())
    assert (cme.intervention, cme.refer_at_once) == ("la_children_missing_education_officer", True)
    assert all(not p.refer_at_once for p in rest)
