"""Assess a customer's tone: frustrated, neutral or pleased, and whether they ask for a
manager, so a ticket can be escalated and the timeline can say why.

No multilingual sentiment model runs offline here, so this is a hand-written lexicon for
en/de/fr/es/pt/it/nl with cheap negation handling. It reads the customer's stance towards
*us*, not the problem: "the app crashes" is neutral, "this is the third time I write" is
not. Every language is matched on every message; `language` is a hint that only settles
words that differ between languages (Portuguese "no" is "in the", not a negation).

Scoring. Each cue found adds its weight once (a cue repeated counts once):

    strong   1.0  "unacceptable", "ridiculous", "worst service", "fed up", lawyer or
                  chargeback threats, "scam"
    medium   0.6  repeated contact, "still no answer", "nobody answers", "waste of time",
                  "frustrated", "terrible", asking for a manager, threats to leave,
                  a positive word negated ("not satisfied"), ALL-CAPS shouting
    weak     0.3  "still waiting", "still not fixed", a long wait ("for three weeks"),
                  asking to escalate, cancelling, "bad service", "!!!"
                  (only when nothing positive outweighs it)
    refund   0.4  demanding a refund or one's money back
    positive 0.5  praise ("great job"), satisfaction ("very happy"), "works now"
    thanks   0.2  a thank-you formula; 0.4 for emphatic thanks ("Thank you so much!")
                  unless a formula ("… for your help", "… in advance") or the sign-off
                  of a longer message; at most 0.4 in all, and only half while anything
                  negative is present: politeness never hides anger

net = positive − negative; score = tanh(net), in -1..1. The label is "negative" when
net ≤ -NET_THRESHOLD (0.4, score ≤ -0.38): one medium cue is enough, one weak cue is not;
"positive" when net ≥ NET_THRESHOLD; "neutral" otherwise.

Negation: a negation among the three words before a cue, in the same clause, drops a
negative cue ("not angry") and turns a positive one negative ("nicht zufrieden"); "not
bad" and its kin are listed as mild positives. A conditional before praise ("it would be
great if") makes it politeness, not praise. Quoted history is not read.

A manager request needs a request and a determiner that is not the customer's own ("speak
to a manager", "mit Ihrem Vorgesetzten", "hablar con un gerente"), so "my manager asked
me to buy" is none. Asking to escalate also sets `asks_for_manager`, with a weak weight:
calm business mail asks for it under an SLA.

Cost: one scan of the text for all cues (urgency.patterns_combined), about 0.2 ms for a
typical 400-character message.
"""

from __future__ import annotations

import math
import re
from collections.abc import Iterable
from dataclasses import dataclass

from postroom.routing.urgency import (
    MAX_SCAN_CHARS,
    matches_by_pattern,
    negated_at,
    patterns_combined,
    phrases_compile,
    text_folded,
    text_unquoted,
)

NET_THRESHOLD = 0.4
STRONG, MEDIUM, WEAK, REFUND, PRAISE = 1.0, 0.6, 0.3, 0.4, 0.5
THANKS, THANKS_EMPHATIC, THANKS_MAX = 0.2, 0.4, 0.4
# Shouting: a run of at least SHOUT_WORDS upper-case words on one line with SHOUT_LETTERS
# letters or more, so runs of acronyms ("HP USB SSD", "AWS VPC NAT") are not shouting.
SHOUT_WORDS = 3
SHOUT_LETTERS = 12
# Thanks in the last CLOSING_CHARS of a message longer than CLOSING_MIN_CHARS is its
# sign-off, a formula whatever its wording.
CLOSING_CHARS = 150
CLOSING_MIN_CHARS = 300
_EPSILON = 1e-9  # 0.6 - 0.2 is 0.39999999999999997 in floating point


@dataclass(frozen=True)
class Tone:
    """How a message sounds, for triage and the ticket's timeline."""

    label: str  # "negative" | "neutral" | "positive"
    score: float  # -1..1: tanh of the net cue weight
    cues: tuple[str, ...]  # short English cue names, in the order of the lexicon
    asks_for_manager: bool  # asks for a supervisor/manager, or to escalate


@dataclass(frozen=True)
class _Cue:
    name: str
    weight: float  # added to the negative or the positive side
    pattern: re.Pattern[str]
    # False for cues that say "not" themselves or state facts ("still not fixed after two
    # weeks"): a negation before them is part of the complaint.
    negatable: bool = True


def _cue(name: str, weight: float, phrases: Iterable[str], *, negatable: bool = True) -> _Cue:
    return _Cue(name, weight, phrases_compile(phrases), negatable)


# Stated with their negation, so no negation check applies to them.
_NOT_ACCEPTABLE = (
    r"not acceptable|nicht akzeptabel|nicht hinnehmbar|pas acceptable|no es aceptable"
    r"|não é aceitável|non è accettabile|niet acceptabel"
)

