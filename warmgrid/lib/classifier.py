"""Case category classifier: the text of a resident's report (事件) → a category code with a
calibrated confidence. Pure computation: no Django, so it is tested and benchmarked alone.

Two models, evaluated on the same cross-validation folds (`compare`):

* the **baseline** (`baseline_pipeline`), the plain comparison the issue asks for: TF-IDF
  over jieba word tokens (scikit-learn defaults: raw term counts, l2 norm, smoothed idf,
  lower-cased, every token kept) into `LogisticRegression` (default C=1.0, lbfgs,
  multinomial, max_iter=5000 so it converges);
* **ours** (`CaseClassifier`): TF-IDF over character 1–2-grams (sublinear tf) of the
  normalised text (NFKC, lower case, every run of digits → "0", so 3号楼 and 12号楼 look
  alike), joined with jieba word TF-IDF weighted 0.3; a linear SVM (LinearSVC, C=1.0) in
  a 3-fold calibration ensemble: each fold's SVM is paired with the fold it did not see,
  one softmax temperature is fitted on those held-out scores (maximum likelihood), and a
  prediction averages the three calibrated models. This is CalibratedClassifierCV's
  ensemble with temperature scaling instead of one-vs-rest sigmoids: in our trials the
  sigmoids came out under-confident on 20 classes (mean confidence 0.62 at 81 % accuracy,
  ECE 0.19), the temperature is calibrated (ECE 0.03, log-loss 0.70 against 0.76).
  `bench/classifier.py` prints today's figures for both models.

Character n-grams carry most of the signal in short Chinese reports (typos, missing
punctuation, words jieba splits oddly); in our trials jieba words at full weight lowered
accuracy, at 0.3 they are neutral to slightly helpful and make `explain` readable.

Both models are deterministic: fixed folds and random_state, and a private jieba
tokenizer (the global one is left alone for other users).

The starter model is not shipped as a binary: `load_starter_model(cache_dir)` trains it
from the shipped labelled set (`SHIPPED_DATA`) on first use, in about a second, and
caches it in `cache_dir` (the platform passes var/models/). A fresh install downloads
nothing. Model files are joblib pickles: load only files this installation wrote.
"""

from __future__ import annotations

import csv
import hashlib
import io
import logging
import os
import re
import tempfile
import threading
import time
import unicodedata
import warnings
from collections import defaultdict
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

import numpy as np
import sklearn
from scipy.optimize import minimize_scalar
from scipy.special import log_softmax, softmax
from sklearn.base import BaseEstimator, ClassifierMixin
from sklearn.exceptions import InconsistentVersionWarning
from sklearn.feature_extraction.text import TfidfVectorizer
from sklearn.linear_model import LogisticRegression
from sklearn.metrics import confusion_matrix, precision_recall_fscore_support
from sklearn.model_selection import StratifiedKFold
from sklearn.pipeline import FeatureUnion, Pipeline
from sklearn.svm import LinearSVC

log = logging.getLogger(__name__)

FORMAT_NAME = "warmgrid-case-classifier"
# Bump when the saved payload or the pipeline's classes change: old files are then refused.
FORMAT_VERSION = 1
SHIPPED_DATA = Path(__file__).resolve().parent / "data" / "cases_labelled.csv"
RANDOM_STATE = 0

# Below this confidence a case goes to a person's triage queue. Chosen from the 5-fold
# out-of-fold confidences on the shipped set (bench/classifier.py, seeds 0–2): it is the
# lowest cut above which every confidence band is right clearly more often than not
# (0.5–0.6: 49 %, 0.6–0.7: 65 %). About 78 % of cases pass and are right 89–90 % of the
# time; of the 22 % held back the model had only 45–48 % right.
TRIAGE_THRESHOLD = 0.6

# Terms jieba's dictionary splits that residents use as one word.
_DOMAIN_WORDS = ("高空抛物", "僵尸车", "广场舞", "网格员", "消防栓", "消火栓", "电梯困人",
                 "私拉电线", "飞线充电", "开墙打洞", "违章建筑", "彩钢房", "煤气味", "燃气味")
