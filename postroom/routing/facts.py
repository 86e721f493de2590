"""Extract troubleshooting facts (product, versions, phone, OS, codes, order, purchase date).

`facts_extract` reads a customer's subject, body and attachment file names and returns
what an agent would otherwise have to ask for: the product model (from the catalogue an
admin maintains), firmware and app versions, phone model, operating system, error code,
serial and order numbers, and the purchase date. `facts_missing` says which of the facts a
queue needs are still missing, for the automatic acknowledgement (`fact_texts.py`).

Precision comes first: an agent trusts a sidebar fact, and an acknowledgement that asks
for a missing detail is cheap, so a fact is taken only when the text names it. Numbers
need a cue word next to them ("order", "Bestellnummer", "code d'erreur", "S/N", "bought");
a bare number is never a fact. Cues are recognised in en, de, fr, es, pt, it and nl
whatever the message's language, because customers mix them ("Firmware-Version 2.3").

It runs on every incoming message: the regular expressions are compiled at import, a
catalogue's on first use (cached per catalogue), and only the first MAX_SCAN_CHARS of the
body are read. Lines quoted with ">" are history, not what this customer says now, and
are skipped; callers that have the visible reply (`mail.parsing.reply.visible_reply`)
should pass that instead of the whole body.
"""

from __future__ import annotations

import functools
import re
import unicodedata
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass
from datetime import date, timedelta

FACT_KINDS: tuple[str, ...] = (
    "product",
    "firmware_version",
    "app_version",
    "phone_model",
    "os",
    "error_code",
    "serial_number",
    "order_number",
    "purchase_date",
)
FACT_LABELS: dict[str, str] = {
    "product": "Product",
    "firmware_version": "Firmware version",
    "app_version": "App version",
    "phone_model": "Phone model",
    "os": "Operating system",
    "error_code": "Error code",
    "serial_number": "Serial number",
    "order_number": "Order number",
    "purchase_date": "Purchase date",
}

# Long messages are pasted logs or forwarded threads; the facts are near the top, and a
# cap keeps the cost per message bounded whatever arrives.
MAX_SCAN_CHARS = 20_000
MAX_SUBJECT_CHARS = 1_000
MAX_ATTACHMENT_NAMES = 50
# A purchase date must lie in the past; one day of slack covers a customer whose
# calendar is already on tomorrow.
FUTURE_SLACK = timedelta(days=1)
EARLIEST_PURCHASE_YEAR = 1990
# How far a purchase cue may stand from its date: after the cue ("bought on …") and,
# for verb-final German and Dutch, before it ("am 5. März 2024 gekauft").
CUE_BEFORE_DATE_CHARS = 60
CUE_AFTER_DATE_CHARS = 30


@dataclass(frozen=True)
class CatalogueEntry:
    """A product the admin lists: its key, its display name and other names for it."""

    key: str
    name: str
    aliases: tuple[str, ...] = ()


@dataclass(frozen=True)
class Fact:
    """One fact found in a message, with the place it came from."""

    kind: str
    value: str
    display: str
    # "subject", "body" or "attachment:<file name>"
    source: str


@dataclass(frozen=True)
class Facts:
    """Hold the facts found in a message, ordered by FACT_KINDS, then by where found."""

    items: tuple[Fact, ...] = ()

    def first(self, kind: str) -> Fact | None:
        """Return the first fact of a kind, or None."""
        for item in self.items:
            if item.kind == kind:
                return item
        return None

    def kinds(self) -> set[str]:
        """Return the kinds that have at least one fact."""
        return {item.kind for item in self.items}

    def as_dict(self) -> dict[str, list[str]]:
        """Return the values per kind (JSON-ready), without repeats, in order found."""
        result: dict[str, list[str]] = {}
        for item in self.items:
            values = result.setdefault(item.kind, [])
            if item.value not in values:
                values.append(item.value)
        return result


# A found value, before it becomes a Fact: where in the text, value, display.
_Hit = tuple[int, str, str]

_QUOTED_LINE = re.compile(r"^[ \t]*>.*$", re.MULTILINE)
_FILE_EXTENSION = re.compile(r"\.[A-Za-z][A-Za-z0-9]{0,4}$")

# --- versions (firmware, app) --------------------------------------------------------

