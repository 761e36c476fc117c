"""Resonance aggregation on hand-built annotated records with known answers."""

from __future__ import annotations

import math
from datetime import datetime, timedelta, timezone

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from analyzer.aggregate import ResonanceAccumulator, compare
from analyzer.aggregate.accumulator import iso_week, window_labels
from analyzer.aggregate.index import INDEX_DECIMALS
from analyzer.errors import ConfigError
from analyzer.schema import Comment

T0 = datetime(2024, 6, 3, 12, 0, tzinfo=timezone.utc)  # a Monday (ISO 2024-W23)
NO_SHRINK = {"shrinkage": False, "bootstrap": 0}
_ids = iter(range(10**9))


def mk(author, sentiment, *, drama="A", region="VN", pos=None, lang="vi", themes=(), pol=None,
       intents=(), likes=0, day=0, noise=False, text=None):
    """One annotated comment. ``pos`` is P(positive); ``pol`` maps theme -> polarity."""
    i = next(_ids)
    scores = () if pos is None else ((1 - pos) / 2, (1 - pos) / 2, pos)
    return Comment(id=f"c{i}", text=text or f"comment number {i}", drama=drama, region=region, author=author,
                   created_at=T0 + timedelta(days=day), likes=likes, sentiment=sentiment,
                   sentiment_scores=scores, lang=lang, themes=tuple(themes), theme_polarity=dict(pol or {}),
                   intents=tuple(intents), noise=noise)


def drama_a():
    """Four authors in A x VN with hand-computed components (see test below)."""
    return [
        mk("a1", "positive", pos=0.9, themes=("story", "romance"), pol={"story": "positive", "romance": "positive"},
           intents=("watch",), likes=10),
        mk("a1", "positive", pos=0.6, themes=("music",), day=1),
        mk("a2", "negative", pos=0.1, lang="en", themes=("subtitles",), pol={"subtitles": "negative"},
           intents=("where_to_watch",), day=2),
        mk("a3", "neutral", pos=0.2, themes=("acting",), intents=("dropped",), day=3),
        mk("a4", "positive", pos=0.95, lang="und", day=4),
    ]


def drama_b():
    return [mk("b1", "positive", drama="B", pos=0.99), mk("b2", "negative", drama="B", pos=0.01, lang="en")]


def test_every_component_is_exact_on_hand_built_records():
    res = ResonanceAccumulator(NO_SHRINK).update(drama_a()).result()
    c = res.cell("A", "VN")
    assert (c["comments"], c["authors"], c["reach"]) == (5, 4, 4)
    assert (c["positive"], c["neutral"], c["negative"]) == pytest.approx((0.6, 0.2, 0.2))
    assert c["net_sentiment"] == pytest.approx(0.5) and c["valence"] == pytest.approx(0.5)
    assert c["intensity"] == pytest.approx(2 / 5)  # a1's first and a4: P(positive) >= 0.8
    assert c["net_intent"] == pytest.approx(0.0)  # a1 watch - a3 dropped, over 4 authors
    assert c["depth"] == pytest.approx(1 / 3)  # a1 of the themed a1, a2, a3
    assert c["localness"] == pytest.approx(3 / 4)  # vi x3 of 4 comments with a known language
    assert c["star_pull"] == pytest.approx(1 / 2)  # a3 cast-only vs a1 story
    assert c["unmet_access"] == pytest.approx(1 / 4)  # a2
    assert c["resonance_index"] == pytest.approx(1.0)  # alone in its cohort: typical by definition
    assert "small_cell" in c["flags"]
    themes = {t["theme"]: t for t in res.themes if t["window"] == "all"}
    assert themes["story"]["salience"] == pytest.approx(0.25)
    assert themes["subtitles"]["net_valence"] == pytest.approx(-1.0)
    assert themes["subtitles"]["quadrant"] == "liability"
    assert themes["story"]["quadrant"] == "strength"
    assert c["top_themes"].split("; ")[0] in themes


