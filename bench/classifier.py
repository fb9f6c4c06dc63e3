"""Case classifier benchmark: our model against the baseline on the same cross-validation folds.

Prints accuracy and macro-F1 of both models and their ratio, the time to train our model on
the whole set, a per-category table, the most frequent confusions, our confidence's
reliability and what each triage threshold would keep. Pure computation: no database.

    .venv/bin/python bench/classifier.py [--data FILE.csv] [--folds 5] [--seed 0] [--json OUT]
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import sys
import time
from pathlib import Path

import sklearn

from warmgrid.cases.taxonomy import CLASSIFIED
from warmgrid.lib import classifier


def parse_args():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data", type=Path, default=classifier.SHIPPED_DATA,
                        help="a text,category CSV (default: the shipped labelled set)")
    parser.add_argument("--folds", type=int, default=5)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--any-category", action="store_true",
                        help="accept categories outside the shipped taxonomy")
    parser.add_argument("--json", type=Path, help="also write the figures to this file")
    return parser.parse_args()


def show(value, width=9):
    return f"{'-':>{width}}" if value is None else f"{value:>{width}.3f}"


def main() -> int:
    args = parse_args()
    allowed = None if args.any_category else CLASSIFIED
    try:
        texts, labels = classifier.read_labelled_csv(args.data, allowed=allowed)
    except (OSError, ValueError) as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    print(f"data: {args.data} ({len(texts)} examples, {len(set(labels))} categories)")
    print(f"machine: {platform.machine()}, {os.cpu_count()} CPU, Python "
          f"{platform.python_version()}, scikit-learn {sklearn.__version__}")

    classifier.jieba_words("预热")  # load jieba's dictionary before timing anything
    started = time.perf_counter()
    model = classifier.CaseClassifier().fit(texts, labels)
    train_seconds = time.perf_counter() - started
    started = time.perf_counter()
    model.predict(texts[:200])
    predict_ms = (time.perf_counter() - started) / min(200, len(texts)) * 1000

    started = time.perf_counter()
    try:
        result = classifier.compare(texts, labels, folds=args.folds, seed=args.seed)
    except ValueError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    compare_seconds = time.perf_counter() - started
    ours, base = result["model"], result["baseline"]

    print(f"\ntraining our model on all {len(texts)} examples: {train_seconds:.2f} s; "
          f"predicting: {predict_ms:.2f} ms a text (in a batch of 200)")
    print(f"{args.folds}-fold stratified cross-validation, seed {args.seed}, same folds for "
          f"both ({compare_seconds:.1f} s)\n")
    print(f"{'':<10}{'accuracy':>10}{'macro-F1':>10}{'fit s/fold':>12}")
    for name, r in (("ours", ours), ("baseline", base)):
        print(f"{name:<10}{r['accuracy']:>10.3f}{r['macro_f1']:>10.3f}{r['fit_seconds']:>12.2f}")
    print(f"{'ratio':<10}{ours['accuracy'] / base['accuracy']:>10.3f}"
          f"{ours['macro_f1'] / base['macro_f1']:>10.3f}   (ours / baseline)")

    print(f"\n{'category':<19}{'P':>7}{'R':>7}{'F1':>7}{'base F1':>9}{'support':>9}")
    for code, row in ours["per_category"].items():
        base_f1 = base["per_category"][code]["f1"]
        print(f"{code:<19}{row['precision']:>7.3f}{row['recall']:>7.3f}{row['f1']:>7.3f}"
              f"{base_f1:>9.3f}{row['support']:>9}")

    codes, matrix = ours["confusion"]["labels"], ours["confusion"]["matrix"]
    mistakes = sorted(((matrix[i][j], codes[i], codes[j]) for i in range(len(codes))
                       for j in range(len(codes)) if i != j and matrix[i][j]), reverse=True)
    print("\nmost frequent confusions (ours; true → predicted):")
    for count, true, predicted in mistakes[:10]:
        print(f"  {count:>3}  {true} → {predicted}")

    calibration = ours["calibration"]
    print(f"\nour confidence: ECE {calibration['ece']:.3f}; mean "
          f"{calibration['mean_confidence']:.3f} at accuracy {ours['accuracy']:.3f}; right "
          f"{calibration['mean_confidence_correct']:.3f}, wrong "
          f"{calibration['mean_confidence_wrong']:.3f}")
    base_calibration = base.get("calibration")
    if base_calibration:
        print(f"baseline confidence: ECE {base_calibration['ece']:.3f}; mean "
              f"{base_calibration['mean_confidence']:.3f}")
    print(f"\n{'confidence':<13}{'cases':>7}{'accuracy':>10}{'mean conf':>11}")
    for b in calibration["bins"]:
        print(f"{b['from']:.1f}–{b['to']:.1f}{'':<6}{b['count']:>7}{b['accuracy']:>10.3f}"
              f"{b['confidence']:>11.3f}")
    print(f"\n{'threshold':<11}{'dispatched':>11}{'right':>8}   (the rest go to triage)")
    for row in calibration["by_threshold"]:
        mark = "  ← TRIAGE_THRESHOLD" if row["threshold"] == classifier.TRIAGE_THRESHOLD else ""
        print(f"{row['threshold']:<11}{row['coverage']:>11.3f}{show(row['accuracy_kept'], 8)}"
              f"{mark}")
    triage = calibration["triage"]
    print(f"at {triage['threshold']}: {triage['coverage']:.1%} dispatched, right "
          f"{triage['accuracy_kept']:.1%}; held back {1 - triage['coverage']:.1%}, of which "
          f"the model had right {triage['accuracy_held_back']:.1%}")

    if args.json:
        args.json.write_text(json.dumps({
            **result, "train_seconds": train_seconds, "predict_ms": predict_ms,
            "compare_seconds": compare_seconds}, ensure_ascii=False, indent=2),
            encoding="utf-8")
    return 0


if __name__ == "__main__":
    sys.exit(main())
