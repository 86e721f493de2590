"""Priority signals come from mail headers, urgency cues in seven languages and the
customer's tier; the highest wins, and each says why."""

from __future__ import annotations

import dataclasses
import time

import pytest

from postroom.routing.urgency import (
    PRIORITIES,
    PrioritySignal,
    matches_by_pattern,
    patterns_combined,
    phrases_compile,
    priority_combine,
    priority_cues,
    priority_from_headers,
    priority_from_tier,
    text_folded,
)


def _sources(subject: str = "", text: str = "") -> set[str]:
    return {signal.source for signal in priority_cues(subject=subject, text=text)}


def _priority(subject: str = "", text: str = "") -> str:
    return priority_combine(priority_cues(subject=subject, text=text)).priority


def test_priorities_are_the_ticket_priorities():
    from postroom.tickets.models import Priority

    assert PRIORITIES == tuple(Priority.values)


def test_priority_signal_is_frozen():
    signal = PrioritySignal("high", "cue:urgent", "x")
    with pytest.raises(dataclasses.FrozenInstanceError):
        signal.priority = "low"  # type: ignore[misc]


# --- Headers ---------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("headers", "priority", "source"),
    [
        ({"x-priority": ("1 (Highest)",)}, "high", "header:x-priority"),
        ({"x-priority": ("1",)}, "high", "header:x-priority"),
        ({"x-priority": ("2 (High)",)}, "high", "header:x-priority"),
        ({"x-priority": (" 2",)}, "high", "header:x-priority"),
        ({"x-priority": ("High",)}, "high", "header:x-priority"),
        ({"x-priority": ("4 (Low)",)}, "low", "header:x-priority"),
        ({"x-priority": ("5 (Lowest)",)}, "low", "header:x-priority"),
        ({"x-msmail-priority": ("High",)}, "high", "header:x-msmail-priority"),
        ({"x-msmail-priority": ("Low",)}, "low", "header:x-msmail-priority"),
        ({"importance": ("high",)}, "high", "header:importance"),
        ({"importance": ("High",)}, "high", "header:importance"),
        ({"importance": ("low",)}, "low", "header:importance"),
        ({"priority": ("urgent",)}, "high", "header:priority"),
        ({"priority": ("non-urgent",)}, "low", "header:priority"),
    ],
)
def test_priority_header_gives_a_signal(headers, priority, source):
    signal = priority_from_headers(headers)
    assert signal is not None
    assert (signal.priority, signal.source) == (priority, source)


@pytest.mark.parametrize(
    "headers",
    [
        {},
        {"x-priority": ("3 (Normal)",)},
        {"x-priority": ("3",)},
        {"x-msmail-priority": ("Normal",)},
        {"importance": ("normal",)},
        {"priority": ("normal",)},
        {"x-priority": ("",)},
        {"x-priority": ("garbage",)},
        {"subject": ("URGENT",)},
    ],
)
def test_normal_or_missing_priority_header_gives_no_signal(headers):
    assert priority_from_headers(headers) is None


def test_rfc2156_urgent_priority_header_is_capped_at_high():
    # Anyone can set it, so it may not page anyone on its own.
    signal = priority_from_headers({"priority": ("urgent",)})
    assert signal is not None and signal.priority == "high"


def test_header_reason_quotes_the_field():
    signal = priority_from_headers({"x-priority": ("1 (Highest)",)})
    assert signal is not None and signal.reason == "X-Priority: 1 (Highest)"
    signal = priority_from_headers({"x-msmail-priority": ("High",)})
    assert signal is not None and signal.reason == "X-MSMail-Priority: High"


def test_conflicting_priority_headers_take_the_highest():
    signal = priority_from_headers({"x-priority": ("5",), "importance": ("high",)})
    assert signal is not None
    assert (signal.priority, signal.source) == ("high", "header:importance")


def test_agreeing_priority_headers_name_the_first():
    signal = priority_from_headers({"x-priority": ("1",), "x-msmail-priority": ("High",)})
    assert signal is not None and signal.source == "header:x-priority"