_PUNCTUATION = re.compile(r"^[\W_]+$")
_DIGITS = re.compile(r"\d+")
_SPACES = re.compile(r"\s+")


class LabelledDataError(ValueError):
    """A labelled CSV that cannot be used, with the file and line in the message."""


class ModelFormatError(ValueError):
    """A saved model this code cannot use (another format version or scikit-learn)."""


@dataclass(frozen=True)
class Prediction:
    category: str
    confidence: float  # calibrated probability of `category`, in [0, 1]
    ranked: list[tuple[str, float]]  # the top 3 (category, probability), best first


# ---------------------------------------------------------------------------- text

def normalise_text(text: str) -> str:
    """NFKC (full-width → half-width), lower case, digit runs → "0", single spaces."""
    text = unicodedata.normalize("NFKC", text).lower()
    return _SPACES.sub(" ", _DIGITS.sub("0", text)).strip()


_tokenizer = None
_tokenizer_lock = threading.Lock()


def _jieba():
    global _tokenizer
    if _tokenizer is None:
        with _tokenizer_lock:
            if _tokenizer is None:
                import jieba

                # jieba logs "Building prefix dict…" at DEBUG on stderr for every process.
                jieba.setLogLevel(logging.WARNING)
                tokenizer = jieba.Tokenizer()
                tokenizer.initialize()
                for word in _DOMAIN_WORDS:
                    tokenizer.add_word(word)
                _tokenizer = tokenizer
    return _tokenizer


def jieba_words(text: str) -> list[str]:
    """jieba's words (precise mode), without whitespace and punctuation tokens."""
    return list(_cut(text))


@lru_cache(maxsize=50_000)
def _cut(text: str) -> tuple[str, ...]:
    # Cross-validation cuts the same texts once per fold and model: remember them.
    return tuple(w for w in _jieba().lcut(text) if w.strip() and not _PUNCTUATION.match(w))


# ---------------------------------------------------------------------------- models

def baseline_pipeline() -> Pipeline:
    """The comparison baseline: TF-IDF over jieba words → LogisticRegression (C=1.0)."""
    return Pipeline([
        ("tfidf", TfidfVectorizer(tokenizer=jieba_words, token_pattern=None)),
        ("classify", LogisticRegression(max_iter=5000)),
    ])


class TemperatureEnsembleSVC(ClassifierMixin, BaseEstimator):
    """LinearSVC in a K-fold calibration ensemble with one softmax temperature.

    Each fold's SVM is fitted on the other folds and scores its own fold; the temperature
    T that maximises the likelihood of softmax(scores / T) over all held-out scores is
    kept, and predict_proba averages softmax(scores / T) of the K fold models. Pairing
    each model with data it did not see keeps the scores honest (a model fitted on all
    the data would score new text more confidently than the held-out scores suggest).
    """

    def __init__(self, C: float = 1.0, folds: int = 3, random_state: int = RANDOM_STATE):
        self.C = C
        self.folds = folds
        self.random_state = random_state

    def fit(self, X, y):
        y = np.asarray(y)
        self.classes_, index, counts = np.unique(y, return_inverse=True, return_counts=True)
        if len(self.classes_) < 2:
            raise ValueError("Need examples of at least two categories.")
        if counts.min() < self.folds:
            rare = ", ".join(str(c) for c in self.classes_[counts < self.folds])
            raise ValueError(f"Each category needs at least {self.folds} examples for "
                             f"calibration; too few for: {rare}.")
        scores = np.zeros((X.shape[0], len(self.classes_)))
        splitter = StratifiedKFold(self.folds, shuffle=True, random_state=self.random_state)
        self.models_ = []
        for train, held_out in splitter.split(np.zeros(len(y)), y):
            model = LinearSVC(C=self.C, random_state=self.random_state)
            model.fit(X[train], y[train])
            scores[held_out] = self._scores(model, X[held_out])
            self.models_.append(model)
        rows = np.arange(len(y))

        def nll(log_t):
            return -log_softmax(scores / np.exp(log_t), axis=1)[rows, index].mean()

        self.temperature_ = float(np.exp(
            minimize_scalar(nll, bounds=(-6.0, 3.0), method="bounded").x))
        return self

    @staticmethod
    def _scores(model, X):
        scores = model.decision_function(X)
        if scores.ndim == 1:  # two classes: one margin, for the second class
            scores = np.column_stack([-scores, scores]) / 2
        return scores

    def predict_proba(self, X):
        return np.mean([softmax(self._scores(m, X) / self.temperature_, axis=1)
                        for m in self.models_], axis=0)

    def predict(self, X):
        return self.classes_[self.predict_proba(X).argmax(axis=1)]

    @property
    def coef_(self):
        """The fold models' weights averaged: (classes, features)."""
        coefs = []
        for model in self.models_:
            coef = model.coef_
            if coef.shape[0] == 1:
                coef = np.vstack([-coef, coef]) / 2
            coefs.append(coef)
        return np.mean(coefs, axis=0)