# "2.3.1", "v4.10", "1.2.0-beta2"; a lone number only with a "v" ("FW v4").
_VERSION = (
    r"(?P<version>[vV]?\d{1,4}(?:\.\d{1,5}){1,3}(?:-?(?:alpha|beta|rc|b)\d{0,2})?"
    r"|[vV]\d{1,4})"
    # Not part of a longer number, a decimal ("2.4GHz") or an IP address.
    r"(?![\w.]?\d)(?![^\W_])"
)
# Up to four words between a cue and its version ("firmware on my watch is 2.3.1").
_GAP = r"(?P<gap>(?:[ \t\n:=(\[\-]+[^\W\d_]{1,20}){0,4}?)[ \t\n:=(\[#\-]*"
_VERSION_WORD = r"(?:version|versie|versi[oó]n|vers[ãa]o|versione)"
_OF = r"(?:of\s+(?:the|your|our)|de\s+la|de\s+l['’]|del|de|du|da|do|der|van\s+de|dell['’]|della)"
_APP = (
    r"(?:app|apps|application|applikation|appli|aplicaci[oó]n|aplicativo|aplica[cç][ãa]o"
    r"|applicazione|applicatie)"
)
_FIRMWARE_VERSION = re.compile(
    r"(?<!\w)(?:"
    rf"(?:firmware|micrologiciel)(?:[\s-]?(?:{_VERSION_WORD}|ver\.?|stand))?"
    rf"|{_VERSION_WORD}\s+(?:{_OF}\s*)?(?:micrologiciel|firmware)"
    # "FW" or "fw", never "Fw", and never "FW:": in a subject that marks a forward.
    rf"|(?-i:FW|fw)(?:[\s-]?(?:{_VERSION_WORD}|ver\.?)|(?!\s*:))"
    rf"){_GAP}{_VERSION}",
    re.IGNORECASE,
)
_APP_VERSION = re.compile(
    r"(?<!\w)(?:"
    rf"(?:(?P<platform>ios|iphone|ipad|android)[\s-]+)?{_APP}(?:[\s-]?(?:{_VERSION_WORD}|ver\.?))?"
    rf"|{_VERSION_WORD}\s+{_OF}\s*(?:[^\W\d_]{{1,20}}\s+)?{_APP}"
    rf"){_GAP}{_VERSION}",
    re.IGNORECASE,
)
# The version first: "version 5.2 of the app", "Version 2.3.1 der Firmware".
_VERSION_OF = rf"(?<!\w){_VERSION_WORD}\s*{_VERSION}\s+{_OF}\s*(?:[^\W\d_]{{1,20}}\s+)?"
_VERSION_OF_APP = re.compile(rf"{_VERSION_OF}{_APP}(?!\w)", re.IGNORECASE)
_VERSION_OF_FIRMWARE = re.compile(rf"{_VERSION_OF}(?:firmware|micrologiciel)(?!\w)", re.IGNORECASE)
_PLATFORM_NAMES = {"ios": "iOS", "iphone": "iOS", "ipad": "iPadOS", "android": "Android"}
# Words that, between a cue and a version, mean the version belongs to something else:
# "the app on iOS 17.4", "firmware … the app 5.2".
_OS_AND_DEVICE_WORDS = {
    "ios",
    "ipados",
    "android",
    "windows",
    "macos",
    "linux",
    "iphone",
    "ipad",
    "galaxy",
    "pixel",
    "browser",
    "chrome",
    "firefox",
    "safari",
    "outlook",
    "store",
}
_APP_WORDS = {
    "app",
    "apps",
    "application",
    "applikation",
    "appli",
    "aplicación",
    "aplicacion",
    "aplicativo",
    "aplicação",
    "aplicacao",
    "applicazione",
    "applicatie",
}
# "Version 3.1 der Firmware und Version 5.2 der App": 5.2 is not the firmware's.
_CONJUNCTIONS = {
    "and", "und", "et", "y", "e", "but", "aber", "mais", "pero", "mas", "ma", "maar", "or",
    "oder", "ou", "while", "whereas", "während", "pendant", "mientras", "enquanto", "mentre",
}  # fmt: skip
_FIRMWARE_GAP_STOP = _OS_AND_DEVICE_WORDS | _APP_WORDS | _CONJUNCTIONS
_APP_GAP_STOP = _OS_AND_DEVICE_WORDS | _CONJUNCTIONS | {"firmware", "fw", "micrologiciel"}
_WORD = re.compile(r"[^\W\d_]+")
_DATE_LIKE_VERSION = re.compile(r"\d{1,2}\.\d{1,2}\.(?:19|20)\d\d")

# --- phone models --------------------------------------------------------------------

# A curated list of the phones customers name; an unknown brand is never guessed.
_PHONE_MODEL = re.compile(
    r"(?<![\w-])(?:"
    r"iPhone(?:[\s-]?(?:SE(?:\s?\(?(?:[23]|2nd|3rd)(?:\s?gen(?:eration)?)?\)?)?"
    r"|X[SR]?(?:\s?Max)?|(?:1[0-9]|[4-9])(?:[sce](?!\w))?)(?:\s?(?:Pro\s?Max|Pro|Plus|Mini|Max))*)?"
    r"|(?:Samsung\s+)?Galaxy\s?(?:S\d{1,2}|Note\s?\d{1,2}|A\d{1,3}|M\d{1,3}|Z\s?(?:Flip|Fold)\s?\d?"
    r"|Xcover\s?\d?)(?:\s?(?:Ultra|Plus|\+|FE|Edge|Lite|5G))*"
    r"|Samsung\s+(?:S\d{2}|A\d{2}|Note\s?\d{1,2})(?:\s?(?:Ultra|Plus|\+|FE|5G))*"
    # Case-sensitive: "pixel" is also a dot on a screen.
    r"|(?:Google\s+Pixel|(?-i:Pixel))\s?(?:\d{1,2}a?|Fold)(?:\s?(?:Pro\s?XL|Pro\s?Fold|Pro|XL|Fold))?"
    r"|OnePlus(?:\s?(?:Nord(?:\s?(?:CE|N))?(?:\s?\d{1,3})?|\d{1,2}[TR]?)(?:\s?(?:Pro|Lite|5G))*)?"
    r"|(?:Xiaomi\s+)?Redmi\s+(?:Note\s?)?\d{1,2}[A-Z]?(?:\s?(?:Pro\+?|Ultra|Lite|5G|[ST]))*"
    r"|Xiaomi\s+(?:Mi\s?)?\d{1,2}[T]?(?:\s?(?:Pro|Ultra|Lite|5G))*"
    # "poco" is "a little" in es/it/pt.
    r"|(?:Xiaomi\s+)?(?-i:POCO|Poco)\s?[FXMC]\d{1,2}(?:\s?(?:Pro|GT|5G))*"
    r"|Huawei\s+(?:P\s?\d{2}|Mate\s?\d{1,2}|Nova\s?\d{1,2}|Y\d{1,2})(?:\s?(?:Pro\+?|Lite|Plus))*"
    r"|(?-i:Honor|HONOR)\s+(?:Magic\s?\d|\d{2,3})(?:\s?(?:Pro|Lite))?"
    # "moto" is a motorbike in es/it/pt.
    r"|(?:Motorola\s+Moto|(?-i:Moto))\s?[GEXZ](?:\s?\d{1,3})?(?:\s?(?:Power|Play|Plus|Stylus|5G))*"
    r"|Motorola\s+(?:Edge|Razr)(?:\s?\d{2,4})?(?:\s?(?:Ultra|Pro|Plus|\+))*"
    r"|(?:Sony\s+)?Xperia\s?(?:\d{1,2}|[XZL]\d?)(?:\s?(?:VI|V|IV|III|II|Compact|Premium|Ultra))*"
    r"|Fairphone\s?\d"
    r"|Nothing\s+Phone\s?\(?[1-3]a?\)?"
    r"|(?:Oppo|OPPO)\s+(?:Find\s?X\d|Reno\s?\d{1,2})(?:\s?(?:Pro|Lite|5G))*"
    r")(?![\w+])",
    re.IGNORECASE,
)
_PHONE_BRAND_PREFIXES = (
    ("galaxy", "Samsung "),
    ("pixel", "Google "),
    ("redmi", "Xiaomi "),
    ("poco", "Xiaomi "),
    ("moto", "Motorola "),
    ("xperia", "Sony "),
)
_PHONE_WORDS = {
    word.lower(): word
    for word in (
        "iPhone SE XS XR X Pro Max Plus Mini Ultra FE Edge Lite 5G Galaxy Samsung Note Flip "
        "Fold Xcover Google Pixel XL OnePlus Nord CE N Xiaomi Redmi Mi POCO GT Huawei Mate nova "
        "Honor Magic Motorola Moto Power Play Stylus Razr Sony Xperia Compact Premium Fairphone "
        "Nothing Phone OPPO Find Reno 2nd 3rd gen generation"
    ).split()
}
# "iPhone15Pro" -> "iPhone 15 Pro".
_PHONE_GLUED_NUMBER = re.compile(r"(?i)(iphone|pixel|galaxy|oneplus)(?=\d)")
_PHONE_GLUED_SUFFIX = re.compile(r"(?i)(?<=\d)(?=pro|max|plus|ultra)")

