"""`postroom routing train` and `postroom routing evaluate` as a desk admin runs them on an
export (a CSV file with text columns and a label column)."""

from __future__ import annotations

import csv
import json
from io import StringIO

import pytest
from django.core.management import CommandError, call_command

from postroom.routing.management.commands.routing import EVALUATION_KEYS, TRAIN_KEYS, Command
from postroom.routing.model_file import model_card_read, model_load
from tests.conftest import FIXTURES

SAMPLE = FIXTURES / "routing" / "banking77-sample.csv"
# A dozen intents keep each training run well under a second.
INTENTS = (
    "card_arrival", "lost_or_stolen_card", "exchange_rate", "change_pin", "terminate_account",
    "top_up_failed", "cash_withdrawal_charge", "transfer_timing", "apple_pay_or_google_pay",
    "age_limit", "pending_transfer", "country_support",
)


def _run(*args: str) -> str:
    # The command instance, not its name: found by name once "postroom.routing" is in
    # INSTALLED_APPS, and the same code either way.
    out = StringIO()
    call_command(Command(), *args, "--words-only", "--no-progress", stdout=out, stderr=StringIO())
    return out.getvalue()


def _rows() -> list[dict[str, str]]:
    with open(SAMPLE, newline="") as f:
        return [row for row in csv.DictReader(f) if row["category"] in INTENTS]


def _export(path, rows, *, split_subject: bool = True):
    """Write rows as a desk export: the first words as the subject, the rest as the body."""
    with open(path, "w", newline="") as f:
        writer = csv.writer(f)
        writer.writerow(["subject", "body", "category"])
        for row in rows:
            words = row["text"].split()
            subject, body = (" ".join(words[:3]), " ".join(words[3:])) if split_subject else ("", row["text"])
            writer.writerow([subject, body, row["category"]])
    return path


@pytest.fixture
def export(tmp_path):
    rows = _rows()
    return (_export(tmp_path / "train.csv", [r for i, r in enumerate(rows) if i % 4]),
            _export(tmp_path / "test.csv", [r for i, r in enumerate(rows) if not i % 4]))


def test_evaluate_json_has_the_documented_keys(export):
    train, test = export
    result = json.loads(_run("evaluate", "--train", str(train), "--test", str(test),
                             "--text", "subject,body", "--label", "category", "--json"))
    assert list(result) == list(EVALUATION_KEYS)
    assert result["folds"] is None and result["labels"] == len(INTENTS)
    assert 0.7 < result["accuracy"] <= 1 and 0 < result["coverage"] <= 1
    assert result["precision"] >= result["accuracy"]
    for pair in result["confused"]:
        assert set(pair) == {"true", "predicted", "count"}


def test_evaluate_without_a_test_file_cross_validates_and_prints_a_summary(export):
    train, _ = export
    out = _run("evaluate", "--train", str(train), "--folds", "3", "--text", "subject,body",
               "--label", "category")
    assert "3-fold cross-validation" in out
    for word in ("accuracy", "macro-F1", "precision", "coverage", "Most confused"):
        assert word in out


def test_train_joins_the_text_columns_and_saves_a_model_that_predicts(export, tmp_path):
    train, _ = export
    out = tmp_path / "models" / "category.model"
    result = json.loads(_run("train", "--csv", str(train), "--text", "subject,body",
                             "--label", "category", "--out", str(out), "--json"))
    assert list(result) == list(TRAIN_KEYS)
    assert result["promoted"] and result["path"] == str(out)
    model = model_load(out)
    assert model.card.training_size == result["training_size"] == len(_rows()) - len(_rows()[::4])
    assert model.predict("Where is my card?\n\nI ordered it two weeks ago").label == "card_arrival"


def test_train_never_replaces_a_model_with_a_worse_one(export, tmp_path):
    train, _ = export
    out = tmp_path / "category.model"
    _run("train", "--csv", str(train), "--text", "subject,body", "--label", "category", "--out", str(out))
    good = model_card_read(out)
    few = _export(tmp_path / "few.csv", _rows()[::5])
    with pytest.raises(CommandError, match="not replacing"):
        _run("train", "--csv", str(few), "--text", "subject,body", "--label", "category", "--out", str(out))
    assert model_card_read(out) == good
    assert model_card_read(tmp_path / "category.model.candidate").training_size < good.training_size
    _run("train", "--csv", str(few), "--text", "subject,body", "--label", "category", "--out", str(out),
         "--force")
    assert model_card_read(out).training_size < good.training_size


def test_a_missing_column_is_a_clear_error(export):
    train, _ = export
    with pytest.raises(CommandError, match="no column message"):
        _run("evaluate", "--train", str(train), "--text", "message", "--label", "category")
