"""The joint e5 model: a tiny random adapter + heads behind both backends, one encoder pass,
aspect polarity from its own head, and the masking of the joint training loss."""

from __future__ import annotations

import json

import numpy as np
import pytest

from analyzer.backends.joint_e5 import HEADS, POLARITY_THEMES, JointSentimentBackend, JointThemeBackend
from analyzer.backends.embedding.lora import save_adapter
from analyzer.errors import ModelError
from analyzer.schema import SENTIMENT_LABELS, Comment
from analyzer.stages.themes import ThemeStage

torch = pytest.importorskip("torch")
pytest.importorskip("transformers")
from . import tiny_hf

TEXTS = ["the finale was wonderful and I cried", "the pacing is slow and the plot drags", "phim này hay quá"]
DIM = 32


@pytest.fixture(scope="module")
def tiny(tmp_path_factory):
    return tiny_hf.build_encoder(tmp_path_factory.mktemp("tiny_joint"))


def write_model(folder, *, story_polarity: str = "negative", stance: str = "positive"):
    """Random small weights; ``story`` always fires with polarity ``story_polarity``, the
    stance head always says ``stance``, ``music`` never fires."""
    rng = np.random.default_rng(0)
    save_adapter(folder, tiny_hf.random_adapter(), {"rank": 2})
    n_pol = 3 * len(POLARITY_THEMES)
    labels_b = np.zeros(len(HEADS), np.float32)
    labels_b[HEADS.index("story")], labels_b[HEADS.index("music")] = 10.0, -10.0
    polarity_b = np.zeros(n_pol, np.float32)
    polarity_b[3 * POLARITY_THEMES.index("story") + SENTIMENT_LABELS.index(story_polarity)] = 10.0
    stance_b = np.zeros(3, np.float32)
    stance_b[SENTIMENT_LABELS.index(stance)] = 10.0
    np.savez(folder / "weights.npz", stance_W=rng.normal(scale=0.01, size=(DIM, 3)).astype(np.float32), stance_b=stance_b,
             labels_W=rng.normal(scale=0.01, size=(DIM, len(HEADS))).astype(np.float32), labels_b=labels_b,
             polarity_W=rng.normal(scale=0.01, size=(DIM, n_pol)).astype(np.float32), polarity_b=polarity_b)
    meta = {"dim": DIM, "heads": list(HEADS), "polarity_themes": list(POLARITY_THEMES),
            "thresholds": {h: 0.5 for h in HEADS}}
    (folder / "meta.json").write_text(json.dumps(meta), encoding="utf-8")
    return folder


def test_both_backends_read_one_folder(tiny, tmp_path):
    folder = write_model(tmp_path)
    sentiment = JointSentimentBackend(path=folder, encoder=str(tiny), precision="fp32")
    probs = sentiment.predict_proba(TEXTS)
    assert probs.shape == (3, 3)
    np.testing.assert_allclose(probs.sum(1), 1.0, atol=1e-5)
    assert (probs.argmax(1) == SENTIMENT_LABELS.index("positive")).all()
    matches = JointThemeBackend(path=folder, encoder=str(tiny)).predict(TEXTS)
    assert all("story" in m.themes and "music" not in m.themes for m in matches)
    assert all(m.polarity["story"] == "negative" and set(m.polarity) == set(m.themes) for m in matches)


def test_stage_takes_aspect_polarity_from_the_head_and_encodes_once(tiny, tmp_path):
    folder = write_model(tmp_path, story_polarity="negative", stance="positive")
    sentiment = JointSentimentBackend(path=folder, encoder=str(tiny), precision="fp32")
    stage = ThemeStage(backend=JointThemeBackend(path=folder, encoder=str(tiny)), sentiment=sentiment)
    assert stage.backend.shared_with == "sentiment.joint-e5.v1"
    batch = [Comment(id=str(i), text=t, clean_text=t, lang="en") for i, t in enumerate(TEXTS)]
    probs = sentiment.predict_proba(TEXTS)
    batch = [c.with_(sentiment="positive", sentiment_scores=tuple(map(float, p))) for c, p in zip(batch, probs)]
    cache = sentiment.encoder
    misses = cache.misses
    out = stage(batch)
    assert cache.misses == misses  # the theme stage reused the sentiment pass
    assert all(c.theme_polarity["story"] == "negative" and c.sentiment == "positive" for c in out)