class _LinearScorer:
    """A fitted CaseClassifier pipeline's arithmetic for one text at a time.

    Per vectorizer: its own analyzer's tokens → counts over its vocabulary → 1 + log(tf)
    (sublinear) → × idf → l2 norm → × the union's weight; then every fold model's margins
    at once (one gather of the touched feature rows) → softmax(margins / T), averaged.
    Only the settings `_make_pipeline` uses are supported; anything else is refused here
    rather than scored differently."""

    def __init__(self, pipeline: Pipeline):
        features = pipeline.named_steps["features"]
        ensemble = pipeline.named_steps["classify"]
        weights = features.transformer_weights or {}
        self.blocks = []
        offset = 0
        for name, vectorizer in features.transformer_list:
            if not (vectorizer.sublinear_tf and vectorizer.use_idf and vectorizer.norm == "l2"
                    and not vectorizer.binary):
                raise ValueError(f"_LinearScorer does not support the settings of {name!r}.")
            self.blocks.append((vectorizer.build_analyzer(), vectorizer.vocabulary_,
                                vectorizer.idf_, float(weights.get(name, 1.0)), offset))
            offset += len(vectorizer.vocabulary_)
        coefs, intercepts = [], []
        for model in ensemble.models_:
            coef, intercept = model.coef_, np.atleast_1d(model.intercept_)
            if coef.shape[0] == 1:  # two classes: `_scores` splits the one margin in halves
                coef, intercept = np.vstack([-coef, coef]) / 2, np.hstack([-intercept,
                                                                           intercept]) / 2
            coefs.append(coef)
            intercepts.append(intercept)
        self.models, self.classes = len(coefs), coefs[0].shape[0]
        # (features, models × classes): one row per feature, so a text gathers few rows.
        self.weights = np.ascontiguousarray(np.vstack(coefs).T)
        self.intercepts = np.hstack(intercepts)
        self.temperature = ensemble.temperature_

    def features(self, text: str) -> tuple[np.ndarray, np.ndarray]:
        """The text's non-zero feature columns and values, as the union would make them."""
        columns, values = [], []
        for analyze, vocabulary, idf, weight, offset in self.blocks:
            counts: dict[int, int] = defaultdict(int)
            for token in analyze(text):
                column = vocabulary.get(token)
                if column is not None:
                    counts[column] += 1
            if not counts:
                continue
            block_columns = np.fromiter(counts, dtype=np.intp, count=len(counts))
            tf = np.fromiter(counts.values(), dtype=float, count=len(counts))
            block_values = (np.log(tf) + 1.0) * idf[block_columns]
            block_values *= weight / np.sqrt(block_values @ block_values)
            columns.append(block_columns + offset)
            values.append(block_values)
        if not columns:
            return np.zeros(0, dtype=np.intp), np.zeros(0)
        return np.concatenate(columns), np.concatenate(values)

    def proba(self, text: str) -> np.ndarray:
        columns, values = self.features(text)
        margins = values @ self.weights[columns] + self.intercepts
        return softmax(margins.reshape(self.models, self.classes) / self.temperature,
                       axis=1).mean(axis=0)


