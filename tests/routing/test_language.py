"""The customer's language is detected from what they wrote, or left open when unsure."""

from __future__ import annotations

import csv
import threading

import pytest

from postroom.routing import language
from postroom.routing.language import LANGUAGES, detect_language
from tests.conftest import CORPUS


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("My watch stopped syncing with the app after the last firmware update.", "en"),
        ("Meine Uhr synchronisiert seit dem letzten Update nicht mehr mit der App.", "de"),
        ("Ma montre ne se synchronise plus avec l'application depuis la mise à jour.", "fr"),
        ("Mi reloj ya no se sincroniza con la aplicación desde la última actualización.", "es"),
        ("O meu relógio deixou de sincronizar com o aplicativo depois da atualização.", "pt"),
        ("Il mio orologio non si sincronizza più con l'app dopo l'ultimo aggiornamento.", "it"),
        ("Mijn horloge synchroniseert niet meer met de app sinds de laatste update.", "nl"),
        ("Mój zegarek nie synchronizuje się z aplikacją od ostatniej aktualizacji.", "pl"),
        ("Мои часы перестали синхронизироваться с приложением после обновления.", "ru"),
        ("最新のアップデート以降、時計がアプリと同期しなくなりました。", "ja"),
    ],
)
def test_language_of_a_support_request_is_detected(text, expected):
    assert detect_language(text) == expected


@pytest.mark.parametrize(
    "text", ["", "ok thanks", "Danke!", "12345 67890", "https://example.test/a/b/c?d=e"]
)
def test_short_or_letterless_text_gives_no_language(text):
    assert detect_language(text) == ""


def test_languages_outside_the_supported_set_are_not_guessed():
    assert "ko" not in LANGUAGES
    assert detect_language("시계가 앱과 동기화되지 않습니다. 도와주세요.") == ""


def test_only_the_first_part_of_a_long_text_is_read():
    text = "Meine Uhr lädt nicht mehr richtig auf. " * 30 + "My watch does not charge. " * 500
    assert detect_language(text) == "de"


def test_the_detector_is_built_once_even_under_concurrent_first_use(monkeypatch):
    import lingua

    built: list[object] = []

    original = lingua.LanguageDetectorBuilder.from_iso_codes_639_1

    def counting(*codes):
        built.append(codes)
        return original(*codes)

    monkeypatch.setattr(language, "_detectors", {})
    monkeypatch.setattr(
        lingua.LanguageDetectorBuilder, "from_iso_codes_639_1", staticmethod(counting)
    )
    results: list[str] = []
    threads = [
        threading.Thread(
            target=lambda: results.append(
                detect_language("Bonjour, ma montre ne charge plus du tout.")
            )
        )
        for _ in range(8)
    ]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert results == ["fr"] * 8
    assert len(built) == 1


@pytest.mark.corpus
def test_language_of_multilingual_tickets_is_detected_from_the_body():
    path = CORPUS / "tickets" / "multilang-v1.csv"
    if not path.exists():
        pytest.skip("shared ticket corpus not present")
    with path.open(encoding="utf-8") as handle:
        rows = list(csv.DictReader(handle))
    correct = sum(detect_language(row["body"]) == row["language"] for row in rows)
    assert correct / len(rows) >= 0.98, f"{correct}/{len(rows)}"