def test_missing_or_mismatched_model_is_one_clear_error(tiny, tmp_path):
    with pytest.raises(ModelError, match="No joint-e5 adapter"):
        JointSentimentBackend(path=tmp_path, encoder=str(tiny))
    save_adapter(tmp_path, tiny_hf.random_adapter(), {"rank": 2})
    with pytest.raises(ModelError, match="train.py"):
        JointSentimentBackend(path=tmp_path, encoder=str(tiny)).predict_proba(["x"])
    write_model(tmp_path)
    meta = json.loads((tmp_path / "meta.json").read_text())
    (tmp_path / "meta.json").write_text(json.dumps({**meta, "dim": 48}))
    with pytest.raises(ModelError, match="do not match"):
        JointThemeBackend(path=tmp_path, encoder=str(tiny)).predict(TEXTS)


@pytest.fixture(scope="module")
def joint():
    from training.joint_e5 import joint

    return joint


def weights(n_rows: int) -> dict:
    return {"stance_class": torch.ones(3), "pos_weight": torch.ones(len(HEADS)), "polarity_class": torch.ones(3),
            "stance_row": torch.ones(n_rows)}


def outputs(n_rows: int, seed: int = 0) -> dict:
    g = torch.Generator().manual_seed(seed)
    return {"stance": torch.randn(n_rows, 3, generator=g, requires_grad=True),
            "labels": torch.randn(n_rows, len(HEADS), generator=g, requires_grad=True),
            "polarity": torch.randn(n_rows, len(POLARITY_THEMES), 3, generator=g, requires_grad=True)}


def test_loss_masks_missing_signals(joint):
    rows = [{"stance": "negative", "labels": None},  # a stance-only row
            {"stance": None, "labels": {"music", "story"}, "theme_polarity": {"music": "positive"}}]
    y = {k: torch.from_numpy(v) for k, v in joint.targets(rows).items()}
    out = outputs(2)
    losses = joint.joint_loss(torch, out, y, weights(2))
    F = torch.nn.functional
    expected_stance = F.cross_entropy(out["stance"][:1], torch.tensor([0]))
    expected_pol = F.cross_entropy(out["polarity"][1, POLARITY_THEMES.index("music")][None], torch.tensor([2]))
    expected_labels = F.binary_cross_entropy_with_logits(out["labels"][1:], y["labels"][1:])
    assert float(losses["stance"].detach()) == pytest.approx(float(expected_stance.detach()), rel=1e-5)
    assert float(losses["polarity"].detach()) == pytest.approx(float(expected_pol.detach()), rel=1e-5)
    assert float(losses["labels"].detach()) == pytest.approx(float(expected_labels.detach()), rel=1e-5)
    losses["total"].backward()
    pol_grad = out["polarity"].grad
    assert pol_grad[1, POLARITY_THEMES.index("music")].abs().sum() > 0
    assert pol_grad[1, POLARITY_THEMES.index("story")].abs().sum() == 0  # a theme without polarity label
    assert pol_grad[0].abs().sum() == 0 and out["labels"].grad[0].abs().sum() == 0  # the stance-only row
    assert out["stance"].grad[1].abs().sum() == 0  # the row without stance


def test_loss_is_zero_for_a_task_no_row_has(joint):
    rows = [{"stance": None, "labels": {"story"}}]
    y = {k: torch.from_numpy(v) for k, v in joint.targets(rows).items()}
    losses = joint.joint_loss(torch, outputs(1), y, weights(1))
    assert float(losses["stance"].detach()) == 0.0 and float(losses["polarity"].detach()) == 0.0 and float(losses["labels"].detach()) > 0