class CaseClassifier:
    """Our model (see the module docstring). fit → predict / explain / save; load."""

    def __init__(self, *, C: float = 1.0, word_weight: float = 0.3, calibration_folds: int = 3,
                 random_state: int = RANDOM_STATE):
        self.params = {"C": C, "word_weight": word_weight,
                       "calibration_folds": calibration_folds, "random_state": random_state}
        self.pipeline: Pipeline | None = None
        self.labels: tuple[str, ...] = ()
        self._feature_names = None
        self._scorer: _LinearScorer | None = None

    def _make_pipeline(self) -> Pipeline:
        p = self.params
        features = FeatureUnion(
            [("char", TfidfVectorizer(analyzer="char", ngram_range=(1, 2), sublinear_tf=True,
                                      preprocessor=normalise_text)),
             ("word", TfidfVectorizer(tokenizer=jieba_words, token_pattern=None,
                                      preprocessor=normalise_text, sublinear_tf=True))],
            transformer_weights={"char": 1.0, "word": p["word_weight"]})
        return Pipeline([
            ("features", features),
            ("classify", TemperatureEnsembleSVC(C=p["C"], folds=p["calibration_folds"],
                                                random_state=p["random_state"])),
        ])

    def fit(self, texts: Sequence[str], labels: Sequence[str]) -> CaseClassifier:
        texts, labels = list(texts), [str(label) for label in labels]
        if len(texts) != len(labels):
            raise ValueError(f"{len(texts)} texts but {len(labels)} labels.")
        pipeline = self._make_pipeline()
        pipeline.fit(texts, labels)
        self.pipeline = pipeline
        self.labels = tuple(str(c) for c in pipeline.classes_)
        self._feature_names = None
        self._scorer = None
        return self

    def _fitted(self) -> Pipeline:
        if self.pipeline is None:
            raise ValueError("The classifier is not trained: call fit() or load().")
        return self.pipeline

    def predict_proba(self, texts: Sequence[str]) -> np.ndarray:
        """Probabilities, one row per text, columns in the order of `labels`.

        Computed by `_LinearScorer` from the fitted weights: the same figures as the
        pipeline's own predict_proba (a test holds them equal), without scikit-learn's
        checks and sparse-matrix dispatch, which cost several times the arithmetic and
        are paid by every case reported."""
        if self._scorer is None:
            self._scorer = _LinearScorer(self._fitted())
        return np.array([self._scorer.proba(text) for text in texts]).reshape(
            -1, len(self.labels))

    def predict(self, texts: Sequence[str]) -> list[Prediction]:
        texts = list(texts)
        if not texts:
            return []
        out = []
        for row in self.predict_proba(texts):
            order = np.argsort(-row, kind="stable")[:3]
            ranked = [(self.labels[i], float(row[i])) for i in order]
            out.append(Prediction(category=ranked[0][0], confidence=ranked[0][1],
                                  ranked=ranked))
        return out

    def explain(self, text: str, category: str, top: int = 8) -> list[tuple[str, float]]:
        """The n-grams and words (two characters or more) of `text` that pushed it most
        towards `category`, with their share of the linear score (feature value × the
        averaged weight; a term both a bigram and a jieba word adds both shares)."""
        pipeline = self._fitted()
        if category not in self.labels:
            raise ValueError(f"Unknown category {category!r}.")
        features = pipeline.named_steps["features"]
        if self._feature_names is None:
            self._feature_names = features.get_feature_names_out()
        row = features.transform([text]).tocsr()
        weights = pipeline.named_steps["classify"].coef_[self.labels.index(category)]
        merged: dict[str, float] = defaultdict(float)
        for col, value in zip(row.indices, row.data, strict=True):
            term = self._feature_names[col].split("__", 1)[1]
            if len(term.strip()) > 1:  # single characters repeat what their bigrams say
                merged[term] += float(value * weights[col])
        ranked = sorted(merged.items(), key=lambda kv: (-kv[1], kv[0]))
        return [(term, round(weight, 4)) for term, weight in ranked[:top] if weight > 0]

    # -- persistence

    def save(self, path: str | os.PathLike) -> Path:
        """Write atomically (a temporary file renamed over `path`)."""
        import joblib

        payload = {"format": FORMAT_NAME, "format_version": FORMAT_VERSION,
                   "sklearn_version": sklearn.__version__, "labels": list(self.labels),
                   "params": dict(self.params), "pipeline": self._fitted()}
        path = Path(path)
        path.parent.mkdir(parents=True, exist_ok=True)
        fd, tmp = tempfile.mkstemp(prefix=path.name, suffix=".tmp", dir=path.parent)
        os.close(fd)
        try:
            joblib.dump(payload, tmp, compress=3)
            os.replace(tmp, path)
        finally:
            if os.path.exists(tmp):
                os.unlink(tmp)
        return path

    @classmethod
    def load(cls, path: str | os.PathLike) -> CaseClassifier:
        """Read a file `save` wrote; refuse another format version or scikit-learn."""
        import joblib

        with warnings.catch_warnings():
            # An older scikit-learn's pickle warns while loading; we refuse it below.
            warnings.simplefilter("ignore", InconsistentVersionWarning)
            payload = joblib.load(path)
        if not isinstance(payload, dict) or payload.get("format") != FORMAT_NAME:
            raise ModelFormatError(f"{path} is not a WarmGrid case classifier file.")
        if payload.get("format_version") != FORMAT_VERSION:
            raise ModelFormatError(
                f"{path} is a case classifier in format version "
                f"{payload.get('format_version')}; this WarmGrid reads version "
                f"{FORMAT_VERSION}. Train it again (warmgrid cases train).")
        if payload.get("sklearn_version") != sklearn.__version__:
            raise ModelFormatError(
                f"{path} was trained with scikit-learn {payload.get('sklearn_version')}; "
                f"this is {sklearn.__version__}. Train it again (warmgrid cases train).")
        model = cls(**payload["params"])
        model.pipeline = payload["pipeline"]
        model.labels = tuple(payload["labels"])
        return model