def test_index_is_the_weighted_geometric_mean_of_cohort_multiples():
    res = ResonanceAccumulator(NO_SHRINK).update(drama_a() + drama_b()).result()
    e = 0.01
    med_val, med_int, med_loc = (0.75 + 0.5) / 2, (0.4 + 0.5) / 2, (0.75 + 0.5) / 2
    ri_a = math.exp(0.30 * math.log(4 / 3) + 0.25 * math.log((0.75 + e) / (med_val + e))
                    + 0.10 * math.log((0.4 + e) / (med_int + e)) + 0.10 * math.log((0.75 + e) / (med_loc + e)))
    # B has no themed authors: depth is undefined and its weight drops out.
    ri_b = math.exp((0.30 * math.log(2 / 3) + 0.25 * math.log((0.5 + e) / (med_val + e))
                     + 0.10 * math.log((0.5 + e) / (med_int + e)) + 0.10 * math.log((0.5 + e) / (med_loc + e))) / 0.9)
    # the index is rounded to INDEX_DECIMALS (the same on every CPU, tests/test_index_cpu.py)
    half_step = 0.5 * 10.0 ** -INDEX_DECIMALS + 1e-12
    assert res.cell("A", "VN")["resonance_index"] == pytest.approx(ri_a, abs=half_step)
    assert res.cell("B", "VN")["resonance_index"] == pytest.approx(ri_b, abs=half_step)
    assert res.cell("B", "VN")["depth"] is None
    assert res.cell("A", "VN")["tier"] == "high" and res.cell("B", "VN")["tier"] == "low"


def test_shrinkage_pulls_toward_the_cohort_mean():
    cfg = {"shrinkage": True, "shrinkage_strength": 2, "bootstrap": 0,
           "weights": {"valence": 1.0}}
    res = ResonanceAccumulator(cfg).update(drama_a() + drama_b()).result()
    mu = (4 * 0.75 + 2 * 0.5) / 6
    sa, sb = (4 * 0.75 + 2 * mu) / 6, (2 * 0.5 + 2 * mu) / 4
    med = (sa + sb) / 2
    assert res.cell("A", "VN")["resonance_index"] == pytest.approx((sa + 0.01) / (med + 0.01))
    assert res.cell("A", "VN")["valence"] == pytest.approx(0.5)  # components themselves stay raw


def test_weight_is_capped_per_author_and_cell():
    heavy = [mk("h", "positive") for _ in range(5)] + [mk("h", "negative")]
    acc = ResonanceAccumulator({**NO_SHRINK, "max_comments_per_author": 3})
    res = acc.update(heavy + [mk("x", "negative")]).result()
    # h counts 3 comments: 2.5 positive, 0.5 negative; x adds 1 negative.
    assert res.cell("A", "VN")["net_sentiment"] == pytest.approx((2.5 - 1.5) / 4)
    assert res.cell("A", "VN")["comments"] == 7


def test_noise_excluded_unknowns_named_and_anonymous_authors_counted_apart():
    batch = [mk(None, "positive", drama=None, region=None), mk(None, "negative", drama=None, region=None),
             mk("n", "positive", noise=True)]
    res = ResonanceAccumulator(NO_SHRINK).update(batch).result()
    cell = res.cell("(unlinked)", "(unknown)")
    assert cell["authors"] == 2 and cell["net_sentiment"] == pytest.approx(0.0)
    assert res.cell("A", "VN") is None  # the only A x VN comment was noise


def test_windows_first_days_and_iso_weeks():
    batch = [mk("w1", "positive", day=0), mk("w2", "positive", day=5), mk("w3", "negative", day=10),
             mk("w4", "negative", day=30)]
    res = ResonanceAccumulator(NO_SHRINK).update(batch).result()
    assert res.cell("A", "VN", "all")["authors"] == 4
    assert res.cell("A", "VN", "first_7d")["authors"] == 2
    assert res.cell("A", "VN", "first_28d")["authors"] == 3
    assert res.cell("A", "VN", "2024-W23")["authors"] == 2
    assert res.cell("A", "VN", iso_week((T0 + timedelta(days=30)).date().toordinal()))["authors"] == 1
    assert window_labels(None, 5) == ["all"]


def test_quotes_are_bounded_one_per_author_and_most_liked_first():
    batch = [mk(f"q{i % 4}", "positive", themes=("romance",), likes=i, lang=("vi", "en")[i % 2]) for i in range(40)]
    acc = ResonanceAccumulator({**NO_SHRINK, "quote_candidates": 3, "quotes_per_slot": 2}).update(batch)
    slot = acc.quote_candidates()[("A", "VN", "romance", "positive")]
    assert [c["likes"] for c in slot] == [39, 38, 37]
    quotes = [q for q in acc.result().quotes if q["theme"] == "romance"]
    assert len(quotes) == 2 and len({q["author"] for q in quotes}) == 2
    assert {q["lang"] for q in quotes} == {"vi", "en"}  # diverse languages first


def test_unknown_setting_is_a_config_error():
    with pytest.raises(ConfigError, match=r"Unknown key .* in \[aggregate\]"):
        ResonanceAccumulator({"bootstraps": 10})
    with pytest.raises(ConfigError, match="'bootstrap' parameter of ResonanceAccumulator"):
        ResonanceAccumulator({"bootstrap": -1})


