"""Read priority signals from a message: mail headers, urgency cues in the text, the
customer's tier, and combine them into one priority with the reason for it.

Cues are a hand-written multilingual lexicon (en/de/fr/es/pt/it/nl), not a model: no
multilingual classifier for urgency runs offline here, and a lexicon says *why* it fired,
which the ticket's timeline shows. Every language's phrases are tried on every message
(customers mix languages, and detection is unsure on short text). `language` is a hint
used only where a word means different things in different languages: Portuguese "no" is
"in the", not a negation. Text is folded first (lower case, accents removed, typographic
apostrophes made plain, whitespace other than line breaks made spaces) by a
length-preserving table, so a match's offsets are also offsets into the original text.

Each cue class is its own signal source (``cue:outage``), and maps to one priority:

    safety    → urgent   a device overheating, swelling, smoking or burning can hurt people
    security  → urgent   an account takeover or breach does more damage every hour
    outage    → urgent   a service down for everyone stops all of that customer's users
    login     → high     one person locked out of their account
    data_loss → high     lost data: fast help raises the odds of recovery
    urgent    → high     the customer *says* it is urgent; that alone does not page anyone
    not_urgent → low     "not urgent", "no rush", or an urgency word under a negation

A negation ("not", "nicht", "pas", "no", "não", "non", "niet", …) among the three words
before a cue, in the same clause, cancels it; a cancelled ``urgent`` cue becomes
``not_urgent``. A serious cue (all but ``urgent``) is also dropped when the words around
it make it a question about prevention or risk ("prevent … from overheating", "Schutz
vor Datenverlust"), and an outage word when it is qualified as sporadic or partial
("gelegentliche Ausfälle", "intermittent outages"): those are glitches, not a service
down for everyone. Quoted history (lines starting with ">", and everything after a reply
attribution such as "On … wrote:" or "-----Original Message-----") is not read: the
customer's earlier words are not a new signal.

Cost: all phrases are compiled once, at import, into one pattern per cue class and one
for all classes, which finds every cue in one scan of the text: about 0.15 ms for a
typical 400-character message on one core. Only the first MAX_SCAN_CHARS characters of
the new text are read (about 0.3 µs a character), which bounds a message at about
0.5 ms: a customer says what is urgent or what angers them early, and the scan runs for
every incoming message (bench/ingest.py).
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass

PRIORITIES = ("low", "normal", "high", "urgent")  # as postroom.tickets.models.Priority
_RANK = {priority: rank for rank, priority in enumerate(PRIORITIES)}

MAX_SCAN_CHARS = 1_500  # the start of the customer's new words (median message: ~1,000)
# Words before a cue that are read for a negation, and how far back (characters) to look.
NEGATION_WORDS = 3
NEGATION_REACH = 48


@dataclass(frozen=True)
class PrioritySignal:
    """One reason for a priority, as the ticket's timeline shows it."""

    priority: str  # one of PRIORITIES
    source: str  # "header:x-priority", "cue:outage", "tier:vip", "default"
    reason: str  # human-readable: 'X-Priority: 1 (Highest)', '"server is down" in subject'


# --- Text preparation, shared with postroom.routing.tone -----------------------------


class _FoldTable(dict[int, str]):
    """Map each character to one folded character, computing and caching on first sight."""

    MAX_CACHED = 20_000  # distinct characters; CJK text must not grow it without bound

    def __missing__(self, code: int) -> str:
        char = chr(code)
        if char.isspace():
            # Line breaks stay: a blank line ends a clause for negations.
            folded = "\n" if char == "\n" else " "
        elif char in "\u2019\u2018\u02bc\u00b4`":
            folded = "'"
        else:
            folded = char.lower()
            if len(folded) != 1:  # "İ" lowers to two characters; keep offsets aligned
                folded = char
            bare = "".join(
                c for c in unicodedata.normalize("NFKD", folded) if not unicodedata.combining(c)
            )
            if len(bare) == 1:  # "é" → "e"; ligatures and "½" stay as they are
                folded = bare
        if len(self) < self.MAX_CACHED:
            self[code] = folded
        return folded


_FOLD = _FoldTable()


def text_folded(text: str) -> str:
    """Return *text* folded for matching: lower case, no accents, plain apostrophes.

    The result has the same length as *text*, so match offsets point into the original.
    "ß" stays "ß" (patterns spell it "(?:ss|ß)"); German umlauts fold to the bare vowel.
    """
    return text.translate(_FOLD)


_QUOTE_LINE = re.compile(r"^[ \t]*>[^\n]*(?:\n|$)", re.MULTILINE)
# Where quoted history starts in top-posted replies that do not use ">".
_HISTORY_START = re.compile(
    r"^[ \t]*-{2,}[ \t]*(?:original message|ursprüngliche nachricht|originalnachricht"
    r"|message d'origine|message original|mensaje original|mensagem original"
    r"|messaggio originale|oorspronkelijk bericht|origineel bericht)[ \t]*-{2,}[ \t]*$"
    r"|^[ \t]*(?:on|am|le|el|em|il|op)\b[^\n]{0,200}(?:\n[^\n]{0,200})?"
    r"\b(?:wrote|schrieb|a écrit|escribió|escreveu|ha scritto|scrisse|schreef)\b[^\n]{0,120}:[ \t]*$"
    r"|^[ \t]*(?:from|von|de|da|van)[ \t]*:[^\n]*\n[ \t]*(?:sent|gesendet|envoyé|enviado"
    r"|inviato|verzonden|date|datum|fecha|data)[ \t]*:",
    re.IGNORECASE | re.MULTILINE,
)


def text_unquoted(text: str) -> str:
    """Return the customer's new words in *text*: no ">" lines, nothing after a reply
    attribution ("On … wrote:", "-----Original Message-----", an Outlook header block)
    unless ">" marks the quote that follows it, as in bottom-posted replies."""
    for history in _HISTORY_START.finditer(text):
        if text[history.end() :].lstrip().startswith(">"):
            # Bottom-posting: the quote is marked, and new words may follow it.
            text = (
                text[: history.start()]
                + " " * (history.end() - history.start())
                + (text[history.end() :])
            )
            continue
        text = text[: history.start()]
        break
    if ">" in text:
        text = _QUOTE_LINE.sub("", text)
    return text