# ---------------------------------------------------------------------------- data

def read_labelled_csv(path: str | os.PathLike,
                      allowed: Iterable[str] | None = None) -> tuple[list[str], list[str]]:
    """Read a `text,category` CSV (UTF-8, with or without BOM, or GBK/GB18030 as Excel
    saves it on Chinese Windows). With `allowed`, any other category is an error."""
    raw = Path(path).read_bytes()
    for encoding in ("utf-8-sig", "gb18030"):
        try:
            content = raw.decode(encoding)
            break
        except UnicodeDecodeError:
            continue
    else:
        raise LabelledDataError(f"{path}: the file is neither UTF-8 nor GBK/GB18030 text.")
    reader = csv.reader(io.StringIO(content, newline=""))
    header = next(reader, None)
    if header is None:
        raise LabelledDataError(f"{path}: the file is empty.")
    columns = [h.strip().lower() for h in header]
    missing = [c for c in ("text", "category") if c not in columns]
    if missing:
        raise LabelledDataError(f"{path}: missing column(s) {', '.join(missing)}; the header "
                                f"is {', '.join(columns) or '(empty)'}.")
    text_at, category_at = columns.index("text"), columns.index("category")
    allowed = set(allowed) if allowed is not None else None
    texts, labels, problems = [], [], []
    for row in reader:
        if not any(cell.strip() for cell in row):
            continue
        line = reader.line_num
        text = row[text_at].strip() if text_at < len(row) else ""
        category = row[category_at].strip() if category_at < len(row) else ""
        if not text:
            problems.append(f"line {line}: empty text")
        elif not category:
            problems.append(f"line {line}: empty category")
        elif allowed is not None and category not in allowed:
            problems.append(f"line {line}: unknown category {category!r}")
        else:
            texts.append(text)
            labels.append(category)
    if problems:
        more = f" (and {len(problems) - 10} more)" if len(problems) > 10 else ""
        raise LabelledDataError(f"{path}: " + "; ".join(problems[:10]) + more + ".")
    if not texts:
        raise LabelledDataError(f"{path}: no examples.")
    return texts, labels