_NEGATIVE = (
    _cue("unacceptable", STRONG, (
        r"unacceptable|inakzeptabel|unakzeptabel|inadmissible|inacceptable|inaceptable"
        r"|inadmisible|inaceitável|inadmissível|inaccettabile|inammissibile|onacceptabel"
        r"|onaanvaardbaar",
    )),
    _cue("outrageous", STRONG, (
        r"ridiculous|outrageous|disgrace(?:ful)?|scandalous|shameful|appalling|disgusting"
        r"|pathetic|(?:this|it) is a joke",
        r"unversch(?:a|ae)mt\w*|frechheit|skandal(?:ös|oes)?|l(?:a|ae)cherlich|zumutung",
        r"scandaleu(?:x|se)|scandale|honteu(?:x|se)|c'est (?:une )?honte|ridicule"
        r"|lamentable|déplorable|n'importe quoi",
        r"vergonzos[oa]|es una vergüenza|ridícul[oa]|indignante|una burla|absurd[oa]",
        r"vergonhos[oa]|(?:é )?uma vergonha|palhaçada",
        r"vergognos[oa]|(?:è )?una vergogna|ridicol[oa]|assurd[oa]|scandalos[oa]",
        r"belachelijk|schandalig|(?:een|te) schande|absurd",
    )),
    _cue("worst", STRONG, (
        r"(?:the )?worst (?:service|support|customer service|experience|company|product"
        r"|purchase|ever)",
        r"schlechteste[nrs]? (?:service|kundenservice|support|erfahrung|firma|produkt|kauf)",
        r"(?:le|la) pire (?:service|support|expérience|entreprise|produit|achat)",
        r"(?:el|la) peor (?:servicio|atención|soporte|experiencia|empresa|compra|producto)",
        r"(?:o|a) pior (?:serviço|atendimento|suporte|experiência|empresa|compra|produto)",
        r"(?:il|la) peggior[e]? (?:servizio|assistenza|supporto|esperienza|azienda|acquisto"
        r"|prodotto)",
        r"(?:de|het) slechtste (?:service|klantenservice|ervaring|bedrijf|product|aankoop)",
    )),
    _cue("fed up", STRONG, (
        r"fed up|sick and tired|sick of|(?:i'?ve|i have|we'?ve|we have) had enough|had enough of",
        r"die nase (?:gestrichen )?voll|(?:jetzt|mir) reicht(?:'?s| es)",
        r"j'en ai marre|ras[- ]le[- ]bol|en a marre",
        r"estoy hart[oa]|hart[oa] de",
        r"estou fart[oa]|estou cansad[oa] de",
        r"sono stuf[oa]|ne ho abbastanza",
        r"ik ben het (?:spuug)?zat|spuugzat|meer dan genoeg",
    )),
    _cue("legal threat", STRONG, (
        r"lawyers?|attorneys?|legal action|take (?:this|you) to court|sue you|small claims"
        r"|consumer (?:protection|rights|agency|ombudsman)|ombudsman|trading standards"
        r"|better business bureau|charge ?backs?|dispute the (?:charge|payment) with my bank",
        r"(?:rechts)?anw(?:a|ä)lt\w*|rechtliche schritte|verbraucherzentrale|verbraucherschutz"
        r"|r(?:u|ue)ckbuchung",
        r"avocat|action en justice|poursuites judiciaires|protection des consommateurs"
        r"|ufc[- ]que choisir|association de consommateurs|rétrofacturation",
        r"abogad[oa]|acciones legales|acción legal|protección (?:al|del) consumidor|profeco"
        r"|denunciar|contracargo",
        r"advogad[oa]|procon|defesa do consumidor|reclame aqui|ação judicial|processo judicial",
        r"avvocat[oi]|azioni legali|vie legali|tutela (?:dei|del) consumator[ei]"
        r"|associazion[ei] (?:dei )?consumatori|altroconsumo",
        r"advocaat|juridische stappen|consumentenbond|geschillencommissie|terugboeking",
    )),
    _cue("scam", STRONG, (
        r"scam|rip-?off|abzocke|arnaque|escroquerie|estafa|truffa|oplichting|oplichters",
    )),
    _cue("repeated contact", MEDIUM, (
        r"(?:this is|it'?s) (?:the|my) (?:second|third|fourth|fifth|\d+(?:st|nd|rd|th))"
        r" (?:time|email|e-mail|message|request|attempt|ticket)",
        r"for the (?:second|third|fourth|fifth|umpteenth|\d+(?:st|nd|rd|th)) time",
        r"(?:written|wrote|emailed|e-mailed|contacted (?:you|support)|called|reached out"
        r"|complained|reported (?:this|it)) (?:\w+ ){0,3}(?:several|multiple|many|numerous"
        r"|three|four|five|\d+) times",
        r"(?:zum|schon zum) (?:zweiten|dritten|vierten|fünften|x-ten|wiederholten|\d+\.) mal",
        r"(?:bereits|schon) (?:mehrfach|mehrmals|zweimal|dreimal|\w+ mal) (?:geschrieben"
        r"|angerufen|kontaktiert|gemeldet|reklamiert)",
        r"pour la (?:deuxième|seconde|troisième|quatrième|cinquième|énième) fois",
        r"c'est la (?:deuxième|troisième|quatrième|énième) fois",
        r"(?:écrit|contacté|appelé|signalé|relancé) (?:\w+ ){0,3}(?:plusieurs|trois|quatre|\d+)"
        r" fois",
        r"(?:por|es la) (?:segunda|tercera|cuarta|quinta|enésima) vez",
        r"(?:escrito|contactado|llamado|reclamado|escribí|llamé) (?:\w+ ){0,3}(?:varias|muchas"
        r"|tres|cuatro|\d+) veces",
        r"(?:pela|é a) (?:segunda|terceira|quarta|quinta|enésima) vez",
        r"(?:escrevi|contatei|contactei|liguei|reclamei|escrito|contatado) (?:\w+ ){0,3}"
        r"(?:várias|muitas|três|quatro|\d+) vezes",
        r"per la (?:seconda|terza|quarta|quinta|ennesima) volta",
        r"è la (?:seconda|terza|quarta|ennesima) volta",
        r"(?:scritto|contattato|chiamato|segnalato) (?:\w+ ){0,3}(?:più|diverse|molte|tre"
        r"|quattro|\d+) volte",
        r"voor de (?:tweede|derde|vierde|vijfde|zoveelste) keer",
        r"(?:meerdere|verschillende|vaak|drie|vier|\d+) keer (?:gemaild|gebeld|gemeld"
        r"|geschreven|contact opgenomen)",
    ), negatable=False),
    _cue("still unanswered", MEDIUM, (
        r"still (?:not|isn'?t|hasn'?t|haven'?t|has not|have not|not been) (?:\w+ ){0,2}"
        r"(?:answered|refunded|heard back|received (?:a|any) (?:reply|response|answer))",
        r"still no (?:answer|response|reply|word|refund|news)",
        r"(?:immer noch|noch immer) (?:nicht|keine?n?) (?:\w+ ){0,2}(?:beantwortet|erstattet"
        r"|antwort|rückmeldung|geld|erstattung|reaktion)",
        r"toujours pas (?:\w+ ){0,2}(?:réponse|remboursée?|de nouvelles)"
        r"|toujours (?:aucune|sans) (?:réponse|nouvelles)",
        r"sigue sin respuesta|(?:todavía|aún) no (?:\w+ ){0,2}(?:respondido|reembolsado"
        r"|contestado)",
        r"continua sem resposta|ainda não (?:\w+ ){0,2}(?:respondido|responderam|reembolsado)",
        r"ancora non (?:\w+ ){0,2}(?:risposto|rimborsato)|ancora nessuna risposta",
        r"nog steeds (?:niet|geen) (?:\w+ ){0,2}(?:antwoord|reactie|terugbetaald|geld)",
    ), negatable=False),
    # A problem not yet solved is often a bug report ("I restarted it, and it still isn't
    # resolved"): weak, so it needs a second cue, such as a long wait, to count.
    _cue("still not fixed", WEAK, (
        r"still (?:not|isn'?t|hasn'?t|haven'?t|has not|have not|not been) (?:\w+ ){0,2}"
        r"(?:fixed|resolved|solved|sorted|repaired|replaced)",
        r"(?:immer noch|noch immer) (?:nicht|keine?n?) (?:\w+ ){0,2}(?:gelöst|behoben"
        r"|repariert|lösung)",
        r"toujours pas (?:\w+ ){0,2}(?:résolu|réglé|réparé)|toujours sans solution",
        r"sigue sin (?:resolver|solucionar|arreglar)|(?:todavía|aún) no (?:\w+ ){0,2}"
        r"(?:resuelto|solucionado|arreglado)",
        r"continua sem solução|ainda não (?:\w+ ){0,2}(?:resolvido|resolveram|solucionado)",
        r"ancora non (?:\w+ ){0,2}(?:risolto|sistemato)|non è ancora (?:stato )?(?:risolto"
        r"|sistemato)",
        r"nog steeds (?:niet|geen) (?:\w+ ){0,2}(?:opgelost|gerepareerd|oplossing)",
    ), negatable=False),
    _cue("long wait", WEAK, (
        r"waiting (?:for|since) (?:over |more than )?(?:two|three|four|five|several|many|\d+)"
        r" (?:days|weeks|months)",
        r"(?:after|for|over|in) (?:over |more than )?(?:two|three|four|five|several|many|\d+)"
        r" (?:weeks|months)",
        r"warte (?:seit|schon) (?:\w+ )?(?:tagen|wochen|monaten)|seit (?:\w+ )?(?:wochen|monaten)",
        r"j'attends depuis (?:\w+ )?(?:jours|semaines|mois)|depuis (?:\w+ )?(?:semaines|mois)",
        r"llevo (?:\w+ )?(?:días|semanas|meses) esperando|desde hace (?:\w+ )?(?:semanas|meses)",
        r"(?:há|faz) (?:\w+ )?(?:dias|semanas|meses) (?:esperando|aguardando)"
        r"|(?:há|faz) (?:\w+ )?(?:semanas|meses)",
        r"aspetto da (?:\w+ )?(?:giorni|settimane|mesi)|da (?:\w+ )?(?:settimane|mesi)",
        r"wacht al (?:\w+ )?(?:dagen|weken|maanden)|al (?:\w+ )?(?:weken|maanden)",
    ), negatable=False),
    # Waiting alone is impatience, not yet anger: weak, so it needs company to count.
    _cue("still waiting", WEAK, (
        r"still waiting|(?:warte|warten) (?:immer noch|noch immer)|j'attends toujours"
        r"|sigo esperando|continuo (?:esperando|aguardando)|sto ancora aspettando"
        r"|wacht nog steeds",
    ), negatable=False),
    _cue("unanswered", MEDIUM, (
        r"no(?:body| one|-one) (?:has |ever )?(?:answers|answered|responds|responded|replies"
        r"|replied|gets back|got back|helps|helped|calls back|called back|cares)",
        r"no (?:answer|response|reply|feedback) (?:yet|so far|from (?:you|your|anyone|support)"
        r"|at all|since)",
        r"(?:haven'?t|have not|never) (?:heard back|received (?:a|any) (?:reply|response"
        r"|answer))",
        r"(?:you|your team|support) (?:never|don'?t|do not|didn'?t) (?:answer|reply|respond"
        r"|call back|get back)",
        r"niemand (?:antwortet|meldet sich|hilft|reagiert|ruft zurück)",
        r"(?:noch |bis heute )?keine (?:antwort|rückmeldung|reaktion) (?:erhalten|bekommen"
        r"|von ihnen)",
        r"personne ne (?:me )?(?:répond|rappelle|m'aide)",
        r"(?:aucune|pas de) (?:réponse|nouvelles) de votre part",
        r"nadie (?:me )?(?:responde|contesta|ayuda|llama)",
        r"no (?:he )?recibido (?:ninguna )?respuesta|sin respuesta de (?:su|ustedes|vuestra)",
        r"ninguém (?:me )?(?:responde|respondeu|ajuda|retorna)",
        r"não (?:recebi|obtive) (?:nenhuma )?resposta|sem resposta de vocês",
        r"nessuno (?:mi )?(?:risponde|ha risposto|aiuta|richiama)",
        r"non ho (?:ancora )?ricevuto (?:alcuna |nessuna )?risposta",
        r"niemand (?:reageert|antwoordt|belt terug|helpt|neemt op)",
        r"geen (?:antwoord|reactie) (?:gekregen|ontvangen|van jullie|van u)",
    ), negatable=False),
    _cue("waste of time", MEDIUM, (
        r"waste of (?:my |our )?time|wasted (?:my|our) time|zeitverschwendung|perte de temps"
        r"|pérdida de tiempo|perda de tempo|perdita di tempo|tijdverspilling"
        r"|zonde van (?:mijn )?tijd",
    )),
    _cue("frustration", MEDIUM, (
        # "frustrated customers" is the writer's customers, not the writer
        r"(?:frustrat(?:ed|ing)|annoyed|annoying|irritated|angry|furious|upset)(?! customers)"
        r"(?! users)(?! clients)(?! staff)(?! employees)|livid|mad at you"
        r"|disappointed|disappointing|unhappy|dissatisfied|displeased",
        r"frustriert|frustrierend|ver(?:ä|ae|a)rgert|(?:ä|ae)rgerlich|wütend|sauer"
        r"|entt(?:ä|ae|a)uscht|entt(?:ä|ae|a)uschend|unzufrieden|genervt|nervig",
        r"frustrée?s?|frustrant|agacée?|énervée?|en colère|furieu(?:x|se)|déçue?s?|décevant"
        r"|mécontente?s?|excédée?",
        r"frustrad[oa]s?|frustrante|molest[oa]s?|enojad[oa]s?|enfadad[oa]s?|furios[oa]s?"
        r"|decepcionad[oa]s?|decepcionante|insatisfech[oa]s?|indignad[oa]s?",
        r"irritad[oa]s?|chatead[oa]s?|insatisfeit[oa]s?",
        r"frustrat[oaie]|arrabbiat[oaie]|delus[oaie]|deludente|insoddisfatt[oaie]"
        r"|scontent[oaie]",
        r"gefrustreerd|frustrerend|boos|woedend|geïrriteerd|geërgerd|teleurgesteld"
        r"|teleurstellend|ontevreden",
    )),
    _cue("terrible", MEDIUM, (
        r"terrible|horrible|awful|dreadful|abysmal|atrocious|useless|incompetent",
        r"schrecklich|furchtbar|katastrophal|miserabel|unfähig|inkompetent|nutzlos",
        r"catastrophique|incompétents?|(?:c'est|vraiment|service|support) nul(?:le)?",
        r"pésim[oa]|inútil(?:es)?|incompetentes?",
        r"péssim[oa]|horrível|terrível",
        r"pessim[oa]|terribile|orribile|incompetent[ie]",
        r"vreselijk|verschrikkelijk|waardeloos|belabberd",
    )),
    _cue("refund demand", REFUND, (
        r"(?:want|demand|expect|insist on|deserve) (?:a (?:full )?refund|my money back"
        r"|to be refunded)|give me my money back",
        r"(?:will|verlange|fordere|möchte) (?:\w+ )?mein geld zurück|geld zurück",
        r"(?:veux|exige) (?:être )?rembours\w+|(?:veux|exige) (?:un |le )?remboursement",
        r"(?:quiero|exijo) (?:un |el |mi )?reembolso|(?:devuélvanme|devuelvan) (?:mi|el) dinero",
        r"(?:quero|exijo) (?:o |um |meu )?reembolso|(?:o )?meu dinheiro de volta",
        r"(?:voglio|esigo|pretendo) (?:un |il )?rimborso|(?:rivoglio|ridatemi) i (?:miei )?soldi",
        r"(?:wil|eis) (?:mijn geld terug|een terugbetaling|restitutie)|geld terug",
    )),
    _cue("threat to leave", MEDIUM, (
        r"(?:never|nie wieder|plus jamais|nunca más|nunca mais|mai più|nooit meer) (?:\w+ ){0,3}"
        r"(?:buy|order|purchase|recommend|use|kaufen|bestellen|empfehlen|acheter|commander"
        r"|recommander|comprar|recomendar|pedir|comprare|ordinare|consigliare|kopen|aanraden)",
        r"(?:switch|switching|go|going|move|moving) to (?:a )?(?:competitor|another"
        r" (?:provider|company|brand))",
    )),
    _cue("cancellation", WEAK, (
        r"cancel (?:my|our|the) (?:subscription|account|contract|membership|plan)",
        r"(?:abo|abonnement|vertrag|mitgliedschaft|konto) (?:\w+ )?k(?:ü|u|ue)ndig\w*",
        r"résilier|annuler (?:mon|notre) abonnement",
        r"cancelar (?:mi|la|nuestra) (?:suscripción|cuenta|contrato)|darme de baja",
        r"cancelar (?:minha|a|nossa) assinatura",
        r"disdire|disdetta|annullare (?:il mio|l') abbonamento",
        r"(?:abonnement|contract|account) (?:\w+ )?opzeggen",
    )),
    _cue("bad service", WEAK, (
        r"(?:so|very|really|extremely) bad|bad (?:service|support|experience|customer service)"
        r"|poor (?:service|support|customer service|experience)",
        r"schlechte[nrs]? (?:service|kundenservice|support)|sehr schlecht",
        r"mauvais (?:service|support)|très mauvais",
        r"mal (?:servicio|soporte)|mala atención|muy mal[oa]?",
        r"mau (?:serviço|atendimento)|atendimento ruim|muito ruim",
        r"pessimo servizio|servizio scadente",
        r"slechte (?:service|klantenservice)|erg slecht|heel slecht",
    )),
)  # fmt: skip

