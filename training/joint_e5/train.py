"""Train the joint model: LoRA on multilingual-e5-small + four heads (stance, themes, intents,
per-theme aspect polarity), all from one encoder pass.

    nice -n 5 python -m training.joint_e5.train [--stance-per-group 100] [--theme-epochs 1]
        [--max-len 96] [--max-minutes 25] [--device cpu|cuda] [--out analyzer/_models/joint-e5]
        [--tuning random|grouped] [--eval-every N] [--lexicon-features]

Data (training rows only; the dev sets are never read except by the overlap checks of the
loaders): the theme-labelled real comments of every data/trainsets batch (joined from
../shared/data; each carries stance, themes, intents and aspect polarity), the written
drama comments and cue rows of models/themes-hybrid, and the stance rows of the shared
sets (at most ``--stance-per-group`` per (source, language), labels balanced, as
training/sentiment_e5/data.py samples them, less the ensemble's held-out rows) plus the
drama stance cues. One seventh of the scored theme rows (by a hash of the text) is kept
out of training as the tuning split: the theme and intent thresholds are chosen there.

Losses (training/joint_e5/joint.py): stance cross-entropy with row weights that make every
group (source x language; each real-comment domain one group) and every label inside it
weigh the same; themes + intents binary cross-entropy with per-label positive weights
sqrt(neg/pos) (capped at 10) over the rows that have theme labels; aspect polarity
cross-entropy per theme, only where the label gives that theme a polarity, class-balanced.
The sum is minimised with AdamW (LoRA lr 3e-4, heads 3e-3), 6% warm-up then linear decay.

Start: the LoRA adapter and stance head of sentiment.e5.v1 (``--init auto``), theme and
polarity heads from zero; the adapter learns in the top ``--train-layers`` layers only (the
lower layers keep sentiment.e5.v1's adapter, and backward stops above them: ~2x cheaper). Heads read ``SCALE * embedding`` (folded into the saved weights).
``--max-minutes`` stops the pass early (rows are shuffled, so the rows seen are a uniform
sample) and then tunes and saves: the CPU run stays bounded.

``--tuning grouped`` holds out fold 0 of training/themes_hybrid/cv_compare.py's drama-grouped folds
(a whole training drama) instead of random rows; ``--eval-every N`` scores that split after the
head warm-up and every N steps and keeps the checkpoint with the best mean of its four scores;
``--lexicon-features`` lets the theme/intent heads read the lexicon cue scores beside the
embedding (saved as ``labels_L``; the backend computes them at the meta's lexicon threshold).
"""

from __future__ import annotations

import argparse
import json
import time
import zlib
from collections import Counter
from pathlib import Path

import numpy as np

HERE = Path(__file__).resolve().parents[2] / "models" / "joint-e5"  # its card and runs
ROOT = HERE.parents[1]

from training.joint_e5 import frozen, joint
from analyzer.backends.embedding.resolve import resolve_encoder
from analyzer.backends.joint_e5 import HEADS, POLARITY_THEMES, default_model_dir
from analyzer.backends.themes_hybrid import LEXICON_THRESHOLD, lexicon_features
from analyzer.backends.themes_lexicon import LexiconThemeBackend
from analyzer.backends.embedding.lora import TARGETS, has_adapter, load_adapter, save_adapter
from analyzer.backends.sentiment_e5 import HEAD_DIR, load_head
from analyzer.backends.embedding.e5 import mean_pool
from analyzer.schema import INTENTS, SENTIMENT_LABELS

from training.sentiment_e5 import finetune as FT
SD = FT.data
from training.themes_hybrid import train as HT
SEED = 13
SCALE = 20.0
LEX_SCALE = 4.0  # the cue scores' scale in the theme/intent heads (folded into the saved labels_L)
THRESHOLDS = tuple(np.round(np.arange(0.2, 0.9, 0.05), 2))
PROBE_STEPS = 20  # fit_plan measures the speed over these
THEME_COLS = [k for k, h in enumerate(HEADS) if h not in INTENTS]
INTENT_COLS = [HEADS.index(i) for i in INTENTS]


def is_tuning(text: str) -> bool:
    return zlib.crc32(f"joint{SEED}:{text}".encode()) % 7 == 0


