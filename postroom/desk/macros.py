"""Macros on the desk (issue #4): saved replies with variables, per-language variants and
actions (set status, add tags, assign).

A macro is a `ReplyTemplate` (postroom/replies). The composer previews the variant in the
customer's language, the agent edits the text and sends it; sending applies the macro's
actions and counts one use. Previewing counts nothing.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from typing import TYPE_CHECKING

from django.db import transaction
from django.db.models import Exists, F, OuterRef, QuerySet
from django.template import TemplateSyntaxError

from postroom.accounts.models import Queue
from postroom.mail.outbound.compose import last_inbound_message
from postroom.replies.models import ReplyTemplate, ReplyTemplateVariant
from postroom.replies.services import template_render, template_variant_for
from postroom.tickets.models import Ticket, TicketStatus
from postroom.tickets.services import (
    ticket_fields_change,
    ticket_set_status,
    ticket_tags_change,
)

if TYPE_CHECKING:
    from django.contrib.auth.models import User

logger = logging.getLogger(__name__)


@dataclass(frozen=True)
class MacroPreview:
    """A macro filled in for one ticket, as the composer shows it before sending."""

    macro: ReplyTemplate
    language: str  # the variant shown; "" when the macro has no variant
    languages: tuple[str, ...]  # every variant's language, for the switcher
    subject: str  # "" = the reply keeps "Re: <ticket subject>"
    body: str
    actions: tuple[str, ...]  # "set status: Solved", "add tags: refund", "assign to you"
    error: str  # why the macro could not be filled in; "" when it could


def macros_for(*, ticket: Ticket, user: User) -> list[ReplyTemplate]:
    """Return the active macros offered on *ticket*: those of its queue and those limited
    to no queue, by name."""
    del user  # every agent of the queue gets the same macros (no personal ones yet)
    return list(_available(ticket).only("id", "name").order_by("name"))


def macro_for(*, ticket: Ticket, user: User, macro_id: int) -> ReplyTemplate | None:
    """Return macro *macro_id* with its variants and tags if it is offered on *ticket*."""
    del user
    return (
        _available(ticket)
        .filter(pk=macro_id)
        .prefetch_related("variants", "action_tags")
        .first()
    )


def _available(ticket: Ticket) -> QuerySet[ReplyTemplate]:
    through = ReplyTemplate.queues.through
    limited = through.objects.filter(replytemplate_id=OuterRef("pk"))
    in_queue = limited.filter(queue_id=ticket.queue_id)
    # An empty queue list means every queue (the admin's help text says so).
    return ReplyTemplate.objects.filter(active=True).filter(~Exists(limited) | Exists(in_queue))


def customer_language(ticket: Ticket) -> str:
    """Return the language *ticket*'s customer writes in: the ticket's, else the customer's."""
    if ticket.language:
        return ticket.language
    customer = ticket.customer
    return customer.language if customer is not None else ""


def macro_variant(*, macro: ReplyTemplate, ticket: Ticket, language: str = "") -> ReplyTemplateVariant | None:
    """Return the variant of *macro* to use on *ticket*: *language* if it has it, else the
    customer's language (falling back as `template_variant_for` does)."""
    variants = list(macro.variants.all())
    wanted = language.strip().lower()
    for variant in variants:
        if wanted and variant.language.strip().lower() == wanted:
            return variant
    return template_variant_for(template=macro, language=customer_language(ticket))