# Praise and satisfaction: a negation turns them into NOT_SATISFIED; a conditional before
# them ("would be great") makes them politeness.
_POSITIVE = (
    _cue("praise", PRAISE, (
        r"(?:is|was|are|were|works?|worked|that'?s|it'?s|looks|sounds|so|really|very|just"
        r"|absolutely) (?:great|awesome|amazing|brilliant|excellent|fantastic|wonderful"
        r"|perfect)",
        r"(?:great|excellent|awesome|fantastic|amazing|wonderful|brilliant) (?:job|work|service"
        r"|support|news|help|experience)",
        r"well done|you'?re (?:the best|awesome|amazing)|you are (?:the best|awesome)",
        r"love (?:it|the new|your)",
        r"großartig|gro(?:ss|ß)artig|hervorragend|ausgezeichnet|wunderbar|perfekt|klasse"
        r"|(?:ist|war|echt) (?:super|toll)|toller (?:service|support)",
        r"génial|excellent|parfait|formidable|merveilleu(?:x|se)|(?:c'est|vraiment) super",
        r"genial|excelente|perfecto|fantástico|maravillos[oa]|estupendo",
        r"ótimo|perfeito|maravilhos[oa]",
        r"ottimo|eccellente|perfetto|fantastico|meraviglioso",
        r"geweldig|uitstekend|fantastisch|(?:is|was|echt) (?:top|super|perfect)",
    )),
    _cue("satisfied", PRAISE, (
        r"happy(?! to)(?! new year)(?! holidays)(?! birthday)|delighted(?! to)|satisfied"
        r"|pleased(?! to)",
        r"zufrieden|begeistert",
        r"satisfaite?s?|ravie?s?",
        r"contento|contenta|satisfech[oa]s?",
        r"satisfeit[oa]s?|contente",
        r"soddisfatt[oaie]",
        r"tevreden|blij(?! te)",
    )),
    _cue("works now", PRAISE, (
        r"works (?:now|again|perfectly|fine now|great now)|(?:problem|issue) (?:is|has been|was)"
        r" (?:now )?(?:solved|resolved|fixed)|(?:that|this) (?:did the trick|fixed it|solved it)",
        r"funktioniert (?:jetzt|wieder|endlich)(?! nicht)(?! immer noch nicht)"
        r"|(?:problem|fehler) (?:ist|wurde) (?:jetzt )?(?:gelöst|behoben)",
        r"fonctionne (?:maintenant|à nouveau|de nouveau|enfin)|ça marche (?:maintenant|enfin)"
        r"|problème (?:est|a été) résolu",
        r"funciona (?:ahora|de nuevo|otra vez|perfectamente)|problema (?:está|ha sido|fue)"
        r" (?:resuelto|solucionado)",
        r"funciona (?:agora|de novo|perfeitamente)|problema (?:foi|está) (?:resolvido"
        r"|solucionado)",
        r"funziona (?:ora|adesso|di nuovo|perfettamente)|problema (?:è stato|è) risolto",
        r"werkt (?:nu|weer|eindelijk|perfect)(?! niet)|probleem (?:is )?opgelost",
    )),
)  # fmt: skip
_NOT_BAD = phrases_compile((
    r"not (?:that |too |so )?bad|nicht (?:so )?schlecht|pas mal(?! de)|no está mal|nada mal"
    r"|nada mau|não é mau|não é ruim|non (?:è )?male|niente male|niet slecht|niet verkeerd",
))  # fmt: skip
_CONDITIONALS = frozenset(
    {"would", "could", "wäre", "ware", "waere", "serait", "seraient", "sería", "seria",
     "sarebbe", "zou", "zouden", "if", "wenn", "falls", "si", "als"}
)  # fmt: skip
NOT_SATISFIED = MEDIUM