# --- operating systems ---------------------------------------------------------------

_OS_VERSION_WORD = rf"(?:[\s-]?{_VERSION_WORD}(?:\s*:)?)?"
_MACOS_NAMES = r"Sequoia|Sonoma|Ventura|Monterey|Big\s?Sur|Catalina|Mojave|High\s?Sierra|Tahoe"
_OS = re.compile(
    r"(?<![\w-])(?:"
    # Apple writes "iOS"; "IOS" is Cisco's router software.
    rf"(?<!Cisco )(?P<ios>(?-i:iOS|ios)){_OS_VERSION_WORD}(?:\s?(?P<ios_v>\d{{1,2}}(?:\.\d{{1,2}}){{0,2}}))?"
    rf"|(?P<ipados>iPadOS){_OS_VERSION_WORD}(?:\s?(?P<ipados_v>\d{{1,2}}(?:\.\d{{1,2}}){{0,2}}))?"
    rf"|(?P<watchos>watchOS){_OS_VERSION_WORD}(?:\s?(?P<watchos_v>\d{{1,2}}(?:\.\d{{1,2}}){{0,2}}))?"
    rf"|(?P<android>Android(?!\s+(?:Studio|SDK|Auto|Emulator)\b)){_OS_VERSION_WORD}(?:\s?(?P<android_v>\d{{1,2}}(?:\.\d{{1,2}}){{0,2}}))?"
    # Windows only with a version: "windows" alone is also the ones in a wall.
    r"|(?P<windows>Windows|(?-i:Win)(?=\d))\s?(?P<windows_v>11|10|8\.1|8|7|XP|Vista)"
    rf"|(?P<macos>macOS|Mac\s?OS(?:\s?X)?|OS\s?X)(?:\s+(?P<macos_n>{_MACOS_NAMES}))?"
    r"(?:\s?(?P<macos_v>1[0-9](?:\.\d{1,2}){0,2}|2[0-9](?:\.\d{1,2}){0,2}))?"
    r"|(?P<wearos>Wear\s?OS)(?:\s?(?P<wearos_v>\d(?:\.\d{1,2})?))?"
    r"|(?P<harmonyos>Harmony\s?OS)(?:\s?(?P<harmonyos_v>\d(?:\.\d{1,2}){0,2}))?"
    r"|(?P<chromeos>Chrome\s?OS)"
    # Not "GNU/Linux" in the version line of a PGP signature.
    r"|(?<!/)(?P<linux>Linux)"
    r")(?!\w|\.\d)",
    re.IGNORECASE,
)
_OS_NAMES = {
    "ios": "iOS",
    "ipados": "iPadOS",
    "watchos": "watchOS",
    "android": "Android",
    "windows": "Windows",
    "macos": "macOS",
    "wearos": "Wear OS",
    "harmonyos": "HarmonyOS",
    "chromeos": "ChromeOS",
    "linux": "Linux",
}
_MACOS_CANONICAL = {
    name.lower().replace(" ", ""): name
    for name in (
        "Sequoia",
        "Sonoma",
        "Ventura",
        "Monterey",
        "Big Sur",
        "Catalina",
        "Mojave",
        "High Sierra",
        "Tahoe",
    )
}
_WINDOWS_CANONICAL = {"xp": "XP", "vista": "Vista"}
# Highest plausible major versions: a larger number after the name is something else.
_OS_MAX_MAJOR = {"ios": 30, "ipados": 30, "watchos": 20, "android": 20}

# --- error codes ---------------------------------------------------------------------

_ERROR_CUE = (
    r"(?P<cue>error(?:\s+(?:code|number|no\.?|message|msg))?|err\.?"
    r"|fehler(?:code|nummer|meldung)?|fehler-code"
    r"|erreur|code\s+d['’]\s?erreur"
    r"|c[oó]digo\s+de\s+erro[r]?|mensaje\s+de\s+error|mensagem\s+de\s+erro|erro"
    r"|codice\s+(?:di\s+)?errore|errore"
    r"|foutcode|foutmelding"
    # Bare "code": only a short number, and not after "verification", "postal" …
    r"|(?P<bare>c[oó]digo|codice|code))"
)
# On the same line only: a code on the next line belongs to whatever that line says.
_ERROR_CONNECTOR = (
    r"(?:[ \t]*(?:[:#=]|is|was|ist|lautet|war|est|était|es|era|é|è|reads|says|shows|zeigt"
    r"|affiche|muestra|mostra|nr\.?|no\.?|number|nummer|n[°º])(?!\w)){0,2}"
    r"[ \t]*[\"'„“”«‹(\[]?[ \t]*"
)
_ERROR_CODE = re.compile(
    rf"(?<!\w){_ERROR_CUE}{_ERROR_CONNECTOR}"
    # Letter codes in capitals ("E12", "PAY-001"): "db3 error" names a part, not a code.
    r"(?P<code>0x[0-9a-f]{1,16}|(?-i:[0-9A-F]{8}|(?!V\d)[A-Z]{1,4}[-_]?\d{1,6}(?:[-_]\d{1,6})?)"
    r"|\d{2,6}(?:-\d{1,6})?)"
    r"(?![\w]|[.,]\d)"
    r"|(?<![\w-])(?P<alone>0x[8c][0-9a-f]{7}|(?-i:E-\d{2,4}))(?![\w-])"
    r"|(?<![\w.,])(?P<http>[45]\d\d)\s+(?:error|fehler|erreur|errore|erro|fout)(?!\w)",
    re.IGNORECASE,
)
_BARE_CODE_MAX_DIGITS = 5
_NOT_ERROR_CODE_BEFORE = {
    "verification",
    "confirmation",
    "security",
    "promo",
    "promotional",
    "discount",
    "coupon",
    "voucher",
    "gift",
    "postal",
    "zip",
    "post",
    "area",
    "country",
    "access",
    "pin",
    "sms",
    "otp",
    "login",
    "activation",
    "pairing",
    "tracking",
    "referral",
}
# "error 30 minutes later", "Fehler 10 mal": a count or duration, not a code.
_UNIT_AFTER = re.compile(
    r"\s*(?:%|x\b|times|time|mal|fois|veces|vezes|volte|keer|min|mins|minutes?|minuten|seconds?"
    r"|sek|sec|secondes?|segundos?|secondi|hours?|hrs?|stunden|heures?|horas|ore|uur|days?"
    r"|tage[n]?|jours?|d[ií]as|giorni|dagen|%)(?!\w)",
    re.IGNORECASE,
)
_LAST_WORD = re.compile(r"([^\W\d_]+)[\s-]*$")

