import datetime as dt

from hypothesis import given
from hypothesis import strategies as st

from warmgrid.lib.clusters import CaseSketch, find_clusters, most_in_window

T0 = dt.datetime(2026, 5, 6, 8, 0, tzinfo=dt.UTC)
SIX_HOURS = dt.timedelta(hours=6)
RULES = {"window": SIX_HOURS, "min_cases": 3, "text_threshold": 0.3}
LEAK = "楼上卫生间漏水到我家"
LAMP = "小区门口路灯晚上不亮"


def sketch(pk, hours, *, place=1, family=10, text=LEAK):
    return CaseSketch(id=pk, at=T0 + dt.timedelta(hours=hours), place=place, family=family,
                      text=text)


def test_three_of_a_family_at_one_place_within_the_window_are_a_cluster():
    found = find_clusters([sketch(1, 0), sketch(2, 2), sketch(3, 5.5)], **RULES)
    assert len(found) == 1
    cluster = found[0]
    assert (cluster.place, cluster.family, cluster.case_ids) == (1, 10, (1, 2, 3))
    assert (cluster.first_at, cluster.last_at) == (T0, T0 + dt.timedelta(hours=5.5))


def test_too_few_too_far_apart_or_at_other_places_are_not():
    assert find_clusters([sketch(1, 0), sketch(2, 1)], **RULES) == []
    assert find_clusters([sketch(1, 0), sketch(2, 4), sketch(3, 8)], **RULES) == []
    assert find_clusters([sketch(1, 0), sketch(2, 1, place=2), sketch(3, 2)], **RULES) == []


def test_unlike_cases_of_other_families_are_not_linked():
    cases = [sketch(1, 0), sketch(2, 1, family=20, text=LAMP), sketch(3, 2, family=30,
                                                                      text="孩子哭闹")]
    assert find_clusters(cases, **RULES) == []


def test_text_alone_links_cases_without_a_category():
    cases = [sketch(1, 0, family=None), sketch(2, 1, family=None, text="卫生间漏水到楼下我家"),
             sketch(3, 2, family=None, text="楼上卫生间又漏水了，漏到我家")]
    found = find_clusters(cases, **RULES)
    assert len(found) == 1 and found[0].family is None and len(found[0].case_ids) == 3


def test_a_case_linked_only_by_text_keeps_the_shared_family():
    cases = [sketch(1, 0), sketch(2, 1), sketch(3, 2, family=None)]
    assert find_clusters(cases, **RULES)[0].family == 10


def test_a_chain_longer_than_the_window_needs_enough_cases_inside_one_stretch():
    # Linked one to the next (5 h apart), but never three within six hours.
    spread = [sketch(1, 0), sketch(2, 5), sketch(3, 10), sketch(4, 15)]
    assert find_clusters(spread, **RULES) == []
    assert len(find_clusters([*spread, sketch(5, 11)], **RULES)[0].case_ids) == 5


def test_most_in_window_counts_the_busiest_stretch():
    times = [T0 + dt.timedelta(hours=h) for h in (0, 1, 7, 8, 9, 20)]
    assert most_in_window(times, SIX_HOURS) == 3
    assert most_in_window([], SIX_HOURS) == 0


@given(st.lists(st.tuples(st.integers(0, 3), st.integers(0, 48), st.integers(0, 2)),
                max_size=30))
def test_clusters_are_big_enough_and_never_mix_places(rows):
    cases = [sketch(i, hours, place=place, family=family, text="")
             for i, (place, hours, family) in enumerate(rows)]
    place_of = {c.id: c.place for c in cases}
    seen = set()
    for cluster in find_clusters(cases, **RULES):
        assert len(cluster.case_ids) >= 3
        assert {place_of[i] for i in cluster.case_ids} == {cluster.place}
        assert not seen & set(cluster.case_ids)
        seen |= set(cluster.case_ids)