def starter_model_path(cache_dir: str | os.PathLike) -> Path:
    """Where the starter model trained from SHIPPED_DATA is cached in `cache_dir`. The
    name carries the format, scikit-learn version and the CSV's hash, so a changed set
    or upgrade is trained afresh."""
    digest = hashlib.sha256(SHIPPED_DATA.read_bytes()).hexdigest()[:12]
    return (Path(cache_dir) /
            f"starter-classifier-v{FORMAT_VERSION}-sklearn{sklearn.__version__}-{digest}.joblib")


def load_starter_model(cache_dir: str | os.PathLike,
                       allowed: Iterable[str] | None = None) -> CaseClassifier:
    """The starter model: read from `cache_dir` if cached, else trained from the shipped
    labelled set (about a second) and cached there. Nothing is downloaded."""
    path = starter_model_path(cache_dir)
    if path.exists():
        try:
            return CaseClassifier.load(path)
        except Exception as exc:  # an unreadable cache is only a cache: train again
            log.warning("Retraining the starter classifier: %s", exc)
    texts, labels = read_labelled_csv(SHIPPED_DATA, allowed=allowed)
    model = CaseClassifier().fit(texts, labels)
    model.save(path)
    for stale in path.parent.glob("starter-classifier-*.joblib"):
        if stale != path:
            stale.unlink(missing_ok=True)
    return model


# ---------------------------------------------------------------------------- evaluation

def _fold_splits(labels: Sequence[str], folds: int, seed: int) -> list[tuple]:
    if folds < 2:
        raise ValueError("Cross-validation needs at least 2 folds.")
    values, counts = np.unique(np.asarray(labels), return_counts=True)
    if len(values) < 2:
        raise ValueError("Need examples of at least two categories.")
    if counts.min() < folds:
        rare = ", ".join(f"{v} ({n})" for v, n in zip(values, counts, strict=True) if n < folds)
        raise ValueError(f"{folds}-fold cross-validation needs at least {folds} examples of "
                         f"each category; too few: {rare}.")
    splitter = StratifiedKFold(n_splits=folds, shuffle=True, random_state=seed)
    return list(splitter.split(np.zeros(len(labels)), labels))


def _predict_with_confidence(model, texts: list[str]) -> tuple[list[str], list[float] | None]:
    out = model.predict(texts)
    if len(out) and isinstance(out[0], Prediction):
        return [p.category for p in out], [p.confidence for p in out]
    confidence = None
    if hasattr(model, "predict_proba"):
        confidence = [float(c) for c in np.max(model.predict_proba(texts), axis=1)]
    return [str(label) for label in out], confidence


def calibration_summary(confidence: Sequence[float], correct: Sequence[bool],
                        threshold: float = TRIAGE_THRESHOLD, bins: int = 10) -> dict:
    """Reliability of the top-class confidence: expected calibration error over equal-width
    bins, mean confidence of right and wrong predictions, and what `threshold` keeps."""
    conf, ok = np.asarray(confidence, dtype=float), np.asarray(correct, dtype=bool)
    edges = np.linspace(0.0, 1.0, bins + 1)
    which = np.clip(np.digitize(conf, edges[1:-1], right=True), 0, bins - 1)
    table, ece = [], 0.0
    for b in range(bins):
        inside = which == b
        if inside.any():
            acc, mean = float(ok[inside].mean()), float(conf[inside].mean())
            ece += inside.mean() * abs(acc - mean)
            table.append({"from": round(float(edges[b]), 2), "to": round(float(edges[b + 1]), 2),
                          "count": int(inside.sum()), "accuracy": acc, "confidence": mean})
    kept = conf >= threshold
    by_threshold = []
    for t in (0.3, 0.4, 0.5, 0.55, 0.6, 0.65, 0.7, 0.8, 0.9):
        keep = conf >= t
        by_threshold.append({"threshold": t, "coverage": float(keep.mean()),
                             "accuracy_kept": float(ok[keep].mean()) if keep.any() else None})
    return {
        "ece": float(ece),
        "mean_confidence": float(conf.mean()),
        "mean_confidence_correct": float(conf[ok].mean()) if ok.any() else None,
        "mean_confidence_wrong": float(conf[~ok].mean()) if (~ok).any() else None,
        "bins": table,
        "triage": {"threshold": threshold, "coverage": float(kept.mean()),
                   "accuracy_kept": float(ok[kept].mean()) if kept.any() else None,
                   "accuracy_held_back": float(ok[~kept].mean()) if (~kept).any() else None},
        "by_threshold": by_threshold,
    }


