"""A faster fit of the same model ``train.fit`` makes, and a feature cache for fitting it many times.

``train.fit`` (scikit-learn lbfgs) spends its time in two sparse products per iteration over a
(rows x 2^20) float64 matrix, and a CV grid refeaturizes the same rows for every candidate. Here:

- ``Features``: the rows featurized once (``build``) and kept on disk (``save``/``load``: scipy's
  ``.npz`` plus JSON, no pickle), with the row metadata the weighting needs;
- ``fit``: the same objective as scikit-learn's ``LogisticRegression(C)`` with sample weights
  (multinomial cross-entropy summed with the weights, L2 on the coefficients, intercept not penalized,
  scaled by 1/(C * sum of weights), so its ``tol`` reads the same), minimized by scipy's L-BFGS over float32
  products, with the transposed matrix built once (both products read it, which keeps the small side in
  cache: 4x faster logits than CSR @ weights); ``start`` warm-starts from any (3 x n_features) weights.
"""

from __future__ import annotations

import json
import time
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from analyzer.schema import SENTIMENT_LABELS
from training.sentiment_linear.dataset import Row


@dataclass
class Features:
    x: object  # scipy CSR, float32, rows x n_features
    rows: list[Row]  # text kept only when built (not stored in the cache)

    @property
    def y(self) -> np.ndarray:
        return np.array([SENTIMENT_LABELS.index(r.label) for r in self.rows])

    def column(self, name: str) -> np.ndarray:
        return np.array([getattr(r, name) for r in self.rows])

    def save(self, folder: Path) -> None:
        from scipy import sparse

        folder.mkdir(parents=True, exist_ok=True)
        sparse.save_npz(folder / "x.npz", self.x)
        meta = [[r.label, r.lang, r.source, r.weight] for r in self.rows]
        (folder / "rows.json").write_text(json.dumps(meta, ensure_ascii=False), encoding="utf-8")

    @classmethod
    def load(cls, folder: Path) -> "Features":
        from scipy import sparse

        meta = json.loads((folder / "rows.json").read_text(encoding="utf-8"))
        rows = [Row("", label, lang, source, weight) for label, lang, source, weight in meta]
        return cls(sparse.load_npz(folder / "x.npz").tocsr().astype(np.float32), rows)

    def take(self, index: np.ndarray) -> "Features":
        return Features(self.x[index], [self.rows[i] for i in index])


def featurize32(featurizer, texts: list[str]):
    from training.sentiment_linear.train import featurize

    return featurize(featurizer, texts).astype(np.float32)


@dataclass
class Fitted:
    """What ``train.write_artifact`` and the scorers read (the attributes of a fitted scikit-learn model)."""
    coef_: np.ndarray  # (3, n_features) float64
    intercept_: np.ndarray  # (3,)
    n_iter_: np.ndarray
    classes_: np.ndarray = field(default_factory=lambda: np.arange(3))

    def logits(self, x) -> np.ndarray:
        return np.asarray(x @ self.coef_.T.astype(np.float32)) + self.intercept_.astype(np.float32)

    def predict(self, x) -> np.ndarray:
        return self.logits(x).argmax(1)


def _compress(x):
    """(x restricted to its used columns, the used column ids); x as it is when nearly every column is used."""
    from scipy import sparse

    mask = np.zeros(x.shape[1], dtype=bool)
    mask[x.indices] = True
    if mask.mean() > 0.8:
        return x.astype(np.float32), np.arange(x.shape[1])
    used = np.flatnonzero(mask)
    remap = np.zeros(x.shape[1], dtype=np.int32)
    remap[used] = np.arange(len(used), dtype=np.int32)
    xc = sparse.csr_matrix((x.data.astype(np.float32), remap[x.indices], x.indptr), shape=(x.shape[0], len(used)))
    return xc, used


def fit(x, y: np.ndarray, w: np.ndarray, c: float, start=None, tol: float = 1e-4, max_iter: int = 400) -> Fitted:
    """Weighted multinomial LR with L2 (scikit-learn's objective and tolerance); ``start``: a model with
    ``coef_``/``intercept_`` over the full columns, or None (zeros)."""
    from scipy.optimize import minimize

    keep = w > 0
    xc, used = _compress(x[np.flatnonzero(keep)] if not keep.all() else x)
    y, w = y[keep], w[keep].astype(np.float32)
    xt = xc.T.tocsr()  # both products read it: xt @ r for the gradient, xt.T (CSC) @ coef.T for the logits
    xc = xt.T  # scattering into the (rows x 3) logits stays in cache; gathering from (2^20 x 3) weights does not
    n_cols, k = xc.shape[1], 3
    onehot = np.eye(k, dtype=np.float32)[y]
    scale = 1.0 / (c * float(w.sum()))
    theta0 = np.zeros(k * n_cols + k)
    if start is not None:
        theta0[:-k] = np.asarray(start.coef_, dtype=np.float64)[:, used].ravel()
        theta0[-k:] = start.intercept_

    def objective(theta: np.ndarray):
        coef = theta[:-k].reshape(k, n_cols)
        z = np.asarray(xc @ coef.T.astype(np.float32)) + theta[-k:].astype(np.float32)
        z -= z.max(1, keepdims=True)
        log_norm = np.log(np.exp(z).sum(1, keepdims=True))
        loss = float(w @ (log_norm[:, 0] - (z * onehot).sum(1)))
        residual = (np.exp(z - log_norm) - onehot) * w[:, None]
        grad_coef = np.asarray(xt @ residual).T.astype(np.float64) * c + coef
        grad = np.r_[grad_coef.ravel(), residual.sum(0).astype(np.float64) * c]
        return (c * loss + 0.5 * float((coef * coef).sum())) * scale, grad * scale

    result = minimize(objective, theta0, jac=True, method="L-BFGS-B",
                      options={"maxiter": max_iter, "gtol": tol, "maxcor": 10, "ftol": 64 * np.finfo(float).eps})
    coef = np.zeros((k, x.shape[1]))
    coef[:, used] = result.x[:-k].reshape(k, n_cols)
    return Fitted(coef, result.x[-k:].copy(), np.array([result.nit]))


def timed_fit(*args, **kwargs) -> tuple[Fitted, float]:
    t0 = time.perf_counter()
    model = fit(*args, **kwargs)
    return model, time.perf_counter() - t0
