"""Decode body and header bytes with the declared charset, repairing what senders get wrong.

Mail in the wild declares charsets that Python does not know ("unknown-8bit",
"ks_c_5601-1987", "iso-8859-8-i"), declares us-ascii over UTF-8 bytes, or declares
nothing at all. Decoding follows the WHATWG Encoding Standard's label table where it
differs from Python's, then falls back to UTF-8, `charset-normalizer`'s guess and
windows-1252, which decodes every byte. Text is never lost, only flagged.
"""

from __future__ import annotations

import codecs
import re
from dataclasses import dataclass
from functools import lru_cache

UTF8 = "utf-8"
WINDOWS_1252 = "cp1252"

# Charsets that say "unknown" rather than naming an encoding.
_UNKNOWN_LABELS = frozenset(
    {
        "",
        "unknown",
        "unknown-8bit",
        "x-unknown",
        "x-user-defined",
        "default",
        "default_charset",
        "charset",
        "none",
        "null",
        "8bit",
        "binary",
    }
)

# RFC 2046 §4.1.2 and real mail: us-ascii is the default, but 8-bit bytes under it are
# almost always UTF-8 (or windows-1252 from older clients).
_ASCII_LABELS = frozenset(
    {
        "us-ascii",
        "ascii",
        "us",
        "ansi_x3.4-1968",
        "ansi_x3.4-1986",
        "iso646-us",
        "iso-ir-6",
        "csascii",
        "ascii-us",
        "7bit",
        "iso_646.irv:1991",
    }
)

# Labels whose real-world meaning is a superset encoding (WHATWG Encoding Standard §4.2)
# or which Python does not know under that name.
_ALIASES: dict[str, tuple[str, ...]] = {
    # Latin-1 labels mean windows-1252 in practice (WHATWG).
    "iso-8859-1": (WINDOWS_1252,),
    "iso8859-1": (WINDOWS_1252,),
    "iso_8859-1": (WINDOWS_1252,),
    "iso_8859-1:1987": (WINDOWS_1252,),
    "8859-1": (WINDOWS_1252,),
    "latin1": (WINDOWS_1252,),
    "latin-1": (WINDOWS_1252,),
    "l1": (WINDOWS_1252,),
    "cp819": (WINDOWS_1252,),
    "ibm819": (WINDOWS_1252,),
    "windows-1252": (WINDOWS_1252,),
    "iso-8859-9": ("cp1254",),
    "latin5": ("cp1254",),
    "iso-8859-11": ("cp874",),
    "tis-620": ("cp874",),
    "windows-874": ("cp874",),
    # Hebrew and Arabic "logical"/"explicit" variants are the same bytes.
    "iso-8859-8-i": ("iso8859_8",),
    "iso-8859-8-e": ("iso8859_8",),
    "csiso88598i": ("iso8859_8",),
    "csiso88598e": ("iso8859_8",),
    "logical": ("iso8859_8",),
    "visual": ("iso8859_8",),
    "iso-8859-6-i": ("iso8859_6",),
    "iso-8859-6-e": ("iso8859_6",),
    # Chinese: GB 2312 and GBK mail routinely contains GB18030-only characters.
    "gb2312": ("gb18030",),
    "gb_2312": ("gb18030",),
    "gb_2312-80": ("gb18030",),
    "csgb2312": ("gb18030",),
    "euc-cn": ("gb18030",),
    "x-euc-cn": ("gb18030",),
    "chinese": ("gb18030",),
    "iso-ir-58": ("gb18030",),
    "gbk": ("gb18030",),
    "x-gbk": ("gb18030",),
    "cp936": ("gb18030",),
    "windows-936": ("gb18030",),
    "big5": ("big5hkscs", "cp950"),
    "x-x-big5": ("big5hkscs", "cp950"),
    "cn-big5": ("big5hkscs", "cp950"),
    "csbig5": ("big5hkscs", "cp950"),
    "big5-hkscs": ("big5hkscs", "cp950"),
    # Korean: "ks_c_5601-1987" is what Outlook writes for Windows code page 949.
    "ks_c_5601-1987": ("cp949",),
    "ks_c_5601-1989": ("cp949",),
    "ks_c_5601": ("cp949",),
    "ksc5601": ("cp949",),
    "ksc_5601": ("cp949",),
    "korean": ("cp949",),
    "euc-kr": ("cp949",),
    "x-euc-kr": ("cp949",),
    "windows-949": ("cp949",),
    "x-windows-949": ("cp949",),
    # Japanese: Shift_JIS mail is written by Windows code page 932 (NEC/IBM extensions).
    "shift_jis": ("cp932", "shift_jis_2004"),
    "shift-jis": ("cp932", "shift_jis_2004"),
    "sjis": ("cp932", "shift_jis_2004"),
    "x-sjis": ("cp932", "shift_jis_2004"),
    "ms_kanji": ("cp932", "shift_jis_2004"),
    "csshiftjis": ("cp932", "shift_jis_2004"),
    "windows-31j": ("cp932", "shift_jis_2004"),
    "ms932": ("cp932", "shift_jis_2004"),
    "x-euc-jp": ("euc_jp", "euc_jis_2004"),
    "euc-jp": ("euc_jp", "euc_jis_2004"),
    # RFC 1468 ISO-2022-JP; the _ext and _2 variants add half-width katakana and more sets.
    "iso-2022-jp": ("iso2022_jp", "iso2022_jp_ext", "iso2022_jp_2", "iso2022_jp_2004"),
    "csiso2022jp": ("iso2022_jp", "iso2022_jp_ext", "iso2022_jp_2", "iso2022_jp_2004"),
    "iso-2022-jp-2": ("iso2022_jp_2", "iso2022_jp_ext", "iso2022_jp_2004"),
    "utf8": (UTF8,),
    "utf-8": (UTF8,),
    "unicode-1-1-utf-8": (UTF8,),
    "x-unicode20utf8": (UTF8,),
    "unicode": ("utf-16",),
    "x-mac-roman": ("mac_roman",),
    "macintosh": ("mac_roman",),
    "koi8": ("koi8_r",),
}

