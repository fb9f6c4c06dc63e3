import pytest

from warmgrid.lib import casestates as cs


def test_the_happy_path_is_allowed():
    state = cs.REPORTED
    for action in ("dispatch", "accept", "resolve", "close"):
        state = cs.next_state(state, action)
    assert state == cs.CLOSED
    assert cs.next_state(cs.CLOSED, "reopen") == cs.IN_PROGRESS


@pytest.mark.parametrize("state", cs.STATES)
@pytest.mark.parametrize("action", sorted(cs.ACTIONS))
def test_every_pair_is_either_whitelisted_or_refused(state, action):
    if (state, action) in cs.TRANSITIONS:
        assert cs.next_state(state, action) in cs.STATES
        assert action in cs.allowed_actions(state)
    else:
        with pytest.raises(cs.TransitionRefused):
            cs.next_state(state, action)
        assert action not in cs.allowed_actions(state)


def test_nothing_leaves_a_merged_case():
    assert cs.allowed_actions(cs.MERGED) == []


def test_a_closed_case_only_reopens():
    assert cs.allowed_actions(cs.CLOSED) == ["reopen"]