_UPPER_ESCAPE = re.compile(r"\\[A-Z]")


_PATTERN_HEAD = r"(?=\w)(?<!\w)(?:"  # a word start; "(?=\w)" first lets the engine skip fast
_PATTERN_TAIL = r")(?!\w)"


def phrases_compile(phrases: Iterable[str]) -> re.Pattern[str]:
    """Return one pattern matching any of *phrases* as whole words in folded text.

    Phrases are regular expressions written in natural spelling ("überhitzt", "não é"),
    each starting with a letter or digit. They are folded like the text; a space in a
    phrase matches any run of whitespace (mail is hard-wrapped), " ?" and "[- ]" none or
    some. Upper-case escapes (\\S, \\W) would fold to their opposites and are refused.
    """
    folded = []
    for phrase in phrases:
        if _UPPER_ESCAPE.search(phrase):
            raise ValueError(f"upper-case escape in cue phrase: {phrase!r}")
        spaced = text_folded(phrase).replace(" ?", r"\s*").replace("[- ]", r"[-\s]")
        folded.append(spaced.replace(" ", r"\s+"))
    return re.compile(_PATTERN_HEAD + "|".join(folded) + _PATTERN_TAIL)


def patterns_combined(patterns: Sequence[re.Pattern[str]]) -> re.Pattern[str]:
    """Return one pattern that matches where any of *patterns* (from phrases_compile) does.

    Python's engine pays for every scan of the text at every position: one scan with all
    phrases costs about half as much as one scan per cue.
    """
    bodies = []
    for pattern in patterns:
        source = pattern.pattern
        if not (source.startswith(_PATTERN_HEAD) and source.endswith(_PATTERN_TAIL)):
            raise ValueError("patterns_combined takes patterns from phrases_compile")
        bodies.append(source[len(_PATTERN_HEAD) : -len(_PATTERN_TAIL)])
    return re.compile(_PATTERN_HEAD + "|".join(bodies) + _PATTERN_TAIL)


def matches_by_pattern(
    folded: str, patterns: Sequence[re.Pattern[str]], combined: re.Pattern[str]
) -> list[list[re.Match[str]]]:
    """Return each of *patterns*' matches in *folded*, in order, found in one scan with
    *combined* (their patterns_combined); a match may overlap another pattern's."""
    found: list[list[re.Match[str]]] = [[] for _ in patterns]
    position = 0
    while (hit := combined.search(folded, position)) is not None:
        for matches, pattern in zip(found, patterns, strict=True):
            match = pattern.match(folded, hit.start())
            if match is not None:
                matches.append(match)
        position = hit.start() + 1
    return found


NEGATORS = frozenset(
    {
        # en
        "not", "no", "never", "nothing", "none", "nor", "without", "dont", "doesnt",
        "isnt", "wasnt", "arent", "didnt", "hardly",
        # de
        "nicht", "nichts", "kein", "keine", "keinen", "keinem", "keiner", "keines", "nie",
        "niemals", "ohne",
        # fr ("ne" and "plus" are left out: "plus urgent" means "more urgent")
        "pas", "non", "jamais", "rien", "aucun", "aucune", "sans",
        # es / pt / it ("ne" is also Italian "of it": "ne sono soddisfatto"; "mai" is also
        # German "May")
        "nunca", "nada", "ningun", "ninguna", "ninguno", "sin", "tampoco", "ni",
        "nao", "nenhum", "nenhuma", "sem", "nem",
        "niente", "nulla", "nessun", "nessuno", "nessuna", "senza",
        # nl
        "niet", "geen", "nooit", "niets", "zonder", "noch",
    }
)  # fmt: skip
_CLAUSE_END = re.compile(r"[.!?;:,|()\[\]\u00bf\u00a1]|\n\s*\n")
_WORD = re.compile(r"[\w']+")


# Negators that are other words in the hinted language.
_NOT_NEGATORS = {"pt": frozenset({"no"})}  # pt "no" = "em o": "reclamar no Procon"
_NO_EXCEPTIONS: frozenset[str] = frozenset()


def words_before(folded: str, start: int, count: int) -> list[str]:
    """Return up to *count* words before *start* in *folded*, within the same clause."""
    window = folded[max(0, start - NEGATION_REACH) : start]
    ends = list(_CLAUSE_END.finditer(window))
    if ends:
        window = window[ends[-1].end() :]
    return _WORD.findall(window)[-count:]


def _words_after(folded: str, end: int, count: int) -> list[str]:
    """Return up to *count* words after *end* in *folded*, within the same clause."""
    window = folded[end : end + NEGATION_REACH]
    stop = _CLAUSE_END.search(window)
    if stop is not None:
        window = window[: stop.start()]
    return _WORD.findall(window)[:count]


def negated_at(folded: str, start: int, *, language: str = "") -> bool:
    """Return whether a negation stands among the few words before *start* in *folded*,
    within the same clause ("not urgent", "nicht so dringend", "no es urgente")."""
    exceptions = _NOT_NEGATORS.get(language, _NO_EXCEPTIONS)
    for word in words_before(folded, start, NEGATION_WORDS):
        if (word in NEGATORS and word not in exceptions) or word.endswith("n't"):
            return True
    return False


