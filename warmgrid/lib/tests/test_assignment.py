"""Who in a unit gets a new case: on duty first, lightest weighted load, deterministic ties."""

from decimal import Decimal

from warmgrid.lib.assignment import Candidate, choose_assignee, plain


def person(user_id, load="0", *, on_duty=True, open_cases=0):
    return Candidate(user_id=user_id, on_duty=on_duty, load=Decimal(load),
                     open_cases=open_cases)


def test_nobody_to_choose_from_gives_nobody():
    assert choose_assignee([]) is None


def test_the_lightest_load_on_duty_wins():
    choice = choose_assignee([person(1, "3.5", open_cases=3), person(2, "1.6", open_cases=1),
                              person(3, "2.4", open_cases=3)])
    assert (choice.user_id, choice.load, choice.considered) == (2, Decimal("1.6"), 3)
    assert choice.on_duty and not choice.nobody_on_duty


def test_load_is_weighted_by_difficulty_not_counted():
    # Two rubbish piles (0.8 each) weigh less than one family conflict (1.6 + a bit).
    choice = choose_assignee([person(1, "1.7", open_cases=1), person(2, "1.6", open_cases=2)])
    assert choice.user_id == 2


def test_someone_on_duty_wins_over_a_lighter_colleague_off_duty():
    choice = choose_assignee([person(1, "0", on_duty=False), person(2, "4.2")])
    assert choice.user_id == 2 and choice.considered == 1 and choice.eligible == 2


def test_when_nobody_is_on_duty_everyone_is_weighed_and_the_choice_says_so():
    choice = choose_assignee([person(1, "2", on_duty=False), person(2, "1", on_duty=False)])
    assert choice.user_id == 2 and choice.nobody_on_duty and not choice.on_duty
    assert choice.considered == 2
    assert "nobody was on duty" in choice.explain("王芳")


def test_ties_go_to_fewer_open_cases_then_the_lowest_id_whatever_the_order():
    tied = [person(7, "1.6", open_cases=2), person(5, "1.6", open_cases=1),
            person(3, "1.6", open_cases=1)]
    assert choose_assignee(tied).user_id == 3
    assert choose_assignee(list(reversed(tied))).user_id == 3


def test_the_choice_explains_itself_and_serialises_plainly():
    choice = choose_assignee([person(4, "3.50", open_cases=3), person(9, "5", open_cases=4)])
    assert choice.explain("王芳") == "assigned to 王芳: on duty, open load 3.5 (lowest of 2)"
    assert choice.as_data() == {"user": 4, "on_duty": True, "load": "3.5", "open_cases": 3,
                                "considered": 2, "eligible": 2, "nobody_on_duty": False}


def test_plain_weights():
    assert [plain(Decimal(v)) for v in ("3.50", "10.00", "0", "0.80")] == ["3.5", "10", "0",
                                                                          "0.8"]