def macro_preview(
    *, ticket: Ticket, macro: ReplyTemplate, agent: User, language: str = ""
) -> MacroPreview:
    """Fill *macro* in for *ticket* as *agent* would send it; never raises for a broken
    template (the error is in the preview)."""
    languages = tuple(v.language for v in macro.variants.all())
    actions = macro_actions(macro=macro, ticket=ticket, user=agent)
    variant = macro_variant(macro=macro, ticket=ticket, language=language)
    if variant is None:
        return MacroPreview(macro=macro, language="", languages=languages, subject="", body="",
                            actions=actions, error=f"The macro “{macro.name}” has no text in any language yet.")
    try:
        rendered = template_render(variant=variant, ticket=ticket, message=last_inbound_message(ticket),
                                   agent=agent)
    except (ValueError, TemplateSyntaxError) as exc:
        return MacroPreview(macro=macro, language=variant.language, languages=languages, subject="", body="",
                            actions=actions, error=_broken(macro, variant, exc))
    except Exception as exc:  # an admin's template must never take the ticket page down (issue #4)
        logger.warning("macro %s (%s) failed to render on ticket %s", macro.pk, variant.language, ticket.pk,
                       exc_info=True)
        return MacroPreview(macro=macro, language=variant.language, languages=languages, subject="", body="",
                            actions=actions, error=_broken(macro, variant, exc))
    return MacroPreview(macro=macro, language=variant.language, languages=languages, subject=rendered.subject,
                        body=rendered.body, actions=actions, error="")


def _broken(macro: ReplyTemplate, variant: ReplyTemplateVariant, exc: Exception) -> str:
    reason = str(exc).split(" is broken: ", 1)[-1]
    return (f"The macro “{macro.name}” ({variant.language}) could not be filled in: {reason}. "
            "Ask an admin to fix it under Settings → Reply templates.")


def _is_member(*, ticket: Ticket, user: User) -> bool:
    return Queue.members.through.objects.filter(queue_id=ticket.queue_id, user_id=user.pk).exists()


def macro_actions(*, macro: ReplyTemplate, ticket: Ticket, user: User) -> tuple[str, ...]:
    """Return what sending *macro* will do besides replying, in words for *user*."""
    actions: list[str] = []
    if macro.action_status:
        actions.append(f"set status: {TicketStatus(macro.action_status).label}")
    tags = [tag.name for tag in macro.action_tags.all()]
    if tags:
        actions.append(f"add tags: {', '.join(tags)}")
    if macro.action_assign == "me":
        if _is_member(ticket=ticket, user=user):
            actions.append("assign to you")
        else:
            actions.append("assign to you — skipped: you are not a member of this ticket's queue")
    elif macro.action_assign == "nobody":
        actions.append("unassign")
    return tuple(actions)


def macro_apply(*, ticket: Ticket, macro: ReplyTemplate, actor: User) -> list[str]:
    """Apply *macro*'s actions to *ticket* for *actor* and count one use; returns the
    timeline's words for what changed.

    "Assign to me" assigns *actor* only if they are a member of the ticket's queue: an
    assignee outside the queue could not see the ticket.
    """
    source = f"macro:{macro.pk}"
    done: list[str] = []
    with transaction.atomic():
        if macro.action_status and ticket.status != macro.action_status:
            ticket_set_status(ticket=ticket, status=macro.action_status, actor=actor, source=source)
            done.append(f"status {macro.action_status}")
        tags = [tag.name for tag in macro.action_tags.all()]
        if tags:
            added, _ = ticket_tags_change(ticket=ticket, add=tags, actor=actor, source=source)
            done.extend(f"+{name}" for name in added)
        assignee: User | None = None
        change = False
        if macro.action_assign == "me" and _is_member(ticket=ticket, user=actor):
            assignee, change = actor, True
        elif macro.action_assign == "nobody":
            change = True
        if change and ticket.assignee_id != (assignee.pk if assignee is not None else None):
            ticket_fields_change(ticket=ticket, changes={"assignee": assignee}, actor=actor, source=source)
            done.append(f"assignee {assignee.get_username() if assignee is not None else '—'}")
        macro_use_count(macro=macro)
    return done


def macro_use_count(*, macro: ReplyTemplate) -> None:
    """Count one use of *macro* (an UPDATE with F(), so concurrent sends all count)."""
    ReplyTemplate.objects.filter(pk=macro.pk).update(uses=F("uses") + 1)
