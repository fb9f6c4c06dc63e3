"""The one state machine every event (case) moves through. Pure: no Django.

Every transition is a whitelisted (state, action) pair; anything else is refused, so
history can only record moves this table allows.
"""

from __future__ import annotations

REPORTED = "reported"
TRIAGE = "triage"
DISPATCHED = "dispatched"
IN_PROGRESS = "in_progress"
WAITING = "waiting_resident"
RESOLVED = "resolved"
CLOSED = "closed"
MERGED = "merged"

STATES = (REPORTED, TRIAGE, DISPATCHED, IN_PROGRESS, WAITING, RESOLVED, CLOSED, MERGED)
OPEN_STATES = frozenset({REPORTED, TRIAGE, DISPATCHED, IN_PROGRESS, WAITING, RESOLVED})
# Cases that weigh on their holder (workload for assignment): being handled or waiting;
# a resolved case waits only for the check.
LOAD_STATES = frozenset({DISPATCHED, IN_PROGRESS, WAITING})

# (from state, action) → to state.
TRANSITIONS: dict[tuple[str, str], str] = {
    (REPORTED, "triage"): TRIAGE,  # the classifier was not sure: a person decides
    (REPORTED, "dispatch"): DISPATCHED,
    (TRIAGE, "dispatch"): DISPATCHED,
    (DISPATCHED, "accept"): IN_PROGRESS,  # a handler claims it
    (DISPATCHED, "return"): TRIAGE,  # 退回: not ours (counted as a misroute)
    (DISPATCHED, "transfer"): DISPATCHED,  # 转办 to another unit, with a reason
    (IN_PROGRESS, "transfer"): DISPATCHED,
    (IN_PROGRESS, "wait"): WAITING,  # the clock pauses while we wait for the resident
    (WAITING, "resume"): IN_PROGRESS,
    (IN_PROGRESS, "resolve"): RESOLVED,
    (RESOLVED, "close"): CLOSED,  # categories without 核查
    (RESOLVED, "check_pass"): CLOSED,  # 核查 by a second person
    (RESOLVED, "check_fail"): IN_PROGRESS,
    (CLOSED, "reopen"): IN_PROGRESS,  # an unhappy rating within 7 days
}
for _state in (REPORTED, TRIAGE, DISPATCHED, IN_PROGRESS, WAITING):
    TRANSITIONS[(_state, "merge")] = MERGED

ACTIONS = frozenset(action for _, action in TRANSITIONS)


class TransitionRefused(ValueError):
    def __init__(self, state: str, action: str):
        super().__init__(f"{action!r} is not allowed from {state!r}")
        self.state = state
        self.action = action


def next_state(state: str, action: str) -> str:
    try:
        return TRANSITIONS[(state, action)]
    except KeyError:
        raise TransitionRefused(state, action) from None


def allowed_actions(state: str) -> list[str]:
    return sorted(action for (s, action) in TRANSITIONS if s == state)
