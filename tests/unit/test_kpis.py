"""The casework KPIs on a small example worked out by hand."""

import datetime as dt

from services.referrals.casework.kpis import FlaggedCase, ReferralFacts, compute

D = dt.date


def weekdays_between(_school: str, first: dt.date, last: dt.date) -> int:
    """School days after `first` up to `last`: weekdays, for this example."""
    return sum((first + dt.timedelta(days=n)).weekday() < 5 for n in range(1, (last - first).days + 1))


def test_kpis_on_a_hand_computed_example():
    # Four flagged pupils, first alerts on Monday 6 October 2025:
    #  1: started mentoring on 13 Oct (5 school days later): in time
    #  2: started on 27 Oct (15 school days later): too late
    #  3: declined family outreach; nothing started; its window has passed: not in time
    #  4: flagged on 30 Oct; as of 3 Nov only 2 school days have passed: pending, not counted
    cases = [
        FlaggedCase(1, "111111", D(2025, 10, 6), closed_outcome="improved"),
        FlaggedCase(2, "111111", D(2025, 10, 6)),
        FlaggedCase(3, "111111", D(2025, 10, 6)),
        FlaggedCase(4, "111111", D(2025, 10, 30)),
    ]
    referrals = [
        ReferralFacts(1, "mentoring", "ended", D(2025, 10, 7), D(2025, 10, 9), None, D(2025, 10, 13), D(2025, 12, 1)),
        ReferralFacts(2, "mentoring", "started", D(2025, 10, 20), D(2025, 10, 22), None, D(2025, 10, 27)),
        ReferralFacts(3, "family_outreach", "declined", D(2025, 10, 8), None, D(2025, 10, 10)),
        ReferralFacts(4, "mentoring", "waitlisted", D(2025, 10, 31)),
    ]
    kpis = compute(cases, referrals, weekdays_between, today=D(2025, 11, 3))
    assert (kpis.flagged_pupils, kpis.assessed, kpis.supported_in_time, kpis.pending) == (4, 3, 1, 1)
    assert kpis.share_supported_in_time == round(1 / 3, 4) and kpis.target_share == 0.75
    assert kpis.funnel == {"referred": 4, "consented": 2, "declined": 1, "started": 2, "ended": 1}
    assert kpis.median_days_referral_to_start == 6.5  # 6 and 7 calendar days
    assert kpis.waitlist_length == 1
    assert kpis.cases_closed_by_outcome == {"improved": 1}
    assert kpis.by_intervention["family_outreach"] == {
        "referred": 1,
        "consented": 0,
        "declined": 1,
        "started": 0,
        "ended": 0,
    }


def test_no_flagged_pupils_gives_no_share_rather_than_zero():
    kpis = compute([], [], weekdays_between, today=D(2025, 11, 3))
    assert kpis.share_supported_in_time is None and kpis.flagged_pupils == 0
