"""The survey's wording in the customer's language: the email, the pages, the five answers.

One `SurveyText` per language (ISO 639-1), like the acknowledgement's `ack_texts.py`: whole
sentences, so translators keep their own word order. Placeholders: {name} {reference}
{subject} {days}. Add a language by adding an entry to `TEXTS` with its five answers.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from types import MappingProxyType

__all__ = ["EMOJI", "LANGUAGES", "TEXTS", "SurveyText", "language_from_header", "survey_language"]

# Shared by every language: rating -> emoji (1 = very bad … 5 = great).
EMOJI: Mapping[int, str] = MappingProxyType({5: "😀", 4: "🙂", 3: "😐", 2: "🙁", 1: "😞"})


@dataclass(frozen=True)
class SurveyText:
    """One language's wording of the survey email and pages."""

    answers: Mapping[int, str]  # rating -> word, 5 (best) to 1
    # The email.
    subject: str
    greeting_named: str
    greeting: str
    intro: str
    choose: str
    after: str
    reply: str
    closing: str
    # The pages.
    title: str
    question: str
    confirm_hint: str
    comment_label: str
    send: str
    send_comment: str
    thanks: str
    already: str
    your_rating: str
    comment_thanks: str
    reopen_offer: str
    reopen_button: str
    reopened: str
    invalid_title: str
    invalid_body: str
    expired_title: str
    expired_body: str
    choose_error: str
    comment_error: str

    def answer(self, rating: int) -> str:
        """Return the answer *rating* as shown to customers: "😀 Great"."""
        return f"{EMOJI[rating]} {self.answers[rating]}"


EN = SurveyText(
    answers={5: "Great", 4: "Good", 3: "Okay", 2: "Bad", 1: "Very bad"},
    subject="How did we do? {subject}",
    greeting_named="Hello {name},",
    greeting="Hello,",
    intro="Your request {reference} has been solved. How satisfied are you with our help?",
    choose="Choose an answer – one click is enough:",
    after="On the page that opens you can also add a comment. The links work for {days} days.",
    reply="If your request is not solved after all, simply reply to this email.",
    closing="Kind regards,",
    title="How did we do?",
    question="How satisfied are you with our help with request {reference}?",
    confirm_hint="Check your answer and press “Send”.",
    comment_label="Anything you would like to add? (optional)",
    send="Send",
    send_comment="Send comment",
    thanks="Thank you for your rating!",
    already="Thanks, we already have your rating",
    your_rating="Your rating:",
    comment_thanks="Thank you, we have received your comment.",
    reopen_offer="We are sorry we did not solve your problem. Shall we take another look?",
    reopen_button="Reopen my request",
    reopened="Your request is open again. Our team will get back to you.",
    invalid_title="This link does not work",
    invalid_body="Please use the link exactly as it appears in our email. If you would like to "
    "tell us something, simply reply to our email.",
    expired_title="This link has expired",
    expired_body="The links in our survey email work for a limited time only. If you would like "
    "to tell us something, simply reply to our email.",
    choose_error="Please choose an answer.",
    comment_error="Please write a comment of at most {limit} characters.",
)

