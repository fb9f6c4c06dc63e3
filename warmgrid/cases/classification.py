"""The category a case's text suggests, with its confidence, and any urgent risk.

The model is the pure classifier in warmgrid.lib.classifier; the first use in a process
loads it from var/ (training it there from the shipped labelled set the first time, so a
fresh install downloads nothing).
"""

from __future__ import annotations

import logging
import threading
from dataclasses import dataclass, field
from functools import cache

from django.conf import settings

from warmgrid.cases.models import Case, Category
from warmgrid.cases.reference import reference

# The classifier pulls in scikit-learn: imported on first use, not at start-up.

_lock = threading.Lock()
log = logging.getLogger(__name__)


@dataclass(frozen=True)
class Suggestion:
    category: Category | None
    confidence: float | None
    sure: bool
    urgent_reasons: list[dict] = field(default_factory=list)
    ranked: list[tuple[str, float]] = field(default_factory=list)


def active_model_path():
    """Where `warmgrid cases train` puts the model the platform uses."""
    return settings.VAR_DIR / "models" / "case-classifier.joblib"


@cache
def _model():
    from warmgrid.lib import classifier

    with _lock:
        path = active_model_path()
        if path.exists():
            try:
                return classifier.CaseClassifier.load(path)
            except classifier.ModelFormatError:
                # Trained by another version: the shipped starter model until retrained.
                log.warning("case classifier at %s is of another format; using the "
                            "starter model until `warmgrid cases train` is run", path)
        return classifier.load_starter_model(settings.VAR_DIR / "models")


def warm_up() -> None:
    """Load the model and its tokenizer now rather than on the first report (seconds on a
    small machine). No database access: safe before an app server forks its workers."""
    _model().predict(["预热"])


def platform_examples() -> tuple[list[str], list[str]]:
    """The platform's closed cases as labelled examples: the category a person settled on
    (a dispatcher's correction included) is the label."""
    rows = (Case.objects.filter(state=Case.State.CLOSED, category__isnull=False)
            .values_list("description", "category__code"))
    texts, labels = [], []
    for text, code in rows.iterator(chunk_size=2000):
        texts.append(text)
        labels.append(code)
    return texts, labels


def suggest_category(text: str) -> Suggestion:
    from warmgrid.lib import classifier, urgency

    reasons = [{"code": r.code, "label": r.label_zh, "label_en": r.label_en,
                "matched": r.matched} for r in urgency.urgent_reasons(text)]
    prediction = _model().predict([text])[0]
    category = reference().categories_by_code.get(prediction.category)
    return Suggestion(
        category=category, confidence=round(float(prediction.confidence), 4),
        sure=category is not None and prediction.confidence >= classifier.TRIAGE_THRESHOLD,
        urgent_reasons=reasons, ranked=list(prediction.ranked),
    )
