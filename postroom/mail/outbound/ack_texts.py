"""The acknowledgement's wording, one `AckText` per language (ISO 639-1).

Written for support teams at a device maker or an online platform. Each text is a whole
letter, so translators can keep their own word order; placeholders: {name} {team}
{reference} {promise}. Add a language by adding an entry to `TEXTS` (and its units to
`PROMISE_UNITS` so the common reply promises read naturally).
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass


@dataclass(frozen=True)
class AckText:
    greeting_named: str
    greeting: str
    body: str


EN = AckText(
    greeting_named="Hello {name},",
    greeting="Hello,",
    body="""\
Thank you for contacting {team}. We have received your message and opened ticket {reference} for it.

You can expect a first reply {promise}.

If you have not sent them yet, these details help us solve your request faster:
  - the model of your device and its firmware version, or the version of our app
  - your phone or computer model and its operating system version
  - the steps that lead to the problem
  - any error codes or messages you see
  - screenshots or a short video, if you have them
Simply reply to this email to add them.

When you reply, please keep {reference} in the subject line so that your message reaches the same ticket.

This is an automatic confirmation. A member of our team will get back to you personally.

Kind regards,
{team}
""",
)

DE = AckText(
    greeting_named="Guten Tag {name},",
    greeting="Guten Tag,",
    body="""\
vielen Dank für Ihre Nachricht an {team}. Wir haben sie erhalten und unter der Ticketnummer {reference} erfasst.

Eine erste Antwort erhalten Sie {promise}.

Falls Sie sie noch nicht mitgeschickt haben, helfen uns diese Angaben, Ihr Anliegen schneller zu lösen:
  - das Modell Ihres Geräts und die Firmware-Version bzw. die Version unserer App
  - das Modell Ihres Smartphones oder Computers und die Version des Betriebssystems
  - die Schritte, die zu dem Problem führen
  - angezeigte Fehlercodes oder Fehlermeldungen
  - Screenshots oder ein kurzes Video, falls vorhanden
Antworten Sie dazu einfach auf diese E-Mail.

Bitte lassen Sie {reference} im Betreff stehen, wenn Sie antworten, damit Ihre Nachricht demselben Ticket zugeordnet wird.

Dies ist eine automatische Bestätigung. Eine Mitarbeiterin oder ein Mitarbeiter unseres Teams meldet sich persönlich bei Ihnen.

Mit freundlichen Grüßen
{team}
""",
)

FR = AckText(
    greeting_named="Bonjour {name},",
    greeting="Bonjour,",
    body="""\
Merci d'avoir contacté {team}. Nous avons bien reçu votre message et l'avons enregistré sous le numéro de ticket {reference}.

Vous recevrez une première réponse {promise}.

Si vous ne nous les avez pas encore transmises, ces informations nous aident à traiter votre demande plus rapidement :
  - le modèle de votre appareil et sa version de firmware, ou la version de notre application
  - le modèle de votre téléphone ou ordinateur et la version de son système d'exploitation
  - les étapes qui mènent au problème
  - les codes ou messages d'erreur affichés
  - des captures d'écran ou une courte vidéo, si vous en avez
Il vous suffit de répondre à cet e-mail pour nous les envoyer.

Lorsque vous répondez, merci de conserver {reference} dans l'objet du message afin qu'il soit rattaché au même ticket.

Ceci est une confirmation automatique. Un membre de notre équipe vous répondra personnellement.

Cordialement,
{team}
""",
)

ES = AckText(
    greeting_named="Hola, {name}:",
    greeting="Hola:",
    body="""\
Gracias por ponerse en contacto con {team}. Hemos recibido su mensaje y lo hemos registrado con el número de ticket {reference}.

Recibirá una primera respuesta {promise}.

Si aún no nos los ha enviado, estos datos nos ayudan a resolver su consulta más rápido:
  - el modelo de su dispositivo y la versión del firmware, o la versión de nuestra aplicación
  - el modelo de su teléfono o equipo y la versión del sistema operativo
  - los pasos que llevan al problema
  - los códigos o mensajes de error que aparecen
  - capturas de pantalla o un video corto, si los tiene
Basta con responder a este correo para añadirlos.

Cuando responda, mantenga {reference} en el asunto para que su mensaje se asigne al mismo ticket.

Este es un mensaje de confirmación automático. Una persona de nuestro equipo le responderá personalmente.

Saludos cordiales,
{team}
""",
)

PT = AckText(
    greeting_named="Olá, {name}!",
    greeting="Olá!",
    body="""\
Obrigado por entrar em contato com {team}. Recebemos sua mensagem e abrimos o chamado {reference}.

Você receberá uma primeira resposta {promise}.

Se ainda não os enviou, estes dados nos ajudam a resolver sua solicitação mais rapidamente:
  - o modelo do seu dispositivo e a versão do firmware, ou a versão do nosso aplicativo
  - o modelo do seu celular ou computador e a versão do sistema operacional
  - os passos que levam ao problema
  - códigos ou mensagens de erro exibidos
  - capturas de tela ou um vídeo curto, se tiver
Basta responder a este e-mail para enviá-los.

Ao responder, mantenha {reference} no assunto para que sua mensagem seja vinculada ao mesmo chamado.

Esta é uma confirmação automática. Uma pessoa da nossa equipe responderá a você pessoalmente.

Atenciosamente,
{team}
""",
)

IT = AckText(
    greeting_named="Gentile {name},",
    greeting="Buongiorno,",
    body="""\
grazie per aver contattato {team}. Abbiamo ricevuto il suo messaggio e lo abbiamo registrato con il numero di ticket {reference}.

Riceverà una prima risposta {promise}.