def test_compare_two_dramas_gives_difference_with_interval():
    batch = [mk(f"p{i}", "positive", drama="P") for i in range(40)] + \
            [mk(f"n{i}", "negative" if i % 2 else "positive", drama="N") for i in range(40)]
    res = ResonanceAccumulator({"bootstrap": 200}).update(batch).result()
    out = compare(res, "P", "N", by="drama")
    m = out["metrics"]["net_sentiment"]
    assert m["difference"] == pytest.approx(1.0)
    assert 0.5 < m["ci_low"] < 1.0 < m["ci_high"] < 1.5  # N is 0 +- its sampling error; P is exactly 1
    assert out["resonance_index"][0]["region"] == "VN"
    with pytest.raises(ConfigError, match="No drama 'Z'"):
        compare(res, "P", "Z")


comment_st = st.builds(
    lambda author, drama, region, sentiment, themes, intents, day, likes, noise, lang, dup: mk(
        author, sentiment, drama=drama, region=region, themes=themes, intents=intents, day=day, likes=likes,
        noise=noise, lang=lang, pos=0.85 if sentiment == "positive" else 0.1,
        pol={t: sentiment for t in themes}).with_(duplicate_of="c0" if dup else None),
    author=st.sampled_from(["u1", "u2", "u3", "u4", None]),
    drama=st.sampled_from(["A", "B", None]),
    region=st.sampled_from(["VN", "TH", None]),
    sentiment=st.sampled_from(["positive", "neutral", "negative"]),
    themes=st.lists(st.sampled_from(["story", "acting", "music", "access"]), max_size=2, unique=True),
    intents=st.lists(st.sampled_from(["watch", "dropped", "where_to_watch"]), max_size=2, unique=True),
    day=st.integers(0, 40),
    likes=st.integers(0, 5),
    noise=st.booleans(),
    lang=st.sampled_from(["vi", "th", "en", "und"]),
    dup=st.sampled_from([False, False, False, True]),
)


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.lists(comment_st, max_size=25), st.integers(0, 25))
def test_merge_equals_update_of_concatenation(comments, cut):
    cfg = {"bootstrap": 20, "quote_candidates": 2, "confusion": {"*": [[8, 1, 1], [1, 8, 1], [1, 1, 8]]}}
    whole = ResonanceAccumulator(cfg).update(comments).result()
    left = ResonanceAccumulator(cfg).update(comments[:cut])
    merged = left.merge(ResonanceAccumulator(cfg).update(comments[cut:])).result()
    assert merged.to_rows() == whole.to_rows()
    assert merged.theme_rows() == whole.theme_rows()
    assert merged.quote_rows() == whole.quote_rows()


def test_duplicate_copies_are_excluded_and_counted():
    first = mk("d1", "positive")
    batch = [first, mk("d2", "negative").with_(dup_count=2, duplicate_of=first.id), mk("d3", "positive")]
    cell = ResonanceAccumulator(NO_SHRINK).update(batch).result().cell("A", "VN")
    assert (cell["comments"], cell["duplicate_comments"], cell["net_sentiment"]) == (2, 1, 1.0)


def test_shares_corrected_for_classifier_error_per_language():
    # vi classifier calls 1 in 4 true negatives positive; observed 5 pos / 3 neg.
    vi = [[3, 0, 1], [0, 1, 0], [0, 0, 1]]
    batch = [mk(f"p{i}", "positive") for i in range(5)] + [mk(f"n{i}", "negative") for i in range(3)]
    cell = ResonanceAccumulator({**NO_SHRINK, "confusion": {"vi": vi}}).update(batch).result().cell("A", "VN")
    # observed = M^T true with M rows normalized: pos_obs = 0.25 neg + pos; neg_obs = 0.75 neg -> neg = 0.5
    assert cell["negative_corrected"] == pytest.approx(0.5)
    assert cell["positive_corrected"] == pytest.approx(0.5)
    assert cell["net_sentiment_corrected"] == pytest.approx(0.0)
    with pytest.raises(ConfigError, match="confusion.vi"):
        ResonanceAccumulator({"confusion": {"vi": [[1, 0], [0, 1]]}})