# --- Cues, every class in every language -----------------------------------------------

CUES = [
    # outage
    ("outage", "en", "Our service is down for everyone since 9am."),
    ("outage", "en", "The website is completely down, none of our customers can log in."),
    ("outage", "en", "Is there an outage? The dashboard is not working for all of our users."),
    ("outage", "en", "No one in our office can log in since 8am."),
    ("outage", "de", "Seit heute Morgen haben wir einen kompletten Ausfall Ihrer Plattform."),
    ("outage", "de", "Der Server ist seit einer Stunde nicht erreichbar."),
    ("outage", "fr", "Nous constatons une panne générale de votre service."),
    ("outage", "fr", "Le serveur est hors service depuis ce matin."),
    ("outage", "es", "Hay una caída del servicio desde esta mañana."),
    ("outage", "es", "La plataforma está caída y no funciona para nadie."),
    ("outage", "pt", "O sistema está fora do ar desde ontem."),
    ("outage", "pt", "O servidor caiu e ninguém consegue acessar."),
    ("outage", "it", "C'è un'interruzione del servizio da stamattina."),
    ("outage", "it", "Il server è irraggiungibile, non funziona per nessuno."),
    ("outage", "nl", "Er is een storing, de website ligt plat."),
    ("outage", "nl", "Sinds vanochtend is er een landelijke storing bij jullie."),
    # security
    ("security", "en", "I think my account was hacked, my password no longer works."),
    ("security", "en", "There was unauthorized access to our admin console."),
    ("security", "en", "We received a phishing email that looks exactly like yours."),
    ("security", "en", "Please confirm whether this data breach affects my account."),
    ("security", "de", "Mein Konto wurde gehackt!"),
    ("security", "de", "Es gab einen unbefugten Zugriff auf mein Konto."),
    ("security", "fr", "Mon compte a été piraté hier soir."),
    ("security", "fr", "Il y a eu un accès non autorisé à mon compte."),
    ("security", "es", "Mi cuenta ha sido hackeada."),
    ("security", "es", "Veo cargos no autorizados en mi tarjeta."),
    ("security", "pt", "Minha conta foi hackeada e mudaram meu e-mail."),
    ("security", "pt", "Minha conta foi invadida."),
    ("security", "it", "Il mio account è stato hackerato."),
    ("security", "it", "Temo una violazione dei dati del mio account."),
    ("security", "nl", "Mijn account is gehackt."),
    ("security", "nl", "Is er sprake van een datalek bij jullie?"),
    # login
    ("login", "en", "I can't log in since the update."),
    ("login", "en", "I am locked out of my account."),
    ("login", "en", "I'm unable to access my account after resetting the password."),
    ("login", "de", "Ich kann mich nicht anmelden."),
    ("login", "de", "Seit gestern kann ich mich nicht mehr einloggen."),
    ("login", "de", "Ich kann mich seit heute Morgen nicht mehr anmelden."),
    ("login", "fr", "Impossible de me connecter à l'application."),
    ("login", "fr", "Je n'arrive pas à me connecter depuis hier."),
    ("login", "es", "No puedo iniciar sesión en la aplicación."),
    ("login", "pt", "Não consigo entrar na minha conta."),
    ("login", "pt", "Não consigo fazer login desde ontem."),
    ("login", "it", "Non riesco ad accedere al mio account."),
    ("login", "nl", "Ik kan niet inloggen op de app."),
    ("login", "nl", "Ik kan niet meer inloggen sinds de update."),
    # data_loss
    ("data_loss", "en", "After the update I lost all my data."),
    ("data_loss", "en", "All my photos were deleted during the sync."),
    ("data_loss", "de", "Nach dem Update sind meine Daten verloren."),
    ("data_loss", "de", "Alle meine Fotos sind weg."),
    ("data_loss", "fr", "J'ai perdu mes données après la mise à jour."),
    ("data_loss", "es", "Perdí mis datos después de la actualización."),
    ("data_loss", "pt", "Perdi meus dados depois da atualização."),
    ("data_loss", "it", "Dopo l'aggiornamento i dati persi non sono più recuperabili."),
    ("data_loss", "it", "Ho perso tutti i miei dati."),
    ("data_loss", "nl", "Na de update ben ik al mijn gegevens kwijt."),
    ("data_loss", "nl", "Mijn gegevens kwijt na de update!"),
    # urgent
    ("urgent", "en", "Urgent: invoice needed for today's payment run."),
    ("urgent", "en", "Please send the replacement asap."),
    ("urgent", "en", "This is an emergency, our store opens in an hour."),
    ("urgent", "de", "Dringend: Rechnung fehlt."),
    ("urgent", "de", "Bitte melden Sie sich dringend bei mir."),
    ("urgent", "fr", "C'est urgent, merci de me rappeler."),
    ("urgent", "es", "Es urgente, necesito la factura hoy."),
    ("urgent", "pt", "É urgente, preciso da nota fiscal hoje."),
    ("urgent", "it", "È urgentissimo, ci serve la fattura oggi."),
    ("urgent", "it", "Richiesta urgente per la fattura."),
    ("urgent", "nl", "Spoed: factuur nodig voor vandaag."),
    ("urgent", "nl", "Het is dringend, bel me alstublieft terug."),
    # safety
    ("safety", "en", "My watch is overheating while charging."),
    ("safety", "en", "The battery is swelling and the back cover has lifted."),
    ("safety", "en", "Smoke came out of the charger last night."),
    ("safety", "en", "There is a burning smell when I plug it in."),
    ("safety", "en", "The charger caught fire on my desk."),
    ("safety", "de", "Das Gerät überhitzt beim Laden."),
    ("safety", "de", "Der Akku ist aufgebläht."),
    ("safety", "de", "Aus dem Netzteil kommt Rauch, es riecht verbrannt."),
    ("safety", "fr", "Le téléphone surchauffe pendant la charge."),
    ("safety", "fr", "La batterie est gonflée."),
    ("safety", "fr", "De la fumée sort du chargeur."),
    ("safety", "es", "El móvil se sobrecalienta al cargar."),
    ("safety", "es", "La batería está hinchada."),
    ("safety", "es", "Salió humo del cargador."),
    ("safety", "pt", "O celular superaquece quando carrega."),
    ("safety", "pt", "A bateria está inchada."),
    ("safety", "pt", "O carregador pegou fogo."),
    ("safety", "it", "Il telefono si surriscalda durante la ricarica."),
    ("safety", "it", "La batteria è gonfia."),
    ("safety", "it", "È uscito del fumo dal caricatore."),
    ("safety", "nl", "De telefoon raakt oververhit tijdens het opladen."),
    ("safety", "nl", "De batterij is opgezwollen."),
    ("safety", "nl", "Er komt rook uit de oplader en er hangt een brandlucht."),
]


