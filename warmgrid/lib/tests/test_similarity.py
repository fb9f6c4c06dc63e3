from hypothesis import given
from hypothesis import strategies as st

from warmgrid.lib.similarity import similarity


def test_the_same_complaint_in_other_words_is_alike():
    a = "3号楼2单元楼道堆放杂物，堵住了消防通道"
    b = "3号楼2单元的楼道里堆满杂物，消防通道被堵"
    c = "小区门口的路灯晚上不亮"
    assert similarity(a, b) > 0.3
    assert similarity(a, c) < 0.1


@given(st.text(max_size=40), st.text(max_size=40))
def test_it_is_symmetric_and_bounded(a, b):
    assert similarity(a, b) == similarity(b, a)
    assert 0.0 <= similarity(a, b) <= 1.0


@given(st.text(min_size=2, max_size=40).filter(lambda t: sum(c.isalnum() for c in t) >= 2))
def test_a_text_is_identical_to_itself(text):
    assert similarity(text, text) == 1.0