def _evaluate_on_splits(make_model: Callable[[], object], texts: list[str], labels: list[str],
                        splits: list[tuple]) -> dict:
    predicted: list[str] = [""] * len(texts)
    confidence: list[float] | None = [0.0] * len(texts)
    fit_seconds = []
    for train, test in splits:
        model = make_model()
        started = time.perf_counter()
        model.fit([texts[i] for i in train], [labels[i] for i in train])
        fit_seconds.append(time.perf_counter() - started)
        fold_labels, fold_conf = _predict_with_confidence(model, [texts[i] for i in test])
        if fold_conf is None:
            confidence = None
        for j, i in enumerate(test):
            predicted[i] = fold_labels[j]
            if confidence is not None:
                confidence[i] = fold_conf[j]
    codes = sorted(set(labels))
    precision, recall, f1, support = precision_recall_fscore_support(
        labels, predicted, labels=codes, zero_division=0)
    correct = [p == t for p, t in zip(predicted, labels, strict=True)]
    result = {
        "accuracy": float(np.mean(correct)),
        "macro_f1": float(np.mean(f1)),
        "per_category": {code: {"precision": float(precision[k]), "recall": float(recall[k]),
                                "f1": float(f1[k]), "support": int(support[k])}
                         for k, code in enumerate(codes)},
        "confusion": {"labels": codes,
                      "matrix": confusion_matrix(labels, predicted, labels=codes).tolist()},
        "folds": len(splits),
        "examples": len(texts),
        "fit_seconds": float(np.mean(fit_seconds)),
    }
    if confidence is not None:
        result["calibration"] = calibration_summary(confidence, correct)
    return result


def evaluate(make_model: Callable[[], object], texts: Sequence[str], labels: Sequence[str],
             folds: int = 5, seed: int = 0) -> dict:
    """Stratified K-fold cross-validation of a fresh `make_model()` per fold.

    The model needs fit(texts, labels) and predict(texts) giving labels or Predictions.
    Returns accuracy, macro_f1, per_category {precision, recall, f1, support}, confusion
    {labels, matrix (rows true, columns predicted)}, folds; and, when the model gives
    confidences, a calibration summary (ECE, reliability bins, triage coverage)."""
    texts, labels = list(texts), [str(label) for label in labels]
    return _evaluate_on_splits(make_model, texts, labels, _fold_splits(labels, folds, seed))


def compare(texts: Sequence[str], labels: Sequence[str], folds: int = 5, seed: int = 0) -> dict:
    """Our model and the baseline, evaluated on the very same folds.
    Returns {"model": …, "baseline": …, "folds", "seed", "accuracy_ratio"}."""
    texts, labels = list(texts), [str(label) for label in labels]
    splits = _fold_splits(labels, folds, seed)
    ours = _evaluate_on_splits(CaseClassifier, texts, labels, splits)
    baseline = _evaluate_on_splits(baseline_pipeline, texts, labels, splits)
    return {"model": ours, "baseline": baseline, "folds": folds, "seed": seed,
            "accuracy_ratio": ours["accuracy"] / baseline["accuracy"]
            if baseline["accuracy"] else None}