# Words that make a serious cue a question about prevention or risk rather than a report:
# "how do I prevent my phone from overheating", "Schutz vor Datenverlust", "risk of a
# breach". Read among the four words before the cue; German puts the verb after it.
HYPOTHETICAL = frozenset(
    {
        "prevent", "prevents", "preventing", "prevention", "avoid", "avoiding", "against",
        "protect", "protecting", "protection", "risk", "risks",
        # folded, as the text is: "schützen" is "schutzen", "éviter" is "eviter"
        "schutz", "schutzen", "vorbeugen", "risiko",
        "eviter", "prevenir", "contre", "risque",
        "evitar", "contra", "riesgo", "risco",
        "evitare", "prevenire", "contro", "rischio",
        "voorkomen", "tegen", "beschermen", "risico",
    }
)  # fmt: skip
_HYPOTHETICAL_AFTER = frozenset(
    {"vermeiden", "verhindern", "vorzubeugen", "schutzen", "schutzt", "voorkomen"}
)
# Qualifiers that make an outage word a glitch: "sporadische Ausfälle", "intermittent
# outages", "interrupciones intermitentes" (Romance languages put them after the noun).
INTERMITTENT = frozenset(
    {
        "intermittent", "occasional", "sporadic", "partial", "brief", "short",
        "gelegentliche", "gelegentlichen", "gelegentlich", "sporadische", "sporadischen",
        "intermittierende", "intermittierenden", "zeitweise", "zeitweilige", "teilweise",
        "teilweiser", "vereinzelte", "vereinzelten", "kurze", "kurzen", "kurzzeitige",
        "intermittentes", "occasionnelles", "sporadiques", "partielles", "breves",
        "intermitentes", "esporadicas", "esporadicos", "ocasionales", "ocasionais",
        "parciales", "parciais", "intermittenti", "sporadiche", "occasionali", "parziali",
        "incidentele", "af", "periodieke", "korte",  # nl "sporadische" is above
    }
)  # fmt: skip


def _only_hypothetical(folded: str, start: int, end: int) -> bool:
    """Return whether the cue at [start, end) is about prevention or risk, not a report."""
    return bool(
        HYPOTHETICAL.intersection(words_before(folded, start, 4))
        or _HYPOTHETICAL_AFTER.intersection(_words_after(folded, end, 3))
    )


def _only_intermittent(folded: str, start: int, end: int) -> bool:
    """Return whether an outage cue at [start, end) is qualified as sporadic or partial."""
    return bool(
        INTERMITTENT.intersection(words_before(folded, start, 2))
        or INTERMITTENT.intersection(_words_after(folded, end, 1))
    )


def _snippet(original: str, start: int, end: int) -> str:
    """Return the original words at [start, end) on one line, for a reason."""
    return " ".join(original[start:end].split())


# --- Headers ---------------------------------------------------------------------------

_LEADING_DIGIT = re.compile(r"\s*([1-5])\b")
_HIGH_WORDS = frozenset({"high", "highest", "urgent", "1", "2"})
_LOW_WORDS = frozenset({"low", "lowest", "non-urgent", "4", "5"})
# Checked in this order; the first header that says something other than "normal" wins a
# tie. Sender-set headers are capped at "high": anyone can set them, so they may not page
# anyone on their own (RFC 2156 "Priority: urgent" included).
_PRIORITY_HEADERS = ("x-priority", "x-msmail-priority", "importance", "priority")


def _header_priority(name: str, value: str) -> str | None:
    """Return "high", "low" or None (normal or unreadable) for one header field value."""
    text = value.strip().lower()
    if name == "x-priority":
        digit = _LEADING_DIGIT.match(text)
        # X-Priority: 1 (Highest) … 3 (Normal) … 5 (Lowest); some clients write words.
        text = digit.group(1) if digit else text.split("(")[0].strip()
    word = text.split()[0] if text.split() else ""
    if word in _HIGH_WORDS:
        return "high"
    if word in _LOW_WORDS:
        return "low"
    return None


def priority_from_headers(headers: Mapping[str, tuple[str, ...]]) -> PrioritySignal | None:
    """Return the priority the sender's mail client set, or None when it set none.

    Reads X-Priority ("1 (Highest)", "2" → high; "4", "5" → low), X-MSMail-Priority
    (High/Low), Importance (RFC 2156: high/low) and Priority (RFC 2156: urgent → high,
    non-urgent → low) from *headers* keyed by lower-cased field name. When headers
    disagree the highest wins.
    """
    found: list[PrioritySignal] = []
    for name in _PRIORITY_HEADERS:
        for value in headers.get(name, ()):
            priority = _header_priority(name, value)
            if priority is not None:
                canonical = "-".join(part.capitalize() for part in name.split("-"))
                canonical = canonical.replace("Msmail", "MSMail")
                found.append(
                    PrioritySignal(priority, f"header:{name}", f"{canonical}: {value.strip()}")
                )
                break
    return priority_combine(found) if found else None


# --- Tier ------------------------------------------------------------------------------

# "premium" is a floor, not a raise: with "highest wins" the result is always explained by
# one signal, and a premium customer's "no rush" still lands at normal, never low.
_TIERS = {
    "vip": ("high", "VIP customer"),
    "enterprise": ("high", "enterprise customer"),
    "premium": ("normal", "premium customer: never below normal"),
}


def priority_from_tier(tier: str) -> PrioritySignal | None:
    """Return the priority a customer tier implies, or None for other tiers.

    "vip" and "enterprise" → high; "premium" → normal, which only lifts a low priority
    (a "not urgent" cue) and never outranks a real cue. Case and spaces are ignored.
    """
    key = tier.strip().lower()
    if key not in _TIERS:
        return None
    priority, reason = _TIERS[key]
    return PrioritySignal(priority, f"tier:{key}", reason)


# --- Combination -----------------------------------------------------------------------


def priority_combine(
    signals: Sequence[PrioritySignal], *, default: str = "normal"
) -> PrioritySignal:
    """Return the highest-priority signal, the first of equals; a "default" one if none."""
    if default not in _RANK:
        raise ValueError(f"unknown priority {default!r}; expected one of {PRIORITIES}")
    best: PrioritySignal | None = None
    for signal in signals:
        if signal.priority not in _RANK:
            raise ValueError(f"unknown priority {signal.priority!r} from {signal.source}")
        if best is None or _RANK[signal.priority] > _RANK[best.priority]:
            best = signal
    return best or PrioritySignal(default, "default", "no priority signal")


# --- Cues ------------------------------------------------------------------------------

