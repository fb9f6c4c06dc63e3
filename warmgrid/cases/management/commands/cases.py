"""`warmgrid cases train|evaluate`: the category classifier, from a labelled file and the
platform's own closed cases (a dispatcher's correction is the label that counts).

scikit-learn is imported inside the commands: other `warmgrid` commands start without it."""

from __future__ import annotations

import json
import time
from pathlib import Path

from django.core.management.base import BaseCommand, CommandError
from django.utils.translation import gettext as _

from warmgrid.cases.classification import active_model_path, platform_examples
from warmgrid.cases.taxonomy import CLASSIFIED


class Command(BaseCommand):
    help = "Train or evaluate the case category classifier."

    def add_arguments(self, parser):
        sub = parser.add_subparsers(dest="subcommand", required=True)
        train = sub.add_parser("train", help="Train on a labelled CSV (text,category) and the "
                               "platform's closed cases; the new model is used at once.")
        train.add_argument("--data", type=Path, help="CSV with columns text,category "
                           "(default: the labelled set shipped with WarmGrid)")
        train.add_argument("--no-platform", action="store_true",
                           help="Leave out the platform's own closed cases.")
        evaluate = sub.add_parser("evaluate", help="Cross-validate on a labelled CSV, against "
                                  "a TF-IDF + logistic regression baseline on the same folds.")
        evaluate.add_argument("--data", type=Path,
                              help="CSV with columns text,category (default: the shipped set)")
        evaluate.add_argument("--folds", type=int, default=5)
        evaluate.add_argument("--seed", type=int, default=0)
        evaluate.add_argument("--json", action="store_true", help="Print one JSON object.")

    def handle(self, *args, subcommand: str, **options):
        if subcommand == "train":
            self.train(options["data"], with_platform=not options["no_platform"])
        else:
            self.evaluate(options["data"], options["folds"], options["seed"], options["json"])

    def _read(self, path: Path | None):
        from warmgrid.lib import classifier

        try:
            return classifier.read_labelled_csv(path or classifier.SHIPPED_DATA,
                                                allowed=set(CLASSIFIED))
        except (OSError, ValueError) as exc:
            raise CommandError(str(exc)) from exc

    def train(self, data: Path | None, *, with_platform: bool):
        from warmgrid.lib import classifier

        texts, labels = self._read(data)
        if with_platform:
            more_texts, more_labels = platform_examples()
            texts, labels = texts + more_texts, labels + more_labels
        started = time.monotonic()
        model = classifier.CaseClassifier().fit(texts, labels)
        path = active_model_path()
        path.parent.mkdir(parents=True, exist_ok=True)
        model.save(path)
        self.stdout.write(_("Trained on %(n)d examples in %(s).1f s; saved to %(path)s.") % {
            "n": len(texts), "s": time.monotonic() - started, "path": path})

    def evaluate(self, data: Path, folds: int, seed: int, as_json: bool):
        from warmgrid.lib import classifier

        if folds < 2:
            raise CommandError(_("Use at least 2 folds."))
        texts, labels = self._read(data)
        try:
            result = classifier.compare(texts, labels, folds=folds, seed=seed)
        except ValueError as exc:
            raise CommandError(str(exc)) from exc
        ours = result["model"]
        if as_json:
            self.stdout.write(json.dumps({**ours, "baseline": result["baseline"]},
                                         ensure_ascii=False))
            return
        base = result["baseline"]
        self.stdout.write(_("%(k)d-fold cross-validation on %(n)d examples") %
                          {"k": folds, "n": len(texts)})
        self.stdout.write(f"{'':<12}{'accuracy':>10}{'macro-F1':>10}")
        self.stdout.write(f"{'WarmGrid':<12}{ours['accuracy']:>10.3f}{ours['macro_f1']:>10.3f}")
        self.stdout.write(f"{'baseline':<12}{base['accuracy']:>10.3f}{base['macro_f1']:>10.3f}")
        self.stdout.write("")
        self.stdout.write(f"{'category':<20}{'precision':>10}{'recall':>10}{'support':>9}")
        for code, row in ours["per_category"].items():
            self.stdout.write(f"{code:<20}{row['precision']:>10.3f}{row['recall']:>10.3f}"
                              f"{row['support']:>9}")
        self.stdout.write("")
        labels_ = ours["confusion"]["labels"]
        self.stdout.write(_("Confusion matrix (rows: true, columns: predicted):"))
        self.stdout.write(" " * 20 + "".join(f"{i:>4}" for i in range(len(labels_))))
        for i, (code, row) in enumerate(zip(labels_, ours["confusion"]["matrix"], strict=True)):
            self.stdout.write(f"{i:>3} {code:<16}" + "".join(f"{v:>4}" for v in row))
