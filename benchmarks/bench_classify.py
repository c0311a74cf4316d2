"""Text classifier benchmark: wangge.routing.classify against the plain character n-gram baseline.

On a labelled CSV (``label,text``), in one run, for each system:
  * 5-fold stratified cross-validation on the training part (macro-F1, accuracy), every fold refitting
    the whole pipeline (vocabulary, IDF, classifier, calibration);
  * one fit on the training part (80 %, stratified, fixed seed) and held-out accuracy + macro-F1;
  * classifications per second, batch (all held-out texts in one call) and single (one text per call);
  * for ours also: confidence quality (log loss, expected calibration error, accuracy by confidence
    band), the stored model's size and load time.
baseline = TfidfVectorizer(analyzer="char", ngram_range=(1, 3)) + LinearSVC() (scikit-learn defaults).
ours     = classify.build_pipeline(): char 1–2 + jieba words TF-IDF, balanced LinearSVC, temperature.
``--variants`` adds the cross-validation of the alternatives we measured while choosing (slow); ``--only TEXT``
keeps the variants whose name contains TEXT.

    .venv/bin/python benchmarks/bench_classify.py --data ../shared/data/complaints-dev/messages.csv
    .venv/bin/python benchmarks/bench_classify.py --data … --folds 0 --single 50      # held-out only, ~2 min
    .venv/bin/python benchmarks/bench_classify.py --data … --variants --only vote    # one variant next to both

Only numbers are printed and written (benchmarks/out/classify.json); never any text of the corpus.
"""

from __future__ import annotations

import argparse
import csv
import json
import os
import platform
import re
import sys
import time
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")

import django  # noqa: E402

django.setup()

import sklearn  # noqa: E402
from sklearn.base import BaseEstimator, ClassifierMixin  # noqa: E402
from sklearn.feature_extraction.text import TfidfVectorizer  # noqa: E402
from sklearn.metrics import accuracy_score, f1_score, log_loss  # noqa: E402
from sklearn.model_selection import StratifiedKFold, cross_validate, train_test_split  # noqa: E402
from sklearn.pipeline import FeatureUnion, Pipeline  # noqa: E402
from sklearn.svm import LinearSVC  # noqa: E402

from wangge.routing import classify  # noqa: E402

OUT = ROOT / "benchmarks" / "out"


def baseline() -> Pipeline:
    return Pipeline([("features", TfidfVectorizer(analyzer="char", ngram_range=(1, 3))), ("clf", LinearSVC())])


_DIGITS = re.compile(r"[0-9]+(?:\.[0-9]+)?")
_LATIN = re.compile(r"[a-z]+[0-9]*")


def masked(text: str) -> str:
    """Numbers → 0, latin runs (anonymised places such as "a市", codes) → a."""
    return _LATIN.sub("a", _DIGITS.sub("0", classify.normalize(text)))


def han_only(text: str) -> str:
    """Chinese characters and sentence punctuation only."""
    return "".join(ch for ch in classify.normalize(text) if classify._HAN.match(ch) or ch in "，。？！")


def word_bigrams(text: str) -> list[str]:
    w = classify.words(text)
    return [f"{a} {b}" for a, b in zip(w, w[1:], strict=False)]


class SoftmaxVote(BaseEstimator, ClassifierMixin):
    """Several pipelines, each SVC's scores through a softmax (temperature 0.3), averaged."""

    def __init__(self, makers=()):
        self.makers = makers

    def fit(self, x, y):
        self.members_ = [make().fit(x, y) for make in self.makers]
        self.classes_ = self.members_[0].classes_
        return self

    def predict(self, x):
        total = 0
        for m in self.members_:
            z = m.decision_function(x) / 0.3
            z = np.exp(z - z.max(axis=1, keepdims=True))
            total = total + z / z.sum(axis=1, keepdims=True)
        return self.classes_[np.argmax(total, axis=1)]