_THANKS = phrases_compile((
    r"thanks?|thank you|thx|appreciated?|danke|dank (?:u|je|jullie)(?: wel)?|vielen dank"
    r"|herzlichen dank|besten dank|merci|gracias|obrigad[oa]s?|grazie|bedankt",
))  # fmt: skip
_THANKS_EMPHATIC = phrases_compile((
    r"thank you (?:so|very) much|thanks (?:so|very) much|thanks a (?:lot|million|ton|bunch)"
    r"|many thanks|huge thanks",
    r"vielen herzlichen dank|tausend dank|ganz herzlichen dank|herzlichsten dank",
    r"merci beaucoup|merci infiniment|mille mercis|un grand merci",
    r"muchísimas gracias|mil gracias|muchas gracias",
    r"muito obrigad[oa]|muitíssimo obrigad[oa]|mil obrigad[oa]s?",
    r"grazie mille|grazie infinite|mille grazie|grazie di cuore",
    r"hartelijk (?:dank|bedankt)|heel erg bedankt|ontzettend bedankt|super bedankt",
))  # fmt: skip
# What follows a thank-you that makes it the usual formula: "for your help", "in advance".
_THANKS_FORMULA_TAIL = phrases_compile((
    r"(?:for|für|pour|por|pela|pelo|per|voor) (?:your|you|ihre|ihr|votre|vos|su|sus|tu|sua|a sua"
    r"|o seu|la vostra|il vostro|la sua|il suo|uw|je|jullie|the|die|la|le|el|a|o|il)",
    r"in advance|im voraus|d'avance|par avance|de antemano|por adelantado|desde já"
    r"|antecipadamente|in anticipo|alvast|beforehand",
))  # fmt: skip