def grouped_tuning(real: list[dict], drama: list[dict], shared: str) -> list[bool]:
    """Per scored record (real, then written drama): in the tuning split, i.e. in fold 0 of
    cv_compare's grouped folds (a whole training drama, written dramas by their drama field,
    other real comments by a hash of their id), so the split holds dramas training never saw."""
    from training.themes_hybrid.cv_compare import fold_ids

    return (fold_ids(real, drama, Path(shared)) == 0).tolist()


def theme_rows(shared: str, grouped: bool = False) -> tuple[list[dict], list[dict]]:
    """(training rows, tuning rows) from the theme-labelled records; group = their domain.
    Tuning rows: one seventh of the scored rows by a hash of the text, or (``grouped``) fold 0
    of the drama-grouped folds; cue rows always train."""
    real, drama, synthetic = HT.load_records(shared)
    held = grouped_tuning(real, drama, shared) if grouped else [is_tuning(r["text"]) for r in real + drama]
    held += [False] * len(synthetic)
    train, tune = [], []
    kinds = ["real"] * len(real) + ["written"] * len(drama) + ["cues"] * len(synthetic)
    for r, kind, hold in zip(real + drama + synthetic, kinds, held):
        group = "real_drama" if kind == "real" and HT.is_real_drama(r) else f"themes_{kind}"
        row = {"text": r["text"], "lang": r.get("lang") or "und", "stance": r.get("stance"), "group": group,
               "labels": set(r.get("themes") or ()) | set(r.get("intents") or ()),
               "theme_polarity": r.get("theme_polarity") or {}}
        (tune if hold else train).append(row)
    return train, tune


def cue_scores(rows: list[dict]) -> np.ndarray:
    """(n, len(HEADS)) lexicon cue scores, as the hybrid's heads read them (weak-cue threshold)."""
    lexicon = LexiconThemeBackend(threshold=LEXICON_THRESHOLD)
    return lexicon_features(lexicon.predict([r["text"] for r in rows], [r.get("lang") for r in rows]))


def stance_rows(per_group: int, taken: set[str]) -> list[dict]:
    sampled, _ = SD.load(per_group)
    return [{"text": r.text, "lang": r.lang, "stance": r.label, "labels": None, "theme_polarity": {},
             "group": r.source if r.source == "drama_cues" else f"{r.source}:{r.lang}"}
            for r in sampled if not SD.ensemble_holdout(r) and r.text not in taken]


def read_packed(path: str, per_group: int) -> tuple[list[dict], list[dict], list[dict]]:
    """(stance, theme, tuning) rows as pack.py wrote them for a machine without ../shared/data."""
    from training.common import read_jsonl

    rows = read_jsonl(path)
    for r in rows:
        r["labels"] = set(r["labels"]) if r["labels"] is not None else None
    stance = [r for r in rows if r["part"] == "stance" and per_group in r["per_group"]]
    if not stance:
        raise SystemExit(f"{path} holds no stance rows for --stance-per-group {per_group}; rerun pack.py with it.")
    return stance, [r for r in rows if r["part"] == "themes"], [r for r in rows if r["part"] == "tuning"]


def stance_weights(rows: list[dict]) -> np.ndarray:
    """Every group and every label inside it weigh the same (rows without stance: 0)."""
    has = [r for r in rows if r["stance"] in SENTIMENT_LABELS]
    per_label = Counter((r["group"], r["stance"]) for r in has)
    n_labels = Counter(g for g, _ in per_label)
    w = np.array([1.0 / (n_labels[r["group"]] * per_label[(r["group"], r["stance"])])
                  if r["stance"] in SENTIMENT_LABELS else 0.0 for r in rows])
    return (w / w[w > 0].mean()).astype(np.float32)


def loss_weights(torch, rows: list[dict], device: str) -> dict:
    y = joint.targets(rows)
    stance_counts = np.bincount(y["stance"][y["stance"] >= 0], minlength=3)
    pol = y["polarity"][y["polarity"] >= 0]
    arrays = {"stance_class": np.ones(3, dtype=np.float32),  # balanced through the row weights
              "pos_weight": joint.pos_weights(y["labels"][y["has_labels"]]),
              "polarity_class": joint.class_weights(np.bincount(pol, minlength=3))}
    print(f"stance labels {stance_counts.tolist()}, polarity labels {np.bincount(pol, minlength=3).tolist()}", flush=True)
    return {k: torch.tensor(v, device=device) for k, v in arrays.items()}


