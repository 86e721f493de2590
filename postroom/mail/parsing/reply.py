"""Find the visible reply: the new text of a message without quoted history or signature.

`mail-parser-reply` finds the quote headers of many mail clients and languages and
splits the message into replies; the newest one is kept with its original indentation.
A line-based pass then removes what the library's tables do not cover: attribution
lines in more languages ("Em … escreveu:", "… написал:"), header blocks with localised
field names, forwarded/original-message separators, a trailing block of ">" quotes,
"-- " signatures (RFC 3676 §4.3) and "Sent from my phone" lines. Sign-offs such as
"Thanks," stay: customers start sentences with them.
"""

from __future__ import annotations

import re

# mail-parser-reply's patterns are costly: it reads the first 8,000 characters, where
# the new text and the first quote header of a reply are; the line rules read 100,000.
MAX_REPLY_INPUT_CHARS = 8_000
MAX_TRIM_CHARS = 100_000
MAX_ATTRIBUTION_CHARS = 400

# Words of each language's quote headers ("Am … schrieb", "Von:") in mail-parser-reply's
# tables. A language is only handed to the library when one of its words occurs: every
# extra language costs time and brings patterns that misfire on other languages' text.
LANGUAGE_TRIGGERS: dict[str, tuple[str, ...]] = {
    "de": ("schrieb", "von:", "gesendet", "betreff:"),
    "fr": ("a écrit", "envoyé", "objet", "de :"),
    "es": ("escribió", "enviado", "asunto:"),
    "it": ("ha scritto", "inviato", "oggetto:"),
    "nl": ("schreef", "verzonden", "onderwerp:", "van:"),
    "pl": ("napisał", "nadesłał", "wysłano", "temat:"),
    "sv": ("skrev", "från:", "skickat", "ämne:"),
    "da": ("skrev", "fra:", "sendt", "emne:", "oprindelig"),
    "cs": ("napsal", "odesláno", "předmět:"),
    "ja": ("年",),
    "ko": ("님이", "보낸"),
    "zh": ("写道", "发件人"),
}