DE = SurveyText(
    answers={5: "Sehr gut", 4: "Gut", 3: "Geht so", 2: "Schlecht", 1: "Sehr schlecht"},
    subject="Wie waren wir? {subject}",
    greeting_named="Guten Tag {name},",
    greeting="Guten Tag,",
    intro="Ihre Anfrage {reference} wurde gelöst. Wie zufrieden sind Sie mit unserer Hilfe?",
    choose="Wählen Sie eine Antwort – ein Klick genügt:",
    after="Auf der Seite, die sich dann öffnet, können Sie auch einen Kommentar hinterlassen. "
    "Die Links sind {days} Tage gültig.",
    reply="Falls Ihr Anliegen doch nicht gelöst ist, antworten Sie einfach auf diese E-Mail.",
    closing="Mit freundlichen Grüßen",
    title="Wie waren wir?",
    question="Wie zufrieden sind Sie mit unserer Hilfe bei Anfrage {reference}?",
    confirm_hint="Prüfen Sie Ihre Antwort und klicken Sie auf „Senden“.",
    comment_label="Möchten Sie noch etwas hinzufügen? (optional)",
    send="Senden",
    send_comment="Kommentar senden",
    thanks="Vielen Dank für Ihre Bewertung!",
    already="Danke, Ihre Bewertung liegt uns bereits vor",
    your_rating="Ihre Bewertung:",
    comment_thanks="Vielen Dank, wir haben Ihren Kommentar erhalten.",
    reopen_offer="Es tut uns leid, dass wir Ihr Anliegen nicht lösen konnten. Sollen wir es uns "
    "noch einmal ansehen?",
    reopen_button="Meine Anfrage wieder öffnen",
    reopened="Ihre Anfrage ist wieder geöffnet. Unser Team meldet sich bei Ihnen.",
    invalid_title="Dieser Link funktioniert nicht",
    invalid_body="Bitte verwenden Sie den Link genau so, wie er in unserer E-Mail steht. Wenn Sie "
    "uns etwas mitteilen möchten, antworten Sie einfach auf unsere E-Mail.",
    expired_title="Dieser Link ist abgelaufen",
    expired_body="Die Links in unserer Umfrage-E-Mail sind nur begrenzte Zeit gültig. Wenn Sie "
    "uns etwas mitteilen möchten, antworten Sie einfach auf unsere E-Mail.",
    choose_error="Bitte wählen Sie eine Antwort aus.",
    comment_error="Bitte schreiben Sie einen Kommentar mit höchstens {limit} Zeichen.",
)

FR = SurveyText(
    answers={5: "Excellent", 4: "Bien", 3: "Moyen", 2: "Mauvais", 1: "Très mauvais"},
    subject="Votre avis nous intéresse : {subject}",
    greeting_named="Bonjour {name},",
    greeting="Bonjour,",
    intro="Votre demande {reference} a été résolue. Êtes-vous satisfait(e) de notre aide ?",
    choose="Choisissez une réponse – un clic suffit :",
    after="Sur la page qui s'ouvre, vous pouvez aussi laisser un commentaire. Les liens sont "
    "valables {days} jours.",
    reply="Si votre demande n'est finalement pas résolue, répondez simplement à cet e-mail.",
    closing="Cordialement,",
    title="Votre avis nous intéresse",
    question="Êtes-vous satisfait(e) de notre aide pour la demande {reference} ?",
    confirm_hint="Vérifiez votre réponse et cliquez sur « Envoyer ».",
    comment_label="Souhaitez-vous ajouter quelque chose ? (facultatif)",
    send="Envoyer",
    send_comment="Envoyer le commentaire",
    thanks="Merci pour votre évaluation !",
    already="Merci, nous avons déjà votre évaluation",
    your_rating="Votre évaluation :",
    comment_thanks="Merci, nous avons bien reçu votre commentaire.",
    reopen_offer="Nous sommes désolés de ne pas avoir résolu votre problème. Voulez-vous que nous "
    "nous penchions à nouveau dessus ?",
    reopen_button="Rouvrir ma demande",
    reopened="Votre demande est de nouveau ouverte. Notre équipe reviendra vers vous.",
    invalid_title="Ce lien ne fonctionne pas",
    invalid_body="Veuillez utiliser le lien exactement tel qu'il figure dans notre e-mail. Si vous "
    "souhaitez nous dire quelque chose, répondez simplement à notre e-mail.",
    expired_title="Ce lien a expiré",
    expired_body="Les liens de notre e-mail d'enquête ne sont valables que pour une durée limitée. "
    "Si vous souhaitez nous dire quelque chose, répondez simplement à notre e-mail.",
    choose_error="Veuillez choisir une réponse.",
    comment_error="Veuillez écrire un commentaire de {limit} caractères au maximum.",
)