class Heads:
    """The four heads as torch parameters over ``SCALE * normalized embedding``; with
    ``lexicon``, the theme/intent heads also read ``LEX_SCALE * cue scores``."""

    def __init__(self, torch, dim: int, init_stance: dict | None, device: str, lexicon: bool = False) -> None:
        def param(shape, value=None):
            t = torch.zeros(shape) if value is None else torch.tensor(value, dtype=torch.float32)
            return torch.nn.Parameter(t.to(device))

        sw = init_stance["W"] / SCALE if init_stance else None
        self.p = {"stance_W": param((dim, 3), sw), "stance_b": param((3,), init_stance["b"] if init_stance else None),
                  "labels_W": param((dim, len(HEADS))), "labels_b": param((len(HEADS),), np.full(len(HEADS), -2.0)),
                  "polarity_W": param((dim, 3 * len(POLARITY_THEMES))), "polarity_b": param((3 * len(POLARITY_THEMES),))}
        if lexicon:
            self.p["labels_L"] = param((len(HEADS), len(HEADS)))

    def __call__(self, z, lex=None) -> dict:
        x = z * SCALE
        p = self.p
        labels = x @ p["labels_W"] + p["labels_b"]
        if "labels_L" in p:
            labels = labels + (lex * LEX_SCALE) @ p["labels_L"]
        return {"stance": x @ p["stance_W"] + p["stance_b"], "labels": labels,
                "polarity": (x @ p["polarity_W"] + p["polarity_b"]).reshape(len(z), len(POLARITY_THEMES), 3)}

    def arrays(self) -> dict[str, np.ndarray]:
        """Weights over the plain normalized embedding (SCALE folded into W)."""
        out = {k: v.detach().float().cpu().numpy() for k, v in self.p.items()}
        for k in ("stance_W", "labels_W", "polarity_W"):
            out[k] = out[k] * SCALE
        if "labels_L" in out:
            out["labels_L"] = out["labels_L"] * LEX_SCALE
        return {k: v.astype(np.float32) for k, v in out.items()}


def init_lora(wrappers: dict, folder: Path) -> None:
    """Start from a saved adapter (scale folded into B, so B is divided by it back)."""
    import torch

    saved = load_adapter(folder)
    with torch.no_grad():
        for name, w in wrappers.items():
            a, b = saved[name]
            w.A.copy_(torch.from_numpy(a))
            w.B.copy_(torch.from_numpy(b / w.scale))


def embed(torch, model, tok, texts: list[str], max_len: int, device: str, autocast: bool, batch: int = 32):
    """Normalized pooled embeddings as training computes them (a torch tensor)."""
    F = torch.nn.functional
    ids = tok(["query: " + t[: SD.TRAIN_CHARS] for t in texts], truncation=True, max_length=max_len, verbose=False)["input_ids"]
    out = []
    for start in range(0, len(ids), batch):
        arr, mask = FT.pad(ids[start:start + batch], tok.pad_token_id)
        x, m = torch.from_numpy(arr).to(device), torch.from_numpy(mask).to(device)
        with torch.autocast("cuda" if device.startswith("cuda") else "cpu", dtype=torch.bfloat16, enabled=autocast):
            hidden = model(input_ids=x, attention_mask=m).last_hidden_state
        out.append(F.normalize(mean_pool(hidden, m), dim=-1))
    return torch.cat(out)


def micro_f1(y: np.ndarray, pred: np.ndarray) -> float:
    tp = float((y * pred).sum())
    fp, fn = float(((1 - y) * pred).sum()), float((y * (1 - pred)).sum())
    return 2 * tp / (2 * tp + fp + fn) if tp else 0.0


def tune(probs: np.ndarray, y: np.ndarray) -> dict:
    """One theme and one intent threshold maximising micro-F1 on the tuning rows."""
    out = {}
    for kind, cols in (("theme", THEME_COLS), ("intent", INTENT_COLS)):
        scores = {t: micro_f1(y[:, cols], (probs[:, cols] >= t).astype(float)) for t in THRESHOLDS}
        best = max(scores, key=lambda t: (scores[t], -abs(t - 0.5)))
        out[kind] = {"threshold": float(best), "micro_f1": round(scores[best], 4)}
    return out


def macro_f1(gold: np.ndarray, pred: np.ndarray) -> float:
    f1 = []
    for k in range(3):
        tp = int(((gold == k) & (pred == k)).sum())
        fp, fn = int(((gold != k) & (pred == k)).sum()), int(((gold == k) & (pred != k)).sum())
        f1.append(2 * tp / (2 * tp + fp + fn) if tp else 0.0)
    return float(np.mean(f1))