_WROTE_VERBS = (
    r"wrote|writes|schrieb|a\s+écrit|escribió|escreveu|ha\s+scritto|schreef|geschreven"
    r"|napisał(?:\(a\))?|nadesłał|napsal(?:\(a\))?|skrev|kirjoitti|írta|написал[аи]?|написав|пише"
    r"|yazdı|scrisse|a\s+scris"
)
# "On <date>, <name> wrote:" in many languages, possibly wrapped over up to three lines.
_WROTE_LINE = re.compile(
    rf"^[>\s]*\S.{{0,250}}\b(?:{_WROTE_VERBS})\b[^\n]{{0,120}}:\s*$"
    rf"|^[>\s]*-{{2,}}\s.{{0,250}}\b(?:{_WROTE_VERBS})\b\s*-{{2,}}\s*$"
    r"|^[>\s]*\S.{0,250}(?:写道|寫道|が書きました|님이 작성)[:：]?\s*$"
    r"|^[>\s]*\d{4}-\d{2}-\d{2} \d{1,2}:\d{2} GMT[+-]\d{2}:\d{2} .+$",
    re.IGNORECASE,
)
_ATTRIBUTION_DETAIL = re.compile(r"[\d@<]")
_SENTENCE_END = re.compile(r"[^\W\d_]{2}[.!?]+$")
_HEADER_NAMES = (
    r"from|von|de|da|van|od|från|fra|lähettäjä|feladó|от|від|kimden|sent|gesendet|envoyé(?:\s+le)?"
    r"|enviado|inviato|verzonden|wysłano|skickat|sendt|date|datum|fecha|data|дата|to|an|à|a|para"
    r"|aan|do|till|til|кому|subject|betreff|objet|sujet|asunto|assunto|oggetto|onderwerp|temat"
    r"|ämne|emne|тема|reply-to|antwort an|risposta|répondre à|cc|kopie|copie\s+à|message du"
    r"|发件人|发送时间|收件人|主题|抄送|寄件者|差出人|件名|보낸\s?사람|보낸\s?날짜|받는\s?사람|제목|참조"
)
_HEADER_LINE = re.compile(rf"^[>\s]*\*?(?:{_HEADER_NAMES})\s?\*?\s?[:：]", re.IGNORECASE)
_FROM_LINE = re.compile(
    r"^[>\s]*\*?(?:from|von|de|da|van|od|från|fra|lähettäjä|feladó|от|від|kimden|message du"
    r"|发件人|寄件者|差出人|보낸\s?사람)\s?\*?\s?[:：]",
    re.IGNORECASE,
)
# Fields that only a mail client's quote header has next to From/To.
_HEADER_EVIDENCE = re.compile(
    r"^[>\s]*\*?(?:sent|gesendet|envoyé(?:\s+le)?|enviado|inviato|verzonden|wysłano|skickat|sendt"
    r"|date|datum|fecha|data|дата|subject|betreff|objet|sujet|asunto|assunto|oggetto|onderwerp"
    r"|temat|ämne|emne|тема|reply-to|antwort an|risposta|répondre à|发送时间|主题|件名|보낸\s?날짜"
    r"|제목)\s?\*?\s?[:：]",
    re.IGNORECASE,
)
# Matched against the line stripped of whitespace, ">" and "*" (no backtracking on blanks).
_SEPARATOR = re.compile(
    r"(?:[-_=]{2,} ?)?(?:original message|ursprüngliche nachricht"
    r"|message d'origine|mensaje original|messaggio originale|oorspronkelijk bericht"
    r"|originalmeddelande|oprindelig meddelelse|alkuperäinen viesti|wiadomość oryginalna"
    r"|původní zpráva|исходное сообщение|forwarded message|weitergeleitete nachricht"
    r"|message transféré|mensaje reenviado|begin forwarded message:?|début du message réexpédié)"
    r"(?: ?[-_=]{2,})?",
    re.IGNORECASE,
)
_RULE = re.compile(r"^[ \t]*[-_=*~]{4,}[ \t]*$")
_SIGNATURE_DELIMITER = re.compile(r"^(?:--|-- |—|__)\s*$")
_SENT_FROM = re.compile(
    r"^(?:get outlook for|sent (?:from|with|via) my|von meinem|envoyé de(?:puis)? mon"
    r"|enviado desde mi|inviato dal mio|verzonden (?:met|vanaf) mijn|skickat från min"
    r"|sendt fra min|wysłane z mojego|отправлено с моего)\b",
    re.IGNORECASE,
)
# ">" quotes, and Supercite-style "RH>" quotes of older Emacs/Gnus users.
_QUOTE = re.compile(r"^\s*(?:[A-Za-z]{1,3})?>")
_DASH_NAME = re.compile(r"^\s*-\s?[A-Z][\w.'-]*(?: [A-Z][\w.'-]*){0,3}\s*$")
# Invisible characters some clients leave on otherwise empty lines (Gmail's U+1427).
_INVISIBLE = " \t\u00a0\u200b\u200c\u200d\u2060\ufeff\u1427"
_DEVICE_WORDS = re.compile(
    r"iphone|ipad|ipod|android|mobile|phone|galaxy|blackberry|airmail|mailbox|outlook|yahoo mail"
    r"|windows mail|windows 10|k-9 mail|mobilgerät|mobiltelefon|handy|portable|móvil|cellulare"
    r"|telefoon|smartphone|tablet|device|\bcell\b|\bpc\b",
    re.IGNORECASE,
)
_DEVICE_START = re.compile(
    r"^(?:sent|envoyé|gesendet|enviado|inviato|verzonden|skickat|sendt|wysłane|отправлено"
    r"|get outlook|get \[outlook|from my|von meinem|從我的|从我的|\w+ from mobile)\b",
    re.IGNORECASE,
)
_SENT_WORDS = re.compile(
    r"\b(?:sent|envoyé|gesendet|enviado|inviato|verzonden|skickat|sendt|wysłane|отправлено)\b"
    r"|從我的|从我的|傳送|发送",
    re.IGNORECASE,
)


def _blank(line: str) -> bool:
    """Return whether *line* shows nothing (whitespace and invisible characters only)."""
    return not line.strip(_INVISIBLE)


def _quoted(lines: list[str], index: int) -> bool:
    """Return whether line *index* is quoted, counting a wrapped quote line's lowercase tail."""
    if _QUOTE.match(lines[index]):
        return True
    text = lines[index].strip()
    return bool(index and text and text[0].islower() and _QUOTE.match(lines[index - 1]))


def _name_signature(lines: list[str], index: int) -> bool:
    """Return whether line *index* is a "-Name" sign-off followed by a short tail."""
    if not _DASH_NAME.match(lines[index]):
        return False
    neighbours = [line for line in lines[max(0, index - 2) : index + 3] if line.strip()]
    if sum(1 for line in neighbours if line.lstrip().startswith("-")) > 1:
        return False  # a hyphen list, not a signature
    return _short_tail(lines, index)


def _device_line(line: str) -> bool:
    """Return whether *line* is a "Sent from my phone" footer in one of many languages."""
    text = line.strip(_INVISIBLE + "()<>*_")
    if not text or len(text) > 120:
        return False
    if ", " in text and "excuse" not in text.lower():
        return False  # "Sent from my desk, is much easier than my phone." is a sentence
    if _DEVICE_START.match(text) and (_DEVICE_WORDS.search(text) or len(text) <= 40):
        return True
    return bool(
        _SENT_WORDS.search(text) and _DEVICE_WORDS.search(text) and "von meinem" in text.lower()
    )