@pytest.mark.parametrize(("cue", "language", "text"), CUES)
def test_cue_is_found_in_every_language(cue, language, text):
    assert f"cue:{cue}" in _sources(text=text), (language, text)


@pytest.mark.parametrize(
    ("text", "priority"),
    [
        ("My battery is swelling.", "urgent"),
        ("My account was hacked.", "urgent"),
        ("Our service is down for everyone.", "urgent"),
        ("I can't log in.", "high"),
        ("I lost all my data.", "high"),
        ("This is urgent.", "high"),
        ("Could you send me the manual for the X200?", "normal"),
    ],
)
def test_each_cue_class_maps_to_its_priority(text, priority):
    assert _priority(text=text) == priority


def test_outage_in_spanish_is_urgent():
    assert _priority(subject="Caída del servicio", text="Nadie puede acceder desde las 8.") == (
        "urgent"
    )


def test_device_overheating_is_urgent_for_a_device_maker():
    assert _priority(text="Meine Uhr überhitzt und wird sehr heiß am Handgelenk.") == "urgent"


def test_cues_match_regardless_of_the_language_hint():
    signals = priority_cues(subject="", text="Mein Konto wurde gehackt.", language="en")
    assert [s.source for s in signals] == ["cue:security"]


def test_cues_match_without_accents_and_in_capitals():
    assert "cue:login" in _sources(text="NAO CONSIGO ENTRAR NA MINHA CONTA")
    assert "cue:safety" in _sources(text="Der Akku ist aufgeblaeht und ueberhitzt")
    assert "cue:urgent" in _sources(text="URGENTE")


