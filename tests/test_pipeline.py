import pytest

from analyzer.config import config_from_dict, load_config
from analyzer.errors import ConfigError, PipelineError
from analyzer.pipeline import Pipeline
from analyzer.schema import Comment, from_arrow, to_arrow
from analyzer.stages.base import Stage


class Upper(Stage):
    name = "upper"
    assigns = ("clean_text",)

    def predict(self, batch):
        return [c.text.upper() for c in batch]

    def annotate(self, batch, predictions):
        return [c.with_(clean_text=p) for c, p in zip(batch, predictions)]


class NeedsLang(Stage):
    name = "needs_lang"
    requires = ("clean_text", "lang")

    def predict(self, batch):
        return None

    def annotate(self, batch, predictions):
        return list(batch)


class SetLang(Stage):
    name = "setlang"
    requires = ("clean_text",)
    assigns = ("lang",)

    def predict(self, batch):
        return ["en"] * len(batch)

    def annotate(self, batch, predictions):
        return [c.with_(lang=p) for c, p in zip(batch, predictions)]


def comments(n):
    return [Comment(id=str(i), text=f"text {i}") for i in range(n)]


def test_order_is_checked_when_built():
    with pytest.raises(PipelineError, match="requires lang"):
        Pipeline([Upper(), NeedsLang()])
    with pytest.raises(PipelineError, match="requires clean_text"):
        Pipeline([SetLang(), Upper()])
    Pipeline([Upper(), SetLang(), NeedsLang()])


@pytest.mark.parametrize("batch_size", [1, 3, 1000])
def test_streaming_keeps_order_and_count(batch_size):
    out = list(Pipeline([Upper(), SetLang()], batch_size=batch_size).pipe(comments(10)))
    assert [c.id for c in out] == [str(i) for i in range(10)]
    assert all(c.clean_text == c.text.upper() and c.lang == "en" for c in out)


def test_bad_batch_size():
    with pytest.raises(PipelineError, match="'batch_size' parameter of Pipeline must be a positive int"):
        Pipeline([Upper()], batch_size=0)


def test_arrow_roundtrip():
    c = Comment(id="1", text="hi", themes=("acting",), theme_polarity={"acting": "positive"},
                sentiment_scores=(0.1, 0.2, 0.7), extra={"k": [1, 2]})
    assert from_arrow(to_arrow([c])) == [c]


def test_arrow_roundtrip_of_defaults_and_column_subsets():
    full = Comment(id="1", text="hi", likes=3, lang_mixed=("en", "id"), theme_scores={"acting": 0.5}, intents=("watch",))
    bare = Comment(id="2", text="yo")
    table = to_arrow([full, bare])
    assert from_arrow(table) == [full, bare]
    assert from_arrow(table.select(["id", "text", "likes"])) == [Comment(id="1", text="hi", likes=3), bare]
    assert from_arrow(table.to_batches()[0]) == [full, bare]  # a record batch, as `analyzer report` reads them
    assert from_arrow(to_arrow([bare, bare]).to_batches()[0]) == [bare, bare]


def test_arrow_created_at_reads_back_as_pyarrow_converts_it():
    """``from_arrow`` makes ``created_at`` (seconds, UTC) from its integers, not by pyarrow's
    per-value conversion: the same datetimes, tzinfo included, before 1970 and with nulls too."""
    from datetime import datetime, timezone

    times = [datetime(2024, 2, 29, 23, 59, 59, tzinfo=timezone.utc), None, datetime(1969, 7, 20, 20, 17, tzinfo=timezone.utc),
             datetime(1, 1, 1, tzinfo=timezone.utc), datetime(9999, 12, 31, 23, 59, 59, tzinfo=timezone.utc)]
    table = to_arrow([Comment(id=str(i), text="t", created_at=t) for i, t in enumerate(times)])
    want = table.column("created_at").to_pylist()
    got = [c.created_at for c in from_arrow(table)]
    assert got == want == times == [c.created_at for c in from_arrow(table.to_batches()[0])]
    assert [repr(t) for t in got] == [repr(t) for t in want]  # the same tzinfo (zoneinfo UTC)