def reply_languages(text: str) -> list[str]:
    """Return the languages whose quote-header words occur in *text* ("en" first)."""
    lowered = text.lower()
    return ["en"] + [
        language
        for language, words in LANGUAGE_TRIGGERS.items()
        if any(w in lowered for w in words)
    ]


def _restore_indentation(content: str, original: str) -> str:
    """Return the lines of *original* that the library's stripped *content* came from.

    The library strips every line; code and indented lists should keep their shape.
    """
    wanted = content.split("\n")
    lines = original.split("\n")
    index = 0
    while index < len(lines) and not lines[index].strip():
        index += 1
    kept: list[str] = []
    for line in wanted:
        if index >= len(lines) or lines[index].strip() != line:
            return content
        kept.append(lines[index].rstrip())
        index += 1
    return "\n".join(kept)


_message_class: type | None = None


def _split_only_message_class() -> type:
    """Return mail-parser-reply's EmailMessage without its signature and disclaimer search.

    Only the split into replies (`EmailReply.content`) is used here; the library's
    sign-off patterns ("Thanks,", "Best,") would cut customers' sentences, and matching
    them is most of its run time.
    """
    global _message_class
    if _message_class is None:
        from mailparser_reply.parser import EmailMessage

        class SplitOnlyEmailMessage(EmailMessage):
            def _process_signatures_disclaimers(self, text: str) -> tuple[list[str], str]:
                return [], ""

        _message_class = SplitOnlyEmailMessage
    return _message_class


def _library_reply(text: str) -> str | None:
    """Return the newest reply as split by mail-parser-reply, or None when it finds none."""
    message_class = _split_only_message_class()
    # keep_hyphen_lists: "- item" lines are content (steps, bullet lists), not signatures.
    message = message_class(
        text=text, languages=reply_languages(text), keep_hyphen_lists=True
    ).read()
    if len(message.replies) < 2:
        return None  # no quote header found: nothing for the library to cut
    first = message.replies[0]
    if first.headers:
        return None  # the text starts with a quote header; nothing new above it
    reply = _restore_indentation(first.content, text)
    lines = text.split("\n")
    cut = len(reply.split("\n")) + next((i for i, line in enumerate(lines) if line.strip()), 0)
    while cut < len(lines) and _blank(lines[cut]):
        cut += 1
    if cut >= len(lines):
        return reply
    if _HEADER_LINE.match(lines[cut]) and not _is_header_block(lines, cut):
        return None  # "From: Berlin / To: Munich" in the customer's text is no quote header
    # The library cuts at the first quote header; an inline reply continues below it.
    span = _header_span(lines, cut)
    if span and _interleaved(lines, cut, span):
        return None
    return reply


def _is_attribution(lines: list[str], index: int) -> bool:
    """Return whether the line at *index* (maybe wrapped over 3 lines) says "… wrote:"."""
    window = lines[index : index + 3]
    if not any(line.rstrip().endswith((":", "：", "-")) or "GMT" in line for line in window):
        return False
    joined = ""
    for offset in range(3):
        if index + offset >= len(lines):
            break
        line = lines[index + offset]
        if offset:
            stripped = line.strip()
            # Gmail sometimes wraps the closing ">:" of the address onto its own line.
            if not stripped or (
                _QUOTE.match(line) and not (len(stripped) <= 20 and stripped.endswith(":"))
            ):
                break
            starts_sentence = stripped[0].isupper() or stripped[0].isdigit()
            if _SENTENCE_END.search(joined) or (starts_sentence and _WROTE_LINE.match(stripped)):
                break  # the attribution starts on a later line, not inside this sentence
        joined = f"{joined} {line.strip()}".strip()
        if len(joined) > MAX_ATTRIBUTION_CHARS:
            return False
        # An attribution names a date or an address; "I wrote one of my own:" does not.
        if (
            (joined.endswith((":", "：", "-")) or "GMT" in joined)
            and _WROTE_LINE.match(joined)
            and _ATTRIBUTION_DETAIL.search(joined)
        ):
            return True
    return False


def _is_header_block(lines: list[str], index: int) -> bool:
    """Return whether a quoted message's header block (From:/Sent:/To:) starts at *index*.

    A From line alone is not enough ("From: Berlin / To: Munich" is a customer's text):
    the block must name an address, a sent date or a subject too.
    """
    if not _HEADER_LINE.match(lines[index]):
        return False
    block = [line for line in lines[index : index + 6] if line.strip()][:4]
    headers = [line for line in block if _HEADER_LINE.match(line)]
    if len(headers) < 2:
        return False
    senders = [line for line in headers if _FROM_LINE.match(line)]
    return bool(senders) and (
        any("@" in line for line in senders)
        or any(_HEADER_EVIDENCE.match(line) for line in headers)
    )