def test_cue_phrase_may_be_wrapped_over_lines():
    assert "cue:login" in _sources(text="Since yesterday I\ncan't\nlog in to the app.")


def test_cue_in_subject_says_so():
    (signal,) = priority_cues(subject="Überhitzung beim Laden", text="Siehe Betreff.")
    assert signal.source == "cue:safety"
    assert signal.reason == '"Überhitzung" in subject'


def test_cue_reason_quotes_the_customers_words():
    (signal,) = priority_cues(subject="", text="Hola,\nmi cuenta ha sido HACKEADA ayer.")
    assert signal.reason == '"HACKEADA" in text'


def test_each_cue_class_is_reported_once_most_serious_first():
    signals = priority_cues(
        subject="URGENT", text="Urgent! My account was hacked and I can't log in. Urgent!"
    )
    assert [s.source for s in signals] == ["cue:security", "cue:login", "cue:urgent"]


# --- Negations and calm ----------------------------------------------------------------


@pytest.mark.parametrize(
    "text",
    [
        "This is not urgent, just a question about the manual.",
        "Not urgent at all.",
        "No rush, whenever you have time.",
        "Das ist nicht dringend.",
        "Es eilt nicht.",
        "Ce n'est pas urgent.",
        "No es urgente.",
        "Não é urgente.",
        "Non è urgente.",
        "Het is niet dringend.",
        "It's a non-urgent question.",
        "Nothing urgent, but could you check my invoice?",
        "Keine Eile, aber könnten Sie die Rechnung prüfen?",
    ],
)
def test_not_urgent_is_not_urgent(text):
    signals = priority_cues(subject="", text=text)
    assert "cue:urgent" not in {s.source for s in signals}
    assert priority_combine(signals).priority == "low"
    assert priority_combine(signals).source == "cue:not_urgent"


def test_not_urgent_does_not_hide_a_real_cue():
    signals = priority_cues(subject="", text="Not urgent for me, but my battery is swelling.")
    assert priority_combine(signals).source == "cue:safety"


def test_urgent_subject_outranks_a_calm_remark():
    assert _priority(subject="URGENT", text="Well, not urgent urgent, but today please.") == "high"


def test_negation_in_another_clause_does_not_cancel():
    assert _priority(text="I don't know what to do. This is urgent.") == "high"
    assert _priority(text="No, I have no backup, it is urgent.") == "high"


def test_negated_outage_is_no_outage():
    assert "cue:outage" not in _sources(text="There is no outage, only my phone is slow.")


def test_calm_formulas_are_not_urgency():
    assert (
        _sources(
            text="Please reply as soon as possible. I look forward to your prompt response "
            "at your earliest convenience."
        )
        == set()
    )
    assert _sources(text="Bitte antworten Sie so schnell wie möglich.") == set()
    assert _sources(text="Merci de répondre dès que possible.") == set()


# --- Things that only look like cues ---------------------------------------------------