def variant(*, chars: tuple[int, int] | None, use_words: bool, balanced: bool = True, c: float = 1.0,
            preprocessor=classify.normalize, bigrams: float = 0.0) -> Pipeline:
    """The alternatives measured while choosing (uncalibrated: temperature scaling keeps the ranking)."""
    parts = []
    if chars:
        parts.append(("chars", TfidfVectorizer(analyzer="char", ngram_range=chars, preprocessor=preprocessor,
                                               sublinear_tf=True, dtype=np.float32)))
    if use_words:
        parts.append(("words", TfidfVectorizer(analyzer=classify.words, sublinear_tf=True, dtype=np.float32)))
    weights = None
    if bigrams:
        parts.append(("bigrams", TfidfVectorizer(analyzer=word_bigrams, sublinear_tf=True, min_df=2, dtype=np.float32)))
        weights = {name: 1.0 for name, _ in parts} | {"bigrams": bigrams}
    return Pipeline([("features", FeatureUnion(parts, transformer_weights=weights)),
                     ("clf", LinearSVC(C=c, class_weight="balanced" if balanced else None))])


VARIANTS = {
    "char 1-3, sublinear, balanced": lambda: variant(chars=(1, 3), use_words=False),
    "char 1-2, sublinear, balanced": lambda: variant(chars=(1, 2), use_words=False),
    "jieba words, sublinear, balanced": lambda: variant(chars=None, use_words=True),
    "char 1-3 + words, balanced": lambda: variant(chars=(1, 3), use_words=True),
    "char 1-2 + words, not balanced": lambda: variant(chars=(1, 2), use_words=True, balanced=False),
    "char 1-2 + words, balanced, C=0.5": lambda: variant(chars=(1, 2), use_words=True, c=0.5),
    "char 1-2 (numbers, latin masked) + words": lambda: variant(chars=(1, 2), use_words=True, preprocessor=masked),
    "char 1-2 (Chinese only) + words": lambda: variant(chars=(1, 2), use_words=True, preprocessor=han_only),
    "char 1-2 + words + word bigrams x0.5": lambda: variant(chars=(1, 2), use_words=True, bigrams=0.5),
    "softmax vote of 4 SVCs (c12+w, c1-3, w, c12)": lambda: SoftmaxVote(makers=(
        lambda: variant(chars=(1, 2), use_words=True), lambda: variant(chars=(1, 3), use_words=False),
        lambda: variant(chars=None, use_words=True), lambda: variant(chars=(1, 2), use_words=False))),
}


def load(path: str) -> tuple[list[str], np.ndarray]:
    with open(path, encoding="utf-8-sig", newline="") as f:
        rows = [(r["text"], r["label"]) for r in csv.DictReader(f) if r["text"] and r["label"]]
    return [t for t, _ in rows], np.asarray([label for _, label in rows])


def cv_scores(make, texts, labels, folds, seed) -> dict:
    t = time.perf_counter()
    res = cross_validate(make(), texts, labels, cv=StratifiedKFold(folds, shuffle=True, random_state=seed),
                         scoring=("f1_macro", "accuracy"), n_jobs=1)
    return {"cv_folds": folds, "cv_macro_f1": round(float(res["test_f1_macro"].mean()), 4),
            "cv_macro_f1_std": round(float(res["test_f1_macro"].std()), 4),
            "cv_accuracy": round(float(res["test_accuracy"].mean()), 4), "cv_seconds": round(time.perf_counter() - t, 1)}


def per_second(fn, texts, single: int) -> dict:
    t = time.perf_counter()
    fn(texts)
    batch = len(texts) / (time.perf_counter() - t)
    sample = [texts[i % len(texts)] for i in range(single)]
    t = time.perf_counter()
    for text in sample:
        fn([text])
    one = single / (time.perf_counter() - t)
    return {"batch_per_s": round(batch, 1), "single_per_s": round(one, 1)}


