"""Reply templates: choose the variant in the customer's language, fill in its variables,
send it (issue #3: rules send them; the desk's macros build on them).

Templates are written by admins but filled with customers' text, and rendered with
Django's template language under tight limits: a plain-text engine (no autoescaping,
so "Tom & Jerry" stays as written), a context of plain dicts of strings only
(`customer.first_name`, `customer.name`, `ticket.reference`, `ticket.subject`,
`agent.name`, `facts.<kind>`) — never model instances, so `{{ ticket.customer.addresses.all }}`
reaches nothing — and only tags that cannot load files, other libraries or debug output.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from django.db import transaction
from django.db.models import F
from django.template import (
    Context,
    Engine,
    Library,
    TemplateSyntaxError,
    defaultfilters,
    defaulttags,
)

from postroom.mail.models import OutboundMessage
from postroom.mail.outbound.compose import last_inbound_message
from postroom.mail.outbound.replies import reply_send
from postroom.replies.models import ReplyTemplate, ReplyTemplateVariant
from postroom.tickets.models import EventKind, Message, Ticket, TicketEvent, TicketStatus

if TYPE_CHECKING:
    from django.contrib.auth.models import User

logger = logging.getLogger(__name__)

FALLBACK_LANGUAGE = "en"

# Control flow and formatting only: no {% include %}/{% extends %} (files), {% load %}
# (other libraries), {% debug %} (dumps the context and every loaded module), {% url %},
# {% csrf_token %} or {% block %}.
_ALLOWED_TAGS = frozenset({
    "autoescape", "comment", "cycle", "filter", "firstof", "for", "if", "ifchanged", "now",
    "regroup", "resetcycle", "spaceless", "templatetag", "verbatim", "widthratio", "with",
})


@dataclass(frozen=True)
class RenderedReply:
    subject: str  # "" = the ticket's subject
    body: str


def _engine() -> Engine:
    library = Library()
    library.tags = {k: v for k, v in defaulttags.register.tags.items() if k in _ALLOWED_TAGS}
    library.filters = dict(defaultfilters.register.filters)
    engine = Engine(dirs=[], app_dirs=False, autoescape=False, libraries={}, loaders=[])
    # Replace the default builtins (which include loader tags and {% debug %}) after init:
    # Engine always prepends them to whatever `builtins` it is given.
    engine.template_builtins = [library]
    return engine


_ENGINE = _engine()


def template_syntax_error(text: str) -> str:
    """Return why *text* is not a valid reply template, or "" when it is."""
    try:
        _ENGINE.from_string(text)
    except TemplateSyntaxError as exc:
        return str(exc)
    return ""


def template_variant_for(*, template: ReplyTemplate, language: str) -> ReplyTemplateVariant | None:
    """Return *template*'s variant in *language*, else its base language ("pt" for
    "pt-br"), else English, else any; None when it has no variant at all."""
    variants = list(template.variants.all())
    by_language = {v.language.strip().lower(): v for v in variants}
    wanted = language.strip().lower()
    for key in (wanted, wanted.split("-", 1)[0], FALLBACK_LANGUAGE):
        if key and key in by_language:
            return by_language[key]
    return variants[0] if variants else None


def template_context(
    *, ticket: Ticket, message: Message | None = None, agent: User | None = None
) -> dict[str, Any]:
    """Return the variables a template may use, as plain dicts of strings."""
    customer = ticket.customer
    name = (customer.name if customer is not None else "") or (message.from_name if message else "")
    name = " ".join(name.split())
    facts = ticket.facts if isinstance(ticket.facts, dict) else {}
    return {
        "customer": {"name": name, "first_name": name.split(" ", 1)[0] if name else ""},
        "ticket": {"reference": ticket.reference, "subject": ticket.subject},
        "agent": {"name": (agent.get_full_name() or agent.get_username()) if agent is not None else ""},
        "facts": {
            str(kind): ", ".join(str(v) for v in values) if isinstance(values, list | tuple) else str(values)
            for kind, values in facts.items()
        },
    }


def template_render(
    *,
    variant: ReplyTemplateVariant,
    ticket: Ticket,
    message: Message | None = None,
    agent: User | None = None,
) -> RenderedReply:
    """Fill *variant*'s subject and body in for *ticket*; raises ValueError when broken."""
    variables = template_context(ticket=ticket, message=message, agent=agent)
    try:
        subject = _render(variant.subject, variables) if variant.subject else ""
        body = _render(variant.body, variables)
    except TemplateSyntaxError as exc:
        raise ValueError(f"reply template variant {variant.pk} ({variant.language}) is broken: {exc}") from exc
    # A subject is one line (no header injection); the composer adds "Re:" and the reference.
    return RenderedReply(subject=" ".join(subject.split()), body=body.strip("\r\n"))


def _render(text: str, variables: dict[str, Any]) -> str:
    # Plain text: the Context decides escaping, not the engine, so switch it off here.
    return _ENGINE.from_string(text).render(Context(variables, autoescape=False))


def template_reply_send(
    *,
    ticket: Ticket,
    template: ReplyTemplate,
    actor: User | None = None,
    status_after: TicketStatus | str | None = None,
) -> OutboundMessage | None:
    """Send *template* to *ticket*'s customer in their language; None when it cannot be.

    Without *actor* the reply is automatic (a rule sent it): marked Auto-Submitted and
    the ticket's status is kept. Counts the use and notes it on the timeline.
    """
    if not template.active:
        logger.info("reply template %s is inactive; not sent on %s", template.pk, ticket.reference)
        return None
    language = ticket.language or (ticket.customer.language if ticket.customer is not None else "")
    variant = template_variant_for(template=template, language=language)
    if variant is None:
        logger.warning("reply template %s has no variant; not sent on %s", template.pk, ticket.reference)
        return None
    rendered = template_render(variant=variant, ticket=ticket, message=last_inbound_message(ticket), agent=actor)
    automatic = actor is None
    if status_after is None and automatic:
        status_after = ticket.status
    with transaction.atomic():
        outbound = reply_send(
            ticket=ticket, author=actor, text=rendered.body, subject=rendered.subject,
            status_after=status_after, automatic=automatic,
        )
        ReplyTemplate.objects.filter(pk=template.pk).update(uses=F("uses") + 1)
        TicketEvent.objects.create(
            ticket=ticket,
            kind=EventKind.REPLY,
            summary=f"Reply template “{template.name}” ({variant.language}) sent"[:500],
            source=f"agent:{actor.pk}" if actor is not None else f"template:{template.pk}",
            actor=actor,
            detail={"template": template.pk, "variant": variant.pk, "language": variant.language,
                    "outbound": outbound.pk},
        )
    return outbound