# --- order and serial numbers --------------------------------------------------------

# After a cue, either an id at once ("order #A1234") or a few words and a verb or colon
# ("the serial number of my watch is 8JK2345").
_ID_CONNECTOR = (
    r"(?:(?P<lead>(?:\s+[^\W\d_]{1,15}){0,4}?)\s*(?:(?<!\w)(?:is|ist|lautet|est|es|é|è|era|was|sono)(?!\w)|:))?"
    r"[\s:#=.(\-]*"
)
_ID = r"(?P<id>[A-Za-z0-9]{1,24}(?:-[A-Za-z0-9]{1,24}){0,4})(?![\w\-]|[.,]\d)"
_NUMBER_WORD = r"(?:n[°º]|n\.\s?º|no\.?|nr\.?|num\.?|n[úu]m[ée]ro|numero|nummer|number|#)"
_ORDER_NUMBER = re.compile(
    r"(?<!\w)(?:"
    r"order(?:\s*(?:number|no\.?|nr\.?|num\.?|id|ref(?:erence)?|#))?"
    rf"|bestell(?:nummer|nr\.?|-nr\.?)|bestellungsnummer|auftrags(?:nummer|nr\.?)"
    rf"|(?:bestellung|auftrag)(?:\s*{_NUMBER_WORD})?"
    rf"|{_NUMBER_WORD}\s*(?:de\s+|d['’]\s?)commande|commande(?:\s*{_NUMBER_WORD})?"
    rf"|{_NUMBER_WORD}\s*(?:del?|do|da)\s+(?:pedido|encomenda)"
    rf"|(?:pedido|encomenda)(?:\s*{_NUMBER_WORD})?"
    rf"|numero\s+(?:d['’]\s?|dell['’]\s?)?ordine|ordine(?:\s*{_NUMBER_WORD})?"
    r"|bestelling(?:\s*(?:nr\.?|nummer))?|bestelnummer|bestelnr\.?|ordernummer|ordernr\.?"
    # Digits may follow at once ("n°12345"), letters not ("Bestellungen").
    rf")(?![^\W\d_]){_ID_CONNECTOR}{_ID}",
    re.IGNORECASE,
)
_SERIAL_NUMBER = re.compile(
    r"(?<![\w/])(?:"
    r"serial(?:\s*(?:number|no\.?|nr\.?|num\.?|#))?|(?-i:S/N|SN|S\.N\.|s/n)"
    r"|serien(?:nummer|-?nr\.?)|seriennr\.?"
    rf"|{_NUMBER_WORD}\s*de\s+s[ée]rie|numero\s+(?:di\s+serie|seriale)|matricola"
    r"|serienummer|serienr\.?"
    rf")(?![^\W\d_]|/){_ID_CONNECTOR}{_ID}",
    re.IGNORECASE,
)
_ATTACHMENT_MIN_ORDER_DIGITS = 5
_ID_MIN_CHARS = 5
_ORDER_MIN_DIGITS = 4
_SERIAL_MIN_DIGITS = 2
_DIGIT = re.compile(r"\d")

# --- purchase dates ------------------------------------------------------------------


@functools.cache
def _month_names() -> dict[str, int]:
    """Return month names and abbreviations of en/de/fr/es/pt/it/nl, lower-cased, to 1-12.

    Built on first use: loading seven locales from babel costs about 50 ms, which a
    process that never meets a purchase cue should not pay at import.
    """
    from babel import Locale

    names: dict[str, int] = {}
    for language in ("en", "de", "fr", "es", "pt", "it", "nl"):
        months = Locale(language).months
        for context in ("format", "stand-alone"):
            for width in ("wide", "abbreviated"):
                for number, name in months[context][width].items():
                    name = name.lower().rstrip(".")
                    folded = "".join(
                        c
                        for c in unicodedata.normalize("NFKD", name)
                        if not unicodedata.combining(c)
                    )
                    for variant in (name, folded):
                        names.setdefault(variant, number)
    # Spellings customers use that CLDR does not list.
    names.update({"maerz": 3, "mrz": 3, "sept": 9, "febr": 2})
    return names


@functools.cache
def _date_pattern() -> re.Pattern[str]:
    """Return the pattern of a written date: numbers, or a day, a month name and a year."""
    month = "(?:" + "|".join(sorted(map(re.escape, _month_names()), key=len, reverse=True))
    month += r")(?!\w)"
    return re.compile(
        r"(?<![\w.,/\-])(?:"
        r"(?P<iso_y>\d{4})(?P<iso_s>[-/.])(?P<iso_m>\d{1,2})(?P=iso_s)(?P<iso_d>\d{1,2})"
        r"|(?P<num_a>\d{1,2})(?P<num_s>[./\-])\s?(?P<num_b>\d{1,2})(?P=num_s)\s?"
        r"(?P<num_y>\d{4}|\d{2})"
        rf"|(?P<dmy_d>\d{{1,2}})(?:st|nd|rd|th|er|e|º|°|\.)?\s*(?:of\s+|de\s+)?"
        rf"(?P<dmy_m>{month})\.?,?\s*(?:de\s+|del\s+)?(?P<dmy_y>\d{{4}})"
        rf"|(?P<mdy_m>{month})\.?\s+(?P<mdy_d>\d{{1,2}})(?:st|nd|rd|th)?,?\s+(?P<mdy_y>\d{{4}})"
        r")(?!\w|[.,/\-]\d)",
        re.IGNORECASE,
    )