def tuning_scores(torch, model, tok, heads: Heads, rows: list[dict], args, autocast: bool, lex=None) -> dict:
    model.eval()
    with torch.no_grad():
        out = heads(embed(torch, model, tok, [r["text"] for r in rows], args.max_len, args.device, autocast), lex)
    model.train()
    return score_outputs(torch, out, rows)


def cached_tuning_scores(torch, model, heads: Heads, states: list, rows: list[dict], lower: int, args, lex=None) -> dict:
    """tuning_scores from the tuning rows' cached lower states (eval mode: the full forward's result)."""
    model.eval()
    with torch.no_grad():
        z = torch.cat([frozen.top_embedding(torch, model, states[i:i + 64], lower, args.device)
                       for i in range(0, len(states), 64)])
        out = heads(z, lex)
    model.train()
    return score_outputs(torch, out, rows)


def score_outputs(torch, out: dict, rows: list[dict]) -> dict:
    """Theme and intent micro-F1 at their best thresholds, stance macro-F1, polarity accuracy and
    the mean of the four (the checkpoint rule)."""
    y = joint.targets(rows)
    probs = torch.sigmoid(out["labels"]).cpu().numpy()
    result = tune(probs, y["labels"])
    keep = y["stance"] >= 0
    result["stance_macro_f1"] = round(macro_f1(y["stance"][keep], out["stance"].argmax(-1).cpu().numpy()[keep]), 4)
    pol, keep = out["polarity"].argmax(-1).cpu().numpy(), y["polarity"] >= 0
    result["polarity_accuracy"] = round(float((pol[keep] == y["polarity"][keep]).mean()), 4)
    result["n"] = len(rows)
    result["mean"] = round(float(np.mean([result["theme"]["micro_f1"], result["intent"]["micro_f1"],
                                          result["stance_macro_f1"], result["polarity_accuracy"]])), 4)
    return result


def snapshot(wrappers: dict, heads: Heads) -> dict:
    """A copy of what training changes: the trained adapter matrices and the heads."""
    out = {f"{name}.{k}": getattr(w, k).detach().clone() for name, w in wrappers.items() for k in ("A", "B")
           if getattr(w, k).requires_grad}
    return out | {f"heads.{k}": v.detach().clone() for k, v in heads.p.items()}


def restore(torch, wrappers: dict, heads: Heads, saved: dict) -> None:
    with torch.no_grad():
        for key, value in saved.items():
            owner, k = key.rsplit(".", 1)
            (heads.p[k] if owner == "heads" else getattr(wrappers[owner], k)).copy_(value)


def save(out: Path, wrappers: dict, heads: Heads, meta: dict) -> None:
    adapter = {}
    for name, w in wrappers.items():
        adapter[f"{name}.lora_A"] = w.A.detach().float().cpu().numpy()
        adapter[f"{name}.lora_B"] = (w.B.detach().float() * w.scale).cpu().numpy()
    save_adapter(out, adapter, {k: meta[k] for k in ("base", "rank", "alpha", "targets", "seed")} | {"scale_folded": True})
    tmp = out / "weights.tmp.npz"
    np.savez(tmp, **heads.arrays())
    tmp.replace(out / "weights.npz")
    (out / "meta.json").write_text(json.dumps(meta, indent=1, ensure_ascii=False) + "\n", encoding="utf-8")


def warm_heads(torch, model, heads: Heads, states: list, rows: list[dict], weights: dict, lower: int, args,
               lex=None) -> dict:
    """Fit the heads first on the starting encoder's embeddings of every training row (eval
    mode, from the cache; full batch, AdamW): the theme and polarity heads then start near a
    linear fit instead of zero, and the fine-tuning refines them."""
    t0 = time.time()
    model.eval()
    with torch.no_grad():
        z = torch.cat([frozen.top_embedding(torch, model, states[i:i + 64], lower, args.device)
                       for i in range(0, len(states), 64)])
    model.train()
    y = {k: torch.from_numpy(v).to(args.device) for k, v in joint.targets(rows).items()}
    opt = torch.optim.AdamW(list(heads.p.values()), lr=args.head_warmup_lr, weight_decay=0.0)
    for _ in range(args.head_warmup_steps):
        losses = joint.joint_loss(torch, heads(z, lex), y, weights)
        opt.zero_grad()
        losses["total"].backward()
        opt.step()
    out = {"steps": args.head_warmup_steps, "lr": args.head_warmup_lr, "seconds": round(time.time() - t0, 1),
           "final_loss": {k: round(float(v.detach()), 4) for k, v in losses.items()}}
    print(f"head warm-up: {out}", flush=True)
    return out


