"""Recent answers are reused only while recent, and only for the same question."""

from services.referrals.insight.recent import Recent


class Clock:
    def __init__(self) -> None:
        self.now = 0.0

    def __call__(self) -> float:
        return self.now


def test_an_answer_is_reused_for_its_seconds_and_then_counted_again():
    clock, counted = Clock(), []
    recent = Recent(60, clock=clock)

    def count(label: str):
        counted.append(label)
        return label

    assert recent.get("borough", lambda: count("first")) == "first"
    clock.now = 59.9
    assert recent.get("borough", lambda: count("second")) == "first"
    assert recent.get("school", lambda: count("school")) == "school"  # another question is counted
    clock.now = 60.0
    assert recent.get("borough", lambda: count("third")) == "third"
    assert counted == ["first", "school", "third"]


def test_zero_seconds_counts_every_time_and_the_oldest_answer_makes_room():
    clock = Clock()
    never = Recent(0, clock=clock)
    assert [never.get("k", lambda n=n: n) for n in range(3)] == [0, 1, 2]
    small = Recent(60, clock=clock, size=2)
    for n, key in enumerate(("a", "b", "c")):
        clock.now = n
        small.get(key, lambda key=key: key)
    assert small.get("a", lambda: "again") == "again" and small.get("c", lambda: "again") == "c"