# An id that reads as a date ("2024-03-05", "05-03-2024") or a North American phone
# number ("1-415-873-2700") is not an order or serial number.
_ID_LIKE_DATE_OR_PHONE = re.compile(
    r"\d{4}-\d{1,2}-\d{1,2}|\d{1,2}-\d{1,2}-(?:\d{2}|\d{4})|(?:1-)?\d{3}-\d{3}-\d{4}"
)
# Words before an id that send it elsewhere: "fax your order to: 1-415-…".
_ID_LEAD_STOP = {
    "to", "at", "call", "fax", "phone", "tel", "telefon", "téléphone", "teléfono", "telefone",
    "telefono", "via", "an", "au", "al", "naar",
}  # fmt: skip
_PURCHASE_CUE = re.compile(
    r"(?<!\w)(?:"
    r"bought|purchased?|purchase\s+date|date\s+of\s+purchase"
    r"|gekauft|erworben|kaufdatum|kauf|kaufbeleg"
    r"|achet[ée]e?s?|achat|date\s+d['’]\s?achat"
    r"|compr(?:a|é|e|ei|ou|ad[oa]s?)|fecha\s+de\s+(?:la\s+)?compra|data\s+d[ae]\s+compra"
    r"|acquist(?:o|at[oaie])|comprat[oaie]|data\s+(?:di|dell['’])\s?acquisto"
    r"|gekocht|aangeschaft|aankoop|aankoopdatum|datum\s+van\s+aankoop"
    r")(?!\w)",
    re.IGNORECASE,
)
# Between a cue and its date: no end of sentence or clause, and no word that starts
# another event ("bought it in May and since 05.04.2024 it fails").
_CLAUSE_BREAK = re.compile(
    r"[.!?;,](?:\s|$)|\n\s*\n|(?<!\w)(?:since|seit|depuis|desde|sinds|until|bis|jusqu|hasta"
    r"|até|fino|tot|but|aber|mais|pero|maar|mas|ma|and|und|et|y|e|then|dann|puis|luego"
    r"|depois|poi|daarna|stopped|broke)(?!\w)",
    re.IGNORECASE,
)
_ONLY_PUNCTUATION = re.compile(r"[\s:–\-]*")
# "22nd of September, 2024" and a little more.
_LONGEST_DATE_CHARS = 32


# --- where to look --------------------------------------------------------------------

# Beginnings of words, one of which every match of a pattern contains (lower-case,
# searched in the lower-cased text), and a few that only count in capitals ("SN", "E-102").
_FIRMWARE_TRIGGERS = ("firmware", "micrologiciel", "fw")
_APP_TRIGGERS = ("app", "aplica")
_PHONE_TRIGGERS = (
    "iphone", "galaxy", "samsung", "pixel", "oneplus", "redmi", "xiaomi", "poco", "huawei",
    "honor", "moto", "xperia", "fairphone", "nothing phone", "oppo",
)  # fmt: skip
_OS_TRIGGERS = (
    "ios", "ipados", "watchos", "android", "windows", "win1", "win7", "win8", "macos", "mac os",
    "os x", "osx", "wear os", "wearos", "harmony", "chromeos", "chrome os", "linux",
)  # fmt: skip
_ERROR_TRIGGERS = ("err", "fehler", "code", "codice", "código", "codigo", "0x", "fout")
_ERROR_EXACT_TRIGGERS = ("E-",)
_ORDER_TRIGGERS = ("order", "bestel", "auftrag", "commande", "pedido", "encomenda", "ordine")
_SERIAL_TRIGGERS = ("serial", "serie", "série", "matricola")
_SERIAL_EXACT_TRIGGERS = ("SN", "S/N", "s/n", "S.N.")
_PURCHASE_TRIGGERS = (
    "bought", "purchas", "kauf", "gekauft", "erworben", "achet", "achat", "compr", "acquist",
    "gekocht", "aangeschaft", "aankoop",
)  # fmt: skip
# How far a match may begin before its trigger word ("version 5.2.0 of the app") and end
# after it (a cue, four words, a value), with room to spare.
_LEAD_CHARS = 80
_TRAIL_CHARS = 220


class _Text:
    """Hold a text to search, and find the stretches of it worth a regular expression.

    Python's regular expressions try every position of a text, about 25 ns a character
    for a case-insensitive alternation; a plain substring search is tens of times
    faster. So each pattern runs only around the places where one of its trigger words
    occurs, and most patterns not at all on a typical message.
    """

    __slots__ = ("text", "lowered")

    def __init__(self, text: str) -> None:
        self.text = text
        lowered = text.lower()
        # lower() keeps positions except for a few letters ("İ" becomes two characters);
        # then the whole text is searched.
        self.lowered: str | None = lowered if len(lowered) == len(text) else None

    def spans(self, triggers: Sequence[str], exact: Sequence[str] = ()) -> list[tuple[int, int]]:
        """Return the merged stretches around trigger words, in order."""
        if self.lowered is None:
            return [(0, len(self.text))]
        starts: list[int] = []
        for haystack, words in ((self.lowered, triggers), (self.text, exact)):
            for word in words:
                position = haystack.find(word)
                while position != -1:
                    # Every cue begins a word: "ios" in "scenarios" is no trigger.
                    if position == 0 or not haystack[position - 1].isalnum():
                        starts.append(position)
                    position = haystack.find(word, position + len(word))
        starts.sort()
        spans: list[tuple[int, int]] = []
        for position in starts:
            start = max(0, position - _LEAD_CHARS)
            end = min(len(self.text), position + _TRAIL_CHARS)
            if spans and start <= spans[-1][1]:
                spans[-1] = (spans[-1][0], end)
            else:
                spans.append((start, end))
        return spans

    def finditer(
        self, pattern: re.Pattern[str], triggers: Sequence[str], exact: Sequence[str] = ()
    ) -> Iterator[re.Match[str]]:
        """Yield the pattern's matches around the trigger words."""
        for start, end in self.spans(triggers, exact):
            for match in pattern.finditer(self.text, start, end):
                # A match that runs into the cut may be a shorter reading of a longer
                # text ("2.3" of "2.3.1"); the real one lies wholly in a later stretch.
                if match.end() < end or end == len(self.text):
                    yield match