def fit_plan(total: dict, step: int, loop_started: float, deadline: float) -> None:
    """Shorten the plan to the steps that fit before ``deadline`` at the speed of the first
    ``step`` steps (x0.9 for the machine's noise), so the learning rate still decays to zero;
    the time cap stays the hard stop. The batches are shuffled: the steps kept are a uniform sample."""
    per_step = (time.time() - loop_started) / step
    fit = step + int(0.9 * (deadline - time.time()) / per_step)
    if fit < total["steps"]:
        print(f"fit_plan: {per_step:.2f} s/step; plan cut from {total['steps']} to {fit} steps", flush=True)
        total["steps"], total["warm"] = max(fit, step + 1), max(1, min(total["warm"], int(0.06 * fit)))


def load_model(torch, args) -> tuple:
    """(tokenizer, model in train mode, LoRA wrappers, whether sentiment.e5.v1's adapter started it);
    only the top ``args.train_layers`` layers' adapter learns."""
    import transformers

    ref, local_only = resolve_encoder(args.encoder)
    tok = transformers.AutoTokenizer.from_pretrained(ref, local_files_only=local_only)
    model = transformers.AutoModel.from_pretrained(ref, local_files_only=local_only, add_pooling_layer=False)
    wrappers = FT.add_lora(torch, model, args.rank, args.alpha)
    init = args.init == "auto" and has_adapter(HEAD_DIR)
    if init:
        init_lora(wrappers, HEAD_DIR)
    lower = frozen.split(model, args.train_layers)
    for name, w in wrappers.items():  # only the top layers learn: backward stops below them
        if int(name.split(".")[2]) < lower:
            w.A.requires_grad_(False)
            w.B.requires_grad_(False)
    model.to(args.device).train()
    return tok, model, wrappers, init


def parse(argv):
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--stance-per-group", type=int, default=100)
    ap.add_argument("--theme-epochs", type=int, default=1)
    ap.add_argument("--max-len", type=int, default=64)
    ap.add_argument("--max-minutes", type=float, default=25.0)
    ap.add_argument("--train-layers", type=int, default=4, help="LoRA learns in the top N layers (12: all)")
    ap.add_argument("--rank", type=int, default=16)
    ap.add_argument("--alpha", type=float, default=32.0)
    ap.add_argument("--batch-size", type=int, default=16)
    ap.add_argument("--lr", type=float, default=3e-4)
    ap.add_argument("--head-lr", type=float, default=3e-3)
    ap.add_argument("--init", default="auto", help="auto: sentiment.e5.v1's adapter and stance head; none: fresh")
    ap.add_argument("--head-warmup-steps", type=int, default=0, help="full-batch head fit before fine-tuning (cached path)")
    ap.add_argument("--head-warmup-lr", type=float, default=1e-2)
    ap.add_argument("--fit-plan", action="store_true", help="cut the plan to the steps that fit --max-minutes")
    ap.add_argument("--tuning", choices=("random", "grouped"), default="random",
                    help="tuning split: 1/7 of the scored rows by text hash, or a whole drama-grouped fold")
    ap.add_argument("--eval-every", type=int, default=0,
                    help="score the tuning split after the head warm-up and every N steps; keep the best checkpoint")
    ap.add_argument("--lexicon-features", action="store_true", help="theme/intent heads also read the lexicon cue scores")
    ap.add_argument("--device", default="cpu")
    ap.add_argument("--threads", type=int, default=2)
    ap.add_argument("--shared", default=str(ROOT.parent / "shared" / "data"))
    ap.add_argument("--out", default=str(default_model_dir()))
    ap.add_argument("--encoder", default=None, help="an encoder folder (default: the built e5-small)")
    ap.add_argument("--rows", default=None, help="rows.jsonl.gz from pack.py instead of ../shared/data")
    return ap.parse_args(argv)


