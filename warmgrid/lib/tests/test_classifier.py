import collections
import re

import numpy as np
import pytest

from warmgrid.cases.taxonomy import CLASSIFIED
from warmgrid.lib import classifier
from warmgrid.lib.classifier import (
    SHIPPED_DATA,
    TRIAGE_THRESHOLD,
    CaseClassifier,
    LabelledDataError,
    ModelFormatError,
    Prediction,
    compare,
    evaluate,
    load_starter_model,
    normalise_text,
    read_labelled_csv,
    starter_model_path,
)

SAMPLES = ["3号楼2单元楼道里堆满了纸箱和旧家具", "楼上卫生间漏水，渗到我家天花板",
           "晚上十二点楼上还在蹦跳", "小区门口的路灯坏了一排", "电梯又坏了，老人下不了楼",
           "公司拖欠工资三个月了", "楼道里一股煤气味"]


@pytest.fixture(scope="module")
def shipped():
    return read_labelled_csv(SHIPPED_DATA, allowed=CLASSIFIED)


@pytest.fixture(scope="module")
def cache_dir(tmp_path_factory):
    return tmp_path_factory.mktemp("models")


@pytest.fixture(scope="module")
def model(cache_dir):
    """The starter model, trained once for the module (and cached in cache_dir)."""
    return load_starter_model(cache_dir, allowed=CLASSIFIED)


@pytest.fixture(scope="module")
def comparison(shipped):
    texts, labels = shipped
    return compare(texts, labels, folds=5, seed=0)


# ---------------------------------------------------------------- the labelled set

def test_the_shipped_set_covers_every_category_and_nothing_else(shipped):
    counts = collections.Counter(shipped[1])
    assert set(counts) == set(CLASSIFIED)
    assert min(counts.values()) >= 60, counts


def test_the_shipped_set_has_no_duplicates_even_after_normalising(shipped):
    texts, _ = shipped
    assert len(set(texts)) == len(texts)
    squeezed = [re.sub(r"[\W_]+", "", normalise_text(t)) for t in texts]
    repeated = [t for t, n in collections.Counter(squeezed).items() if n > 1]
    assert not repeated


def test_the_shipped_set_is_varied_and_holds_no_personal_numbers(shipped):
    texts, _ = shipped
    lengths = [len(t) for t in texts]
    assert min(lengths) >= 5 and max(lengths) <= 80
    assert sum(n >= 40 for n in lengths) >= 20 and sum(n <= 12 for n in lengths) >= 20
    for text in texts:
        assert not re.search(r"1[3-9]\d{9}|\d{17}[\dXx]", text), text


# ---------------------------------------------------------------- reading CSV files

def test_it_reads_a_gbk_file_as_excel_saves_it(tmp_path):
    path = tmp_path / "gbk.csv"
    path.write_bytes("text,category\n楼道灯坏了,property\n“燃气”味道很重,gas\n".encode("gbk"))
    assert read_labelled_csv(path, allowed=CLASSIFIED) == (
        ["楼道灯坏了", "“燃气”味道很重"], ["property", "gas"])


def test_it_reads_utf8_with_a_byte_order_mark_and_extra_columns(tmp_path):
    path = tmp_path / "bom.csv"
    path.write_text("id, Text ,category\n1,\"垃圾没人收，臭\",garbage\n\n", encoding="utf-8-sig")
    assert read_labelled_csv(path) == (["垃圾没人收，臭"], ["garbage"])


def test_an_unknown_category_is_an_error_with_its_line(tmp_path):
    path = tmp_path / "bad.csv"
    path.write_text("text,category\n楼道灯坏了,property\n路上有坑,roads\n", encoding="utf-8")
    with pytest.raises(LabelledDataError, match=r"line 3: unknown category 'roads'"):
        read_labelled_csv(path, allowed=CLASSIFIED)
    assert read_labelled_csv(path)[1] == ["property", "roads"]  # no allowed set: accepted


