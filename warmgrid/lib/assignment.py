"""Who in a unit gets a new case. Pure: no Django.

The rule, in order:
  1. only people on duty now are considered; when nobody is, everyone eligible is (and
     the choice says so);
  2. the one with the lowest open load wins: the sum of the difficulty weights of the
     cases they hold open (a family conflict weighs 1.6, a rubbish pile 0.8);
  3. ties go to the one holding fewer open cases, then to the lowest user id, so the
     same state of the world always gives the same person.
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal


def plain(number: Decimal) -> str:
    """3.50 → "3.5", 10.00 → "10": a weight as people write it."""
    return f"{Decimal(number).normalize():f}"


@dataclass(frozen=True)
class Candidate:
    user_id: int
    on_duty: bool
    load: Decimal  # sum of difficulty weights of the open cases they hold
    open_cases: int


@dataclass(frozen=True)
class Choice:
    user_id: int
    on_duty: bool
    load: Decimal
    open_cases: int
    considered: int  # how many were weighed against each other
    eligible: int  # how many could handle the case at all
    nobody_on_duty: bool  # the duty rule was dropped: nobody was on duty

    def as_data(self) -> dict:
        """The choice as JSON-ready data, to store on the case and in its history."""
        return {"user": self.user_id, "on_duty": self.on_duty, "load": plain(self.load),
                "open_cases": self.open_cases, "considered": self.considered,
                "eligible": self.eligible, "nobody_on_duty": self.nobody_on_duty}

    def explain(self, name: str) -> str:
        """The reason in plain English (pages translate from as_data() instead)."""
        if self.nobody_on_duty:
            why = f"nobody was on duty, so all {self.eligible} were weighed"
        else:
            why = "on duty"
        return (f"assigned to {name}: {why}, open load {plain(self.load)} "
                f"(lowest of {self.considered})")


def choose_assignee(candidates: list[Candidate]) -> Choice | None:
    """The person to assign, by the rule above; None when there is nobody."""
    if not candidates:
        return None
    on_duty = [c for c in candidates if c.on_duty]
    pool = on_duty or candidates
    best = min(pool, key=lambda c: (c.load, c.open_cases, c.user_id))
    return Choice(user_id=best.user_id, on_duty=best.on_duty, load=best.load,
                  open_cases=best.open_cases, considered=len(pool),
                  eligible=len(candidates), nobody_on_duty=not on_duty)
