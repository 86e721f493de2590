"""Detect the language a customer wrote in, with `lingua`, for routing and reply templates.

The detector is built once per process, on first use, for a fixed set of languages: its
high-accuracy models cost about 3 s and 400 MB of memory when first loaded, and then
well under 1 ms per message. Text is cut to MAX_CHARS first; short or ambiguous text
gives "" rather than a guess.
"""

from __future__ import annotations

import re
import threading
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from lingua import LanguageDetector

# ISO 639-1 codes: the European languages customers most often write in, and the
# largest others. Norwegian Bokmål is "nb", as in Django's LANGUAGES.
LANGUAGES: tuple[str, ...] = (
    "en",
    "de",
    "fr",
    "es",
    "pt",
    "it",
    "nl",
    "pl",
    "sv",
    "da",
    "nb",
    "cs",
    "ru",
    "uk",
    "tr",
    "ja",
    "zh",
    "ar",
)
# Enough text to be sure; more only costs time (lingua's cost grows with the text).
MAX_CHARS = 160
MIN_LETTERS = 12
_CJK_START = 0x2E80  # CJK radicals onwards: kana, hanzi/kanji, hangul
# lingua's minimum relative distance: the best language must lead the runner-up by this
# much (0..1), or the answer is None.
MIN_RELATIVE_DISTANCE = 0.1

_NOISE = re.compile(r"https?://\S+|www\.\S+|\S+@\S+|[\d_]+")

# Long texts are told apart by lingua's trigram models alone (its low-accuracy mode, about
# ten times faster and as accurate on paragraphs); short ones need the high-accuracy
# models of up to five-grams.
LONG_TEXT_LETTERS = 100

_detectors: dict[bool, LanguageDetector] = {}
_lock = threading.Lock()


def _get_detector(*, long_text: bool = False) -> LanguageDetector:
    """Return the process-wide detector, building it on first use (thread-safe)."""
    detector = _detectors.get(long_text)
    if detector is None:
        with _lock:
            detector = _detectors.get(long_text)
            if detector is None:
                from lingua import IsoCode639_1, LanguageDetectorBuilder

                codes = [getattr(IsoCode639_1, code.upper()) for code in LANGUAGES]
                # Preloaded: lingua otherwise loads a language's models the first time a
                # text looks like it, a pause of up to a second in the middle of intake.
                builder = (
                    LanguageDetectorBuilder.from_iso_codes_639_1(*codes)
                    .with_minimum_relative_distance(MIN_RELATIVE_DISTANCE)
                    .with_preloaded_language_models()
                )
                if long_text:
                    builder = builder.with_low_accuracy_mode()
                detector = _detectors[long_text] = builder.build()
    return detector


def _letter_weight(text: str) -> int:
    """Return the letters in *text*, a CJK character counting as a three-letter word."""
    return sum((3 if ord(ch) >= _CJK_START else 1) for ch in text if ch.isalpha())


def detect_language(text: str) -> str:
    """Return the ISO 639-1 code of the language of *text*, or "" when unsure or too short."""
    sample = _NOISE.sub(" ", (text or "")[:MAX_CHARS])
    weight = _letter_weight(sample)
    if weight < MIN_LETTERS:
        return ""
    try:
        language = _get_detector(long_text=weight >= LONG_TEXT_LETTERS).detect_language_of(sample)
    except Exception:  # routing falls back to the default language
        return ""
    if language is None:
        return ""
    return language.iso_code_639_1.name.lower()