_SERVICE_EN = (
    r"(?:service|services|server|servers|site|website|platform|system|systems|app|api"
    r"|network|portal|dashboard|backend|database|checkout|payments?|cloud|shop|store)"
)
_EVERYONE_EN = (
    r"(?:everyone|everybody|all (?:of )?(?:our |my |the )?(?:users|customers|clients|staff"
    r"|employees|devices|stores|locations|sites)|all of us|the whole (?:team|company|office))"
)

_OUTAGE = (
    # en
    r"(?<!power\s)outages?",
    rf"{_SERVICE_EN} (?:is|are|went|was|were|has been|have been|seems to be|appears to be)"
    r" (?:completely |totally |entirely |still )?(?:down|offline|unreachable)",
    rf"(?:down|offline|not working|unavailable|unreachable|broken) for {_EVERYONE_EN}",
    r"(?<!shut\sthe\s)(?<!shut\sour\s)(?:server|servers|site|website|service|system|network"
    r"|platform) (?:is )?down",
    r"(?:nobody|no one|none of (?:our|my|the) (?:users|customers|staff|employees|team))"
    r"(?: (?:in|at|from) (?:our|my|the) \w+)? (?:can|is able to|are able to)"
    r" (?:log ?in|sign in|access|connect|use)",
    r"(?:complete|total|major|widespread|global|full) (?:service )?(?:outage|disruption"
    r"|downtime|blackout)",
    r"service (?:disruption|interruption|unavailable)",
    # de
    r"(?:total|server|system|netzwerk|netz|dienst|service|komplett|plattform)?ausf(?:a|ae)ll\w*",
    r"(?:server|dienst|system|service|plattform|seite|webseite|website|netzwerk|shop|app)"
    r" (?:ist|sind|war|waren) (?:seit (?:\w+ ){1,3})?(?:komplett |vollständig |total )?(?:ausgefallen|down"
    r"|offline|nicht erreichbar|nicht verfügbar)",
    r"(?:netz|netzwerk|betriebs|dienst|server|system|service)st(?:o|oe)rung",
    r"funktioniert (?:bei|für) (?:niemanden|niemand|keinen)",
    r"(?:niemand|keiner) (?:\w+ ){0,2}kann (?:sich )?(?:mehr )?(?:anmelden|einloggen|zugreifen)",
    # fr
    r"panne (?:générale|généralisée|totale|majeure|de service|du service|du serveur|du site"
    r"|de réseau|réseau|du système|de la plateforme)",
    r"(?:serveur|service|site|plateforme|système|réseau|application|serveurs|services)"
    r" (?:est |sont )?(?:complètement |totalement )?(?:en panne|hors service|hors ligne"
    r"|indisponibles?|inaccessibles?|tombés?)",
    r"ne fonctionne (?:plus )?pour personne",
    r"personne ne peut (?:plus )?(?:se connecter|accéder)",
    r"(?:interruption|coupure) (?:de|du) service",
    # es
    r"caída (?:general |total )?(?:del|de la|de los|de|en el) (?:servicio|servicios|servidor"
    r"|servidores|sistema|plataforma|red|página|sitio|web)",
    r"(?:servicio|servidor|sistema|plataforma|web|sitio|página|aplicación|red)"
    r" (?:está |están |se ha |ha )?(?:caído|caídos|caída|fuera de servicio|fuera de línea"
    r"|inaccesible|no disponible)",
    r"se cayó (?:el|la) (?:servicio|servidor|sistema|plataforma|página|web)",
    r"no funciona para nadie",
    r"nadie puede (?:acceder|entrar|iniciar sesión|conectarse)",
    r"interrupci(?:ón|ones) (?:del|de|en el) servicio",
    # pt
    r"fora do ar",
    r"(?:servidor|serviço|sistema|site|plataforma|aplicativo|aplicação|rede)"
    r" (?:está |estão |ficou )?(?:fora de serviço|indisponível|inacessível|offline|caído)",
    r"(?:servidor|sistema|serviço|site|plataforma) caiu",
    r"queda (?:do|de|no|da) (?:servidor|sistema|serviço|site|rede|plataforma)",
    r"interrupção (?:do|de|no) serviço",
    r"não funciona para ninguém",
    r"ninguém consegue (?:acessar|entrar|fazer login|aceder)",
    # it
    r"interruzion[ei] (?:del servizio|dei servizi|di servizio|del sistema|del server"
    r"|della piattaforma|della rete|di rete|generale|totale)",
    r"disservizi[oi]",
    r"(?:server|servizio|sistema|sito|piattaforma|applicazione|rete) (?:è|sono) "
    r"(?:down|offline|fuori servizio|irraggiungibile|non disponibile|inaccessibile)",
    r"non funziona per nessuno",
    r"nessuno riesce (?:ad|a) (?:accedere|entrare|collegarsi)",
    # nl
    r"(?:landelijke|grote|algemene|complete|totale) storing",
    r"(?:netwerk|server|systeem|dienst|internet)storing",
    r"(?:er is|is er) (?:momenteel |nu )?(?:een )?storing",
    r"storing (?:bij|in|aan|op) (?:de|het|jullie|uw) (?:server|dienst|systeem|netwerk"
    r"|platform|website|app)",
    r"(?:server|dienst|systeem|website|site|platform|app|netwerk) (?:ligt|liggen) (?:er )?"
    r"(?:helemaal )?(?:plat|eruit)",
    r"ligt (?:helemaal )?plat",
    r"uitval",
    r"werkt voor niemand",
    r"niemand kan (?:meer )?(?:inloggen|erin)",
)  # fmt: skip