_MANAGER_NOUNS_EN = (
    r"(?:manager|supervisor|superior|team lead(?:er)?|boss|director|person in charge)"
)
# A request verb and a determiner that is not "my": "my manager asked me to buy" is not a
# request. Every pattern needs both, in every language.
_MANAGER = phrases_compile((
    # en
    rf"(?:speak|talk|speaking|talking) (?:to|with) (?:(?:a|an|the|your) (?:\w+ )?{_MANAGER_NOUNS_EN}"
    r"|someone (?:in charge|senior|more senior|higher up|with authority))",
    rf"(?:want|demand|request|ask for|asking for|insist on) (?:a|your|the) {_MANAGER_NOUNS_EN}",
    rf"(?:get|put|transfer|connect|pass|escalate) (?:me|this|it|my (?:case|complaint|ticket))"
    rf" (?:through |on )?(?:to|with) (?:a|your|the) {_MANAGER_NOUNS_EN}",
    rf"(?:your|a) {_MANAGER_NOUNS_EN} (?:should|must|needs to|has to|to) (?:call|contact"
    r"|reach out|get in touch|email|look into)",
    # de: "Ihren/einen Vorgesetzten", never "mein Vorgesetzter"
    r"(?:ihren|ihrem|ihrer|einen|einem|zum|zur) (?:vorgesetzte[nr]?|chef(?:in)?"
    r"|teamleiter(?:in)?|abteilungsleiter(?:in)?|geschäftsführ(?:er|erin|ung)"
    r"|verantwortlichen|supervisor|manager)",
    r"(?:mit|an) (?:dem|den|der) (?:vorgesetzten|chef(?:in)?|teamleiter(?:in)?"
    r"|verantwortlichen) (?:\w+ )?(?:sprechen|verbinden|weiterleiten|weitergeben)",
    # fr
    r"(?:parler|m'entretenir|échanger) (?:à|a|avec) (?:(?:un|une|le|la|votre|l') ?(?:responsable"
    r"|supérieur|superviseur|manager|directeur|directrice|chef)|quelqu'un de (?:plus )?"
    r"(?:haut placé|responsable))",
    r"(?:transmettre|transférer|faire remonter|remonter) (?:\w+ ){0,3}(?:à|a) (?:votre|un|une"
    r"|vos|la) (?:responsable|supérieur|superviseur|manager|hiérarchie)",
    r"(?:veux|exige|demande|souhaite|voudrais) (?:parler à |voir |contacter |joindre )?(?:un"
    r"|votre|le) (?:responsable|supérieur|superviseur|manager)",
    # es
    r"(?:hablar|comunicarme|conversar) con (?:(?:un|una|el|la|su|algún) (?:gerente|supervisor"
    r"|supervisora|encargad[oa]|responsable|jef[ea]|superior|director)|alguien (?:superior"
    r"|responsable|a cargo|con autoridad))",
    r"(?:quiero|exijo|solicito|pido|necesito) (?:un|una|el|la|su) (?:gerente|supervisor"
    r"|encargad[oa]|responsable|jef[ea]|superior)",
    r"(?:páseme|pásame|comuníqueme|comunícame|transfiérame) con",
    # pt
    r"(?:falar|conversar) com (?:o|a|um|uma|seu|sua|o seu|a sua|algum) (?:gerente|supervisor"
    r"|supervisora|encarregad[oa]|responsável|chefe|superior|diretor)",
    r"(?:quero|exijo|solicito|peço|preciso) (?:o|a|um|uma|seu) (?:gerente|supervisor"
    r"|encarregad[oa]|responsável|chefe|superior)",
    r"(?:me )?(?:transfira|transfiram|passe|passem) (?:para|ao|à) (?:o |um )?(?:gerente"
    r"|supervisor|responsável)",
    # it
    r"(?:parlare|conferire) con (?:il|la|un|una|il vostro|il suo|la vostra|la sua|un vostro)"
    r" (?:responsabile|supervisore|manager|direttore|superiore|capo)",
    r"(?:voglio|esigo|chiedo|pretendo) (?:il|un|il vostro|un vostro) (?:responsabile"
    r"|supervisore|manager|direttore|superiore)",
    r"(?:inoltrare|passare|girare|segnalare) (?:\w+ ){0,3}(?:al|a un|al vostro|al suo)"
    r" (?:responsabile|supervisore|manager|superiore)",
    # nl
    r"(?:spreken|praten) (?:met|tegen) (?:een|uw|je|jullie|de|iemand van de) (?:leidinggevende"
    r"|manager|supervisor|chef|teamleider|meerdere|baas|directeur|directie)",
    r"(?:wil|eis|verlang|vraag) (?:\w+ )?(?:een|uw|jullie|de|je) (?:leidinggevende|manager"
    r"|supervisor|teamleider)",
    r"met (?:een|uw|je|jullie|de) (?:leidinggevende|manager|supervisor|teamleider|chef)"
    r" (?:\w+ )?(?:spreken|praten)",
    r"(?:doorverbinden|verbind me door|doorsturen|doorzetten) (?:naar|met) (?:een|uw|je"
    r"|jullie|de) (?:leidinggevende|manager|supervisor|teamleider)",
))  # fmt: skip