def test_arrow_rows_with_null_annotations_take_fresh_defaults_and_a_missing_id_still_fails():
    """``from_arrow`` builds Comments without their __init__: an all-null column (rows not yet
    annotated) gives each row the field's default, each its own dict, as ``Comment(...)`` does."""
    import pyarrow as pa

    table = to_arrow([Comment(id="1", text="a", extra={"k": 1}), Comment(id="2", text="b")])
    made = from_arrow(table)
    assert made == [Comment(id="1", text="a", extra={"k": 1}), Comment(id="2", text="b")]
    assert all(type(c) is Comment for c in made)
    again = from_arrow(table.select(["id", "text", "theme_scores", "noise", "dup_count"]))
    assert again == [Comment(id="1", text="a"), Comment(id="2", text="b")]
    assert again[0].theme_scores is not again[1].theme_scores and again[0].extra is not again[1].extra
    with pytest.raises(TypeError, match="id"):
        from_arrow(table.select(["text"]))
    with pytest.raises(TypeError, match="id"):
        from_arrow(table.set_column(0, "id", pa.array([None, "2"], pa.string())))


def test_comments_pickle_as_their_values_and_batches_map_through_then():
    """Worker processes send Comments as tuples of values; ``then`` of each batch replaces it."""
    import pickle

    c = Comment(id="1", text="hi", themes=("acting",), theme_scores={"acting": 0.5}, extra={"k": [1, 2]},
                sentiment_scores=(0.1, 0.2, 0.7))
    again = pickle.loads(pickle.dumps([c, c.with_(id="2")]))
    assert again == [c, c.with_(id="2")] and all(type(x) is Comment for x in again)
    comments = [Comment(id=str(i), text=f"t{i}") for i in range(5)]
    assert list(Pipeline([Upper()], batch_size=2).batches(comments, then=len)) == [2, 2, 1]


def test_config_rejects_unknown_keys(tmp_path):
    with pytest.raises(ConfigError, match="Unknown key"):
        config_from_dict({"run": {"batchsize": 3}})
    with pytest.raises(ConfigError, match="batch_size"):
        config_from_dict({"run": {"batch_size": -3}})
    path = tmp_path / "c.toml"
    path.write_text('[models]\nsentiment = "sentiment.linear.v1"\n[input]\nmapping = { body = "text" }\n')
    assert load_config(path).input.mapping == {"body": "text"}
    path.write_text("[models\n")
    with pytest.raises(ConfigError, match="not valid TOML"):
        load_config(path)


def test_prepared_then_decided_batches_are_the_stages_own_output():
    """What the workers of the local engine do to the in-order stages (prepare anywhere, decide
    here in input order, annotate anywhere) gives what running the stages gives."""
    from analyzer.config import Config
    from analyzer.stages.base import prepared_head, stateless_tail
    from analyzer.stages.build import build_stages

    long = "Wei Wuxian and Lan Zhan have the best chemistry, I rewatched it three times"
    texts = [long, long.upper() + " 😭", long.replace("three", "four"), "first!", "check my channel pls",
             "so good", "The Untamed ending made me cry", long]
    comments = [Comment(id=f"c{i}", text=t, platform="youtube", author=f"u{i % 3}",
                        reply_to="c6" if i == 7 else None, source="dump.jsonl:1") for i, t in enumerate(texts)]
    direct, split = build_stages(Config()), build_stages(Config())
    head = stateless_tail(split)
    assert [s.name for s in split[:prepared_head(split[:head])]] == ["normalize", "dedup", "link"]
    expected = []
    for batch in (comments[:4], comments[4:]):  # two batches: the stages' state carries over
        for stage in direct[:head]:
            batch = stage(batch)
        expected.extend(batch)
    got = []
    for batch in (comments[:4], comments[4:]):
        prepared, seen = [], batch
        for stage in split[:head]:  # on a worker: stateless stages annotate for the next ones
            prepared.append(stage.prepare(seen))
            if stage.stateless:
                seen = stage.annotate(seen, prepared[-1])
        decided = [stage.decide_batch(batch, made) for stage, made in zip(split[:head], prepared)]
        for stage, predictions in zip(split[:head], decided):
            batch = stage.annotate(batch, predictions)
        got.extend(batch)
    assert got == expected
    assert any(c.duplicate_of for c in got) and any(c.noise for c in got)
    assert [s.summary() for s in split[:head] if hasattr(s, "summary")] == \
        [s.summary() for s in direct[:head] if hasattr(s, "summary")]


def test_a_stage_reading_what_a_prepared_stage_assigns_is_not_prepared():
    from analyzer.stages.base import prepared_head

    class Prepared(Stage):
        name, assigns, preparable = "first", ("drama",), True

    class Reader(Stage):
        name, requires, stateless = "second", ("drama",), True

    class Counter(Stage):
        name, stateless = "third", True

        def summary(self):
            return {}

    assert prepared_head([Prepared(), Reader()]) == 1
    assert prepared_head([Counter(), Prepared()]) == 0
    assert prepared_head([Reader(), Prepared()]) == 2