ES = SurveyText(
    answers={5: "Excelente", 4: "Bien", 3: "Regular", 2: "Mal", 1: "Muy mal"},
    subject="¿Qué tal lo hicimos? {subject}",
    greeting_named="Hola, {name}:",
    greeting="Hola:",
    intro="Su consulta {reference} se ha resuelto. ¿Qué tan satisfecho/a está con nuestra ayuda?",
    choose="Elija una respuesta; basta con un clic:",
    after="En la página que se abre también puede dejar un comentario. Los enlaces son válidos "
    "durante {days} días.",
    reply="Si su consulta no está resuelta, simplemente responda a este correo.",
    closing="Saludos cordiales,",
    title="¿Qué tal lo hicimos?",
    question="¿Qué tan satisfecho/a está con nuestra ayuda en la consulta {reference}?",
    confirm_hint="Revise su respuesta y pulse «Enviar».",
    comment_label="¿Desea añadir algo? (opcional)",
    send="Enviar",
    send_comment="Enviar comentario",
    thanks="¡Gracias por su valoración!",
    already="Gracias, ya tenemos su valoración",
    your_rating="Su valoración:",
    comment_thanks="Gracias, hemos recibido su comentario.",
    reopen_offer="Lamentamos no haber resuelto su problema. ¿Quiere que lo revisemos de nuevo?",
    reopen_button="Reabrir mi consulta",
    reopened="Su consulta está abierta de nuevo. Nuestro equipo se pondrá en contacto con usted.",
    invalid_title="Este enlace no funciona",
    invalid_body="Utilice el enlace tal como aparece en nuestro correo. Si quiere decirnos algo, "
    "simplemente responda a nuestro correo.",
    expired_title="Este enlace ha caducado",
    expired_body="Los enlaces de nuestro correo de encuesta solo son válidos durante un tiempo "
    "limitado. Si quiere decirnos algo, simplemente responda a nuestro correo.",
    choose_error="Elija una respuesta.",
    comment_error="Escriba un comentario de {limit} caracteres como máximo.",
)

PT = SurveyText(
    answers={5: "Ótimo", 4: "Bom", 3: "Razoável", 2: "Ruim", 1: "Muito ruim"},
    subject="Como nos saímos? {subject}",
    greeting_named="Olá, {name}!",
    greeting="Olá!",
    intro="Sua solicitação {reference} foi resolvida. Qual é o seu grau de satisfação com a nossa "
    "ajuda?",
    choose="Escolha uma resposta – basta um clique:",
    after="Na página que se abrir, você também pode deixar um comentário. Os links são válidos "
    "por {days} dias.",
    reply="Se a sua solicitação não estiver resolvida, basta responder a este e-mail.",
    closing="Atenciosamente,",
    title="Como nos saímos?",
    question="Qual é o seu grau de satisfação com a nossa ajuda na solicitação {reference}?",
    confirm_hint="Confira sua resposta e clique em “Enviar”.",
    comment_label="Deseja acrescentar algo? (opcional)",
    send="Enviar",
    send_comment="Enviar comentário",
    thanks="Obrigado pela sua avaliação!",
    already="Obrigado, já recebemos sua avaliação",
    your_rating="Sua avaliação:",
    comment_thanks="Obrigado, recebemos seu comentário.",
    reopen_offer="Lamentamos não ter resolvido o seu problema. Quer que analisemos novamente?",
    reopen_button="Reabrir minha solicitação",
    reopened="Sua solicitação foi reaberta. Nossa equipe entrará em contato com você.",
    invalid_title="Este link não funciona",
    invalid_body="Use o link exatamente como aparece no nosso e-mail. Se quiser nos dizer algo, "
    "basta responder ao nosso e-mail.",
    expired_title="Este link expirou",
    expired_body="Os links do nosso e-mail de pesquisa são válidos apenas por tempo limitado. Se "
    "quiser nos dizer algo, basta responder ao nosso e-mail.",
    choose_error="Escolha uma resposta.",
    comment_error="Escreva um comentário de no máximo {limit} caracteres.",
)

IT = SurveyText(
    answers={5: "Ottimo", 4: "Buono", 3: "Così così", 2: "Scarso", 1: "Pessimo"},
    subject="Com'è andata? {subject}",
    greeting_named="Gentile {name},",
    greeting="Buongiorno,",
    intro="la sua richiesta {reference} è stata risolta. Quanto è soddisfatto/a del nostro aiuto?",
    choose="Scelga una risposta: basta un clic.",
    after="Nella pagina che si apre può anche lasciare un commento. I link sono validi per "
    "{days} giorni.",
    reply="Se la sua richiesta non fosse risolta, risponda semplicemente a questa e-mail.",
    closing="Cordiali saluti,",
    title="Com'è andata?",
    question="Quanto è soddisfatto/a del nostro aiuto per la richiesta {reference}?",
    confirm_hint="Controlli la risposta e prema «Invia».",
    comment_label="Vuole aggiungere qualcosa? (facoltativo)",
    send="Invia",
    send_comment="Invia commento",
    thanks="Grazie per la sua valutazione!",
    already="Grazie, abbiamo già la sua valutazione",
    your_rating="La sua valutazione:",
    comment_thanks="Grazie, abbiamo ricevuto il suo commento.",
    reopen_offer="Ci dispiace non aver risolto il suo problema. Vuole che lo esaminiamo di nuovo?",
    reopen_button="Riapri la mia richiesta",
    reopened="La sua richiesta è di nuovo aperta. Il nostro team la ricontatterà.",
    invalid_title="Questo link non funziona",
    invalid_body="Usi il link esattamente come appare nella nostra e-mail. Se desidera comunicarci "
    "qualcosa, risponda semplicemente alla nostra e-mail.",
    expired_title="Questo link è scaduto",
    expired_body="I link della nostra e-mail di sondaggio sono validi solo per un periodo limitato. "
    "Se desidera comunicarci qualcosa, risponda semplicemente alla nostra e-mail.",
    choose_error="Scelga una risposta.",
    comment_error="Scriva un commento di al massimo {limit} caratteri.",
)

