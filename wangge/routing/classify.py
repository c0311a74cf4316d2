"""Free-text classifier (routing step 2): a report's text → a minor category code, with a confidence.

Pure part (no database): ``train(samples) -> Model``, ``Model.predict(texts) -> [Prediction]``,
``Model.to_bytes()`` / ``Model.from_bytes()``, ``cross_validate(samples)``.

The model is a scikit-learn pipeline: TF-IDF of character 1–2-grams (NFKC, lower-cased) next to
TF-IDF of jieba words (Chinese words of two or more characters), both sublinear, feeding a
class-balanced LinearSVC whose scores become probabilities by temperature scaling (a softmax with one
temperature fitted on 3-fold out-of-fold scores; the SVC's ranking is kept). On the complaints-dev
corpus this measured best among the alternatives tried (character 1–3/1–4-grams, word bigrams,
logistic regression, SGD, naive Bayes, NB-SVM, block weights): see benchmarks/RESULTS.md. Per-label
sigmoid calibration was a little better calibrated there but costs one fit per label (7 s of 12 for
the 105 seed categories), so temperature it is.

Services (database): ``classifier_train``, ``classify_text``, ``classifier_seed_samples``,
``classifier_history_samples``. The active model of a jurisdiction is cached per process, keyed by the
``ClassifierModel`` id; each call checks the active id (one indexed lookup) and reloads when it moved.
"""

from __future__ import annotations

import logging
import pickle
import re
import threading
import unicodedata
import warnings
import zlib
from collections import Counter
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

import numpy as np
import sklearn
from django.db import transaction
from django.utils.translation import gettext as _
from sklearn.calibration import CalibratedClassifierCV
from sklearn.feature_extraction.text import TfidfVectorizer
from sklearn.metrics import accuracy_score, f1_score
from sklearn.model_selection import StratifiedKFold
from sklearn.pipeline import FeatureUnion, Pipeline
from sklearn.svm import LinearSVC

from wangge.core.errors import ApplicationError
from wangge.core.models import Jurisdiction
from wangge.routing import selectors
from wangge.routing.models import ClassifierModel, ClassifierSource

logger = logging.getLogger(__name__)

FORMAT = 1
MIN_SAMPLES = 10  # in all
MIN_PER_LABEL = 3  # a label with fewer samples is left out (the calibration folds need one per fold)
CALIBRATION_FOLDS = 3
TOP_K = 3
MAX_HISTORY = 50_000  # newest settled cases used for training
# Vocabulary caps (most frequent first) keep the stored model small: the coefficients are labels ×
# features float32, so at most 105 × 60,000 × 4 B = 25 MB. On complaints-dev, 5-fold CV macro-F1 with
# 235k uncapped features 0.902, with 70k 0.901, with 30k 0.899.
MAX_CHAR_FEATURES = 40_000
MAX_WORD_FEATURES = 20_000

_HAN = re.compile(r"[\u3400-\u9fff]")


# ---------------------------------------------------------------------------------------------------
# Text features

_jieba = None
_jieba_lock = threading.Lock()


def _jieba_get():
    """jieba, imported and initialised once per process, quietly (it loads a 5 MB dictionary)."""
    global _jieba
    if _jieba is None:
        with _jieba_lock:
            if _jieba is None:
                with warnings.catch_warnings():
                    # jieba 0.42 has invalid escapes in regex literals; Python warns when it compiles them.
                    warnings.simplefilter("ignore", SyntaxWarning)
                    import jieba
                jieba.setLogLevel(logging.WARNING)
                jieba.initialize()
                _jieba = jieba
    return _jieba


def normalize(text: str) -> str:
    """Full-width forms to half-width, lower case (the same text always gives the same features)."""
    return unicodedata.normalize("NFKC", text).lower()


def words(text: str) -> list[str]:
    """jieba words that carry meaning here: those with a Chinese character and at least two characters
    (single characters are covered by the character n-grams; numbers and latin codes are mostly noise
    such as anonymised place names)."""
    return [w for w in _jieba_get().lcut(normalize(text)) if len(w) > 1 and _HAN.search(w)]


def build_pipeline(*, c: float = 1.0, calibrate: bool = True) -> Pipeline:
    """The model. ``calibrate=False`` leaves out the probabilities: same labels (temperature scaling keeps
    the SVC's ranking), a quarter of the fitting, and no minimum of samples per label."""
    features = FeatureUnion([
        ("chars", TfidfVectorizer(analyzer="char", ngram_range=(1, 2), preprocessor=normalize, sublinear_tf=True,
                                  max_features=MAX_CHAR_FEATURES, dtype=np.float32)),
        ("words", TfidfVectorizer(analyzer=words, sublinear_tf=True, max_features=MAX_WORD_FEATURES,
                                  dtype=np.float32)),
    ])
    # ensemble=False: one SVC fitted on all samples, its temperature fitted on out-of-fold scores.
    svc = LinearSVC(C=c, class_weight="balanced")
    clf = (CalibratedClassifierCV(svc, method="temperature", cv=CALIBRATION_FOLDS, ensemble=False)
           if calibrate else svc)
    return Pipeline([("features", features), ("clf", clf)])