def test_missing_columns_and_empty_text_are_errors(tmp_path):
    path = tmp_path / "cols.csv"
    path.write_text("content,label\n楼道灯坏了,property\n", encoding="utf-8")
    with pytest.raises(LabelledDataError, match="missing column"):
        read_labelled_csv(path)
    path.write_text("text,category\n  ,property\n", encoding="utf-8")
    with pytest.raises(LabelledDataError, match="line 2: empty text"):
        read_labelled_csv(path)
    path.write_text("", encoding="utf-8")
    with pytest.raises(LabelledDataError, match="empty"):
        read_labelled_csv(path)


# ---------------------------------------------------------------- the model

def test_our_model_beats_the_baseline_on_the_same_folds(comparison):
    ours, base = comparison["model"], comparison["baseline"]
    print(f"\n5-fold CV  ours: accuracy {ours['accuracy']:.3f} macro-F1 {ours['macro_f1']:.3f}"
          f" | baseline: accuracy {base['accuracy']:.3f} macro-F1 {base['macro_f1']:.3f}")
    assert ours["accuracy"] > base["accuracy"]
    assert ours["macro_f1"] > base["macro_f1"]
    assert ours["accuracy"] >= 0.7  # a floor well under today's ~0.80, to catch breakage


def test_the_evaluation_reports_every_category_and_a_confusion_matrix(comparison, shipped):
    result = comparison["model"]
    labels = result["confusion"]["labels"]
    assert labels == sorted(CLASSIFIED) and list(result["per_category"]) == labels
    matrix = np.array(result["confusion"]["matrix"])
    assert matrix.shape == (20, 20) and matrix.sum() == len(shipped[0])
    assert sum(row["support"] for row in result["per_category"].values()) == len(shipped[0])
    assert result["folds"] == comparison["folds"] == 5
    assert np.trace(matrix) / matrix.sum() == pytest.approx(result["accuracy"])


def test_confidence_is_calibrated_enough_to_triage_on(comparison):
    calibration = comparison["model"]["calibration"]
    assert calibration["mean_confidence_correct"] > calibration["mean_confidence_wrong"] + 0.15
    assert calibration["ece"] < 0.1
    triage = calibration["triage"]
    assert triage["threshold"] == TRIAGE_THRESHOLD
    assert triage["accuracy_kept"] > triage["accuracy_held_back"] + 0.2
    assert 0.6 < triage["coverage"] < 0.95


def test_predictions_are_probabilities_ranked_best_first(model):
    predictions = model.predict(SAMPLES)
    assert [p.category for p in predictions] == [
        "fire_exit", "drainage", "noise", "road_lamp", "lift", "labour", "gas"]
    for p in predictions:
        assert isinstance(p, Prediction) and 0.0 <= p.confidence <= 1.0
        assert len(p.ranked) == 3 and p.ranked[0] == (p.category, p.confidence)
        assert [c for _, c in p.ranked] == sorted((c for _, c in p.ranked), reverse=True)
    proba = model.predict_proba(SAMPLES)
    assert proba.shape == (len(SAMPLES), 20)
    assert np.allclose(proba.sum(axis=1), 1.0) and (proba >= 0).all() and (proba <= 1).all()
    assert model.predict([]) == []


def test_the_direct_path_gives_what_the_pipeline_gives(model, shipped):
    # predict_proba does the pipeline's arithmetic itself for speed; the numbers must not
    # move, for texts it has seen, new ones, and one none of whose n-grams it knows.
    texts = [*SAMPLES, *shipped[0][::7], "", "ＸＹＺ？！"]
    one_by_one = np.vstack([model.predict_proba([text]) for text in texts])
    assert np.allclose(one_by_one, model.pipeline.predict_proba(texts), rtol=0, atol=1e-12)
    assert np.allclose(model.predict_proba(texts), one_by_one, rtol=0, atol=1e-12)
    assert model.predict_proba([]).shape == (0, len(model.labels))


