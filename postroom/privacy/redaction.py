"""Find and mask card numbers, IBANs, national ID numbers and passwords in message text.

Customers are asked never to email these, and some still do. `redact_text` runs on every
incoming message before anything is stored for search or display, so it is built to say
"nothing here" quickly: text without a run of nine digits costs one regex scan and a few
dozen str.find calls for the keywords (about 30 µs for 2 KB).

A wrong mask hides an order number, a tracking number or a phone number that an agent
needs, so every rule asks for more than a checksum:

* a card number must pass Luhn, start with a real card-brand prefix (IIN) of the right
  length, use one separator style throughout, and not touch letters, URLs, e-mail
  addresses or longer digit runs, nor follow a label such as "IMEI" or "order no.";
* an IBAN must pass the ISO 13616 checksum and its country's format (`stdnum.iban`);
* a national ID number needs a keyword nearby ("SSN", "DNI", "BSN", "Steuer-ID",
  "codice fiscale" …) and must validate with `python-stdnum`; only the dashed US SSN
  form NNN-NN-NNNN stands on its own;
* a password needs a label followed by ":" or "=" ("Passwort: …", "mot de passe : …"),
  and a value that is not a word about the password ("Password: reset", "forgotten").

Masks keep the last four characters (and an IBAN's country code) so that the customer
and the agent can still tell which card or account was meant; passwords and card
security codes become "[removed]". The clear value never leaves this module.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass
from types import MappingProxyType

from stdnum import iban as stdnum_iban
from stdnum import luhn
from stdnum.at import vnr as at_vnr
from stdnum.be import nn as be_nn
from stdnum.br import cpf as br_cpf
from stdnum.ch import ssn as ch_ssn
from stdnum.de import idnr as de_idnr
from stdnum.es import dni as es_dni
from stdnum.es import nie as es_nie
from stdnum.es import nif as es_nif
from stdnum.fr import nir as fr_nir
from stdnum.it import codicefiscale as it_codicefiscale
from stdnum.nl import bsn as nl_bsn
from stdnum.pt import cc as pt_cc
from stdnum.pt import nif as pt_nif
from stdnum.us import ssn as us_ssn

__all__ = ["REDACTION_KINDS", "REMOVED", "Finding", "Redacted", "redact_text"]

# What each kind of finding is called when shown to people (desk, audit log, reports).
REDACTION_KINDS: Mapping[str, str] = MappingProxyType(
    {
        "card": "payment card number",
        "iban": "bank account number (IBAN)",
        "national_id": "national ID number",
        "password": "password",
    }
)

# What replaces a password or a card security code: nothing of it is kept.
REMOVED = "[removed]"

_KEEP = 4  # characters left visible at the end of a masked number


@dataclass(frozen=True)
class Finding:
    """One masked value: its kind, what it was recognised as, and the mask now in the text."""

    kind: str  # a key of REDACTION_KINDS
    detail: str  # card brand ("visa"), IBAN country ("DE"), stdnum module ("us.ssn"), label
    masked: str  # exactly what replaced the value in the text; never the clear value


@dataclass(frozen=True)
class Redacted:
    """Text with its sensitive values masked, and what was masked."""

    text: str
    findings: tuple[Finding, ...] = ()

    @property
    def changed(self) -> bool:
        """Return whether anything was masked."""
        return bool(self.findings)


@dataclass(frozen=True)
class _Span:
    """Where a value to mask stands in the text, and what replaces it."""

    start: int
    end: int
    finding: Finding


# --- cheap gates ---------------------------------------------------------------------

# Nine digits, single separators allowed: every card number, every numeric ID and the
# digits of every IBAN have at least this many in one run (a Norwegian IBAN, the
# shortest, has 13; "NL91 ABNA 0417 1643 00" has 10 after its bank code).
_DIGIT_RUN = re.compile(r"\d(?:[ .\-]?\d){8}")

# --- card numbers --------------------------------------------------------------------

# A maximal run of digit groups with one separator style throughout ("4111 1111 …",
# "4111-1111-…", "4111111111111111", "536-90-4399"). Possessive quantifiers keep it
# maximal, so that a 25-digit run is never read as a 16-digit card; what follows the
# run is checked in code (_BAD_NUMBER_END).
_NUMBER_RUN = re.compile(
    # The lookbehinds sit after the first digit so that the scan can skip to digits.
    r"\d(?<![\w/=&?#%@+$€£¥~^*.,\-]\d)(?<!\d[ ]\d)"
    r"\d*+(?:(?P<sep>[ .\-])\d++(?:(?P=sep)\d++)*+)?+"
)
# What may not follow a number: a letter or digit, a URL or address character, a
# decimal or version part ("…1111.5", "…1111-beta").
_BAD_NUMBER_END = re.compile(r"[\w@/=%*]|[.,\-:]\w")
# Labels after which a Luhn-valid number is a device, parcel, order or customer number
# ("IMEI: …", "Order no. …", "numéro de suivi : …", "my customer number is …").
_NOT_A_CARD_LABEL = re.compile(
    r"(?:\b(?:IMEI(?:SV)?|MEID|ESN|ICCID|IMSI|EAN|UPC|GTIN|ISBN|S/?N|SN|P/?N)"
    r"|(?i:\b(?:serial|serien?nummer|s[ée]rie|matricola|tracking|track\s*&\s*trace|"
    r"sendung(?:s(?:nummer)?)?|suivi|seguimiento|seguimento|rastreo|rastreamento|"
    r"spedizione|tracciamento|zending|colis|paquete|pacote|pakket|paket|parcel|shipment|"
    r"order|bestellung|bestellnummer|pedido|commande|ordine|bestelling|bestelnummer|"
    r"invoice|rechnung(?:snummer)?|factura|facture|fattura|factuur|fatura|"
    r"customer|kunden?(?:nummer)?|client|cliente|klant(?:nummer)?|"
    r"ticket|case|rma|model|modell?o?|part|artikel)))"
    r"\.?(?:[ \t]*(?i:number|nummer|no|nr|num|n[°º]|#|id|code)\.?)?"
    r"(?:[ \t]+(?i:is|ist|lautet|est|es|é|è|was|war))?[ \t]*[:#=]?[ \t]*$"
)
_CARD_LABEL_WINDOW = 40
_MAESTRO_PREFIXES = frozenset({5018, 5020, 5038, 5893, 6304, 6759, 6761, 6762, 6763})
_CARD_FIRST_GROUP = 4  # every brand prints its numbers starting with a group of four

# Card security code after an explicit label: "CVV: 123", "Kartenprüfnummer 1234".
_CVV = re.compile(
    r"(?<![\w])(?:CVV2?|CVC2?|CVN|(?i:card\s+security\s+code|card\s+verification\s+"
    r"(?:code|value)|kartenpr[üu]fnummer|cryptogramme(?:\s+visuel)?|c[óo]digo\s+de\s+"
    r"seguridad(?:\s+de\s+la\s+tarjeta)?|c[óo]digo\s+de\s+seguran[çc]a\s+do\s+cart[ãa]o|"
    r"codice\s+di\s+sicurezza\s+della\s+carta))"
    r"[ \t]*(?:[:=#]|(?i:is|ist|est|es|[ée]|è))?[ \t]*(?P<value>\d{3,4})(?![\w])"
)
_CVV_STEMS = (
    *("cvv", "cvc", "cvn", "card security", "card verification", "kartenpr"),
    *("cryptogramme", "código de seg", "codigo de seg", "codice di sic"),
)

# --- IBANs ---------------------------------------------------------------------------

# ISO 13616: country code, two check digits, then up to 30 letters and digits, printed
# in groups of four or not at all.
_IBAN = re.compile(
    r"[A-Z](?<![\w\-/=&?#%@.][A-Z])[A-Z]\d{2}(?P<sep>[ ]?)[A-Z0-9]{4}"
    r"(?:(?P=sep)[A-Z0-9]{4}){1,6}(?:(?P=sep)[A-Z0-9]{1,4})?+(?![\w\-@/=])"
)

# --- national ID numbers ------------------------------------------------------------

_Validator = Callable[[str], bool]

# The number formats, by stdnum module, each with its own boundaries.
_ID_FORMATS: dict[str, tuple[str, _Validator]] = {
    "us.ssn": (r"\d{3}(?P<s>[- ]?)\d{2}(?P=s)\d{4}", us_ssn.is_valid),
    "de.idnr": (r"\d{2}(?P<s>[ ]?)\d{3}(?P=s)\d{3}(?P=s)\d{3}", de_idnr.is_valid),
    "es.dni": (r"(?:\d{8}|\d{1,2}\.\d{3}\.\d{3})[- ]?[A-Za-z]", es_dni.is_valid),
    "es.nie": (r"[XYZxyz][- ]?\d{7}[- ]?[A-Za-z]", es_nie.is_valid),
    "es.nif": (
        r"\d{8}[- ]?[A-Za-z]|[XYZKLMxyzklm][- ]?\d{7}[- ]?[A-Za-z]|[A-Za-z]\d{7}[0-9A-Ja-j]",
        es_nif.is_valid,
    ),
    "fr.nir": (
        r"[12](?P<s>[ ]?)\d{2}(?P=s)\d{2}(?P=s)(?:\d{2}|2[ABab])(?P=s)\d{3}(?P=s)\d{3}"
        r"(?:(?P=s)\d{2})",
        fr_nir.is_valid,
    ),
    "it.codicefiscale": (
        r"[A-Za-z]{6}[0-9LMNPQRSTUVlmnpqrstuv]{2}[A-Za-z][0-9LMNPQRSTUVlmnpqrstuv]{2}"
        r"[A-Za-z][0-9LMNPQRSTUVlmnpqrstuv]{3}[A-Za-z]",
        it_codicefiscale.is_valid,
    ),
    "nl.bsn": (r"\d{4}\.\d{2}\.\d{3}|\d{3}(?P<s>[ .]?)\d{3}(?P=s)\d{3}", nl_bsn.is_valid),
    "pt.nif": (r"\d{3}(?P<s>[ ]?)\d{3}(?P=s)\d{3}", pt_nif.is_valid),
    "pt.cc": (r"\d{8}[ ]?\d[ ]?[A-Za-z]{2}\d", pt_cc.is_valid),
    "br.cpf": (r"\d{3}\.\d{3}\.\d{3}-\d{2}|\d{11}", br_cpf.is_valid),
    "be.nn": (r"\d{2}[. ]?\d{2}[. ]?\d{2}[- ]?\d{3}[. ]?\d{2}", be_nn.is_valid),
    "at.vnr": (r"\d{4}[ ]?\d{6}", at_vnr.is_valid),
    "ch.ssn": (r"756[. ]?\d{4}[. ]?\d{4}[. ]?\d{2}", ch_ssn.is_valid),
}

# The keywords that make a number an ID number, in the languages customers write in, and
# the formats to try after each. Acronyms are matched in capitals only ("nie" is German
# for "never", "avs" and "cf" are ordinary in other contexts).
_ID_KEYWORDS: tuple[tuple[str, tuple[str, ...]], ...] = (
    (
        r"SSN|(?i:social[ \-]security|soc\.?[ ]?sec\.?)",
        ("us.ssn",),
    ),
    (
        r"IdNr|(?i:steuer[ \-]?id(?:[ \-]?nr)?|steuer(?:liche[ ]?)?[ \-]?"
        r"identifikationsnummer|identifikationsnummer)",
        ("de.idnr",),
    ),
    (r"DNI|(?i:documento\s+nacional\s+de\s+identidad)", ("es.dni", "es.nie")),
    (r"NIE|(?i:n[úu]mero\s+de\s+identi(?:dad|ficaci[óo]n)\s+de\s+extranjero)", ("es.nie",)),
    (r"NIF", ("es.nif", "pt.nif")),
    (
        r"NIR|(?i:s[ée]curit[ée]\s+sociale|n°\s*(?:de\s+)?s[ée]cu\b|num[ée]ro\s+insee|"
        r"carte\s+vitale)",
        ("fr.nir",),
    ),
    (r"C\.F\.|CF|(?i:codice\s+fiscale|cod\.\s*fisc\.?)", ("it.codicefiscale",)),
    (r"BSN|(?i:burgerservicenummer|sofi[ \-]?nummer)", ("nl.bsn",)),
    (
        r"(?i:n[úu]mero\s+de\s+contribuinte|contribuinte|n[úu]mero\s+de\s+identifica[çc][ãa]o"
        r"\s+fiscal)",
        ("pt.nif",),
    ),
    (r"(?i:cart[ãa]o\s+de\s+cidad[ãa]o)", ("pt.cc",)),
    (r"CPF", ("br.cpf",)),
    (
        r"(?i:rijksregisternummer|rijksregister|registre\s+national|num[ée]ro\s+national|"
        r"national\s+register\s+number)",
        ("be.nn",),
    ),
    (
        r"SVNR|VSNR|(?i:sozialversicherungsnummer|versicherungsnummer|sv[ \-]nummer)",
        ("at.vnr", "ch.ssn"),
    ),
    (r"AHV|AVS|(?i:ahv[ \-]nummer|num[ée]ro\s+avs)", ("ch.ssn",)),
)
_ID_KEYWORD = re.compile(
    "|".join(
        rf"(?P<k{index}>(?<![\w\-])(?:{source})(?![\w]))"
        for index, (source, _details) in enumerate(_ID_KEYWORDS)
    )
)
_ID_DETAILS_BY_GROUP = {f"k{index}": details for index, (_s, details) in enumerate(_ID_KEYWORDS)}
_ID_PATTERNS: dict[str, tuple[re.Pattern[str], _Validator]] = {
    detail: (re.compile(rf"(?<![\w.\-/])(?:{source})(?![\w]|[.\-/]\w)"), validator)
    for detail, (source, validator) in _ID_FORMATS.items()
}
# How far after its keyword a number may stand: "SSN: …", "my BSN is …", "DNI n.º …".
_ID_WINDOW = 48
_ID_MAX_CHARS = 32  # longer than any ID format above, separators included
_SEPARATORS = re.compile(r"[ .\-/]")

# The US SSN in the Social Security Administration's own notation, NNN-NN-NNNN, needs no
# keyword; stdnum still rejects the impossible ones (area 000/666/9xx, group 00 …).
_SSN_LAYOUT = (3, 2, 4)

# Lower-case beginnings of every keyword above, found with str.find (fast) before the
# keyword pattern is tried at that position. Numbers with fewer than nine digits (DNI,
# NIE, NIF, codice fiscale) pass the digit gate unseen, so their keywords are always
# looked for.
_SHORT_ID_STEMS = ("dni", "nie", "nif", "núm", "num", "documento", "cf", "c.f.", "cod")
_ID_STEMS = (
    *_SHORT_ID_STEMS,
    *("ssn", "soc", "idnr", "steuer", "identifik", "nir", "sécu", "secu", "n°", "cart"),
    *("burger", "sofi", "bsn", "contribuinte", "cpf", "rijks", "registre", "national"),
    *("svnr", "vsnr", "sozial", "versicherungs", "sv", "ahv", "avs"),
)

# --- passwords -----------------------------------------------------------------------

_CREDENTIAL_LABELS = (
    r"password|passwort|passwd|pwd|pw|passcode|passphrase|kennwort|mot\s+de\s+passe|mdp|"
    r"contrase[ñn]a|(?<!palabra\s)clave|senha|palavra[\-\s]passe|parola\s+d['’]ordine|"
    r"wachtwoord|pincode|pin[\-\s]code|code\s+pin|c[óo]digo\s+pin|codice\s+pin|geheimzahl"
)
# An optional verb before the colon: "my password is: …", "mein Passwort lautet: …".
_CREDENTIAL_VERB = r"(?:[ \t]+(?i:is|ist|lautet|est|es|era|[ée]|è|was|war|luidt))?"
# HTML source: "<b>Password:</b> hunter2", "<td>Passwort</td><td>:</td>".
_TAGS = r"(?:[ \t]*</?[A-Za-z][^<>\r\n]{0,80}>)*"
_PASSWORD = re.compile(
    rf"(?<![\w\-])(?P<label>(?i:{_CREDENTIAL_LABELS})|PIN)(?![\w])"
    # A closing quote after the label: JSON and YAML ("password": "…").
    rf"[\"']?{_CREDENTIAL_VERB}{_TAGS}"
    rf"[ \t]*(?:&nbsp;)?[ \t]*(?P<sep>[:=])(?![:=/]){_TAGS}(?:[ \t]|&nbsp;)*"
    r"(?P<value>[^\s<][^\r\n<]*)"
)
# After "=", a value ends where a query string or an attribute would continue.
_QUERY_VALUE = re.compile(r"[^\s&;\"'<>]+")
_WORD_SPLIT = re.compile(r"\s+")
# A value with this many words is a sentence about the password, or a password followed
# by more text: only its first word is removed.
_SENTENCE_WORDS = 5

# First words that talk about a password rather than being one ("Password: reset does not
# work", "Passwort: vergessen"), in en, de, fr, es, pt, it, nl.
_NOT_A_PASSWORD = frozenset(
    """
    reset forgot forgotten change changed changing expired expire expires expiry help
    problem problems issue issues question not doesn't does don't can't cannot won't isn't
    is was must should required requirement requirements policy recovery request requested
    incorrect invalid wrong lost same see below above unchanged hidden sent attached none
    n/a na null empty unknown blank missing your my the a an new old enter ok yes no
    zurücksetzen vergessen ändern geändert abgelaufen falsch ungültig funktioniert siehe
    nicht kein keine muss gleich neues neu altes alt bitte
    oublié oubliée réinitialiser réinitialisation changer modifier perdu perdue voir
    expiré invalide ne pas aucun votre mon nouveau
    olvidé olvidada olvidado restablecer cambiar incorrecta incorrecto perdida ver
    caducada caducado nueva nuevo su mi ninguna
    esqueci esquecida redefinir alterar incorreta errada perdida não expirada nova sua
    minha nenhuma
    dimenticata dimenticato reimpostare cambiare errata sbagliata persa vedi non scaduta
    nuova sua mia nessuna
    vergeten wijzigen resetten onjuist fout kwijt zie niet verlopen nieuw nieuwe uw mijn
    geen
    i we it this that will would can could has have had please thanks to for by via from
    ich wir es das wird kann hat danke per
    je nous il ça va sera peut merci par
    yo nosotros lo será puede gracias por
    eu nós será pode obrigado obrigada
    io noi lo sarà può grazie
    ik wij het dat wordt kan heeft dank bedankt
    """.split()
)
# Masks and placeholders already in the text: "Password: ********", "PIN: [removed]".
_PLACEHOLDER = re.compile(r"^(?:[*•●xX#.…\-_?]+|\[.*\]|<.*>|\(.*\)|\{.*\})$")
_STRIP_PUNCTUATION = ".,;:!?\"'()[]"

# Lower-case beginnings of the password labels (see _ID_STEMS).
_PASSWORD_STEMS = (
    *("pass", "pw", "kennw", "mot", "mdp", "contrase", "clave", "senha", "palavra"),
    *("parola", "wachtw", "pin", "code", "código", "codigo", "codice", "geheimz"),
)

# --- URLs and addresses: nothing inside them is masked ---------------------------------

# What ends a link or an address (the same as for the links the desk makes clickable).
_LINK_STOPS = frozenset(" \t\r\n<>\"'")
_LINK_MAX = 2048  # a longer token is no link anyone typed; stop looking
_ADDRESS_CHARS = re.compile(r"[\w.+\-=/]*")
_DOMAIN_CHARS = re.compile(r"[\w.\-]*")


def redact_text(text: str) -> Redacted:
    """Return *text* with card numbers, IBANs, national IDs and passwords masked.

    Never raises on a str. Text with no run of nine digits and none of the keywords'
    beginnings costs one regex scan and some str.find calls.
    """
    lowered = text.lower()
    has_digits = _DIGIT_RUN.search(text) is not None
    spans: list[_Span] = list(_find_passwords(text, lowered))
    if has_digits:
        spans.extend(_find_ibans(text))
        cards, ssns = _find_numbers(text)
        spans.extend(cards)
        spans.extend(ssns)
        if cards:
            # A security code alone is useless to a thief and "CVC: 123" can be other
            # things; next to a card number it completes the card.
            spans.extend(_find_security_codes(text))
    spans.extend(_find_national_ids(text, lowered, _ID_STEMS if has_digits else _SHORT_ID_STEMS))
    if not spans:
        return Redacted(text)
    spans = _first_of_overlapping(_without_links(text, spans))
    if not spans:
        return Redacted(text)
    pieces: list[str] = []
    position = 0
    for span in spans:
        pieces.append(text[position : span.start])
        pieces.append(span.finding.masked)
        position = span.end
    pieces.append(text[position:])
    return Redacted("".join(pieces), tuple(span.finding for span in spans))


def mask_keeping_last(value: str, *, keep: int = _KEEP, keep_first: int = 0) -> str:
    """Return *value* with every letter and digit starred but the last *keep* (and first
    *keep_first*); separators stay where they were."""
    positions = [index for index, char in enumerate(value) if char.isalnum()]
    hidden = set(positions[keep_first : max(keep_first, len(positions) - keep)])
    return "".join("*" if index in hidden else char for index, char in enumerate(value))


def card_brand(digits: str) -> str:
    """Return the brand whose IIN range and length fit *digits*, or "" for none.

    Ranges from the brands' published IIN tables (ISO/IEC 7812). Some lengths are left
    out on purpose: 13-digit Visa and 12/13-digit Maestro (rare, and 13-digit Visa not
    issued for decades) collide with EAN-13 barcodes and with phone numbers written as
    49…, and 15-digit Diners and Maestro with IMEIs.
    """
    length = len(digits)
    if length < 14 or length > 19 or not digits.isdigit():
        return ""
    two, three, four, six = int(digits[:2]), int(digits[:3]), int(digits[:4]), int(digits[:6])
    if digits[0] == "4":
        return "visa" if length in (16, 19) else ""
    if 51 <= two <= 55 or 2221 <= four <= 2720:
        return "mastercard" if length == 16 else ""
    if two in (34, 37):
        return "amex" if length == 15 else ""
    if four == 6011 or 644 <= three <= 649 or two == 65 or 622126 <= six <= 622925:
        return "discover" if length >= 16 else ""
    if 3528 <= four <= 3589:
        return "jcb" if length >= 16 else ""
    if two == 36 or 300 <= three <= 305 or four == 3095 or two in (38, 39):
        return "diners" if length != 15 else ""
    if two == 62:
        return "unionpay" if length >= 16 else ""
    if four in _MAESTRO_PREFIXES:
        return "maestro" if length != 15 else ""
    return ""


# --- finders -------------------------------------------------------------------------


def _find_numbers(text: str) -> tuple[list[_Span], list[_Span]]:
    """Return the payment card numbers and the dashed US SSNs in *text*."""
    cards: list[_Span] = []
    ssns: list[_Span] = []
    for match in _NUMBER_RUN.finditer(text):
        length = match.end() - match.start()
        if length < 11:
            continue
        separator = match.group("sep") or ""
        groups = match.group().split(separator) if separator else [match.group()]
        clean_end = _BAD_NUMBER_END.match(text, match.end()) is None
        if length == 11:
            if clean_end and separator == "-" and tuple(map(len, groups)) == _SSN_LAYOUT:
                if _safe_valid(us_ssn.is_valid, match.group()):
                    ssns.append(_id_span(match.start(), match.end(), match.group(), "us.ssn"))
            continue
        if clean_end:
            found = _card_in_groups(groups, whole=True)
        elif text.startswith("/", match.end()) and len(groups[-1]) <= 2:
            # "4111 1111 1111 1111 12/27": the last group is the expiry month.
            found = _card_in_groups(groups, whole=False)
        else:
            continue
        if found is None:
            continue
        used, brand = found
        label_from = max(0, match.start() - _CARD_LABEL_WINDOW)
        if _NOT_A_CARD_LABEL.search(text, label_from, match.start()):
            continue
        value = separator.join(groups[:used])
        masked = mask_keeping_last(value)
        cards.append(
            _Span(match.start(), match.start() + len(value), Finding("card", brand, masked))
        )
    return cards, ssns


def _card_in_groups(groups: list[str], *, whole: bool) -> tuple[int, str] | None:
    """Return (how many of the digit *groups* the card uses, brand), or None for no card.

    A run printed in groups may carry one short trailing group (an expiry month or a
    security code typed right after the number): the run without it is tried too, and
    only that when *whole* is False.
    """
    if len(groups) > 1 and len(groups[0]) != _CARD_FIRST_GROUP:
        return None
    for used in (len(groups), len(groups) - 1):
        if used == len(groups) and not whole:
            continue
        if used < len(groups) and (used < 3 or len(groups[-1]) > 4):
            break
        digits = "".join(groups[:used])
        brand = card_brand(digits)
        if brand and luhn.is_valid(digits):
            return used, brand
    return None


def _find_ibans(text: str) -> Iterator[_Span]:
    """Yield the checksum-valid IBANs in *text*, with or without grouping spaces."""
    for match in _IBAN.finditer(text):
        value = match.group()
        separator = match.group("sep")
        # A four-letter word after a grouped IBAN ("… 7034 DANK") reads as one more
        # group: drop trailing groups until the number validates.
        while value:
            if _iban_is_valid(value):
                masked = mask_keeping_last(value, keep_first=2)
                yield _Span(
                    match.start(),
                    match.start() + len(value),
                    Finding("iban", value[:2], masked),
                )
                break
            if not separator or separator not in value[5:]:
                break
            value = value.rsplit(separator, 1)[0]


def _iban_is_valid(value: str) -> bool:
    """Return whether *value* is a valid IBAN (checksum and country format)."""
    try:
        return bool(stdnum_iban.is_valid(value))
    except Exception:  # a stdnum bug must not stop the mail
        return False


def _keyword_matches(
    text: str, lowered: str, stems: tuple[str, ...], pattern: re.Pattern[str]
) -> list[re.Match[str]]:
    """Return the matches of *pattern* that start where one of *stems* occurs, in order.

    str.find is a fast C scan; a regex alternation of thirty keywords tried at every
    position of a 2 KB message costs hundreds of microseconds.
    """
    if len(lowered) != len(text):
        # Lower-casing changed the length ("İ" becomes two characters): positions
        # would not line up, so take the slow scan.
        return list(pattern.finditer(text))
    found: dict[int, re.Match[str]] = {}
    for stem in stems:
        position = lowered.find(stem)
        while position != -1:
            if position not in found:
                match = pattern.match(text, position)
                if match is not None:
                    found[position] = match
            position = lowered.find(stem, position + 1)
    return [found[position] for position in sorted(found)]


def _find_national_ids(text: str, lowered: str, stems: tuple[str, ...]) -> Iterator[_Span]:
    """Yield ID numbers that stand shortly after their keyword and validate."""
    for keyword in _keyword_matches(text, lowered, stems, _ID_KEYWORD):
        details = _ID_DETAILS_BY_GROUP[keyword.lastgroup or ""]
        limit = keyword.end() + _ID_WINDOW
        for detail in details:
            pattern, validator = _ID_PATTERNS[detail]
            found = False
            # Bounded scan; a match that touches the bound may be cut from a longer run.
            endpos = min(len(text), limit + _ID_MAX_CHARS)
            for match in pattern.finditer(text, keyword.end(), endpos):
                if match.start() > limit:
                    break
                if match.end() == endpos < len(text):
                    continue
                # stdnum strips some separators per module; strip them all, the same way.
                if _safe_valid(validator, _SEPARATORS.sub("", match.group())):
                    yield _id_span(match.start(), match.end(), match.group(), detail)
                    found = True
            if found:
                break


def _id_span(start: int, end: int, value: str, detail: str) -> _Span:
    """Return the span that masks the ID number *value* found at *start*."""
    return _Span(start, end, Finding("national_id", detail, mask_keeping_last(value)))


def _safe_valid(validator: _Validator, value: str) -> bool:
    """Return validator(value), False when the validator itself fails."""
    try:
        return bool(validator(value))
    except Exception:  # a stdnum bug must not stop the mail
        return False


def _find_security_codes(text: str) -> Iterator[_Span]:
    """Yield card security codes written after an explicit label ("CVV: 123")."""
    for match in _keyword_matches(text, text.lower(), _CVV_STEMS, _CVV):
        yield _Span(match.start("value"), match.end("value"), Finding("card", "cvv", REMOVED))


def _find_passwords(text: str, lowered: str) -> Iterator[_Span]:
    """Yield the values written after a password label and ":" or "="."""
    for match in _keyword_matches(text, lowered, _PASSWORD_STEMS, _PASSWORD):
        start = match.start("value")
        if text[start] in "\"'":
            start += 1
        if match.group("sep") == "=":
            token = _QUERY_VALUE.match(text, start)
            if token is None:
                continue
            end = token.end()
        else:
            value = text[start : match.end("value")].rstrip()
            words = _WORD_SPLIT.split(value)
            if len(words) >= _SENTENCE_WORDS:
                value = words[0]
            end = start + len(value)
        if end <= start:
            continue
        value = text[start:end]
        first = _WORD_SPLIT.split(value, maxsplit=1)[0]
        if _PLACEHOLDER.match(first) or first.strip(_STRIP_PUNCTUATION).lower() in _NOT_A_PASSWORD:
            continue
        label = " ".join(match.group("label").lower().split())
        yield _Span(start, end, Finding("password", label, REMOVED))


# --- span bookkeeping ----------------------------------------------------------------


def _first_of_overlapping(spans: list[_Span]) -> list[_Span]:
    """Return *spans* in text order, each dropped that overlaps one found before it."""
    kept: list[_Span] = []
    for span in spans:
        if all(span.end <= other.start or span.start >= other.end for other in kept):
            kept.append(span)
    return sorted(kept, key=lambda span: span.start)


def _without_links(text: str, spans: list[_Span]) -> list[_Span]:
    """Return *spans* without those inside a URL, an e-mail address or a Message-ID.

    Passwords are kept: "https://…?password=…" is exactly what must not be stored.
    """
    return [span for span in spans if span.finding.kind == "password" or not _in_link(text, span)]


def _in_link(text: str, span: _Span) -> bool:
    """Return whether *span* lies inside a URL, an e-mail address or a Message-ID.

    Looks only at the whitespace-delimited token around the span: scanning every message
    for every link would cost more than all the rest of the redaction.
    """
    left = span.start
    floor = max(0, span.start - _LINK_MAX)
    while left > floor and text[left - 1] not in _LINK_STOPS:
        left -= 1
    right = span.end
    ceiling = min(len(text), span.end + _LINK_MAX)
    while right < ceiling and text[right] not in _LINK_STOPS:
        right += 1
    before = text[left : span.start].lower()
    if "://" in before or "www." in before:
        return True
    after = text[span.end : right]
    # "…4111@example.com", "<…@host>": the span is the local part of an address.
    at = after.find("@")
    if at >= 0 and _ADDRESS_CHARS.fullmatch(after, 0, at):
        return True
    # "user@4111….example": the span is in the domain part.
    at = before.rfind("@")
    return at >= 0 and _DOMAIN_CHARS.fullmatch(before, at + 1) is not None