def test_localness_ignores_regions_inferred_from_language():
    batch = [mk("l1", "positive", lang="vi").with_(region_source="channel"),
             mk("l2", "positive", lang="en").with_(region_source="profile"),
             mk("l3", "positive", lang="vi").with_(region_source="language")]
    cell = ResonanceAccumulator(NO_SHRINK).update(batch).result().cell("A", "VN")
    assert cell["localness"] == pytest.approx(0.5)
    batch = [mk("g1", "positive", region="Anglophone", lang="en").with_(region_source="language")]
    assert ResonanceAccumulator(NO_SHRINK).update(batch).result().cell("A", "Anglophone")["localness"] is None


def test_compare_markets_and_bad_arguments():
    batch = [mk(f"v{i}", "positive", region="VN") for i in range(20)] + \
            [mk(f"t{i}", "negative", region="TH") for i in range(20)]
    res = ResonanceAccumulator({"bootstrap": 100}).update(batch).result()
    out = compare(res, "VN", "TH", by="region")
    assert out["metrics"]["valence"]["difference"] == pytest.approx(2.0)
    assert out["resonance_index"][0]["drama"] == "A"
    with pytest.raises(ConfigError, match="'by' parameter"):
        compare(res, "VN", "TH", by="genre")
    with pytest.raises(ConfigError, match="no comments in window"):
        compare(res, "VN", "TH", by="region", window="2030-W01")


def test_compare_refuses_a_drama_or_market_compared_with_itself():
    """`analyzer compare RUN "The Untamed" "The Untamed"` printed every difference as 0 [0, 0] and
    every index ratio as 1.00 [1.00, 1.00], an interval no data gives."""
    batch = [mk(f"v{i}", "positive", region="VN") for i in range(5)]
    res = ResonanceAccumulator({"bootstrap": 20}).update(batch).result()
    for by, name in (("drama", "A"), ("region", "VN")):
        with pytest.raises(ConfigError, match=f"A and B are the same {by}"):
            compare(res, name, name, by=by)


def test_compare_flags_index_ratios_of_cells_the_reports_call_not_enough_viewers():
    """The reports show no index for a cell under min_authors; compare printed its ratio (1.40x for
    1 viewer vs 1) with nothing to say so. Each ratio now names both cells' viewers and small_cell."""
    batch = [mk(f"p{i}", "positive", drama="P", region="VN") for i in range(12)] + \
            [mk(f"n{i}", "negative", drama="N", region="VN") for i in range(12)] + \
            [mk("solo", "positive", drama="P", region="TH"), mk("duo1", "negative", drama="N", region="TH"),
             mk("duo2", "positive", drama="N", region="TH")]
    res = ResonanceAccumulator({"bootstrap": 50}).update(batch).result()
    rows = {r["region"]: r for r in compare(res, "P", "N")["resonance_index"]}
    assert (rows["TH"]["authors"], rows["TH"]["small_cell"]) == ({"a": 1, "b": 2}, True)
    assert (rows["VN"]["authors"], rows["VN"]["small_cell"]) == ({"a": 12, "b": 12}, False)


def test_merge_refuses_a_different_config():
    with pytest.raises(ConfigError, match="different configs"):
        ResonanceAccumulator({"seed": 1}).merge(ResonanceAccumulator({"seed": 2}))


def test_quotes_mask_other_users_handles():
    from analyzer.aggregate import ResonanceAccumulator
    from analyzer.schema import Comment

    c = Comment(id="q1", text="@some_fan_name you're right, the OST is amazing", drama="d", region="VN",
                author="u_1", lang="en", sentiment="positive", sentiment_scores=(0.0, 0.1, 0.9),
                themes=("music",), theme_polarity={"music": "positive"})
    quotes = ResonanceAccumulator({"bootstrap": 0}).update([c]).result().quote_rows()
    assert quotes and all("some_fan_name" not in str(q) for q in quotes)
    assert any("@user you're right" in str(q) for q in quotes)


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.lists(comment_st, min_size=2, max_size=25), st.integers(0, 25), st.randoms(use_true_random=False))
def test_merge_is_exact_in_any_order(comments, cut, rnd):
    """Ray merges shards in whatever order they finish: every order gives the same result."""
    cfg = {"bootstrap": 20, "quote_candidates": 2}
    whole = ResonanceAccumulator(cfg).update(comments).result()
    shuffled = list(comments)
    rnd.shuffle(shuffled)
    parts = [ResonanceAccumulator(cfg).update(shuffled[:cut]), ResonanceAccumulator(cfg).update(shuffled[cut:])]
    merged = parts[1].merge(parts[0]).result()
    assert merged.to_rows() == whole.to_rows()
    assert merged.theme_rows() == whole.theme_rows()