_SECURITY = (
    # en
    r"hacked|hackers?",
    r"(?:account|password|credentials|data|system|server|email|mailbox|device|computer)"
    r" (?:was |has been |have been |were |is |got |may have been |might have been )?compromised",
    r"unauthori[sz]ed (?:access|login|log-in|sign-in|transactions?|charges?|purchases?"
    r"|payments?|use|activity|devices?)",
    r"phishing",
    r"(?:data|security) (?:breach|leak)",
    r"breach of (?:security|data|my data)",
    r"someone (?:else )?(?:has )?(?:logged|signed) (?:in|into|on) (?:to )?my account",
    r"someone (?:has |is )?(?:accessed|using|taken over) my account",
    r"(?:stolen|leaked) (?:passwords?|credentials|data|card)",
    r"ransomware|malware|spyware",
    r"identity theft",
    r"fraudulent (?:charges?|transactions?|activity|emails?|purchases?|payments?|logins?)",
    r"account takeover",
    r"security incident",
    # de
    r"gehackt|hackerangriff",
    r"(?:unbefugte|unberechtigte|nicht autorisierte)[rns]? (?:zugriff|zugang|anmeldung"
    r"|abbuchung|abbuchungen|nutzung|transaktion|transaktionen|zahlung)",
    r"datenleck|datenpanne|datenschutzverletzung|sicherheitsvorfall|sicherheitsverletzung",
    r"(?:konto|account|passwort|zugangsdaten|daten|system) (?:wurde |wurden |ist |sind )?"
    r"kompromittiert",
    r"betrügerische[nrs]? (?:abbuchung|transaktion|e-mail|nachricht|zahlung)\w*",
    r"identitätsdiebstahl",
    r"jemand hat sich (?:in|bei) mein(?:em)? (?:konto|account) (?:eingeloggt|angemeldet)",
    r"schadsoftware|trojaner",
    # fr
    r"piratée?s?|pirater|hackée?s?",
    r"(?:accès|connexion|prélèvement|paiement|transaction|achat)s? non autorisée?s?",
    r"hameçonnage",
    r"(?:fuite|violation) (?:de|des) données",
    r"(?:faille|incident) de sécurité",
    r"(?:compte|mot de passe|données|système) (?:a été |ont été |est |sont )?compromise?s?",
    r"usurpation d'identité",
    r"frauduleu(?:x|se|ses)",
    r"quelqu'un (?:s'est connecté|a accédé|se connecte) (?:à|a) mon compte",
    r"logiciel malveillant|rançongiciel",
    # es
    r"hackead[oa]s?|hackearon|piratead[oa]s?",
    r"(?:acceso|cargos?|transacci(?:ón|ones)|compras?|pagos?) no autorizad[oa]s?",
    r"suplantación de identidad|robo de identidad",
    r"(?:filtración|fuga|brecha|violación) de (?:seguridad|datos)",
    r"(?:cuenta|contraseña|datos|sistema) (?:ha sido |fue |han sido |está |están )?"
    r"comprometid[oa]s?",
    r"fraudulent[oa]s?",
    r"alguien (?:ha )?(?:entrado|accedido|entró|accedió) (?:a|en) mi cuenta",
    # pt
    r"(?:conta|sistema|e-mail|email|computador) (?:foi |está |esta )?invadid[oa]",
    r"invadiram",
    r"(?:acesso|cobranças?|transaç(?:ão|ões)|compras?|pagamentos?) não autorizad[oa]s?",
    r"(?:vazamento|violação) de (?:dados|segurança)",
    r"(?:conta|senha|dados|sistema) (?:foi |foram |está |estão )?comprometid[oa]s?",
    r"alguém (?:entrou|acessou) (?:na|a) minha conta",
    r"roubo de identidade",
    # it
    r"hackerat[oaie]",
    r"violazion[ei](?! (?:del contratto|della garanzia|contrattuale))",
    r"(?:accesso|addebit[oi]|transazion[ei]|acquist[oi]|pagament[oi]) non autorizzat[oaie]",
    r"furto di (?:dati|identità|credenziali)",
    r"fuga di dati",
    r"(?:account|password|dati|sistema) (?:è stato |sono stati |è |sono )?compromess[oi]",
    r"fraudolent[oaie]",
    r"qualcuno (?:è entrato|ha effettuato l'accesso|ha avuto accesso|ha acceduto)"
    r" (?:nel|al) mio account",
    # nl
    r"(?:onbevoegde|ongeautoriseerde|niet-geautoriseerde) (?:toegang|transacties?"
    r"|afschrijvingen?|betalingen?|aanmelding)",
    r"datalek|beveiligingslek|beveiligingsincident",
    r"(?:account|wachtwoord|gegevens|systeem) (?:is |zijn |werd )?gecompromitteerd",
    r"frauduleuze",
    r"iemand (?:heeft |is )?(?:ingelogd|ingebroken) (?:op|in) mijn account",
    r"identiteitsfraude",
)  # fmt: skip