# Python codecs that are not text encodings of mail, or that interpret escapes.
_REFUSED_CODECS = frozenset(
    {"unicode_escape", "raw_unicode_escape", "idna", "punycode", "undefined", "mbcs", "oem"}
)

# Encodings whose byte streams are 7-bit: pure-ASCII bytes still need the codec.
_SEVEN_BIT_CODECS = frozenset(
    {
        "iso2022_jp",
        "iso2022_jp_1",
        "iso2022_jp_2",
        "iso2022_jp_2004",
        "iso2022_jp_3",
        "iso2022_jp_ext",
        "iso2022_kr",
        "hz",
        "utf-7",
        "utf-16",
        "utf-16-be",
        "utf-16-le",
        "utf-32",
        "utf-32-be",
        "utf-32-le",
    }
)

_BOMS: tuple[tuple[bytes, str], ...] = (
    (codecs.BOM_UTF8, "utf-8-sig"),
    (codecs.BOM_UTF32_LE, "utf-32"),
    (codecs.BOM_UTF32_BE, "utf-32"),
    (codecs.BOM_UTF16_LE, "utf-16"),
    (codecs.BOM_UTF16_BE, "utf-16"),
)

# The detector is only asked when there is enough 8-bit text to judge; on a few bytes
# it guesses exotic encodings.
_DETECT_MIN_8BIT = 8
_DETECT_MAX_BYTES = 64 * 1024
# Encodings that mail is written in; EBCDIC, DOS and Mac code pages are left out because
# the detector mistakes Western text for them on short samples.
_DETECT_CANDIDATES = [
    "utf_8",
    "cp1252",
    "cp1250",
    "cp1251",
    "cp1253",
    "cp1254",
    "cp1255",
    "cp1256",
    "cp1257",
    "cp1258",
    "iso8859_2",
    "iso8859_5",
    "iso8859_7",
    "iso8859_8",
    "iso8859_15",
    "koi8_r",
    "koi8_u",
    "cp874",
    "cp932",
    "euc_jp",
    "iso2022_jp",
    "gb18030",
    "big5hkscs",
    "cp949",
    "iso2022_kr",
]


_LATIN_SINGLE_BYTE = frozenset(
    {"cp1250", "cp1254", "cp1257", "cp1258", "iso8859_2", "iso8859_15", "latin_1", "iso8859_1"}
)