# --- extractors ----------------------------------------------------------------------


def _gap_words(gap: str) -> set[str]:
    """Return the lower-cased words of the text between a cue and its value."""
    return {word.lower() for word in _WORD.findall(gap)}


def _gap_is_clean(match: re.Match[str], stop_words: set[str]) -> bool:
    """Tell whether the words between cue and version say nothing of another thing."""
    gap = match.group("gap") or ""
    words = _gap_words(gap)
    if words & stop_words:
        return False
    # Words on another line are another sentence; a bare line break ("Firmware:\n2.3") is not.
    return not (words and "\n" in gap)


def _version_value(raw: str) -> str | None:
    """Return the version without its "v", or None when it reads as a date."""
    value = raw.lstrip("vV")
    if _DATE_LIKE_VERSION.fullmatch(value):
        return None
    return value


def _firmware_versions(text: _Text) -> Iterator[_Hit]:
    """Yield firmware versions named with a cue ("firmware 2.3.1", "FW v4.10")."""
    for match in text.finditer(_FIRMWARE_VERSION, _FIRMWARE_TRIGGERS):
        if not _gap_is_clean(match, _FIRMWARE_GAP_STOP):
            continue
        value = _version_value(match.group("version"))
        if value:
            yield match.start("version"), value, value
    for match in text.finditer(_VERSION_OF_FIRMWARE, _FIRMWARE_TRIGGERS):
        value = _version_value(match.group("version"))
        if value:
            yield match.start("version"), value, value


def _app_versions(text: _Text) -> Iterator[_Hit]:
    """Yield app versions ("app version 5.2.0", "version 5.2 of the app", "iOS app 3.1")."""
    for match in text.finditer(_APP_VERSION, _APP_TRIGGERS):
        if not _gap_is_clean(match, _APP_GAP_STOP):
            continue
        value = _version_value(match.group("version"))
        if not value:
            continue
        platform = match.group("platform")
        display = f"{value} ({_PLATFORM_NAMES[platform.lower()]})" if platform else value
        yield match.start("version"), value, display
    for match in text.finditer(_VERSION_OF_APP, _APP_TRIGGERS):
        value = _version_value(match.group("version"))
        if value:
            yield match.start("version"), value, value


def _phone_name(raw: str) -> str:
    """Return a phone model as its maker writes it: "galaxy s23" -> "Samsung Galaxy S23"."""
    spaced = _PHONE_GLUED_NUMBER.sub(r"\1 ", re.sub(r"[-()]", " ", raw))
    words = _PHONE_GLUED_SUFFIX.sub(" ", spaced).split()
    named = []
    for word in words:
        known = _PHONE_WORDS.get(word.lower())
        if known:
            named.append(known)
        elif word[0].isalpha():
            named.append(word.upper())
        else:
            named.append(word.lower())
    name = " ".join(named)
    lowered = name.lower()
    for start, brand in _PHONE_BRAND_PREFIXES:
        if lowered.startswith(start):
            return brand + name
    return name


def _phone_models(text: _Text) -> Iterator[_Hit]:
    """Yield phone models from the curated list ("iPhone 15 Pro", "Galaxy S23 Ultra")."""
    for match in text.finditer(_PHONE_MODEL, _PHONE_TRIGGERS):
        name = _phone_name(match.group())
        yield match.start(), name, name


def _operating_systems(text: _Text) -> Iterator[_Hit]:
    """Yield operating systems with their version when given ("Android 14", "macOS Sonoma")."""
    for match in text.finditer(_OS, _OS_TRIGGERS):
        groups = match.groupdict()
        key = next(name for name in _OS_NAMES if groups.get(name))
        version = groups.get(f"{key}_v") or ""
        major = version.split(".")[0]
        if version and (
            (key in _OS_MAX_MAJOR and not 1 <= int(major) <= _OS_MAX_MAJOR[key])
            or _UNIT_AFTER.match(text.text, match.end())
        ):
            # "iOS 99" and "iOS 3 days later" name no version: keep the name only.
            version = ""
        parts = [_OS_NAMES[key]]
        if groups.get("macos_n"):
            parts.append(_MACOS_CANONICAL["".join(groups["macos_n"].split()).lower()])
        if version:
            parts.append(_WINDOWS_CANONICAL.get(version.lower(), version))
        value = " ".join(parts)
        yield match.start(), value, value


def _error_code_value(raw: str) -> str:
    """Return an error code written one way: "0x80070005" lower-case x, letters upper-case."""
    if raw[:2].lower() == "0x":
        return "0x" + raw[2:].upper()
    return raw.upper()


def _error_codes(text: _Text) -> Iterator[_Hit]:
    """Yield error codes next to a cue ("error 0x80070005", "Fehlercode 1234", "E-102")."""
    for match in text.finditer(_ERROR_CODE, _ERROR_TRIGGERS, _ERROR_EXACT_TRIGGERS):
        raw = match.group("code")
        if raw is None:
            raw = match.group("alone") or match.group("http")
            value = _error_code_value(raw)
            yield match.start(), value, value
            continue
        if match.group("bare") and not raw.isdigit():
            # "Code: EX8664" is a voucher or a registration code far more often.
            continue
        if raw.isdigit():
            if _UNIT_AFTER.match(text.text, match.end("code")):
                continue
            if match.group("bare"):
                # "code 200" is HTTP's "OK".
                if len(raw) > _BARE_CODE_MAX_DIGITS or (len(raw) == 3 and raw[0] == "2"):
                    continue
                before = _LAST_WORD.search(text.text, max(0, match.start() - 40), match.start())
                if before and before.group(1).lower() in _NOT_ERROR_CODE_BEFORE:
                    continue
        value = _error_code_value(raw)
        yield match.start("code"), value, value


def _identifiers(matches: Iterator[re.Match[str]], *, min_digits: int) -> Iterator[_Hit]:
    """Yield ids that follow a cue and look like one: enough digits, not a date."""
    for match in matches:
        value = match.group("id")
        if len(value) < _ID_MIN_CHARS or len(_DIGIT.findall(value)) < min_digits:
            continue
        if _ID_LIKE_DATE_OR_PHONE.fullmatch(value):
            continue
        if _gap_words(match.group("lead") or "") & _ID_LEAD_STOP:
            continue
        yield match.start("id"), value, value