_LOGIN = (
    # en
    r"(?:can'?t|cannot|can not|couldn'?t|could not|unable to|not able to|no longer able to)"
    r" (?:log ?in|log on|sign ?in|sign on|login|access (?:my|our|the) (?:account|accounts|email"
    r"|mailbox)|get into (?:my|our) account)",
    r"locked out",
    r"(?:my|our) (?:account|login) (?:is |was |has been |got )?(?:locked|blocked|suspended"
    r"|disabled)",
    r"(?:login|log-in|sign-in|signin|password reset) (?:is |keeps )?(?:not working|failing"
    r"|fails|failed|doesn'?t work)",
    r"(?:never|not) (?:received|getting|arriving) (?:the |my |any )?(?:2fa|two-factor"
    r"|verification|login|sign-in) codes?",
    # de
    r"(?:kann|können) (?:ich |wir )?(?:mich|uns) (?:\w+ ){0,3}nicht (?:mehr )?(?:an|ein)"
    r"(?:melden|loggen)",
    r"(?:mich|uns) (?:\w+ ){0,3}nicht (?:mehr )?(?:anmelden|einloggen) (?:kann|können)",
    r"(?:anmeldung|login|einloggen|anmelden) (?:ist |bei mir )?(?:nicht (?:mehr )?möglich"
    r"|funktioniert nicht|schlägt fehl|fehlgeschlagen)",
    r"komme nicht (?:mehr )?in mein (?:konto|account|kundenkonto|postfach)",
    r"kein(?:en)? zugriff (?:mehr )?auf mein (?:konto|account|kundenkonto|postfach)",
    r"(?:mein|unser) (?:konto|account|kundenkonto) (?:ist |wurde )?gesperrt",
    r"ausgesperrt",
    # fr
    r"impossible de (?:me )?(?:connecter|reconnecter|m'identifier|accéder à mon compte)",
    r"n'arrive (?:pas|plus) à (?:me connecter|me reconnecter|accéder à mon compte"
    r"|m'identifier)",
    r"(?:je )?ne (?:peux|parviens) (?:pas|plus) (?:à )?(?:me connecter|accéder à mon compte"
    r"|m'identifier)",
    r"(?:mon|notre) compte (?:est |a été )?(?:bloqué|verrouillé|suspendu)",
    # es
    r"no (?:puedo|consigo|logro|podemos) (?:iniciar sesión|entrar(?! en contacto)|acceder a (?:mi|la|nuestra)"
    r" cuenta|ingresar|loguearme|conectarme a mi cuenta)",
    r"no me deja (?:entrar|iniciar sesión|acceder)",
    r"(?:mi|nuestra) cuenta (?:está |ha sido |fue )?(?:bloqueada|suspendida)",
    r"(?:el )?inicio de sesión no funciona",
    # pt
    r"não (?:consigo|conseguimos|posso) (?:entrar(?! em conta(?:c)?to)|acessar (?:a |minha |a minha )?conta"
    r"|fazer (?:o )?login|logar|iniciar sessão|aceder à (?:minha )?conta)",
    r"(?:minha|nossa) conta (?:está |foi )?(?:bloqueada|suspensa)",
    r"(?:o )?login não funciona",
    # it
    r"non riesc(?:o|iamo) (?:ad|a) (?:accedere|entrare|fare (?:il )?login|loggarmi"
    r"|autenticarmi)",
    r"non (?:posso|possiamo) (?:più )?(?:accedere|entrare)",
    r"(?:il mio |mio )?account (?:è |e )?(?:stato )?(?:bloccato|sospeso)",
    # nl
    r"kan (?:niet|nergens) (?:meer )?(?:inloggen|aanmelden)",
    r"kan niet (?:meer )?in mijn account",
    r"kan (?:mijn |ons )?account niet (?:meer )?in",
    r"(?:mijn|ons) account (?:is |werd )?(?:geblokkeerd|vergrendeld)",
    r"buitengesloten",
    r"inloggen (?:lukt|werkt) niet",
)  # fmt: skip

_DATA_NOUNS_EN = (
    r"(?:data|files|photos|pictures|documents|emails|contacts|work|progress|recordings|notes"
    r"|messages)"
)
# Deletion words need a past auxiliary ("were deleted", "wurden gelöscht"): "I want my data
# deleted" is a privacy request, not a loss.
_DATA_LOSS = (
    # en
    rf"(?:lost|lose|losing) (?:all )?(?:of )?(?:my|our|the) {_DATA_NOUNS_EN}",
    rf"(?:my |our |all (?:of )?(?:my |our |the )?){_DATA_NOUNS_EN} (?:were|was|have been"
    r"|has been|got) (?:all )?(?:deleted|wiped|erased|lost|gone|disappeared|vanished)",
    rf"(?:my |our |all (?:of )?(?:my |our |the )?){_DATA_NOUNS_EN} (?:are|is) (?:all )?"
    r"(?:gone|lost)",
    r"data (?:loss|corruption)",
    r"wiped (?:all )?(?:my|our) (?:data|phone|device|files|account)",
    r"everything (?:is|was|has been) (?:gone|deleted|wiped|erased)",
    # de
    r"daten (?:sind |waren )?(?:alle )?(?:verloren|weg|verschwunden)",
    r"(?:daten|dateien|fotos|bilder|dokumente|e-mails|kontakte) (?:sind|wurden) (?:alle )?"
    r"(?:weg|gelöscht|verloren|verschwunden)",
    r"datenverlust",
    r"(?:habe|haben) (?:alle )?(?:meine |unsere )?(?:daten|dateien|fotos|bilder|dokumente)"
    r" verloren",
    # fr
    r"perdu (?:toutes |tous )?(?:mes|nos|les) (?:données|fichiers|photos|documents|e-mails"
    r"|emails|contacts)",
    r"pertes? (?:de|des) données",
    r"(?:données|fichiers|photos|documents) (?:ont été |sont )?(?:perdue?s|disparue?s)",
    r"(?:données|fichiers|photos|documents) (?:ont été|ont disparu|sont) (?:supprimée?s"
    r"|effacée?s)",
    # es
    r"perd(?:í|imos) (?:todos )?(?:mis|nuestros|los) (?:datos|archivos|fotos|documentos"
    r"|correos|contactos)",
    r"pérdida de (?:datos|archivos)",
    r"(?:datos|archivos|fotos|documentos) (?:fueron|han sido|se han) (?:borrados|eliminados"
    r"|perdido|desaparecido)",
    r"se (?:borraron|eliminaron|perdieron) (?:todos )?(?:mis|los|nuestros) (?:datos"
    r"|archivos|fotos)",
    # pt
    r"perdi (?:todos )?(?:os )?(?:meus|nossos) (?:dados|arquivos|ficheiros|fotos|documentos"
    r"|contatos|e-mails)",
    r"perda de (?:dados|arquivos|ficheiros)",
    r"(?:dados|arquivos|ficheiros|fotos) (?:foram (?:apagados|excluídos|perdidos|eliminados)"
    r"|sumiram|desapareceram)",
    # it
    r"dati (?:sono )?(?:stati )?persi",
    r"dati (?:sono stati|sono) (?:cancellati|spariti|scomparsi|eliminati)",
    r"(?:ho|abbiamo) perso (?:tutti )?(?:i )?(?:miei |nostri )?(?:dati|file|foto|documenti)",
    r"perdita (?:di|dei) dati",
    r"(?:file|foto|documenti) (?:sono )?(?:stati )?(?:persi|spariti)",
    # nl
    r"(?:gegevens|data|bestanden|foto's|documenten) (?:zijn |is )?(?:allemaal )?(?:kwijt"
    r"|verloren|verdwenen)",
    r"(?:gegevens|data|bestanden|foto's|documenten) (?:zijn|is) (?:allemaal )?(?:verwijderd"
    r"|gewist)",
    r"dataverlies|gegevensverlies",
    r"(?:ben|zijn) (?:al )?(?:mijn|onze) (?:gegevens|bestanden|foto's|data) kwijt",
)  # fmt: skip