def test_the_direct_path_gives_what_the_pipeline_gives_for_two_categories(shipped):
    texts, labels = shipped
    pair = [(t, c) for t, c in zip(texts, labels, strict=True) if c in set(labels[:1]) | {
        next(c for c in labels if c != labels[0])}]
    two = CaseClassifier().fit([t for t, _ in pair], [c for _, c in pair])
    assert len(two.labels) == 2
    sample = [t for t, _ in pair[::5]] + SAMPLES
    assert np.allclose(two.predict_proba(sample), two.pipeline.predict_proba(sample),
                       rtol=0, atol=1e-12)


def test_explain_names_the_words_behind_a_category(model):
    terms = model.explain("楼道里一股煤气味", "gas")
    assert terms and all(weight > 0 for _, weight in terms)
    assert any("煤气" in term or "气味" in term for term, _ in terms[:3])
    with pytest.raises(ValueError, match="Unknown category"):
        model.explain("楼道里一股煤气味", "weather")


def test_training_is_deterministic(model, shipped):
    again = CaseClassifier().fit(*shipped)
    assert np.array_equal(again.predict_proba(SAMPLES), model.predict_proba(SAMPLES))


def test_save_and_load_round_trip(model, tmp_path):
    path = model.save(tmp_path / "m.joblib")
    loaded = CaseClassifier.load(path)
    assert loaded.labels == model.labels == tuple(sorted(CLASSIFIED))
    assert np.array_equal(loaded.predict_proba(SAMPLES), model.predict_proba(SAMPLES))


def test_a_file_of_another_format_version_is_refused(model, tmp_path, monkeypatch):
    path = model.save(tmp_path / "old.joblib")
    monkeypatch.setattr(classifier, "FORMAT_VERSION", 2)
    with pytest.raises(ModelFormatError, match="format version 1; this WarmGrid reads version 2"):
        CaseClassifier.load(path)


def test_a_file_that_is_not_a_model_is_refused(tmp_path):
    import joblib

    joblib.dump({"something": "else"}, tmp_path / "x.joblib")
    with pytest.raises(ModelFormatError, match="not a WarmGrid case classifier"):
        CaseClassifier.load(tmp_path / "x.joblib")


def test_the_starter_model_is_trained_once_then_read_from_the_cache(model, cache_dir,
                                                                    monkeypatch):
    path = starter_model_path(cache_dir)
    assert path.exists() and list(cache_dir.iterdir()) == [path]

    def no_training(*args, **kwargs):
        raise AssertionError("trained again")

    monkeypatch.setattr(CaseClassifier, "fit", no_training)
    cached = load_starter_model(cache_dir)
    assert np.array_equal(cached.predict_proba(SAMPLES), model.predict_proba(SAMPLES))


def test_an_unreadable_cache_is_rebuilt(tmp_path, monkeypatch):
    path = starter_model_path(tmp_path)
    path.write_bytes(b"not a model")
    trained = []
    monkeypatch.setattr(CaseClassifier, "fit", lambda self, x, y: trained.append(1) or self)
    monkeypatch.setattr(CaseClassifier, "save", lambda self, p: p)
    load_starter_model(tmp_path)
    assert trained == [1]


def test_too_few_examples_are_refused_with_a_reason():
    texts, labels = ["楼道灯坏了"] * 5 + ["路上有坑"] * 2, ["property"] * 5 + ["road_lamp"] * 2
    with pytest.raises(ValueError, match="too few: road_lamp"):
        evaluate(CaseClassifier, texts, labels, folds=3)
    with pytest.raises(ValueError, match="at least 2 folds"):
        evaluate(CaseClassifier, texts, labels, folds=1)
    with pytest.raises(ValueError, match="at least 3 examples"):
        CaseClassifier().fit(texts, labels)