def test_balancing_weights(joint):
    w = joint.class_weights(np.array([90, 10, 0]))
    assert w[2] == 0 and w[1] == pytest.approx(9 * w[0]) and w[:2].mean() == pytest.approx(1.0)
    labels = np.zeros((100, len(HEADS)), np.float32)
    labels[:4, 0] = 1
    labels[:50, 1] = 1
    pw = joint.pos_weights(labels)
    assert pw[0] == pytest.approx(np.sqrt(96 / 4)) and pw[1] == 1.0 and pw[2] == 10.0


def test_cached_lower_layers_give_the_full_forward_loss_and_gradient(tiny, tmp_path, joint):
    """Training from the frozen layers' cached output (training/joint_e5/frozen.py) is the full
    forward in eval mode: same embedding, same joint loss, same gradient on the trained adapter."""
    import transformers

    from analyzer.backends.embedding.e5 import mean_pool
    from training.joint_e5 import frozen
    from training.joint_e5.train import Heads, init_lora
    from training.sentiment_e5.finetune import add_lora, pad

    tok = transformers.AutoTokenizer.from_pretrained(str(tiny))
    model = transformers.AutoModel.from_pretrained(str(tiny), add_pooling_layer=False)
    wrappers = add_lora(torch, model, 2, 4.0)
    save_adapter(tmp_path, tiny_hf.random_adapter(), {"rank": 2})
    init_lora(wrappers, tmp_path)  # a non-zero adapter in the frozen layer too
    lower = frozen.split(model, 1)
    trained = [p for name, w in wrappers.items() if int(name.split(".")[2]) >= lower for p in (w.A, w.B)]
    assert lower == 1 and trained
    model.eval()
    heads = Heads(torch, DIM, None, "cpu")
    with torch.no_grad():
        for p in heads.p.values():
            p.normal_(std=0.1)
    rows = [{"stance": "positive", "labels": None}, {"stance": None, "labels": {"story"}, "theme_polarity": {"story": "negative"}},
            {"stance": "negative", "labels": {"music", "acting"}, "theme_polarity": {}}]
    ids = tok(["query: " + t for t in TEXTS], verbose=False)["input_ids"]
    y = {k: torch.from_numpy(v) for k, v in joint.targets(rows).items()}

    def loss_and_grads(z):
        loss = joint.joint_loss(torch, heads(z), y, weights(len(rows)))["total"]
        grads = torch.autograd.grad(loss, trained)
        return float(loss.detach()), grads, z.detach()

    arr, mask = pad(ids, tok.pad_token_id)
    m = torch.from_numpy(mask)
    hidden = model(input_ids=torch.from_numpy(arr), attention_mask=m).last_hidden_state
    full = loss_and_grads(torch.nn.functional.normalize(mean_pool(hidden, m), dim=-1))
    states = frozen.lower_states(torch, model, ids, lower, tok.pad_token_id, "cpu")
    assert [len(s) for s in states] == [len(x) for x in ids]
    cached = loss_and_grads(frozen.top_embedding(torch, model, states, lower, "cpu"))
    torch.testing.assert_close(cached[2], full[2], atol=1e-6, rtol=1e-5)
    assert cached[0] == pytest.approx(full[0], rel=1e-5)
    assert any(float(g.abs().sum()) > 0 for g in full[1])
    for a, b in zip(cached[1], full[1]):
        torch.testing.assert_close(a, b, atol=1e-6, rtol=1e-4)


def test_fit_plan_cuts_the_plan_to_the_time_left():
    import time

    from training.joint_e5.train import fit_plan

    now = time.time()
    total = {"steps": 100, "warm": 6}
    fit_plan(total, 5, now - 10.0, now + 20.0)  # 2 s per step so far, 20 s left: 9 more steps at x0.9
    assert total["steps"] in (13, 14) and 1 <= total["warm"] <= 6
    roomy = {"steps": 100, "warm": 6}
    fit_plan(roomy, 5, now - 1.0, now + 1000.0)
    assert roomy == {"steps": 100, "warm": 6}