# ---------------------------------------------------------------------------------------------------
# Pure model


@dataclass(frozen=True)
class Prediction:
    label: str
    confidence: float  # probability of ``label``, in [0, 1]
    alternatives: tuple[tuple[str, float], ...]  # the top 3 (label, probability), best first; [0] is ``label``


class Model:
    def __init__(self, pipeline: Pipeline, *, n_samples: int, dropped: dict[str, int] | None = None) -> None:
        self.pipeline = pipeline
        self.n_samples = n_samples
        self.dropped = dropped or {}  # labels left out for having too few samples → their count

    @property
    def labels(self) -> list[str]:
        return [str(c) for c in self.pipeline.classes_]

    def predict(self, texts: Sequence[str]) -> list[Prediction]:
        texts = list(texts)
        if not texts:
            return []
        proba = self.pipeline.predict_proba(texts)
        labels = self.labels
        k = min(TOP_K, len(labels))
        top = np.argsort(-proba, axis=1, kind="stable")[:, :k]
        out = []
        for row, idx in zip(proba, top, strict=True):
            alts = tuple((labels[i], float(row[i])) for i in idx)
            out.append(Prediction(label=alts[0][0], confidence=alts[0][1], alternatives=alts))
        return out

    def to_bytes(self) -> bytes:
        """zlib-compressed pickle. (Not joblib: its unpickler is the pure-Python one, 10× slower to load
        the vocabularies.)"""
        payload = {"format": FORMAT, "sklearn": sklearn.__version__, "pipeline": self.pipeline,
                   "n_samples": self.n_samples, "dropped": self.dropped}
        return zlib.compress(pickle.dumps(payload, protocol=pickle.HIGHEST_PROTOCOL), 3)

    @classmethod
    def from_bytes(cls, blob: bytes) -> Model:
        """Only for blobs this module wrote (our own database rows): unpickling runs code."""
        try:
            payload = pickle.loads(zlib.decompress(bytes(blob)))  # noqa: S301 - our own rows only
        except Exception as exc:
            raise ApplicationError(_("The stored classifier cannot be read: %(error)s") % {"error": exc},
                                   code="classifier_unreadable") from exc
        if not isinstance(payload, dict) or payload.get("format") != FORMAT:
            raise ApplicationError(_("The stored classifier has an unknown format."), code="classifier_unreadable")
        return cls(payload["pipeline"], n_samples=payload["n_samples"], dropped=payload["dropped"])


def _prepare(samples: Iterable[tuple[str, str]]) -> tuple[list[str], list[str], dict[str, int]]:
    pairs = [(str(t).strip(), str(label).strip()) for t, label in samples]
    pairs = [(t, label) for t, label in pairs if t and label]
    counts = Counter(label for _text, label in pairs)
    dropped = {label: n for label, n in sorted(counts.items()) if n < MIN_PER_LABEL}
    kept = [(t, label) for t, label in pairs if label not in dropped]
    n_labels = len(counts) - len(dropped)
    if n_labels < 2:
        raise ApplicationError(
            _("A classifier needs at least 2 labels with %(min)s or more samples each; got %(n)s.") % {"min": MIN_PER_LABEL, "n": n_labels},
            code="classifier_too_few_labels", details={"counts": dict(counts)},
        )
    if len(kept) < MIN_SAMPLES:
        raise ApplicationError(_("A classifier needs at least %(min)s samples; got %(n)s.") % {"min": MIN_SAMPLES, "n": len(kept)},
                               code="classifier_too_few_samples", details={"counts": dict(counts)})
    return [t for t, _label in kept], [label for _text, label in kept], dropped


def train(samples: Iterable[tuple[str, str]]) -> Model:
    """(text, label) pairs → a fitted Model. Labels with fewer than MIN_PER_LABEL samples are left out
    (``Model.dropped``); fewer than 2 labels left, or fewer than MIN_SAMPLES samples, is refused."""
    texts, labels, dropped = _prepare(samples)
    pipeline = build_pipeline().fit(texts, labels)
    for calibrated in pipeline[-1].calibrated_classifiers_:  # float32 weights: half the bytes, same ranking
        calibrated.estimator.coef_ = calibrated.estimator.coef_.astype(np.float32)
    return Model(pipeline, n_samples=len(texts), dropped=dropped)


def cross_validate(samples: Iterable[tuple[str, str]], *, folds: int = 5, seed: int = 0) -> dict:
    """Stratified k-fold macro-F1 and accuracy of the model's labels (folds shrink to the rarest label)."""
    texts, labels, _dropped = _prepare(samples)
    y = np.asarray(labels)
    folds = min(folds, min(Counter(labels).values()))
    if folds < 2:
        return {}
    f1s, accs = [], []
    x = np.asarray(texts, dtype=object)
    for a, b in StratifiedKFold(folds, shuffle=True, random_state=seed).split(x, y):
        pred = build_pipeline(calibrate=False).fit(list(x[a]), y[a]).predict(list(x[b]))
        f1s.append(f1_score(y[b], pred, average="macro"))
        accs.append(accuracy_score(y[b], pred))
    return {"cv_folds": folds, "cv_macro_f1": round(float(np.mean(f1s)), 4),
            "cv_macro_f1_std": round(float(np.std(f1s)), 4), "cv_accuracy": round(float(np.mean(accs)), 4)}