def test_compact_state_sums_repeated_authors_exactly(monkeypatch):
    """Rows reduced in several compactions (tiny threshold) equal one reduction of everything."""
    from analyzer.aggregate import state

    monkeypatch.setattr(state, "MIN_COMPACT", 3)
    batch = [mk(f"r{i % 4}", ("positive", "negative", "neutral")[i % 3], themes=("story",), pol={"story": "positive"},
                intents=("watch",) if i % 5 == 0 else (), likes=i, day=i % 3) for i in range(40)]
    small = ResonanceAccumulator(NO_SHRINK)
    for i in range(0, 40, 2):
        small.update(batch[i:i + 2])
    rows = small._cells[("A", "VN")].compact()
    assert len(rows) == 12  # 4 authors x 3 days
    assert int(rows.counts[:, 0].sum()) == 40 and int(rows.likes.sum()) == sum(range(40))
    monkeypatch.setattr(state, "MIN_COMPACT", 10**9)
    assert small.result().to_rows() == ResonanceAccumulator(NO_SHRINK).update(batch).result().to_rows()


def test_state_memory_is_bounded_per_author_day():
    """Unique authors cost a fixed, small number of bytes each (the old dicts took ~1 KB)."""
    batch = [mk(f"u{i}", "positive", themes=("story", "acting"), pol={"story": "positive"}, intents=("watch",),
                likes=i, day=i % 30, drama=f"D{i % 3}") for i in range(20_000)]
    acc = ResonanceAccumulator(NO_SHRINK)
    for i in range(0, len(batch), 512):
        acc.update(batch[i:i + 512])
    state_bytes = sum(cell.nbytes() for cell in acc._cells.values())
    assert state_bytes <= 64 * len(batch)  # 59 bytes a row: counts in uint8 while they fit
    assert sum(c["authors"] for c in acc.result().cells if c["window"] == "all") == 20_000


def test_accumulator_survives_pickling_for_shards():
    import pickle

    acc = ResonanceAccumulator({"bootstrap": 20}).update(drama_a() + drama_b())
    again = pickle.loads(pickle.dumps(acc))
    assert again.merge(ResonanceAccumulator({"bootstrap": 20})).result().to_rows() == acc.result().to_rows()


def test_counts_widen_instead_of_overflowing():
    import numpy as np

    from analyzer.aggregate import features as F
    from analyzer.aggregate.state import AuthorDays, rows_of

    vectors = np.zeros((70_000, F.WIDTH), dtype=np.int64)
    vectors[:, F.N] = 1
    cell = AuthorDays()
    for i in range(0, 70_000, 10_000):  # one prolific author, one day: more than a uint16 holds
        cell.add(rows_of([7] * 10_000, [1] * 10_000, vectors[i:i + 10_000]))
    rows = cell.compact()
    assert len(rows) == 1 and int(rows.counts[0, 0]) == 70_000 and rows.counts.dtype == np.int32
    assert rows_of([1, 2], [1, 1], vectors[:2]).counts.dtype == np.uint8
    vectors[0, F.N] = 300
    assert rows_of([1, 2], [1, 1], vectors[:2]).counts.dtype == np.uint16


def test_progress_sees_every_bootstrapped_cell_and_changes_no_number():
    seen = []

    def progress(cells):
        seen.append(list(cells))
        return cells

    records = drama_a() + drama_b()
    plain = ResonanceAccumulator({"bootstrap": 50}).update(records).result()
    shown = ResonanceAccumulator({"bootstrap": 50}).update(records).result(progress=progress)
    assert len(seen) == 1
    assert sorted(seen[0]) == sorted((c["drama"], c["region"], c["window"]) for c in plain.cells)
    assert shown.to_rows() == plain.to_rows()


def test_batch_accumulators_pickled_and_merged_in_order_equal_updating_with_each_batch():
    """What worker processes do: one accumulator per batch, sent through pickle (cells packed
    into one block), merged in input order: the same state and result as one accumulator."""
    import pickle

    comments = [mk(f"u{i % 37}", ("positive", "neutral", "negative")[i % 3], drama=f"D{i % 3}",
                   region=("VN", "TH")[i % 2], themes=("story",) if i % 4 else ("acting", "music"),
                   pol={"story": "negative"} if i % 5 == 0 else None, likes=i % 7, day=i % 9)
                for i in range(600)]
    batches = [comments[i:i + 64] for i in range(0, len(comments), 64)]
    one, merged = ResonanceAccumulator(NO_SHRINK), ResonanceAccumulator(NO_SHRINK)
    for batch in batches:
        one.update(batch)
        part = pickle.loads(pickle.dumps(ResonanceAccumulator(NO_SHRINK).update(batch)))
        merged.merge(part)
    assert merged.quote_candidates() == one.quote_candidates()
    for cell, rows in one._cells.items():
        assert [len(p) for p in merged._cells[cell].parts()] == [len(p) for p in rows.parts()]
    assert merged.result().to_rows() == one.result().to_rows()
    assert pickle.loads(pickle.dumps(ResonanceAccumulator(NO_SHRINK))).result().to_rows() == []