def test_lexicon_cue_scores_reach_the_label_heads(tiny, tmp_path):
    """A model trained with the lexicon's cue scores (``labels_L``) reads them at inference, with
    the lexicon at the threshold its meta names: a cue of ``music`` fires it, no cue leaves it silent."""
    from analyzer.backends.themes_hybrid import LEXICON_THRESHOLD, lexicon_features
    from analyzer.backends.themes_lexicon import LexiconThemeBackend

    folder = write_model(tmp_path)
    lex_W = np.zeros((len(HEADS), len(HEADS)), np.float32)
    lex_W[HEADS.index("music"), HEADS.index("music")] = 40.0  # bias -10: only a cue score >= 0.25 fires it
    with np.load(folder / "weights.npz") as z:
        np.savez(folder / "weights.npz", **dict(z), labels_L=lex_W)
    meta = json.loads((folder / "meta.json").read_text())
    (folder / "meta.json").write_text(json.dumps({**meta, "lexicon_threshold": LEXICON_THRESHOLD}))
    texts = ["the soundtrack and the OST are so beautiful", TEXTS[0]]
    cues = lexicon_features(LexiconThemeBackend(threshold=LEXICON_THRESHOLD).predict(texts, ["en", "en"]))
    assert cues[0, HEADS.index("music")] >= 0.25 and cues[1, HEADS.index("music")] == 0
    backend = JointThemeBackend(path=folder, encoder=str(tiny))
    matches = backend.predict(texts, ["en", "en"])
    assert backend.lexicon.threshold == LEXICON_THRESHOLD
    assert "music" in matches[0].themes and "music" not in matches[1].themes
    assert all("story" in m.themes for m in matches)


def test_training_heads_fold_the_cue_scale_into_the_saved_weights(tiny):
    """Heads(lexicon=True) computes labels from [SCALE * z, LEX_SCALE * cues]; the saved arrays give
    the same logits over the plain embedding and cue scores (what the backend computes)."""
    from training.joint_e5.train import Heads

    heads = Heads(torch, DIM, None, "cpu", lexicon=True)
    with torch.no_grad():
        for p in heads.p.values():
            p.normal_(std=0.1)
    g = torch.Generator().manual_seed(1)
    z = torch.nn.functional.normalize(torch.randn(4, DIM, generator=g), dim=-1)
    cues = torch.rand(4, len(HEADS), generator=g)
    a = heads.arrays()
    expected = z.numpy() @ a["labels_W"] + cues.numpy() @ a["labels_L"] + a["labels_b"]
    np.testing.assert_allclose(heads(z, cues)["labels"].detach().numpy(), expected, rtol=1e-4, atol=1e-4)
    assert "labels_L" not in Heads(torch, DIM, None, "cpu").p  # off unless asked: old models load as before


def test_best_checkpoint_is_kept_and_restored():
    """keep_best keeps the highest tuning mean (the earlier on a tie) and restore puts its heads back."""
    from training.joint_e5.train import Heads, keep_best, restore

    heads = Heads(torch, DIM, None, "cpu")
    first = {k: v.detach().clone() for k, v in heads.p.items()}
    best = keep_best(None, 0, {"mean": 0.5}, {}, heads)
    with torch.no_grad():
        heads.p["labels_b"].add_(1.0)
    best = keep_best(best, 50, {"mean": 0.5}, {}, heads)  # a tie: the earlier stays
    assert best["step"] == 0 and [h["step"] for h in best["history"]] == [0, 50]
    restore(torch, {}, heads, best["state"])
    torch.testing.assert_close(heads.p["labels_b"], first["labels_b"])
    with torch.no_grad():
        heads.p["labels_b"].add_(2.0)
    best = keep_best(best, 100, {"mean": 0.6}, {}, heads)
    assert best["step"] == 100
    torch.testing.assert_close(best["state"]["heads.labels_b"], first["labels_b"] + 2.0)