def load_rows(args) -> tuple[list[dict], list[dict], list[dict]]:
    """(stance rows, theme training rows, tuning rows)."""
    if args.rows:
        if args.tuning != "random":
            raise SystemExit("--rows holds pack.py's random tuning split; --tuning grouped needs ../shared/data.")
        return read_packed(args.rows, args.stance_per_group)
    train_themes, tune_rows = theme_rows(args.shared, grouped=args.tuning == "grouped")
    return stance_rows(args.stance_per_group, {r["text"] for r in train_themes + tune_rows}), train_themes, tune_rows


def tokenize(tok, rows: list[dict], max_len: int) -> list[list[int]]:
    return tok(["query: " + r["text"][: SD.TRAIN_CHARS] for r in rows], truncation=True, max_length=max_len,
               verbose=False)["input_ids"]


def keep_best(best: dict | None, step: int, scores: dict, wrappers: dict, heads: Heads) -> dict:
    """The checkpoint rule: the highest mean tuning score, the earlier one on a tie."""
    print(f"tuning split at step {step}: {scores}", flush=True)
    history = (best or {}).get("history", []) + [{"step": step, **scores}]
    if best is None or scores["mean"] > best["scores"]["mean"]:
        return {"step": step, "scores": scores, "state": snapshot(wrappers, heads), "history": history}
    return best | {"history": history}