def _order_numbers(text: _Text, *, min_digits: int = _ORDER_MIN_DIGITS) -> Iterator[_Hit]:
    """Yield order numbers after a cue ("order #A1234-5678", "Bestellnummer 123456")."""
    matches = text.finditer(_ORDER_NUMBER, _ORDER_TRIGGERS)
    return _identifiers(matches, min_digits=min_digits)


def _serial_numbers(text: _Text) -> Iterator[_Hit]:
    """Yield serial numbers after a cue ("S/N: 8JK2345", "Seriennummer AB12345")."""
    matches = text.finditer(_SERIAL_NUMBER, _SERIAL_TRIGGERS, _SERIAL_EXACT_TRIGGERS)
    return _identifiers(matches, min_digits=_SERIAL_MIN_DIGITS)


def _base_language(language: str) -> str:
    """Return the ISO 639-1 part of a language tag: "en-US" -> "en"."""
    return language.replace("_", "-").split("-")[0].lower()


def _valid_date(year: int, month: int, day: int) -> date | None:
    """Return the date, or None when the calendar has no such day."""
    try:
        return date(year, month, day)
    except ValueError:
        return None


def _date_of(match: re.Match[str], language: str) -> date | None:
    """Return the date a `_date_pattern` match stands for, or None when it is impossible.

    Numbers alone: year-month-day when the year comes first; day.month.year with dots;
    with slashes or hyphens day/month/year, unless the language is English (or unknown)
    and month/day/year is the only valid reading ("03/25/2024"). So "03/05/2024" is
    always 3 May, an American customer's 5 March included: the day-first reading is the
    one most of Postroom's languages share, and a wrong guess only costs an agent a
    look at the message.
    """
    groups = match.groupdict()
    if groups["iso_y"]:
        return _valid_date(int(groups["iso_y"]), int(groups["iso_m"]), int(groups["iso_d"]))
    if groups["num_a"]:
        first, second, year = int(groups["num_a"]), int(groups["num_b"]), groups["num_y"]
        full_year = int(year) + 2000 if len(year) == 2 else int(year)
        day_first = _valid_date(full_year, second, first)
        if day_first or groups["num_s"] == ".":
            return day_first
        if _base_language(language) in ("en", ""):
            return _valid_date(full_year, first, second)
        return None
    if groups["dmy_d"]:
        month = _month_names()[groups["dmy_m"].lower().rstrip(".")]
        return _valid_date(int(groups["dmy_y"]), month, int(groups["dmy_d"]))
    month = _month_names()[groups["mdy_m"].lower().rstrip(".")]
    return _valid_date(int(groups["mdy_y"]), month, int(groups["mdy_d"]))


def _joins(between: str) -> bool:
    """Tell whether the text between a purchase cue and a date keeps them in one clause."""
    if "\n" in between and not _ONLY_PUNCTUATION.fullmatch(between):
        return False
    return not _CLAUSE_BREAK.search(between)


def _dates_near(text: str, cues: list[tuple[int, int]]) -> Iterator[re.Match[str]]:
    """Yield the dates that start close enough to a cue to belong to it.

    Only the text around cues is searched: the month-name alternation is costly to try
    at every letter of a long message.
    """
    windows: list[tuple[int, int]] = []
    for cue_start, cue_end in cues:
        window = (
            max(0, cue_start - CUE_AFTER_DATE_CHARS - _LONGEST_DATE_CHARS),
            cue_end + CUE_BEFORE_DATE_CHARS + _LONGEST_DATE_CHARS,
        )
        if windows and window[0] <= windows[-1][1]:
            windows[-1] = (windows[-1][0], window[1])
        else:
            windows.append(window)
    for window_start, window_end in windows:
        yield from _date_pattern().finditer(text, window_start, window_end)


def _purchase_dates(text: _Text, *, language: str, today: date | None) -> Iterator[_Hit]:
    """Yield purchase dates: a date in the same clause as a purchase cue, in the past."""
    matches = text.finditer(_PURCHASE_CUE, _PURCHASE_TRIGGERS)
    cues = [(cue.start(), cue.end()) for cue in matches]
    if not cues:
        return
    plain = text.text
    for match in _dates_near(plain, cues):
        start, end = match.span()
        near = any(
            (0 <= start - cue_end <= CUE_BEFORE_DATE_CHARS and _joins(plain[cue_end:start]))
            or (0 <= cue_start - end <= CUE_AFTER_DATE_CHARS and _joins(plain[end:cue_start]))
            for cue_start, cue_end in cues
        )
        if not near:
            continue
        found = _date_of(match, language)
        if found is None or found.year < EARLIEST_PURCHASE_YEAR:
            continue
        if today is not None and found > today + FUTURE_SLACK:
            continue
        value = found.isoformat()
        yield start, value, value


# --- products ------------------------------------------------------------------------

_SEPARATOR_CHAR = "\x00"
_NAME_TOKEN = re.compile(r"[^\W\d_]+|\d+|[^\w\s\-]")
_SEPARATOR = r"(?:\s*-\s*|[\s_]+)?"


def _name_tokens(name: str) -> list[str]:
    """Split a product name into letter runs, digit runs and signs ("Pulse3+" -> Pulse, 3, +)."""
    return [token.lower() for token in _NAME_TOKEN.findall(name)]


@dataclass(frozen=True)
class _CatalogueMatcher:
    pattern: re.Pattern[str] | None
    entries: dict[str, CatalogueEntry]


@functools.lru_cache(maxsize=16)
def _catalogue_matcher(catalogue: tuple[CatalogueEntry, ...]) -> _CatalogueMatcher:
    """Compile one pattern for all names and aliases of a catalogue, longest name first."""
    entries: dict[str, CatalogueEntry] = {}
    tokens_by_name: dict[str, list[str]] = {}
    for entry in catalogue:
        for name in (entry.name, *entry.aliases):
            tokens = _name_tokens(name)
            joined = "".join(tokens)
            # A one-letter alias would match in every other sentence.
            if len(joined) >= 2 and joined not in entries:
                entries[joined] = entry
                tokens_by_name[joined] = tokens
    if not entries:
        return _CatalogueMatcher(None, {})
    # Longest name first: an alternation takes the first branch that matches at a place,
    # so "Pulse 3 Pro" wins over "Pulse 3".
    names = sorted(tokens_by_name, key=lambda joined: len(joined), reverse=True)
    # "Pulse 3" is also written "pulse-3" and "PULSE3".
    body = "|".join(
        _SEPARATOR.join(re.escape(token) for token in tokens_by_name[joined]) for joined in names
    )
    pattern = re.compile(rf"(?<![^\W_])(?:{body})(?![^\W_])", re.IGNORECASE)
    return _CatalogueMatcher(pattern, entries)