_NOT_ACCEPTABLE_PATTERN = phrases_compile((_NOT_ACCEPTABLE,))
# Asking to escalate is a request to go over the agent's head too, but it is also what
# calm business mail says under an SLA ("bitte gemäß SLA eskalieren"): weak for the tone.
_ESCALATION = phrases_compile((
    r"escalat(?:e|ed|ing) (?:this|my|the|our|it)|(?:please|pls) escalate"
    r"|(?:request|ask for|want|demand) (?:an )?escalation",
    r"eskalier(?:en|t|e)",
    r"(?:faire )?remonter (?:ma|mon|cette|ce) (?:plainte|réclamation|dossier|demande)"
    r"|escalader (?:ma|mon|cette|ce)",
    r"escal(?:ar|en|e) (?:este|esto|el|mi|la|esta)(?: caso| problema| queja| incidencia)?",
    r"escalar (?:este|isso|isto|o|meu|a|esta)(?: caso| problema| reclamação| chamado)?",
    r"(?:fare )?escalation|scalare (?:la|il|questa|questo) (?:richiesta|problema|segnalazione)",
    r"escaler(?:en|t)",
))  # fmt: skip
_MANAGER_CUE = _Cue("manager request", MEDIUM, _MANAGER)
_ESCALATION_CUE = _Cue("escalation request", WEAK, _ESCALATION)