@pytest.mark.parametrize(
    "text",
    [
        "After a power outage my router does not boot any more.",
        "Does the smoke detector need a new battery?",
        "We run a smoke test before every release.",
        "My phone is in brand new condition, can I return it?",
        "Please shut the server down for maintenance on Sunday.",
        "I want my data deleted under the GDPR.",
        "Bitte löschen Sie meine Daten.",
        "Não consigo entrar em contato com o suporte por telefone.",
        "We are storing files on the NAS.",
        "My phone fell and is now broken.",
        "Mi teléfono no se prende después de una caída.",
        "L'écran scintille depuis la mise à jour.",
        "Mon imprimante est en panne.",
        "The Fire TV stick does not find the network.",
        "Our password manager does not fill in the form.",
        "How can I prevent my phone from overheating in summer?",
        "We want to protect our shop against a data breach.",
        "Wie kann ich mich vor Datenverlust schützen?",
        "Welche Backups empfehlen Sie, um Datenverlust zu vermeiden?",
        "Comment éviter la surchauffe de la batterie ?",
        "Is there a risk of unauthorized access if I share the link?",
        "We see sporadic outages of the VPN in one office.",
        "Wir haben gelegentliche Ausfälle in der CI/CD-Pipeline.",
        "Tenemos interrupciones del servicio intermitentes por la noche.",
        "Our marketing budget is invested in brand awareness.",
    ],
)
def test_lookalike_is_not_a_serious_cue(text):
    serious = {"cue:outage", "cue:security", "cue:safety", "cue:login", "cue:data_loss"}
    assert not (_sources(text=text) & serious), text


# --- Quoted history --------------------------------------------------------------------


def test_quoted_history_is_ignored():
    text = "Thanks, that solved it.\n\n> Our server is down for everyone!\n> URGENT, please help.\n"
    assert priority_cues(subject="Re: question", text=text) == ()


@pytest.mark.parametrize(
    "attribution",
    [
        "On Mon, 3 Mar 2025 at 10:12, Support <help@example.com> wrote:",
        "Am 03.03.2025 um 10:12 schrieb Support <help@example.com>:",
        "Le lun. 3 mars 2025 à 10:12, Support <help@example.com> a écrit :",
        "El lun, 3 mar 2025 a las 10:12, Support (<help@example.com>) escribió:",
        "Em seg., 3 de mar. de 2025 às 10:12, Support <help@example.com> escreveu:",
        "Il giorno lun 3 mar 2025 alle ore 10:12 Support <help@example.com> ha scritto:",
        "Op ma 3 mrt 2025 om 10:12 schreef Support <help@example.com>:",
        "-----Original Message-----",
        "From: Support <help@example.com>\nSent: Monday, March 3, 2025 10:12",
    ],
)
def test_history_after_a_reply_attribution_is_ignored(attribution):
    text = f"Thanks, all good now.\n\n{attribution}\nMy account was hacked, urgent!\n"
    assert priority_cues(subject="", text=text) == ()


# --- Tier ------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("tier", "priority"),
    [("vip", "high"), ("VIP ", "high"), ("enterprise", "high"), ("Premium", "normal")],
)
def test_customer_tier_gives_a_signal(tier, priority):
    signal = priority_from_tier(tier)
    assert signal is not None
    assert signal.priority == priority
    assert signal.source == f"tier:{tier.strip().lower()}"


@pytest.mark.parametrize("tier", ["", "free", "standard", "basic", "gold"])
def test_other_tiers_give_no_signal(tier):
    assert priority_from_tier(tier) is None


def test_premium_keeps_a_calm_message_at_normal():
    signals = [*priority_cues(subject="", text="No rush at all."), priority_from_tier("premium")]
    combined = priority_combine([s for s in signals if s is not None])
    assert (combined.priority, combined.source) == ("normal", "tier:premium")


def test_premium_does_not_outrank_a_cue():
    signals = [priority_from_tier("premium"), *priority_cues(subject="", text="It's urgent.")]
    assert priority_combine([s for s in signals if s is not None]).priority == "high"


def test_vip_raises_an_ordinary_message_to_high():
    signals = [*priority_cues(subject="", text="Where is my invoice?"), priority_from_tier("vip")]
    assert priority_combine([s for s in signals if s is not None]).source == "tier:vip"


# --- Combination -----------------------------------------------------------------------