# Spelled-out "as soon as possible" ("so schnell wie möglich", "lo antes posible", "dès que
# possible"), "prompt response" and "at your earliest convenience" are closing formulas of
# calm mail, not cues: on the multilang-v1 corpus two thirds of them close tickets labelled
# medium or low. "asap" stays: people who abbreviate it mean it.
_URGENT = (
    # en
    r"urgent(?:ly)?|urgency|asap|a\.s\.a\.p\.?|emergency|time[- ]sensitive|time[- ]critical",
    r"immediate (?:attention|assistance|help|action|support|intervention|resolution)",
    r"as a matter of urgency",
    # de
    r"dringend\w*|eilt(?! nicht)|eilig|notfall",
    r"(?:sofortige|umgehende)[nr]? (?:hilfe|unterstützung|bearbeitung|lösung|reaktion)",
    r"höchste priorität",
    # fr ("urgent" and "urgente" are caught by the English alternative)
    r"urgence|de toute urgence",
    r"(?:assistance|aide|intervention) immédiate",
    # es / pt / it (urgente, urgentemente, urgentissimo: the English alternative's stem)
    r"urgent(?:e|es|emente|issimo|issima)",
    r"urgencia|emergencia",
    r"(?:asistencia|ayuda|atención) inmediata",
    r"urgência|emergência|com urgência",
    r"(?:assistência|ajuda|atenção) imediata",
    r"urgenza|emergenza|con urgenza",
    r"(?:assistenza|aiuto|intervento) immediat[oa]",
    # nl
    r"spoed(?:geval|eisend)?|met spoed|noodgeval",
)  # fmt: skip

_NOT_URGENT = (
    r"not urgent|no rush|no hurry|not in a hurry|non-urgent",
    r"not time[- ]sensitive",
    r"when(?:ever)? you (?:have|get) (?:a chance|the time|time|a moment)",
    r"keine eile|eilt nicht|nicht dringend|das hat zeit",
    r"pas urgent|rien d'urgent|pas pressée?|rien ne presse|aucune urgence",
    r"no es urgente|nada urgente|sin prisa|no hay prisa|no corre prisa",
    r"não é urgente|sem pressa|não há pressa",
    r"non è urgente|niente di urgente|nessuna fretta|senza fretta|non c'è fretta",
    r"niet dringend|niet urgent|geen haast|geen spoed",
)  # fmt: skip

_SAFETY = (
    # en
    r"over-?heat\w*",
    r"(?:battery|batteries|device|phone|charger|laptop|cable|adapter|unit|power ?bank|it)"
    r" (?:is |are |was |has |got |became |started |began )?(?:swollen|swelling|bulging"
    r"|bloated|puffed up|puffing up|expanding)",
    r"(?:swollen|bulging|bloated|expanded) batter(?:y|ies)",
    r"smoke (?:came|coming|comes|is coming|was coming|from|out)",
    r"(?:saw|see|there was|there is|emitting|emits|emitted|producing|puffs? of"
    r"|started(?: to)?|began(?: to)?) smok(?:e|ing)",
    r"smell(?:s|ed)? (?:like |of )?(?:burning|smoke|burnt|burned)",
    r"(?:burning|burnt|burned) (?:smell|plastic)",
    r"(?:caught|catch|catches|catching) fire|on fire|fire hazard|burst into flames|in flames",
    r"sparks (?:came|coming|flew|flying|from|when)",
    r"(?:is|was|started|keeps) sparking",
    r"(?:battery|phone|device|charger|power ?bank|laptop|tablet|unit|it) (?:has |had |just )?"
    r"(?:exploded|explodes|blew up)",
    r"electric(?:al)? shock",  # not "got a shock": that is also what a bill does
    r"(?:charger|cable|plug|adapter|socket|port|connector|casing|case|battery) (?:has |had )?"
    r"(?:melted|melting|scorched)",
    r"burn(?:ed|t)? (?:my|his|her|our) (?:hand|finger|fingers|skin|leg|lap|child)",
    r"burn (?:marks?|injury|injuries)",
    r"too hot to (?:touch|hold)",
    r"safety (?:hazard|issue|risk|concern)",
    # de
    r"(?:u|ue)berhitz\w*",
    r"(?:akku|batterie) (?:ist |hat sich )?(?:aufgebläht|gebläht|aufgequollen|geschwollen"
    r"|dick geworden)",
    r"(?:aufgeblähte|aufgequollene|geschwollene)[rn]? (?:akku|batterie)",
    r"(?:es |er |sie |das gerät )raucht|rauch (?:kam|kommt|steigt|aus)|rauchentwicklung|qualm(?:t|te|en)?",
    r"brandgeruch|(?:verbrannt|verschmort)e[rn]? geruch|riecht (?:verbrannt|nach rauch"
    r"|angebrannt|verschmort)",
    r"feuer gefangen|in flammen|brandgefahr|(?:hat |ist )?gebrannt",
    r"stromschlag|(?:einen )?(?:elektrischen )?schlag (?:bekommen|gekriegt)",
    r"explodiert|geschmolzen|verschmort",
    r"funken (?:sprühen|gesprüht|kamen|flogen)",
    r"zu heiß zum anfassen|verbrennung(?:en)?|sicherheitsrisiko",
    # fr
    r"surchauff\w*",
    r"batterie (?:a |est |qui )?(?:gonflée|gonfle|a gonflé)",
    r"fumée|(?:il|elle|ça|ca|l'appareil) fume",
    r"odeur de (?:brûlé|brûlure|fumée|plastique brûlé|cramé)",
    r"pris feu|prend feu|incendie|en flammes|étincelles",
    r"(?:batterie|téléphone|chargeur|appareil) (?:a |est )?(?:explosée?|fondue?)",
    r"électrocut\w*|décharge électrique",
    r"(?:me suis|m'a) brûlée?|brûlures?",
    r"trop chaud pour (?:le )?toucher",
    # es
    r"sobrecal(?:i)?ent\w*",
    r"(?:batería|pila) (?:está |se ha |se )?hinchad\w*|batería (?:se )?hinchó",
    r"humo",
    r"olor a (?:quemado|humo|plástico quemado)",
    r"se incendió|(?:prendió|tomó|agarró|cogió) fuego|incendio|en llamas|chispas",
    r"(?:batería|teléfono|cargador|dispositivo|celular|móvil) (?:\w+ )?explotó|explosión",
    r"descarga eléctrica|electrocut\w*",
    r"(?:me )?quem(?:é|ó)|quemaduras?",
    r"(?:cargador|cable|enchufe|conector) (?:se )?derritió|derretid[oa]",
    r"demasiado caliente",
    # pt
    r"superaquec\w*|sobreaquec\w*",
    r"bateria (?:está |ficou )?(?:inchada|estufada)",
    r"fumaça|cheiro (?:de|a) (?:queimado|fumo|fumaça)",
    r"pegou fogo|incêndio|em chamas|faíscas",
    r"(?:bateria|telefone|celular|carregador|dispositivo) (?:\w+ )?explodiu",
    r"choque elétrico|(?:me )?queimei|queimadura",
    r"(?:carregador|cabo|tomada) (?:\w+ )?derreteu|derretid[oa]",
    r"quente demais",
    # it
    r"surriscald\w*",
    r"batteria (?:è |si è )?gonfi(?:a|ata)",
    r"fumo|odore di (?:bruciato|fumo|plastica bruciata)",
    r"(?:preso|prende|prendere) fuoco|fiamme|fa scintille|scintille (?:dal|dalla|escono|uscivano)",
    r"(?:batteria|telefono|caricatore|dispositivo|cellulare) (?:\w+ )?(?:è )?esplos[oa]",
    r"scossa elettrica|preso la scossa|ustion[ei]|mi sono bruciat[oa]",
    r"(?:caricatore|cavo|presa) (?:\w+ )?(?:è )?(?:fuso|sciolto)",
    # nl
    r"oververhit\w*",
    r"batterij (?:is )?(?:opgezwollen|bol|opgeblazen|uitgezet)|opgezwollen batterij",
    r"rook (?:kwam|komt|uit)|(?:het |hij )rookt",
    r"brandlucht|ruikt (?:naar )?(?:brand|verbrand|schroei)\w*|schroeilucht",
    r"vlam gevat|vuur gevat|(?:staat|stond|vloog|raakte|ging) in brand|in brand (?:gevlogen"
    r"|geraakt|geraten|gesetzt)|brandgevaar|vonken",
    r"ontploft|geëxplodeerd|stroomschok|(?:een )?schok gekregen|gesmolten|brandwond\w*",
    r"te heet om aan te (?:raken|komen)",
)  # fmt: skip