_PUNCTUATION = ".,;:!?¡¿\"'()[]«»“”…"
_EXCLAMATIONS = re.compile(r"(?=[!?]{3})[!?]*!")  # "!!!", "?!?", not "?!" or "!!"


def _shouting(text: str) -> bool:
    """Return whether a line of *text* has a run of upper-case words.

    Only words of letters count: "PIXMA MG3620" and "WLAN-Verbindung" are names, and break
    a run. "I" and "A" neither break a run nor count.
    """
    for line in text.splitlines():
        run = letters = 0
        for token in line.split():
            word = token.strip(_PUNCTUATION)
            if word.isalpha() and word.isupper():
                if len(word) >= 2:
                    run += 1
                    letters += len(word)
                    if run >= SHOUT_WORDS and letters >= SHOUT_LETTERS:
                        return True
            else:
                run = letters = 0
    return False


def _conditional_before(folded: str, start: int) -> bool:
    """Return whether "would", "wäre", "serait", … stands just before *start*."""
    words = folded[max(0, start - 32) : start].split()[-3:]
    return any(word in _CONDITIONALS or word.endswith("'d") for word in words)


def _first_unnegated(
    cue: _Cue, matches: list[re.Match[str]], folded: str, language: str
) -> re.Match[str] | None:
    """Return the first of *cue*'s *matches* that no negation cancels, or None."""
    for match in matches:
        if not cue.negatable or not negated_at(folded, match.start(), language=language):
            return match
    return None