def test_spilled_rows_give_the_same_state_result_and_pickle(monkeypatch, tmp_path):
    """Rows written out to the spill file every few rows (tiny threshold) and read back one
    cell at a time: the same rows, result and pickled state as an accumulator that kept them."""
    import os
    import pickle

    from analyzer.aggregate import state

    monkeypatch.setattr(state, "SPILL_ROWS", 50)
    monkeypatch.setattr(state, "MIN_COMPACT", 7)
    comments = [mk(f"u{i % 53}", ("positive", "neutral", "negative")[i % 3], drama=f"D{i % 3}",
                   region=("VN", "TH")[i % 2], themes=("story",) if i % 4 else ("acting", "music"),
                   pol={"story": "negative"} if i % 5 == 0 else None, likes=i % 7, day=i % 9)
                for i in range(900)]
    kept = ResonanceAccumulator(NO_SHRINK)
    spilled = ResonanceAccumulator(NO_SHRINK)
    with spilled.spilling(tmp_path):
        for i in range(0, len(comments), 64):
            kept.update(comments[i:i + 64])
            spilled.merge(ResonanceAccumulator(NO_SHRINK).update(comments[i:i + 64]))
        assert all(cell._spilled for cell in spilled._cells.values())
        assert sum(c.nbytes() for c in spilled._cells.values()) < sum(c.nbytes() for c in kept._cells.values())
        for key, cell in kept._cells.items():
            for a, b in zip(cell.compact(), spilled._cells[key].compact()):
                assert a.tolist() == b.tolist()
        assert spilled.result().to_rows() == kept.result().to_rows()
        again = pickle.loads(pickle.dumps(spilled))
        into = ResonanceAccumulator(NO_SHRINK).merge(spilled)
    assert os.listdir(tmp_path) == []  # the spill file has no name and is gone
    assert again.result().to_rows() == into.result().to_rows() == kept.result().to_rows()


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.lists(st.lists(st.tuples(st.integers(0, 5), st.integers(0, 30), st.integers(0, 6), st.integers(0, 2)),
                         max_size=12), max_size=8),
       st.integers(1, 4))
def test_merging_quotes_keeps_what_offering_each_candidate_keeps(shards, limit):
    """``merge``'s quote fast path (copy into a new slot, skip what would be turned away at once)
    leaves the same candidates, in the same dict order, as ``_offer`` of each in turn."""
    cfg = {**NO_SHRINK, "quote_candidates": limit}
    merged, offered = ResonanceAccumulator(cfg), ResonanceAccumulator(cfg)
    for shard in shards:
        part = ResonanceAccumulator(cfg)
        for likes, ident, author, slot in shard:  # ties in (likes, id) between authors included
            cand = (-likes, f"c{ident:02d}", f"u{author}", None, "en", "text", "youtube")
            part._offer(("A", "VN", "*", ("positive", "negative", "mixed")[slot]), cand)
        merged.merge(part)
        for slot, cands in part._quotes.items():
            for cand in cands.values():
                offered._offer(slot, cand)
    assert {s: list(c.items()) for s, c in merged._quotes.items()} == \
        {s: list(c.items()) for s, c in offered._quotes.items()}


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.lists(st.tuples(st.integers(0, 5), st.sampled_from(["positive", "negative", "neutral", None]),
                          st.lists(st.sampled_from(["story", "acting", "music"]), max_size=3),
                          st.sampled_from([None, "positive", "negative", "neutral"]), st.integers(0, 4),
                          st.sampled_from(["a comment", "  ", "@someone said so"])), max_size=30),
       st.integers(1, 3))
