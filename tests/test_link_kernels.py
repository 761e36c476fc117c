"""The link stage's parents window in C (``parents_new`` / ``parents_decide`` in
``analyzer/backends/_hashed.c``) gives what the Python reference (``LRU`` and ``resolve`` per
comment) gives: the same found tuples, counts in the same order and window sizes, batch by batch,
on a stream written by us whose windows evict at almost every step."""

from __future__ import annotations

import numpy as np
import pytest

from analyzer.schema import Comment
from analyzer.stages import link
from analyzer.stages.link import DramaLinkStage, scoped

compiled = pytest.mark.skipif(link._hashed is None, reason="the compiled kernels are not built (no C compiler)")


class PythonWindow(DramaLinkStage):
    """The reference: ``resolve`` overridden (the same code), so the C window is not used."""

    def resolve(self, ident, reply_to, found):
        return super().resolve(ident, reply_to, found)


def _stream(seed: int, n: int) -> list[tuple[Comment, tuple]]:
    """Comments with their own evidence (as ``link_own`` gives it): replies to recent, old, missing
    and unlinked comments, to themselves, ids seen twice, empty and absent reply_to."""
    rng = np.random.default_rng(seed)
    dramas = ["d1", "d2", "d3", None, None]
    out = []
    for i in range(n):
        ident = f"c{int(rng.integers(0, n * 3 // 4))}" if rng.random() < 0.2 else f"c{i}"
        pick = rng.random()
        reply_to = (f"c{max(0, i - int(rng.integers(0, 12)))}" if pick < 0.5 else ident if pick < 0.55
                    else "" if pick < 0.65 else None)
        drama = dramas[int(rng.integers(0, len(dramas)))]
        found = ((drama, float(rng.choice([1.0, 0.9, 0.7, 0.8, 0.6, 0.5])), "field", []) if drama
                 else (None, None, str(rng.choice(["no_evidence", "ambiguous", "cast_only"])), ["d1"]))
        out.append((Comment(id=ident, text="x", reply_to=reply_to), found))
    return out


@compiled
@pytest.mark.parametrize("window", [1, 2, 3, 7, 50, 3000])
@pytest.mark.parametrize("use_parents", [True, False])
def test_compiled_parents_window_equals_the_python_window(window, use_parents):
    fast = DramaLinkStage(parent_window=window, use_parents=use_parents)
    slow = PythonWindow(parent_window=window, use_parents=use_parents)
    assert fast.compiled_window() and not slow.compiled_window()
    stream = _stream(window, 4000)
    for start in range(0, len(stream), 97):
        batch, found = zip(*stream[start:start + 97])
        if start % 3:
            made = fast.decide_batch(list(batch), list(found))
        else:  # one comment at a time, with the window's keys, as a distributed engine calls it
            made = [fast.resolve(scoped(c.id, None, ""), scoped(c.reply_to, None, ""), own) for c, own in zip(batch, found)]
        assert made == slow.decide_batch(list(batch), list(found))
        assert list(fast.stats.items()) == list(slow.stats.items())
        assert fast.parents_size() == slow.parents_size() == len(slow._parents.data)
    assert fast.stats["linked_parent"] > 0 or not use_parents


@compiled
def test_compiled_parents_window_refuses_bad_arguments():
    stage = DramaLinkStage(parent_window=4)
    comment = Comment(id="a", text="x")
    with pytest.raises(TypeError):
        stage.decide_batch([comment], [("not a tuple")])
    with pytest.raises(ValueError):
        link._hashed.parents_decide(stage._window, ["a", "b"], None, [("d1", 1.0, "field", [])], lambda p: p)
    with pytest.raises(ValueError):
        link._hashed.parents_new(0)