NL = SurveyText(
    answers={5: "Uitstekend", 4: "Goed", 3: "Redelijk", 2: "Slecht", 1: "Zeer slecht"},
    subject="Hoe hebben we het gedaan? {subject}",
    greeting_named="Beste {name},",
    greeting="Goedendag,",
    intro="Uw aanvraag {reference} is opgelost. Hoe tevreden bent u over onze hulp?",
    choose="Kies een antwoord – één klik is genoeg:",
    after="Op de pagina die opent, kunt u ook een opmerking achterlaten. De links zijn {days} "
    "dagen geldig.",
    reply="Is uw aanvraag toch niet opgelost? Beantwoord dan gewoon deze e-mail.",
    closing="Met vriendelijke groet,",
    title="Hoe hebben we het gedaan?",
    question="Hoe tevreden bent u over onze hulp bij aanvraag {reference}?",
    confirm_hint="Controleer uw antwoord en klik op ‘Versturen’.",
    comment_label="Wilt u nog iets toevoegen? (optioneel)",
    send="Versturen",
    send_comment="Opmerking versturen",
    thanks="Bedankt voor uw beoordeling!",
    already="Bedankt, we hebben uw beoordeling al ontvangen",
    your_rating="Uw beoordeling:",
    comment_thanks="Bedankt, we hebben uw opmerking ontvangen.",
    reopen_offer="Het spijt ons dat we uw probleem niet hebben opgelost. Zullen we er nog eens "
    "naar kijken?",
    reopen_button="Mijn aanvraag heropenen",
    reopened="Uw aanvraag is weer geopend. Ons team neemt contact met u op.",
    invalid_title="Deze link werkt niet",
    invalid_body="Gebruik de link precies zoals hij in onze e-mail staat. Wilt u ons iets laten "
    "weten? Beantwoord dan gewoon onze e-mail.",
    expired_title="Deze link is verlopen",
    expired_body="De links in onze enquête-e-mail zijn maar een beperkte tijd geldig. Wilt u ons "
    "iets laten weten? Beantwoord dan gewoon onze e-mail.",
    choose_error="Kies een antwoord.",
    comment_error="Schrijf een opmerking van maximaal {limit} tekens.",
)

TEXTS: Mapping[str, SurveyText] = MappingProxyType(
    {"en": EN, "de": DE, "fr": FR, "es": ES, "pt": PT, "it": IT, "nl": NL}
)
LANGUAGES = tuple(TEXTS)


def _primary(code: str) -> str:
    return (code or "").strip().replace("_", "-").split("-", 1)[0].lower()


def survey_language(*candidates: str) -> str:
    """Return the first of *candidates* (language tags) the survey speaks, else "en"."""
    for candidate in candidates:
        code = _primary(candidate)
        if code in TEXTS:
            return code
    return "en"


def language_from_header(header: str) -> str:
    """Return the survey language a browser's Accept-Language header prefers, else "en".

    For pages shown before the survey is known (a broken link): nothing about the ticket.
    """
    weighted: list[tuple[float, int, str]] = []
    for index, part in enumerate(header.split(",")[:20]):
        tag, _, params = part.partition(";")
        quality = 1.0
        params = params.strip()
        if params.startswith("q="):
            try:
                quality = float(params[2:])
            except ValueError:
                quality = 0.0
        if quality > 0:
            weighted.append((-quality, index, tag))
    return survey_language(*(tag for _, _, tag in sorted(weighted)))