@dataclass(frozen=True)
class _CueClass:
    name: str
    priority: str
    pattern: re.Pattern[str]


# In descending priority, so combining equal cues keeps the most serious reason first.
_CUE_CLASSES = (
    _CueClass("safety", "urgent", phrases_compile(_SAFETY)),
    _CueClass("security", "urgent", phrases_compile(_SECURITY)),
    _CueClass("outage", "urgent", phrases_compile(_OUTAGE)),
    _CueClass("login", "high", phrases_compile(_LOGIN)),
    _CueClass("data_loss", "high", phrases_compile(_DATA_LOSS)),
    _CueClass("urgent", "high", phrases_compile(_URGENT)),
)
_NOT_URGENT_PATTERN = phrases_compile(_NOT_URGENT)
_PATTERNS = (*(cue.pattern for cue in _CUE_CLASSES), _NOT_URGENT_PATTERN)
_COMBINED = patterns_combined(_PATTERNS)


def priority_cues(*, subject: str, text: str, language: str = "") -> tuple[PrioritySignal, ...]:
    """Return one signal per cue class found in *subject* and *text*, most serious first.

    Quoted history in *text* is skipped. All languages are matched; *language* (ISO 639-1)
    only settles words that differ between languages. An explicit "not urgent" or a
    negated urgency word gives a "low" signal.
    """
    body = text_unquoted(text)[:MAX_SCAN_CHARS]
    # A blank line between them ends the subject's clause for negations.
    original = f"{subject}\n\n{body}"
    folded = text_folded(original)
    subject_end = len(subject)

    def where(start: int) -> str:
        return "subject" if start < subject_end else "text"

    # Explicit calm ("not urgent", "eilt nicht") also cancels the urgency word inside it.
    *found, calm_found = matches_by_pattern(folded, _PATTERNS, _COMBINED)
    calm = [
        match.span()
        for match in calm_found
        if not negated_at(folded, match.start(), language=language)
    ]
    explicit_calm = len(calm)
    signals: list[PrioritySignal] = []
    for cue, matches in zip(_CUE_CLASSES, found, strict=True):
        for match in matches:
            start, end = match.span()
            if cue.name == "urgent" and any(s < end and start < e for s, e in calm[:explicit_calm]):
                continue
            if negated_at(folded, start, language=language):
                if cue.name == "urgent":
                    calm.append((start, end))
                continue
            if cue.name != "urgent" and _only_hypothetical(folded, start, end):
                continue
            if cue.name == "outage" and _only_intermittent(folded, start, end):
                continue
            words = _snippet(original, start, end)
            signals.append(
                PrioritySignal(cue.priority, f"cue:{cue.name}", f'"{words}" in {where(start)}')
            )
            break
    if calm:
        start, end = min(calm)
        signals.append(
            PrioritySignal(
                "low", "cue:not_urgent", f'"{_snippet(original, start, end)}" in {where(start)}'
            )
        )
    return tuple(signals)