def test_update_offers_quotes_as_offering_each_slot_in_turn(rows, limit):
    """``update``'s quotes (a slot new to the accumulator takes its first candidate without
    ``_offer``) are those of ``_offer`` to the stance slot, then to each theme's polarity slot:
    the same candidates, slots and dict order."""
    from analyzer.aggregate.accumulator import OVERALL, author_of, cell_of
    from analyzer.aggregate.features import polarity_of
    from analyzer.text.normalize import mask_handles

    cfg = {**NO_SHRINK, "quote_candidates": limit}
    comments = [mk(f"u{author}" if author else None, stance, themes=themes, pol={t: pol for t in themes[:1]},
                   likes=likes, text=text) for likes, stance, themes, pol, author, text in rows]
    updated, offered = ResonanceAccumulator(cfg).update(comments), ResonanceAccumulator(cfg)
    for c in comments:
        text = mask_handles(c.text.strip())
        if not text:
            continue
        cand = (-c.likes, c.id, author_of(c), c.author, c.lang, text[:cfg.get("quote_chars", 280)], c.platform)
        slots = [(*cell_of(c), OVERALL, c.sentiment)] + [(*cell_of(c), t, polarity_of(c, t)) for t in set(c.themes)]
        for slot in slots:
            if slot[3] in ("positive", "negative"):
                offered._offer(slot, cand)
    assert [(s, list(c.items())) for s, c in updated._quotes.items()] == \
        [(s, list(c.items())) for s, c in offered._quotes.items()]


def test_an_unpickled_accumulator_keeps_its_cells_packed_until_asked():
    """Cells that came packed from another process are merged from the block itself, and
    cut into cells only when read: either way the same state, and it travels on unchanged."""
    import pickle

    comments = [mk(f"u{i % 11}", ("positive", "negative")[i % 2], drama=f"D{i % 2}", likes=i % 5, day=i % 4)
                for i in range(80)]
    acc = ResonanceAccumulator(NO_SHRINK).update(comments)
    sent = pickle.dumps(acc)
    packed = pickle.loads(sent)
    assert packed._packed is not None
    assert pickle.dumps(packed) == sent  # passed on without unpacking
    merged = ResonanceAccumulator(NO_SHRINK).merge(packed)
    assert packed._packed is not None  # merge read the block directly
    assert merged.result().to_rows() == acc.result().to_rows() == packed.result().to_rows()
    assert packed._packed is None and sorted(packed._cells) == sorted(acc._cells)


@pytest.mark.parametrize("bootstrap", [500, 0])
def test_one_viewer_posting_often_gets_the_net_sentiment_interval_of_one_viewer(bootstrap):
    """People, not posts: a market where one viewer wrote 30 positive comments has the Wilson
    interval of one viewer, as a market of one viewer with one comment. Before, a cell the
    bootstrap skips (one author, or bootstrap = 0) took Wilson on its 30 comments: [+0.77, +1.00]."""
    many = [mk("solo", "positive", region="TH", day=i % 5) for i in range(30)]
    one = [mk("once", "positive", region="MY")]
    res = ResonanceAccumulator({"bootstrap": bootstrap}).update(many + one).result()
    a, b = res.cell("A", "TH"), res.cell("A", "MY")
    assert (a["authors"], a["comments"], b["authors"], b["comments"]) == (1, 30, 1, 1)
    for col in ("net_sentiment_ci_low", "net_sentiment_ci_high", "net_sentiment_ci90_low", "net_sentiment_ci90_high"):
        assert a[col] == pytest.approx(b[col]), col
    assert a["net_sentiment_ci_low"] < 0 < a["net_sentiment"] == 1.0


def test_windows_are_utc_calendar_days_as_docs_methods_say():
    """docs/methods.md: a comment written Sunday 23:30 in New York is in the Monday's ISO week (UTC),
    and first_7d is the first comment's UTC date and the six after it."""
    ny = timezone(timedelta(hours=-5))
    late = datetime(2024, 6, 9, 23, 30, tzinfo=ny)  # Sunday in New York, Monday 2024-06-10 04:30 UTC
    batch = [mk("a", "positive"), mk("b", "positive").with_(created_at=late)]  # the first: T0, Monday 06-03
    res = ResonanceAccumulator({"bootstrap": 0}).update(batch).result()
    assert res.cell("A", "VN", "2024-W24")["authors"] == 1 and res.cell("A", "VN", "first_7d")["authors"] == 1


def test_quotes_mask_reddit_usernames_too():
    """Reddit's u/name (and /u/name) is another user's handle as @name is: the quotes showed it as written."""
    from analyzer.text.normalize import mask_handles

    c = mk("u_1", "positive", themes=("music",), pol={"music": "positive"}, pos=0.9,
           text="Agree with u/DramaFan99 and /u/ost-lover, the OST is amazing (see example.com/u/page)")
    quotes = ResonanceAccumulator({"bootstrap": 0}).update([c]).result().quote_rows()
    assert quotes and all("DramaFan99" not in q["text"] and "ost-lover" not in q["text"] for q in quotes)
    assert "Agree with u/user and u/user, the OST" in quotes[0]["text"]
    assert "example.com/u/page" in quotes[0]["text"]  # a link's path is not a handle
    assert mask_handles("@fan_1 and u/fan_2") == "@user and u/user"