@dataclass(frozen=True)
class DecodedText:
    """Text decoded from bytes, the codec that decoded it, and what went wrong."""

    text: str
    charset: str
    defect: str = ""


def _windows_1252_fallback(error: UnicodeError) -> tuple[str, int]:
    """Decode bytes windows-1252 leaves undefined as Latin-1 (a codecs error handler)."""
    # WHATWG maps the five bytes windows-1252 leaves undefined to the C1 controls.
    if not isinstance(error, UnicodeDecodeError):
        raise error
    return error.object[error.start : error.end].decode("latin-1"), error.end


codecs.register_error("postroom-latin1", _windows_1252_fallback)


def normalize_label(label: str | None) -> str:
    """Return *label* lower-cased and stripped of quotes, comments and RFC 2231 language."""
    if not label:
        return ""
    value = label.strip().strip("\"'").strip()
    # RFC 2231 §5: "utf-8*en" carries a language after the asterisk.
    value = value.split("*", 1)[0]
    value = value.split(";", 1)[0].split("(", 1)[0]
    return value.strip().strip("\"'").lower()


@lru_cache(maxsize=256)
def codecs_for(label: str | None) -> tuple[str, ...]:
    """Return the Python codecs to try, in order, for a charset *label*; () when unknown.

    us-ascii labels give ("ascii",); the caller treats 8-bit bytes under them as undeclared.
    """
    name = normalize_label(label)
    if name in _UNKNOWN_LABELS:
        return ()
    if name in _ASCII_LABELS:
        return ("ascii",)
    if name in _ALIASES:
        return _ALIASES[name]
    for candidate in (name, name.removeprefix("x-"), name.removeprefix("cs")):
        try:
            info = codecs.lookup(candidate)
        except (LookupError, ValueError):
            continue
        if (
            getattr(info, "_is_text_encoding", True) is False
            or info.name.replace("-", "_") in _REFUSED_CODECS
        ):
            return ()
        if info.name in {"latin-1", "iso8859-1"}:
            return (WINDOWS_1252,)
        if info.name == "ascii":
            return ("ascii",)
        return (info.name,)
    return ()


def is_known(label: str | None) -> bool:
    """Return whether *label* names a charset this module can decode with."""
    return bool(codecs_for(label))


def _detect(data: bytes) -> str:
    """Return a codec name guessed by charset-normalizer, or "" when it cannot tell."""
    if count_8bit(data[:_DETECT_MAX_BYTES]) < _DETECT_MIN_8BIT:
        return ""
    try:
        from charset_normalizer import from_bytes

        matches = list(from_bytes(data[:_DETECT_MAX_BYTES], cp_isolation=_DETECT_CANDIDATES))
    except Exception:  # a detector bug must not stop the mail
        return ""
    if not matches:
        return ""
    best = matches[0]
    encoding = str(best.encoding or "")
    if encoding in _LATIN_SINGLE_BYTE:
        # Western mail is far more common than Central European: prefer windows-1252
        # when it reads the bytes as well (identical text, or as coherent).
        if WINDOWS_1252 in getattr(best, "could_be_from_charset", ()):
            return WINDOWS_1252
        for match in matches[1:]:
            if (
                match.encoding == WINDOWS_1252
                and match.chaos <= best.chaos
                and match.coherence >= best.coherence - 0.05
            ):
                return WINDOWS_1252
    return WINDOWS_1252 if encoding in {"latin_1", "iso8859_1", "ascii"} else encoding


_ASCII_BYTES = bytes(range(0x80))


def count_8bit(data: bytes) -> int:
    """Return how many bytes of *data* have the high bit set."""
    return len(data.translate(None, _ASCII_BYTES))


def _mostly_utf8(data: bytes) -> str | None:
    """Return *data* decoded as UTF-8 with replacements when most 8-bit text is valid UTF-8."""
    text = data.decode(UTF8, "replace")
    bad = text.count("\ufffd") - data.count(b"\xef\xbf\xbd")
    good = sum(1 for ch in text if ord(ch) > 0x7F) - bad
    return text if good >= 2 * bad else None