def calibration(conf: np.ndarray, ok: np.ndarray) -> dict:
    bands: dict = {}
    ece = 0.0
    for lo, hi in ((0, 0.5), (0.5, 0.7), (0.7, 0.9), (0.9, 1.0001)):
        s = (conf >= lo) & (conf < hi)
        bands[f"{lo:.1f}-{min(hi, 1):.1f}"] = {"n": int(s.sum()), "accuracy": round(float(ok[s].mean()), 3) if s.any() else None,
                                                "mean_confidence": round(float(conf[s].mean()), 3) if s.any() else None}
    bins = np.minimum((conf * 10).astype(int), 9)
    for b in range(10):
        s = bins == b
        if s.any():
            ece += s.mean() * abs(conf[s].mean() - ok[s].mean())
    return {"ece_10_bins": round(float(ece), 4), "bands": bands}


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--data", required=True, help="CSV with label,text columns")
    ap.add_argument("--seed", type=int, default=42)
    ap.add_argument("--test-size", type=float, default=0.2)
    ap.add_argument("--folds", type=int, default=5, help="0: skip cross-validation")
    ap.add_argument("--single", type=int, default=200, help="one-text predict calls to time")
    ap.add_argument("--variants", action="store_true", help="also cross-validate the alternatives (slow)")
    ap.add_argument("--only", action="append", default=[], metavar="TEXT",
                    help="with --variants: only the variants whose name contains TEXT (repeatable)")
    ap.add_argument("--out", default=str(OUT / "classify.json"))
    args = ap.parse_args()

    texts, labels = load(args.data)
    x_train, x_test, y_train, y_test = train_test_split(texts, labels, test_size=args.test_size, stratify=labels,
                                                        random_state=args.seed)
    result: dict = {
        "data": {"samples": len(texts), "labels": len(set(labels)), "train": len(x_train), "test": len(x_test),
                 "seed": args.seed},
        "machine": {"cpus": os.cpu_count(), "python": platform.python_version(), "sklearn": sklearn.__version__},
        "systems": {},
    }
    print(f"{len(texts)} texts, {len(set(labels))} labels; train {len(x_train)}, held out {len(x_test)}", flush=True)
    classify.words("预热")  # jieba's dictionary load is not part of any timing

    for name, make in (("baseline", baseline), ("ours", classify.build_pipeline)):
        r: dict = {}
        if args.folds:
            r.update(cv_scores(make, x_train, y_train, args.folds, args.seed))
            print(f"{name:9s} cv macro-F1 {r['cv_macro_f1']:.4f} ± {r['cv_macro_f1_std']:.4f}  "
                  f"accuracy {r['cv_accuracy']:.4f}  ({r['cv_seconds']} s)", flush=True)
        t = time.perf_counter()
        if name == "ours":
            model = classify.train(zip(x_train, y_train, strict=True))
            r["fit_seconds"] = round(time.perf_counter() - t, 1)
            preds = model.predict(x_test)
            pred = np.asarray([p.label for p in preds])
            proba = model.pipeline.predict_proba(x_test)
            conf = np.asarray([p.confidence for p in preds])
            r["log_loss"] = round(float(log_loss(y_test, proba, labels=model.labels)), 4)
            r["confidence"] = calibration(conf, pred == y_test)
            r["per_label_f1"] = dict(zip(model.labels, (round(float(v), 4) for v in
                                                         f1_score(y_test, pred, average=None, labels=model.labels)), strict=True))
            blob = model.to_bytes()
            t = time.perf_counter()
            classify.Model.from_bytes(blob)
            r["blob_mb"] = round(len(blob) / 1e6, 2)
            r["load_seconds"] = round(time.perf_counter() - t, 2)
            r.update(per_second(model.predict, x_test, args.single))
        else:
            pipe = make().fit(x_train, y_train)
            r["fit_seconds"] = round(time.perf_counter() - t, 1)
            pred = pipe.predict(x_test)
            r.update(per_second(pipe.predict, x_test, args.single))
        r["heldout_accuracy"] = round(float(accuracy_score(y_test, pred)), 4)
        r["heldout_macro_f1"] = round(float(f1_score(y_test, pred, average="macro")), 4)
        result["systems"][name] = r
        print(f"{name:9s} held-out accuracy {r['heldout_accuracy']:.4f}  macro-F1 {r['heldout_macro_f1']:.4f}  "
              f"fit {r['fit_seconds']} s  batch {r['batch_per_s']}/s  single {r['single_per_s']}/s", flush=True)
        if name == "ours":
            print(f"{'':9s} log loss {r['log_loss']}  ECE {r['confidence']['ece_10_bins']}  blob {r['blob_mb']} MB  "
                  f"load {r['load_seconds']} s  bands {json.dumps(r['confidence']['bands'])}", flush=True)

    if args.variants and args.folds:
        result["variants"] = {}
        for name, make in VARIANTS.items():
            if args.only and not any(o in name for o in args.only):
                continue
            result["variants"][name] = r = cv_scores(make, x_train, y_train, args.folds, args.seed)
            print(f"variant {name:36s} cv macro-F1 {r['cv_macro_f1']:.4f} ± {r['cv_macro_f1_std']:.4f}  "
                  f"({r['cv_seconds']} s)", flush=True)

    Path(args.out).parent.mkdir(parents=True, exist_ok=True)
    Path(args.out).write_text(json.dumps(result, ensure_ascii=False, indent=1))
    print(f"→ {args.out}")


if __name__ == "__main__":
    main()