def _thanks_weight(
    thanks: list[re.Match[str]], emphatic: list[re.Match[str]], folded: str, language: str
) -> float:
    """Return the weight of the customer's thanks: none, a formula, or emphatic thanks."""
    weight = 0.0
    if any(not negated_at(folded, m.start(), language=language) for m in thanks):
        weight = THANKS  # "no thanks to you" is not thanks
    closing_from = len(folded) - CLOSING_CHARS if len(folded) > CLOSING_MIN_CHARS else len(folded)
    for match in emphatic:
        if negated_at(folded, match.start(), language=language):
            continue
        weight = max(weight, THANKS)
        after = len(folded) - len(folded[match.end() :].lstrip(" \n,"))
        if _THANKS_FORMULA_TAIL.match(folded, after) is None and match.start() < closing_from:
            return THANKS_EMPHATIC
    return min(weight, THANKS_MAX)


_REQUESTS = (_MANAGER_CUE, _ESCALATION_CUE)
_PATTERNS = (
    *(cue.pattern for cue in (*_NEGATIVE, *_REQUESTS, *_POSITIVE)),
    _NOT_ACCEPTABLE_PATTERN,
    _NOT_BAD,
    _THANKS,
    _THANKS_EMPHATIC,
)
_COMBINED = patterns_combined(_PATTERNS)
_N_NEGATIVE, _N_REQUESTS, _N_POSITIVE = len(_NEGATIVE), len(_REQUESTS), len(_POSITIVE)


def tone_assess(*, text: str, subject: str = "", language: str = "") -> Tone:
    """Return the tone of a customer's message: label, score, cues and manager request.

    Quoted history in *text* is skipped; *subject* counts like the text. All languages are
    matched; *language* (ISO 639-1) only settles words that differ between languages.
    """
    body = text_unquoted(text)[:MAX_SCAN_CHARS]
    original = f"{subject}\n\n{body}" if subject else body
    folded = text_folded(original)
    found = matches_by_pattern(folded, _PATTERNS, _COMBINED)
    negatives = found[:_N_NEGATIVE]
    requests = found[_N_NEGATIVE : _N_NEGATIVE + _N_REQUESTS]
    positives = found[_N_NEGATIVE + _N_REQUESTS : _N_NEGATIVE + _N_REQUESTS + _N_POSITIVE]
    not_acceptable, not_bad, thanks_found, emphatic_found = found[-4:]

    cues: list[str] = []
    negative = positive = 0.0
    for cue, matches in zip(_NEGATIVE, negatives, strict=True):
        if _first_unnegated(cue, matches, folded, language) is not None:
            cues.append(cue.name)
            negative += cue.weight
    if not_acceptable and "unacceptable" not in cues:
        cues.append("unacceptable")
        negative += STRONG

    manager = False
    for request, matches in zip(_REQUESTS, requests, strict=True):
        if _first_unnegated(request, matches, folded, language) is not None:
            manager = True
            cues.append(request.name)
            negative += request.weight

    for cue, matches in zip(_POSITIVE, positives, strict=True):
        for match in matches:
            if negated_at(folded, match.start(), language=language):
                # "not happy", "nicht zufrieden", "not great"; "doesn't work now" is nothing
                if cue.name != "works now" and "not satisfied" not in cues:
                    cues.append("not satisfied")
                    negative += NOT_SATISFIED
                break
            if _conditional_before(folded, match.start()):
                continue  # "it would be great if…": politeness, not praise
            cues.append(cue.name)
            positive += cue.weight
            break
    if not_bad:
        cues.append("not bad")
        positive += WEAK

    if _shouting(original):
        cues.append("shouting")
        negative += MEDIUM

    thanks = _thanks_weight(thanks_found, emphatic_found, folded, language)
    if thanks:
        cues.append("thanks")
        # Half weight next to anything negative: a polite sign-off does not cancel anger.
        positive += thanks / 2 if negative else thanks

    if _EXCLAMATIONS.search(original) and negative + _EPSILON >= positive:
        cues.append("exclamations")
        negative += WEAK

    net = positive - negative
    if net <= -NET_THRESHOLD + _EPSILON:
        label = "negative"
    elif net >= NET_THRESHOLD - _EPSILON:
        label = "positive"
    else:
        label = "neutral"
    return Tone(
        label=label,
        score=round(math.tanh(net), 3),
        cues=tuple(cues),
        asks_for_manager=manager,
    )