def _fallback(data: bytes, *, tried: tuple[str, ...]) -> tuple[str, str]:
    """Decode *data* that its declaration could not: UTF-8, a guess, then windows-1252."""
    if UTF8 not in tried:
        try:
            return data.decode(UTF8), UTF8
        except UnicodeDecodeError:
            pass
    mostly = _mostly_utf8(data)
    if mostly is not None:
        return mostly, UTF8
    guess = _detect(data)
    if guess and guess not in tried:
        try:
            return data.decode(guess, "replace"), guess
        except (LookupError, ValueError):
            pass
    return data.decode(WINDOWS_1252, "postroom-latin1"), WINDOWS_1252


def _c1_table() -> dict[int, str]:
    """Return a str.translate table from C1 controls to their windows-1252 characters."""
    table: dict[int, str] = {}
    for byte in range(0x80, 0xA0):
        try:
            table[byte] = bytes([byte]).decode(WINDOWS_1252)
        except UnicodeDecodeError:
            continue
    return table


# C1 control characters never appear in written text; in mail they are windows-1252
# punctuation (’ “ ” – €) that went through a Latin-1 conversion on the way.
_C1_TO_WINDOWS_1252 = _c1_table()
_C1 = re.compile("[\x80-\x9f]")


def _repair(result: DecodedText) -> DecodedText:
    """Return *result* with C1 controls mapped to the windows-1252 characters meant."""
    if result.text.isascii() or not _C1.search(result.text):
        return result
    return DecodedText(result.text.translate(_C1_TO_WINDOWS_1252), result.charset, result.defect)


def decode_bytes(data: bytes, declared: str | None = None) -> DecodedText:
    """Decode *data* declared as charset *declared*; never raise, never drop text.

    The defect names what was repaired (an unknown label, a wrong declaration), or is "".
    """
    return _repair(_decode(data, declared))


def _decode(data: bytes, declared: str | None) -> DecodedText:
    """Decode *data*: BOM, ASCII fast path, declared codecs, then the fallbacks."""
    if not data:
        return DecodedText("", UTF8)
    for bom, codec in _BOMS:
        if data.startswith(bom):
            try:
                return DecodedText(data.decode(codec), codec)
            except UnicodeDecodeError:
                break
    label = normalize_label(declared)
    candidates = codecs_for(label)
    if data.isascii() and not any(c in _SEVEN_BIT_CODECS for c in candidates):
        return DecodedText(data.decode("ascii"), candidates[0] if candidates else "ascii")
    if candidates == ("ascii",):
        # RFC 6532 and real mail: 8-bit bytes under us-ascii are most often UTF-8.
        text, used = _fallback(data, tried=())
        return DecodedText(
            text, used, f"charset: declared {label} but has 8-bit bytes; decoded as {used}"
        )
    if not candidates:
        text, used = _fallback(data, tried=())
        if label:
            return DecodedText(text, used, f"charset: unknown {label!r}; decoded as {used}")
        return DecodedText(text, used)
    if candidates[0] == WINDOWS_1252:
        # Latin-1 text with accents is never valid UTF-8 multi-byte sequences; a valid
        # sequence means a client labelled UTF-8 text wrongly.
        try:
            return DecodedText(
                data.decode(UTF8), UTF8, f"charset: declared {label} but content is utf-8"
            )
        except UnicodeDecodeError:
            return DecodedText(data.decode(WINDOWS_1252, "postroom-latin1"), WINDOWS_1252)
    for codec in candidates:
        try:
            return DecodedText(data.decode(codec), codec)
        except (UnicodeDecodeError, LookupError):
            continue
    # The declared codec does not fit the bytes; prefer a full alternative decode to a
    # lossy one, but keep the declared codec when nothing fits better.
    text, used = _fallback(data, tried=candidates)
    if used == WINDOWS_1252 and candidates[0] != UTF8:
        text, used = data.decode(candidates[0], "replace"), candidates[0]
    if used in candidates:
        return DecodedText(text, used, f"charset: invalid {label} bytes replaced")
    return DecodedText(text, used, f"charset: content is not valid {label}; decoded as {used}")


def decode_surrogates(value: str) -> str:
    """Return *value* with raw 8-bit bytes (kept by `email` as surrogate escapes) decoded."""
    if value.isascii() or not any("\udc80" <= ch <= "\udcff" for ch in value):
        return value
    raw = value.encode("utf-8", "surrogateescape")
    return decode_bytes(raw, None).text
