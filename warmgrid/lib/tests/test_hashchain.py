from warmgrid.lib.hashchain import GENESIS, entry_hash, find_first_break

KEY = b"k" * 32


def chain(n):
    rows, prev = [], GENESIS
    for seq in range(1, n + 1):
        fields = {"seq": seq, "action": "update", "changes": {"name": ["a", str(seq)]}}
        h = entry_hash(prev, fields, KEY)
        rows.append((seq * 10, seq, prev, h, fields))
        prev = h
    return rows


def test_an_intact_chain_has_no_break():
    assert find_first_break(chain(5), KEY) is None


def test_it_names_the_altered_entry():
    rows = chain(5)
    row_id, seq, prev, h, fields = rows[2]
    rows[2] = (row_id, seq, prev, h, fields | {"action": "updatex"})
    broken = find_first_break(rows, KEY)
    assert (broken.seq, broken.reason) == (3, "altered")


def test_it_notices_a_removed_entry():
    rows = chain(5)
    del rows[1]
    broken = find_first_break(rows, KEY)
    assert (broken.seq, broken.reason) == (3, "removed_or_reordered")


def test_it_notices_reordering():
    rows = chain(5)
    rows[1], rows[2] = rows[2], rows[1]
    assert find_first_break(rows, KEY).seq == 3


def test_it_notices_a_rewritten_tail_that_does_not_link_up():
    rows = chain(4)
    # Rewriting an entry and recomputing its own hash still breaks the next link.
    row_id, seq, prev, _, fields = rows[1]
    forged = fields | {"reason": "forged"}
    rows[1] = (row_id, seq, prev, entry_hash(prev, forged, KEY), forged)
    broken = find_first_break(rows, KEY)
    assert (broken.seq, broken.reason) == (3, "removed_or_reordered")


def test_without_the_key_a_rewritten_chain_does_not_verify():
    rows = chain(3)
    forged, prev = [], GENESIS
    for row_id, seq, _, _, fields in rows:
        changed = fields | {"reason": "forged"}
        h = entry_hash(prev, changed, b"guessed key")
        forged.append((row_id, seq, prev, h, changed))
        prev = h
    assert find_first_break(forged, KEY).seq == 1