# ---------------------------------------------------------------------------------------------------
# Samples

PLACES = ("小区门口", "路口", "菜场旁边", "学校附近", "楼下", "弄堂里", "公交站旁")


def seed_sentences(name: str, keywords: Sequence[str]) -> list[str]:
    """A few short synthetic reports from a category's name and keywords (so that a new street's
    classifier works before it has any history)."""
    names = [name, *(p for p in re.split(r"[（）()]", name) if p and p != name)]
    out: list[str] = []
    for i, n in enumerate(names):
        out += [n, f"{n}问题", f"{PLACES[i % len(PLACES)]}{n}"]
    for i, kw in enumerate(keywords):
        out += [kw, f"{kw}问题", f"有{kw}", f"{PLACES[(i + 1) % len(PLACES)]}{kw}", f"反映{kw}，请尽快处理"]
    return list(dict.fromkeys(s.strip() for s in out if s.strip()))


def classifier_seed_samples(*, jurisdiction: Jurisdiction) -> list[tuple[str, str]]:
    """(text, minor category code) from the names and keywords of the jurisdiction's minor classes."""
    return [(text, code) for code, name, keywords in selectors.minor_categories(jurisdiction=jurisdiction)
            for text in seed_sentences(name, keywords or [])]


def classifier_history_samples(*, jurisdiction: Jurisdiction, limit: int = MAX_HISTORY) -> list[tuple[str, str]]:
    """(description, minor category code) of the jurisdiction's newest closed or evaluated cases."""
    return selectors.settled_case_texts(jurisdiction=jurisdiction, limit=limit)


# ---------------------------------------------------------------------------------------------------
# Services

_cache_lock = threading.Lock()
# jurisdiction id → ((ClassifierModel id, created_at), model or None when the stored one is unreadable)
_cache: dict[int, tuple[tuple, Model | None]] = {}


def classifier_cache_invalidate(*, jurisdiction_id: int | None = None) -> None:
    if jurisdiction_id is None:
        _cache.clear()
    else:
        _cache.pop(jurisdiction_id, None)


def classifier_train(*, jurisdiction: Jurisdiction, samples: Iterable[tuple[str, str]], source: str,
                     cv_folds: int = 0) -> ClassifierModel:
    """Train on ``samples``, store the model and make it the jurisdiction's active one (the previous
    active model is kept, inactive). With ``cv_folds`` ≥ 2 the samples are also cross-validated first and
    the scores stored in ``metrics``. Training runs before the transaction, which only writes."""
    if source not in ClassifierSource.values:
        raise ApplicationError(_("Unknown classifier source %(source)r.") % {"source": source}, code="classifier_bad_source")
    samples = list(samples)
    metrics: dict = cross_validate(samples, folds=cv_folds) if cv_folds >= 2 else {}
    model = train(samples)
    metrics["sklearn"] = sklearn.__version__
    if model.dropped:
        metrics["dropped_labels"] = model.dropped
    blob = model.to_bytes()
    with transaction.atomic():
        Jurisdiction.objects.select_for_update().filter(pk=jurisdiction.pk).exists()  # serialise trainings
        ClassifierModel.objects.filter(jurisdiction=jurisdiction, active=True).update(active=False)
        row = ClassifierModel.objects.create(
            jurisdiction=jurisdiction, blob=blob, labels=model.labels, n_samples=model.n_samples,
            metrics=metrics, source=source, active=True,
        )
    with _cache_lock:
        _cache[jurisdiction.pk] = ((row.pk, row.created_at), model)
    return row


def classifier_get(*, jurisdiction: Jurisdiction) -> Model | None:
    """The jurisdiction's active model, from the per-process cache while it is still the active one."""
    key = selectors.classifier_active_key(jurisdiction_id=jurisdiction.pk)
    if key is None:
        return None
    cached = _cache.get(jurisdiction.pk)
    if cached and cached[0] == key:
        return cached[1]
    with _cache_lock:
        cached = _cache.get(jurisdiction.pk)
        if cached and cached[0] == key:
            return cached[1]
        blob = ClassifierModel.objects.filter(pk=key[0]).values_list("blob", flat=True).first()
        if blob is None:  # deleted between the two reads: ask again next time
            return None
        try:
            model: Model | None = Model.from_bytes(blob)
        except ApplicationError as exc:  # e.g. written by another scikit-learn: no suggestion until retrained
            logger.warning("classifier %s of jurisdiction %s unusable: %s", key[0], jurisdiction.pk, exc.message)
            model = None
        _cache[jurisdiction.pk] = (key, model)
    return model


def classify_text(*, jurisdiction: Jurisdiction, text: str) -> Prediction | None:
    """The best category for ``text`` with its confidence and the top 3; None when the jurisdiction has
    no trained model (or the text is empty)."""
    if not text or not text.strip():
        return None
    model = classifier_get(jurisdiction=jurisdiction)
    if model is None:
        return None
    return model.predict([text])[0]