def _header_span(lines: list[str], index: int) -> int:
    """Return how many lines the quote header starting at *index* spans (0 if none)."""
    if len(lines[index]) > MAX_ATTRIBUTION_CHARS:
        return 0
    if _SEPARATOR.fullmatch(lines[index].strip(" \t>*")):
        return 1
    if _is_header_block(lines, index):
        span = 0
        while index + span < len(lines) and _HEADER_LINE.match(lines[index + span]):
            span += 1
        return span
    if _is_attribution(lines, index):
        for span in range(1, 4):
            if lines[index + span - 1].rstrip().endswith((":", "：")) or index + span >= len(lines):
                return span
        return 1
    return 0


def _interleaved(lines: list[str], index: int, span: int) -> bool:
    """Return whether new text follows the quote introduced at *index* (an inline reply)."""
    position = index + span
    saw_quote = False
    while position < len(lines) and (_blank(lines[position]) or _quoted(lines, position)):
        saw_quote = saw_quote or _quoted(lines, position)
        position += 1
    if not saw_quote or position >= len(lines):
        return False
    following = lines[position]
    return not (
        _header_span(lines, position)
        or _RULE.match(following)
        or _SIGNATURE_DELIMITER.match(following)
        or _device_line(following)
    )


def _short_tail(lines: list[str], index: int) -> bool:
    """Return whether what follows *index* is a short signature-like tail (or a quote)."""
    rest = [line for line in lines[index + 1 :] if not _blank(line)]
    if not rest:
        return True
    return len(rest) <= 5 or any(
        _header_span(lines, i) for i in range(index + 1, min(len(lines), index + 4))
    )


def _cut_index(lines: list[str], inline_headers: list[tuple[int, int]]) -> int:
    """Return the index of the first line that starts quoted history, or len(lines).

    Attribution lines of inline replies (kept) are appended to *inline_headers*.
    """
    for index, line in enumerate(lines):
        if _blank(line):
            continue
        span = _header_span(lines, index)
        if (
            span
            and not _SEPARATOR.fullmatch(line.strip(" \t>*"))
            and _interleaved(lines, index, span)
        ):
            inline_headers.append((index, span))
            continue
        if span:
            # An underline/rule right above belongs to the quote.
            previous = index - 1
            while previous >= 0 and _blank(lines[previous]):
                previous -= 1
            if previous >= 0 and _RULE.match(lines[previous]):
                return previous
            return index
        if index > 0 and (
            _SIGNATURE_DELIMITER.match(line)
            or (_RULE.match(line) and _short_tail(lines, index))
            or _name_signature(lines, index)
            or (_SENT_FROM.match(line.strip()) and len(line.strip()) <= 60 and ", " not in line)
        ):
            return index
    return len(lines)


def _trim(text: str) -> str:
    """Return *text* without quoted history, trailing quotes, signature and device lines."""
    lines = text.split("\n")
    # Some clients put the quote header above the new text; skip leading headers and the
    # quote they introduce when new text follows it (a bottom-posted reply).
    skipped_header = False
    for _ in range(3):
        first = next((i for i, line in enumerate(lines) if not _blank(line)), len(lines))
        span = _header_span(lines, first) if first < len(lines) else 0
        if not span:
            break
        lines = lines[first + span :]
        skipped_header = True
    if skipped_header:
        start = 0
        while start < len(lines) and (_blank(lines[start]) or _QUOTE.match(lines[start])):
            start += 1
        if start < len(lines):
            lines = lines[start:]
    inline_headers: list[tuple[int, int]] = []
    lines = lines[: _cut_index(lines, inline_headers)]
    for index, span in reversed(inline_headers):
        del lines[index : index + span]
    while lines and (
        _blank(lines[-1])
        or _quoted(lines, len(lines) - 1)
        or _RULE.match(lines[-1])
        or _device_line(lines[-1])
    ):
        lines.pop()
    return "\n".join(line.rstrip() for line in lines).strip("\n")


def visible_reply(text: str) -> str:
    """Return the newest part of *text*: quoted history, reply headers and signature removed.

    Falls back to the (stripped) full text when nothing is left or the library fails.
    """
    if not text or not text.strip():
        return ""
    text = text.replace("\r\n", "\n")
    try:
        reply = _library_reply(text[:MAX_REPLY_INPUT_CHARS])
    except Exception:  # a library bug must not cost the message
        reply = None
    # Where the library cut nothing, the cheaper line rules read on (a long log pasted
    # above the quote), up to a bound.
    trimmed = _trim(reply if reply is not None else text[:MAX_TRIM_CHARS])
    if not trimmed.strip():
        return text.strip()
    return trimmed.strip()
