"""The paragraph that tells a customer what was removed from their message, and why.

It goes into the acknowledgement of a message in which `redaction.py` masked something,
in the customer's language: what we removed, that such details never belong in an
e-mail, and, when a password was removed, that they should change it now (it has
already travelled through mail servers in clear text).
"""

from __future__ import annotations

from collections.abc import Collection, Mapping
from dataclasses import dataclass
from types import MappingProxyType

__all__ = ["NOTICE_LANGUAGES", "redaction_notice"]

# The order in which removed items are named, whatever order they were found in.
_KIND_ORDER = ("card", "iban", "national_id", "password")


@dataclass(frozen=True)
class _NoticeText:
    """One language's wording: the items with their articles, and the sentences."""

    items: Mapping[str, str]  # kind -> noun phrase as it stands in `removed`
    conjunction: str  # the "and" before the last item
    removed: str  # "{items}" is replaced by the joined noun phrases
    never_by_email: str
    change_advice: str  # added only when a password was removed


_TEXTS: Mapping[str, _NoticeText] = MappingProxyType(
    {
        "en": _NoticeText(
            items={
                "card": "the card number",
                "iban": "the bank account number (IBAN)",
                "national_id": "the ID number",
                "password": "the password",
            },
            conjunction="and",
            removed="To protect you, we have removed {items} from your message.",
            never_by_email="Please never send details like these by email.",
            change_advice="As your password was readable in the email, please change it now.",
        ),
        "de": _NoticeText(
            items={
                "card": "die Kartennummer",
                "iban": "die Kontonummer (IBAN)",
                "national_id": "die Ausweis- bzw. Identifikationsnummer",
                "password": "das Passwort",
            },
            conjunction="und",
            removed="Zu Ihrem Schutz haben wir {items} aus Ihrer Nachricht entfernt.",
            never_by_email="Bitte senden Sie solche Angaben niemals per E-Mail.",
            change_advice=(
                "Da Ihr Passwort in der E-Mail lesbar war, ändern Sie es bitte umgehend."
            ),
        ),
        "fr": _NoticeText(
            items={
                "card": "le numéro de carte",
                "iban": "le numéro de compte bancaire (IBAN)",
                "national_id": "le numéro d’identification",
                "password": "le mot de passe",
            },
            conjunction="et",
            removed="Pour votre sécurité, nous avons supprimé {items} de votre message.",
            never_by_email="Merci de ne jamais envoyer ce type d’informations par e-mail.",
            change_advice=(
                "Votre mot de passe étant lisible dans l’e-mail, nous vous invitons à le "
                "modifier dès maintenant."
            ),
        ),
        "es": _NoticeText(
            items={
                "card": "el número de tarjeta",
                "iban": "el número de cuenta bancaria (IBAN)",
                "national_id": "el número de identificación",
                "password": "la contraseña",
            },
            conjunction="y",
            removed="Por su seguridad, hemos eliminado de su mensaje {items}.",
            never_by_email="Le rogamos que nunca envíe este tipo de datos por correo electrónico.",
            change_advice=(
                "Como su contraseña era legible en el correo, le recomendamos que la cambie "
                "ahora mismo."
            ),
        ),
        "pt": _NoticeText(
            items={
                "card": "o número do cartão",
                "iban": "o número da conta bancária (IBAN)",
                "national_id": "o número de identificação",
                "password": "a senha",
            },
            conjunction="e",
            removed="Para sua proteção, removemos da sua mensagem {items}.",
            never_by_email="Por favor, nunca envie este tipo de dados por e-mail.",
            change_advice=(
                "Como a sua senha estava legível no e-mail, recomendamos que a altere agora mesmo."
            ),
        ),
        "it": _NoticeText(
            items={
                "card": "il numero della carta",
                "iban": "le coordinate bancarie (IBAN)",
                "national_id": "il numero identificativo personale",
                "password": "la password",
            },
            conjunction="e",
            removed="Per la sua sicurezza abbiamo rimosso dal suo messaggio {items}.",
            never_by_email="La preghiamo di non inviare mai questo tipo di dati via e-mail.",
            change_advice=(
                "Poiché la password era leggibile nell’e-mail, le consigliamo di cambiarla subito."
            ),
        ),
        "nl": _NoticeText(
            items={
                "card": "het kaartnummer",
                "iban": "het rekeningnummer (IBAN)",
                "national_id": "het identificatienummer",
                "password": "het wachtwoord",
            },
            conjunction="en",
            removed="Om u te beschermen hebben we {items} uit uw bericht verwijderd.",
            never_by_email="Stuur zulke gegevens alstublieft nooit per e-mail.",
            change_advice=(
                "Omdat uw wachtwoord leesbaar in de e-mail stond, raden we u aan het nu meteen "
                "te wijzigen."
            ),
        ),
    }
)

NOTICE_LANGUAGES: frozenset[str] = frozenset(_TEXTS)


def redaction_notice(*, language: str, kinds: Collection[str]) -> str:
    """Return the paragraph telling a customer which *kinds* we removed, in *language*.

    *language* is a tag such as "de", "pt-BR" or "fr_CA"; an unknown one gives English.
    Unknown kinds are ignored; with no known kind there is nothing to say and the result
    is "".
    """
    text = _TEXTS.get(_base_language(language), _TEXTS["en"])
    present = [kind for kind in _KIND_ORDER if kind in kinds]
    if not present:
        return ""
    sentences = [
        text.removed.format(items=_join([text.items[kind] for kind in present], text)),
        text.never_by_email,
    ]
    if "password" in present:
        sentences.append(text.change_advice)
    return " ".join(sentences)


def _base_language(tag: str) -> str:
    """Return the primary subtag of a language tag, lower-cased ("pt-BR" -> "pt")."""
    return tag.strip().replace("_", "-").split("-", 1)[0].lower()


def _join(items: list[str], text: _NoticeText) -> str:
    """Return *items* as a list in prose: "a", "a and b", "a, b and c"."""
    if len(items) == 1:
        return items[0]
    return f"{', '.join(items[:-1])} {text.conjunction} {items[-1]}"