_last_matcher: tuple[tuple[CatalogueEntry, ...], _CatalogueMatcher] | None = None


def _matcher_for(catalogue: Sequence[CatalogueEntry]) -> _CatalogueMatcher:
    """Return the catalogue's matcher; the same tuple as last time costs no hashing."""
    global _last_matcher
    last = _last_matcher
    # Hashing a catalogue of a few hundred entries costs more than searching a message;
    # callers pass the same tuple for every message, so its identity is checked first.
    if last is not None and isinstance(catalogue, tuple) and last[0] is catalogue:
        return last[1]
    entries = catalogue if isinstance(catalogue, tuple) else tuple(catalogue)
    matcher = _catalogue_matcher(entries)
    _last_matcher = (entries, matcher)
    return matcher


def _products(text: _Text, matcher: _CatalogueMatcher) -> Iterator[_Hit]:
    """Yield catalogue products named in the text, by key, with their display name."""
    if matcher.pattern is None:
        return
    for match in matcher.pattern.finditer(text.text):
        entry = matcher.entries.get("".join(_name_tokens(match.group())))
        if entry is not None:
            yield match.start(), entry.key, entry.name


# --- the whole message ---------------------------------------------------------------


def _visible_text(body: str) -> str:
    """Return the first MAX_SCAN_CHARS of a body without its ">"-quoted lines."""
    text = body[:MAX_SCAN_CHARS]
    if ">" in text:
        text = _QUOTED_LINE.sub("", text)
    return text


def _attachment_text(name: str) -> str:
    """Return a file name as words: no extension, underscores as spaces."""
    return _FILE_EXTENSION.sub("", name).replace("_", " ")


def _drop_vaguer(facts: list[Fact]) -> list[Fact]:
    """Drop "iPhone" when "iPhone 15 Pro" is known too, "iOS" when "iOS 17.4" is."""
    vaguer = set()
    for fact in facts:
        if fact.kind not in ("phone_model", "os"):
            continue
        for other in facts:
            if other.kind == fact.kind and other.value.startswith(fact.value + " "):
                vaguer.add((fact.kind, fact.value))
                break
    return [fact for fact in facts if (fact.kind, fact.value) not in vaguer]


def facts_extract(
    *,
    subject: str,
    body: str,
    attachment_names: Sequence[str] = (),
    catalogue: Sequence[CatalogueEntry] = (),
    language: str = "",
    today: date | None = None,
) -> Facts:
    """Return the troubleshooting facts a customer gave in a message.

    `language` (ISO 639-1 as detected, "" when unknown) only decides how a numeric date
    with slashes or hyphens is read: day first ("03/04/2024" is 3 April) in every
    language; month first only when the language is English or unknown and that is the
    one valid reading ("03/25/2024"). Dotted dates are always day first. Cues in every
    supported language are recognised whatever the language.

    `today`, when given, rejects purchase dates after it (one day of slack for time
    zones); None skips that check. Attachment names give firmware and app versions and,
    with at least five digits after "order", order numbers.
    """
    matcher = _matcher_for(catalogue)
    # Subject and body are searched as one text, the cheaper way; the separator holds
    # nothing any pattern reads across (no space, letter, digit or sign).
    subject_text = subject[:MAX_SUBJECT_CHARS].replace(_SEPARATOR_CHAR, " ")
    body_text = _visible_text(body).replace(_SEPARATOR_CHAR, " ")
    text = _Text(f"{subject_text}\n{_SEPARATOR_CHAR}\n{body_text}")
    body_start = len(subject_text) + 3
    found: list[tuple[int, int, int, Fact]] = []

    def add(kind: str, hits: Iterator[_Hit], attachment: str | None = None, index: int = 0) -> None:
        for position, value, display in hits:
            if attachment is not None:
                source, order = f"attachment:{attachment}", 2 + index
            elif position < body_start:
                source, order = "subject", 0
            else:
                source, order = "body", 1
            fact = Fact(kind=kind, value=value, display=display, source=source)
            found.append((FACT_KINDS.index(kind), order, position, fact))

    add("product", _products(text, matcher))
    add("firmware_version", _firmware_versions(text))
    add("app_version", _app_versions(text))
    add("phone_model", _phone_models(text))
    add("os", _operating_systems(text))
    add("error_code", _error_codes(text))
    add("serial_number", _serial_numbers(text))
    add("order_number", _order_numbers(text))
    add("purchase_date", _purchase_dates(text, language=language, today=today))
    for index, name in enumerate(attachment_names[:MAX_ATTACHMENT_NAMES]):
        name_text = _Text(_attachment_text(name))
        add("firmware_version", _firmware_versions(name_text), name, index)
        add("app_version", _app_versions(name_text), name, index)
        digits = _ATTACHMENT_MIN_ORDER_DIGITS
        add("order_number", _order_numbers(name_text, min_digits=digits), name, index)

    found.sort(key=lambda row: row[:3])
    seen: set[tuple[str, str]] = set()
    facts: list[Fact] = []
    for *_, fact in found:
        if (fact.kind, fact.value) not in seen:
            seen.add((fact.kind, fact.value))
            facts.append(fact)
    return Facts(items=tuple(_drop_vaguer(facts)))


def facts_missing(
    *, facts: Facts | Mapping[str, list[str]], required: Sequence[str]
) -> tuple[str, ...]:
    """Return the required kinds that have no fact, in the order required.

    `facts` is a Facts or its `as_dict()` form as stored on a ticket. An unknown kind
    raises ValueError: it is a configuration mistake that no message can satisfy.
    """
    unknown = [kind for kind in required if kind not in FACT_LABELS]
    if unknown:
        raise ValueError(f"unknown fact kinds: {', '.join(unknown)}")
    present = facts.kinds() if isinstance(facts, Facts) else {k for k, v in facts.items() if v}
    missing: list[str] = []
    for kind in required:
        if kind not in present and kind not in missing:
            missing.append(kind)
    return tuple(missing)