@pytest.mark.parametrize("bootstrap", [500, 0])
def test_theme_intervals_in_the_tables_are_floored_at_wilson_as_the_report_shows_them(bootstrap):
    """A theme 2-3 viewers all liked: report.md showed its net valence and share no narrower than
    Wilson's on its viewers, while tables/themes.*, resonance.json held the bootstrap's [1, 1] (or
    nothing at bootstrap = 0). The floor is now in the result, so every format shows one interval."""
    from analyzer.aggregate.stats import net_wilson, wilson

    liked = [mk(f"m{i}", "positive", pos=0.9, themes=("music",), pol={"music": "positive"}) for i in range(3)]
    others = [mk(f"o{i}", "neutral", pos=0.3) for i in range(9)]
    res = ResonanceAccumulator({"bootstrap": bootstrap}).update(liked + others).result()
    music = next(t for t in res.themes if t["theme"] == "music" and t["window"] == "all")
    assert (music["authors"], music["net_valence"]) == (3, 1.0)
    for suffix, level in (("ci", 0.95), ("ci90", 0.90)):
        lo, hi = net_wilson(3, 0, level)
        assert music[f"net_valence_{suffix}_low"] <= lo < 1.0 and music[f"net_valence_{suffix}_high"] == 1.0
        slo, shi = wilson(3, 12, level)
        assert music[f"salience_{suffix}_low"] <= slo and music[f"salience_{suffix}_high"] >= shi


def test_an_empty_cell_state_is_not_falsy_and_says_how_many_rows_it_holds():
    """AuthorDays had __len__, so a cell with no rows yet was falsy: `if cell:` beside `is None`
    read as 'no cell'. Its row count is a named method now."""
    import numpy as np

    from analyzer.aggregate import features as F
    from analyzer.aggregate.state import AuthorDays, rows_of

    cell = AuthorDays()
    assert cell and not hasattr(cell, "__len__") and cell.rows_held() == 0
    cell.add(rows_of([1, 2], [1, 1], np.ones((2, F.WIDTH), dtype=np.int64)))
    assert cell.rows_held() == 2


@pytest.mark.parametrize(("text", "shown"), [
    ("love u/you so much", "love u/you so much"), ("Thank U/YOU and u/You", "Thank U/YOU and u/You"),
    ("yes u/and me", "yes u/and me"), ("u/n", "u/n"),
    ("thanks u/DramaFan99", "thanks u/user"), ("ask u/spez", "ask u/user"), ("/u/ost-lover said", "u/user said")])
def test_quotes_mask_reddit_usernames_but_not_ordinary_words_after_u_slash(text, shown):
    """'love u/you' is 'you' typed twice, not a Reddit user: the quote read 'love u/user'. A name that
    is an English function word is kept as written; real mentions are still masked."""
    from analyzer.text.normalize import mask_handles

    assert mask_handles(text) == shown


def test_compare_counts_a_side_s_people_once_as_docs_methods_say():
    """A market compared over its dramas: 10 VN viewers who each wrote on dramas A, B and C were 30
    'authors' of VN, resampled as 30 independent people (an interval too narrow). compare now
    pools each side by person, as docs/methods.md says: 10 authors, each resampled once."""
    vn = [mk(f"v{i}", "positive" if i % 2 else "negative", drama=d, region="VN") for i in range(10) for d in "ABC"]
    th = [mk(f"t{i}", "positive" if i % 2 else "negative", drama=d, region="TH") for i, d in
          zip(range(30), "ABC" * 10)]
    res = ResonanceAccumulator({"bootstrap": 200}).update(vn + th).result()
    out = compare(res, "VN", "TH", by="region")
    assert out["authors"] == {"a": 10, "b": 30}
    assert out["metrics"]["valence"]["a"] == pytest.approx(0.0)
    once = [mk(f"v{i}", "positive" if i % 2 else "negative", drama="A", region="VN") for i in range(10)]
    alone = compare(ResonanceAccumulator({"bootstrap": 200}).update(once + th).result(), "VN", "TH", by="region")
    pooled, single = out["metrics"]["valence"], alone["metrics"]["valence"]
    assert pooled["ci_high"] - pooled["ci_low"] == pytest.approx(single["ci_high"] - single["ci_low"], rel=0.25)