def main(argv: list[str] | None = None) -> int:
    args = parse(argv)
    import torch

    from analyzer.backends.embedding.e5 import cpu_has_bf16

    torch.manual_seed(SEED)
    torch.set_num_threads(args.threads)
    autocast = args.device.startswith("cuda") or cpu_has_bf16(torch)
    stance, train_themes, tune_rows = load_rows(args)
    rows = stance + train_themes
    weights = stance_weights(rows)
    print(f"{len(stance)} stance rows, {len(train_themes)} theme rows, {len(tune_rows)} tuning rows "
          f"({args.tuning} tuning split)", flush=True)
    lex, tune_lex = (torch.from_numpy(cue_scores(r)).to(args.device) if args.lexicon_features else None
                     for r in (rows, tune_rows))

    tok, model, wrappers, init = load_model(torch, args)
    heads = Heads(torch, int(model.config.hidden_size), load_head(HEAD_DIR) if init else None, args.device,
                  lexicon=args.lexicon_features)
    lw = loss_weights(torch, rows, args.device)

    ids = tokenize(tok, rows, args.max_len)
    started = time.time()
    lower = frozen.split(model, args.train_layers)
    states = frozen.lower_states(torch, model, ids, lower, tok.pad_token_id, args.device) if lower else None
    tune_states = frozen.lower_states(torch, model, tokenize(tok, tune_rows, args.max_len), lower, tok.pad_token_id,
                                      args.device) if lower and args.eval_every else None
    cache_seconds = round(time.time() - started, 1)
    if states:
        print(f"cached the {lower} frozen layers' output of {len(ids)} rows (+{len(tune_rows) if tune_states else 0} "
              f"tuning rows) in {cache_seconds} s ({sum(map(len, ids)) / len(ids):.1f} tokens per row)", flush=True)

    def tuning_now() -> dict:
        if tune_states:
            return cached_tuning_scores(torch, model, heads, tune_states, tune_rows, lower, args, tune_lex)
        return tuning_scores(torch, model, tok, heads, tune_rows, args, autocast, tune_lex)

    warmed = warm_heads(torch, model, heads, states, rows, {**lw, "stance_row": torch.from_numpy(weights)}, lower, args,
                        lex) if states and args.head_warmup_steps else None
    index = list(range(len(stance))) + list(range(len(stance), len(rows))) * args.theme_epochs
    lengths = [len(ids[i]) for i in index]
    plan = [[index[j] for j in b] for b in FT.batches(lengths, args.batch_size, SEED)]
    lora_params = [p for w in wrappers.values() for p in (w.A, w.B) if p.requires_grad]
    opt = torch.optim.AdamW([{"params": lora_params, "lr": args.lr, "weight_decay": 0.01},
                             {"params": list(heads.p.values()), "lr": args.head_lr, "weight_decay": 0.0}])
    total = {"steps": len(plan), "warm": max(1, int(0.06 * len(plan)))}  # fit_plan may shorten it
    sched = torch.optim.lr_scheduler.LambdaLR(opt, lambda s: min((s + 1) / total["warm"], max(
        0.0, (total["steps"] - s) / (total["steps"] - total["warm"]))))
    F = torch.nn.functional
    best = keep_best(None, 0, tuning_now(), wrappers, heads) if args.eval_every else None
    seen, step, loop_started = 0, 0, time.time()
    for step, batch in enumerate(plan):
        if step == PROBE_STEPS and args.fit_plan:
            fit_plan(total, step, loop_started, started + args.max_minutes * 60)
        if step >= total["steps"]:
            break
        if time.time() - started > args.max_minutes * 60:
            print(f"time cap: stopped after {step} of {total['steps']} steps", flush=True)
            break
        with torch.autocast("cuda" if args.device.startswith("cuda") else "cpu", dtype=torch.bfloat16, enabled=autocast):
            if states:
                z = frozen.top_embedding(torch, model, [states[i] for i in batch], lower, args.device)
            else:
                arr, mask = FT.pad([ids[i] for i in batch], tok.pad_token_id)
                x, m = torch.from_numpy(arr).to(args.device), torch.from_numpy(mask).to(args.device)
                z = F.normalize(mean_pool(model(input_ids=x, attention_mask=m).last_hidden_state, m), dim=-1)
        out = heads(z, lex[batch] if lex is not None else None)
        y = {k: torch.from_numpy(v).to(args.device) for k, v in joint.targets([rows[i] for i in batch]).items()}
        losses = joint.joint_loss(torch, out, y, {**lw, "stance_row": torch.from_numpy(weights[batch]).to(args.device)})
        opt.zero_grad()
        losses["total"].backward()
        torch.nn.utils.clip_grad_norm_(lora_params, 1.0)
        opt.step()
        sched.step()
        seen += len(batch)
        if step % 25 == 0:
            print(f"step {step + 1}/{total['steps']} " + " ".join(f"{k} {float(v.detach()):.3f}" for k, v in losses.items())
                  + f" {seen / (time.time() - started):.1f} rows/s", flush=True)
        if args.eval_every and (step + 1) % args.eval_every == 0:
            best = keep_best(best, step + 1, tuning_now(), wrappers, heads)
    else:
        step = len(plan)
    seconds = round(time.time() - started, 1)
    if best is not None:
        if step % args.eval_every:
            best = keep_best(best, step, tuning_now(), wrappers, heads)
        restore(torch, wrappers, heads, best["state"])
        tuned = best["scores"]
        print(f"kept the checkpoint of step {best['step']}: {tuned}", flush=True)
    else:
        tuned = tuning_now()
        print(f"tuning split: {tuned}", flush=True)
    thresholds = {h: tuned["intent" if h in INTENTS else "theme"]["threshold"] for h in HEADS}
    meta = {"base": "intfloat/multilingual-e5-small", "prefix": "query: ", "pooling": "mean, L2-normalized",
            "dim": int(model.config.hidden_size), "heads": list(HEADS), "polarity_themes": list(POLARITY_THEMES),
            "labels": list(SENTIMENT_LABELS), "thresholds": thresholds, "rank": args.rank, "alpha": args.alpha,
            "targets": list(TARGETS), "train_layers": args.train_layers, "seed": SEED, "init": "sentiment.e5.v1 adapter + stance head" if init else "fresh",
            "train_rows": {"stance": len(stance), "themes": len(train_themes), "tuning": len(tune_rows)},
            "rows_seen": seen, "steps_done": step, "steps_planned": len(plan), "steps_fitted": total["steps"],
            "train_seconds": seconds, "head_warmup": warmed,
            "cached_lower_layers": lower if states else 0, "cache_seconds": cache_seconds,
            "device": args.device, "threads": args.threads, "max_len": args.max_len, "batch_size": args.batch_size,
            "lr": args.lr, "head_lr": args.head_lr, "stance_per_group": args.stance_per_group,
            "theme_epochs": args.theme_epochs, "tuning_split": args.tuning, "tuning": tuned,
            "checkpoint": {"every": args.eval_every, "kept_step": best["step"], "history": best["history"]} if best else None,
            **({"lexicon_threshold": LEXICON_THRESHOLD, "lex_scale": LEX_SCALE} if args.lexicon_features else {}),
            **HT.labels_info()}
    out = Path(args.out)
    out.mkdir(parents=True, exist_ok=True)
    save(out, wrappers, heads, meta)
    print(f"done: {seen} rows in {seconds} s ({seen / max(seconds, 1e-9):.1f} rows/s); wrote {out}", flush=True)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