def test_combine_takes_the_highest_priority():
    signals = [
        PrioritySignal("high", "header:x-priority", "X-Priority: 1"),
        PrioritySignal("urgent", "cue:safety", '"smoke"'),
        PrioritySignal("low", "cue:not_urgent", '"no rush"'),
    ]
    assert priority_combine(signals).source == "cue:safety"


def test_combine_keeps_the_first_of_equals():
    signals = [
        PrioritySignal("high", "tier:vip", "VIP customer"),
        PrioritySignal("high", "cue:login", '"can\'t log in"'),
    ]
    assert priority_combine(signals).source == "tier:vip"


def test_combine_without_signals_returns_the_default():
    combined = priority_combine([])
    assert (combined.priority, combined.source) == ("normal", "default")
    assert priority_combine([], default="low").priority == "low"


def test_a_low_signal_beats_the_default():
    combined = priority_combine([PrioritySignal("low", "cue:not_urgent", '"no rush"')])
    assert combined.priority == "low"


def test_combine_refuses_unknown_priorities():
    with pytest.raises(ValueError, match="critical"):
        priority_combine([PrioritySignal("critical", "cue:x", "")])
    with pytest.raises(ValueError, match="medium"):
        priority_combine([], default="medium")


def test_headers_cues_and_tier_combine_into_one_explained_priority():
    signals = [
        priority_from_headers({"x-priority": ("1 (Highest)",)}),
        *priority_cues(subject="Akku", text="Der Akku ist aufgebläht!"),
        priority_from_tier("enterprise"),
    ]
    combined = priority_combine([s for s in signals if s is not None])
    assert combined == PrioritySignal("urgent", "cue:safety", '"Akku ist aufgebläht" in text')


# --- Matching machinery ---------------------------------------------------------------


def test_one_scan_finds_every_patterns_matches_even_where_they_overlap():
    waiting = phrases_compile([r"still waiting"])
    weeks = phrases_compile([r"waiting for (?:two|three) weeks"])
    folded = text_folded("Still waiting for three weeks. Still WAITING!")
    found = matches_by_pattern(folded, (waiting, weeks), patterns_combined((waiting, weeks)))
    assert [m.group() for m in found[0]] == ["still waiting", "still waiting"]
    assert [m.group() for m in found[1]] == ["waiting for three weeks"]


def test_folding_keeps_offsets_and_removes_accents():
    text = "Überhitzung, ÇA NE MARCHE PAS – l’écran ﬁni ß"
    folded = text_folded(text)
    assert len(folded) == len(text)
    assert folded.startswith("uberhitzung, ca ne marche pas")
    assert "l'ecran" in folded


def test_phrases_refuse_upper_case_escapes():
    with pytest.raises(ValueError, match="escape"):
        phrases_compile([r"server\Sdown"])


# --- Speed -----------------------------------------------------------------------------

TYPICAL = (
    "Hello support team,\n\n"
    "since the firmware update last Tuesday my X200 watch no longer syncs with the app. "
    "I have restarted both the phone and the watch, reinstalled the app and paired the "
    "watch again, but the sync still stops at 40%. My order number is 123456 and the "
    "watch is eleven months old. Could you tell me whether this is a known problem and "
    "whether a fix is planned? If the watch needs to be repaired, how do I send it in?\n\n"
    "Thank you for your help.\n\nBest regards,\nAnna\n\n"
    "> On Mon, 3 Mar 2025, Support wrote:\n> Please try pairing again.\n"
)


def test_cues_take_well_under_a_millisecond_for_a_typical_message():
    priority_cues(subject="Sync stops at 40%", text=TYPICAL)  # warm the fold table
    best = min(_timed(lambda: priority_cues(subject="Sync stops at 40%", text=TYPICAL))
               for _ in range(20))  # fmt: skip
    assert best < 0.001


def _timed(call) -> float:
    started = time.perf_counter()
    call()
    return time.perf_counter() - started