Se non li ha ancora inviati, questi dati ci aiutano a risolvere più rapidamente la sua richiesta:
  - il modello del suo dispositivo e la versione del firmware, oppure la versione della nostra app
  - il modello del suo smartphone o computer e la versione del sistema operativo
  - i passaggi che portano al problema
  - eventuali codici o messaggi di errore
  - screenshot o un breve video, se disponibili
Basta rispondere a questa e-mail per aggiungerli.

Quando risponde, la preghiamo di mantenere {reference} nell'oggetto, così il suo messaggio verrà associato allo stesso ticket.

Questo è un messaggio di conferma automatico. Una persona del nostro team le risponderà personalmente.

Cordiali saluti,
{team}
""",
)

NL = AckText(
    greeting_named="Beste {name},",
    greeting="Hallo,",
    body="""\
Hartelijk dank voor uw bericht aan {team}. We hebben het ontvangen en geregistreerd onder ticketnummer {reference}.

U ontvangt een eerste reactie {promise}.

Als u ze nog niet hebt meegestuurd, helpen deze gegevens ons om uw vraag sneller op te lossen:
  - het model van uw apparaat en de firmwareversie, of de versie van onze app
  - het model van uw telefoon of computer en de versie van het besturingssysteem
  - de stappen die tot het probleem leiden
  - eventuele foutcodes of foutmeldingen
  - schermafbeeldingen of een korte video, indien beschikbaar
Beantwoord deze e-mail gewoon om ze toe te voegen.

Laat {reference} in de onderwerpregel staan als u antwoordt, zodat uw bericht bij hetzelfde ticket terechtkomt.

Dit is een automatische bevestiging. Een medewerker van ons team neemt persoonlijk contact met u op.

Met vriendelijke groet,
{team}
""",
)

TEXTS: dict[str, AckText] = {
    "en": EN,
    "de": DE,
    "fr": FR,
    "es": ES,
    "pt": PT,
    "it": IT,
    "nl": NL,
}

# Per language and unit: (phrase for one, phrase for n).
_Units = dict[str, tuple[str, str]]
PROMISE_UNITS: dict[str, _Units] = {
    "de": {
        "business_day": ("innerhalb eines Werktages", "innerhalb von {n} Werktagen"),
        "day": ("innerhalb eines Tages", "innerhalb von {n} Tagen"),
        "hour": ("innerhalb einer Stunde", "innerhalb von {n} Stunden"),
        "minute": ("innerhalb einer Minute", "innerhalb von {n} Minuten"),
        "week": ("innerhalb einer Woche", "innerhalb von {n} Wochen"),
    },
    "fr": {
        "business_day": ("sous un jour ouvré", "sous {n} jours ouvrés"),
        "day": ("sous un jour", "sous {n} jours"),
        "hour": ("sous une heure", "sous {n} heures"),
        "minute": ("sous une minute", "sous {n} minutes"),
        "week": ("sous une semaine", "sous {n} semaines"),
    },
    "es": {
        "business_day": ("en un plazo de un día hábil", "en un plazo de {n} días hábiles"),
        "day": ("en un plazo de un día", "en un plazo de {n} días"),
        "hour": ("en un plazo de una hora", "en un plazo de {n} horas"),
        "minute": ("en un plazo de un minuto", "en un plazo de {n} minutos"),
        "week": ("en un plazo de una semana", "en un plazo de {n} semanas"),
    },
    "pt": {
        "business_day": ("em até um dia útil", "em até {n} dias úteis"),
        "day": ("em até um dia", "em até {n} dias"),
        "hour": ("em até uma hora", "em até {n} horas"),
        "minute": ("em até um minuto", "em até {n} minutos"),
        "week": ("em até uma semana", "em até {n} semanas"),
    },
    "it": {
        "business_day": ("entro un giorno lavorativo", "entro {n} giorni lavorativi"),
        "day": ("entro un giorno", "entro {n} giorni"),
        "hour": ("entro un'ora", "entro {n} ore"),
        "minute": ("entro un minuto", "entro {n} minuti"),
        "week": ("entro una settimana", "entro {n} settimane"),
    },
    "nl": {
        "business_day": ("binnen één werkdag", "binnen {n} werkdagen"),
        "day": ("binnen één dag", "binnen {n} dagen"),
        "hour": ("binnen een uur", "binnen {n} uur"),
        "minute": ("binnen een minuut", "binnen {n} minuten"),
        "week": ("binnen een week", "binnen {n} weken"),
    },
}

# "within 1 business day", "within 24 hours", "within two working days" …
_PROMISE = re.compile(
    r"^within\s+(?P<n>\d+|an?|one|two|three|four|five)\s+"
    r"(?P<unit>(?:business|working)\s+days?|hours?|days?|weeks?|minutes?)\.?$",
    re.IGNORECASE,
)
_NUMBERS = {"a": 1, "an": 1, "one": 1, "two": 2, "three": 3, "four": 4, "five": 5}


def _unit_key(unit: str) -> str:
    unit = unit.lower()
    if unit.startswith(("business", "working")):
        return "business_day"
    return unit.rstrip("s")


def promise_phrase(promise: str, *, language: str) -> str:
    """Return the queue's reply *promise* in *language* when it is a common phrase.

    Recognises "within N business days/days/hours/minutes/weeks"; anything else is a
    custom promise and is shown as written.
    """
    promise = " ".join(promise.split())
    units = PROMISE_UNITS.get(language)
    match = _PROMISE.match(promise)
    if units is None or match is None:
        return promise
    raw = match["n"].lower()
    n = int(raw) if raw.isdigit() else _NUMBERS[raw]
    one, many = units[_unit_key(match["unit"])]
    plural: Callable[[int], bool] = (lambda k: k > 1) if language == "fr" else (lambda k: k != 1)
    return many.format(n=n) if plural(n) else one
