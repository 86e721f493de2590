"""Desk views: the composer on the ticket page and macros (issue #4).

The ticket page includes "desk/ticket/_composer.html" with `composer_context(...)` merged
into its context. The composer posts to `desk:reply`; a macro's preview
(`desk:macro-preview`) returns the composer filled in.

Collision hold (issue #4, "new activity — review before sending"): the composer carries
`seen`, the newest message id on the ticket when the agent's page was rendered, and
`seen_event`, the newest timeline event id (to notice a merge that brought in older
messages). A send that finds a newer customer message, another agent's reply or note, or
a merge by someone else is not sent: the composer comes back with the agent's text, a
banner listing what is new, and `seen` moved on, so that pressing Send again sends.

Re-rendered composers (form errors, a hold) answer htmx with the fragment and status 200,
because htmx 2 swaps no 4xx response by default and the page's htmx config (allowEval
off) leaves no room for an inline handler; a hold adds the `HX-Trigger:
ticket:new-activity` event so the ticket page can refresh its thread. Without htmx the
same answer is a page of its own ("desk/ticket/_composer_page.html": the new messages
and the composer with the text kept), status 409 for a hold and 400 for errors — a
redirect would lose the agent's text.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import TYPE_CHECKING, Any, cast
from urllib.parse import urlencode

from django import forms
from django.conf import settings
from django.contrib import messages
from django.core.exceptions import ValidationError
from django.core.validators import validate_email
from django.db import transaction
from django.db.models import Max
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import render
from django.template.defaultfilters import filesizeformat
from django.urls import URLPattern, path, reverse
from django.views.decorators.http import require_GET, require_POST

from postroom.core.uploads import MultipleFileField, attachment_from_upload
from postroom.desk.access import desk_view, ticket_for
from postroom.desk.htmx import is_htmx, page_redirect
from postroom.desk.macros import (
    MacroPreview,
    macro_apply,
    macro_for,
    macro_preview,
    macro_variant,
    macros_for,
)
from postroom.mail.outbound.compose import last_inbound_message
from postroom.mail.outbound.replies import note_add, reply_recipient, reply_send
from postroom.replies.models import ReplyTemplate, ReplyTemplateVariant
from postroom.replies.services import template_render
from postroom.tickets.models import Direction, EventKind, Message, Ticket, TicketEvent, TicketStatus

if TYPE_CHECKING:
    from django.contrib.auth.models import User

# "Send and set status": the reply's status choices, waiting on the customer first.
STATUS_CHOICES = [
    (TicketStatus.PENDING.value, "Send and wait for the customer (pending)"),
    (TicketStatus.OPEN.value, "Send and keep open"),
    (TicketStatus.SOLVED.value, "Send and mark solved"),
    (TicketStatus.CLOSED.value, "Send and close"),
]
MAX_CC = 20
# How many new messages a hold lists (the newest); the rest are counted.
HELD_SHOWN = 10


def max_attachment_bytes() -> int:
    """Return the most an outgoing message's attachments may weigh together."""
    return int(settings.POSTROOM["MAX_ATTACHMENT_BYTES"])


class ComposerForm(forms.Form):
    """What an agent writes on a ticket: a reply to the customer or an internal note."""

    text = forms.CharField(label="Message", required=False, strip=False,
                           widget=forms.Textarea(attrs={"rows": 10}))
    cc = forms.CharField(label="Cc", required=False, max_length=4000,
                         help_text="Further recipients, separated by commas.")
    internal_note = forms.BooleanField(label="Internal note", required=False)
    status_after = forms.ChoiceField(label="Status after sending", choices=STATUS_CHOICES,
                                     initial=TicketStatus.PENDING.value)
    attachments = MultipleFileField(label="Attachments", required=False)
    seen = forms.IntegerField(required=False, min_value=0, widget=forms.HiddenInput)
    seen_event = forms.IntegerField(required=False, min_value=0, widget=forms.HiddenInput)
    macro = forms.IntegerField(required=False, min_value=1, widget=forms.HiddenInput)
    language = forms.CharField(required=False, max_length=8, widget=forms.HiddenInput)

    def __init__(self, *args: Any, ticket: Ticket, user: User, **kwargs: Any) -> None:
        kwargs.setdefault("auto_id", "composer-%s")  # stable ids for labels, hx-include and tests
        super().__init__(*args, **kwargs)
        self.ticket = ticket
        self.user = user

    def clean_cc(self) -> list[str]:
        raw = self.cleaned_data.get("cc") or ""
        addresses = [a.strip() for a in raw.replace(";", ",").split(",")]
        addresses = [a for a in addresses if a]
        for address in addresses:
            try:
                validate_email(address)
            except ValidationError:
                raise ValidationError(f"Not an email address: {address}") from None
        if len(addresses) > MAX_CC:
            raise ValidationError(f"At most {MAX_CC} addresses in Cc.")
        return list(dict.fromkeys(a.lower() for a in addresses))

    def clean_attachments(self) -> list[Any]:
        files = self.cleaned_data.get("attachments") or []
        total = sum(f.size or 0 for f in files)
        limit = max_attachment_bytes()
        if total > limit:
            raise ValidationError(
                f"The attachments come to {filesizeformat(total)}; the limit is {filesizeformat(limit)}."
            )
        return files

    def clean_macro(self) -> ReplyTemplate | None:
        macro_id = self.cleaned_data.get("macro")
        if not macro_id:
            return None
        macro = macro_for(ticket=self.ticket, user=self.user, macro_id=macro_id)
        if macro is None:
            raise ValidationError("That macro is not offered on this ticket any more.")
        return macro

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        if not (data.get("text") or "").strip():
            self.add_error("text", "Write something first.")
        data["subject"] = ""
        macro = data.get("macro")
        if macro is not None and not data.get("internal_note"):
            # The macro's own subject in the chosen language (the body is the agent's, edited).
            variant = macro_variant(macro=macro, ticket=self.ticket, language=data.get("language") or "")
            if variant is not None and variant.subject:
                # Only the subject: the body sent is the agent's (edited) text.
                subject_only = ReplyTemplateVariant(template=macro, language=variant.language,
                                                    subject=variant.subject, body="")
                try:
                    data["subject"] = template_render(
                        variant=subject_only, ticket=self.ticket, message=last_inbound_message(self.ticket),
                        agent=self.user,
                    ).subject
                except Exception as exc:  # an admin's broken template is shown, never a 500
                    self.add_error(None, f"The macro's subject could not be filled in: {exc}")
        return data


@dataclass(frozen=True)
class NewActivity:
    """Something that happened on a ticket after the agent's page was rendered."""

    who: str
    what: str
    at: datetime
    text: str
    css: str


@dataclass(frozen=True)
class Composer:
    """Everything "desk/ticket/_composer.html" shows (under the context name `composer`)."""

    ticket: Ticket
    form: ComposerForm
    recipient: str
    seen: int | None
    seen_event: int | None
    macros: list[tuple[str, str]]  # (name, preview URL)
    reply_url: str
    presence_url: str
    ticket_url: str
    max_attachment_bytes: int
    preview: MacroPreview | None = None
    languages: list[tuple[str, str, bool]] = field(default_factory=list)  # (language, URL, current)
    held: list[NewActivity] = field(default_factory=list)
    held_more: int = 0
    files_dropped: bool = False
    autofocus: bool = False


def _agent(request: HttpRequest) -> User:
    """Return the signed-in agent (desk_view let only them in)."""
    return cast("User", request.user)


def ticket_newest(ticket: Ticket) -> tuple[int | None, int | None]:
    """Return the ids of *ticket*'s newest message and newest timeline event."""
    message = Message.objects.filter(ticket=ticket).aggregate(newest=Max("id"))["newest"]
    event = TicketEvent.objects.filter(ticket=ticket).aggregate(newest=Max("id"))["newest"]
    return message, event


def activity_since(
    *, ticket: Ticket, user: User, seen: int | None, seen_event: int | None
) -> list[NewActivity]:
    """Return what others added to *ticket* after message *seen* / event *seen_event*,
    oldest first: customer messages, other agents' replies and notes, merges.

    Automatic messages (acknowledgements) are left out: they answer a customer message
    that is itself listed. The agent's own messages (another tab) are left out too.
    """
    rows = (
        Message.objects.filter(ticket=ticket, id__gt=seen or 0)
        .exclude(direction=Direction.AUTO)
        .exclude(author=user)
        .select_related("author")
        .order_by("created_at", "id")
    )
    found = [_activity(m) for m in rows]
    if seen_event is not None:
        merges = (
            TicketEvent.objects.filter(ticket=ticket, kind=EventKind.MERGED, id__gt=seen_event)
            .exclude(actor=user)
            .select_related("actor")
        )
        found.extend(
            NewActivity(who=_name(e.actor) if e.actor is not None else "Postroom",
                        what="merged a ticket in", at=e.created_at, text=e.summary, css="msg-auto")
            for e in merges
            if "from" in (e.detail or {})
        )
        found.sort(key=lambda a: a.at)
    return found


def _name(user: Any) -> str:
    return user.get_full_name() or user.get_username()


def _activity(message: Message) -> NewActivity:
    text = (message.visible_text or message.body_text).strip()
    if message.direction == Direction.INBOUND:
        who = message.from_name or message.from_address or "The customer"
        return NewActivity(who=who, what="wrote", at=message.created_at, text=text, css="msg-in")
    who = _name(message.author) if message.author is not None else (message.from_address or "Postroom")
    if message.direction == Direction.NOTE:
        return NewActivity(who=who, what="added an internal note", at=message.created_at, text=text,
                           css="msg-note")
    return NewActivity(who=who, what="replied to the customer", at=message.created_at, text=text,
                       css="msg-out")


def _with_query(url: str, **params: Any) -> str:
    query = urlencode({k: v for k, v in params.items() if v not in (None, "")})
    return f"{url}?{query}" if query else url


def composer_context(
    request: HttpRequest, ticket: Ticket, form: ComposerForm | None = None, **kwargs: Any
) -> dict[str, Any]:
    """Return what desk/ticket/_composer.html needs for *ticket*, as {"composer": …}.

    Optional keywords: `seen` / `seen_event` (the newest message and event ids, when the
    ticket page has them at hand, saving two queries), `recipient`, `preview` (a
    `MacroPreview`), `held` (a list of `NewActivity`), `files_dropped`, `autofocus`.
    """
    agent = _agent(request)
    recipient = kwargs["recipient"] if "recipient" in kwargs else reply_recipient(ticket)
    if form is None:
        if "seen" in kwargs and "seen_event" in kwargs:
            seen, seen_event = kwargs["seen"], kwargs["seen_event"]
        else:
            seen, seen_event = ticket_newest(ticket)
        form = ComposerForm(ticket=ticket, user=agent,
                            initial={"seen": seen, "seen_event": seen_event,
                                     # Nobody to reply to: a note is all that can be written.
                                     "internal_note": not recipient,
                                     "status_after": TicketStatus.PENDING.value})
    else:
        seen, seen_event = form["seen"].value(), form["seen_event"].value()
    keep = {"seen": seen, "seen_event": seen_event}
    macros = [
        (m.name, _with_query(reverse("desk:macro-preview", args=[ticket.pk, m.pk]), **keep))
        for m in macros_for(ticket=ticket, user=agent)
    ]
    preview: MacroPreview | None = kwargs.get("preview")
    languages = []
    if preview is not None:
        base = reverse("desk:macro-preview", args=[ticket.pk, preview.macro.pk])
        languages = [(lang, _with_query(base, language=lang, **keep), lang == preview.language)
                     for lang in preview.languages]
    held: list[NewActivity] = list(kwargs.get("held") or [])
    composer = Composer(
        ticket=ticket,
        form=form,
        recipient=recipient,
        seen=seen,
        seen_event=seen_event,
        macros=macros,
        reply_url=reverse("desk:reply", args=[ticket.pk]),
        presence_url=reverse("desk:ticket-presence", args=[ticket.pk]),
        ticket_url=reverse("desk:ticket", args=[ticket.pk]),
        max_attachment_bytes=max_attachment_bytes(),
        preview=preview,
        languages=languages,
        held=held[-HELD_SHOWN:],
        held_more=max(0, len(held) - HELD_SHOWN),
        files_dropped=bool(kwargs.get("files_dropped")),
        autofocus=bool(kwargs.get("autofocus")),
    )
    return {"composer": composer}


def _composer_response(request: HttpRequest, ticket: Ticket, context: dict[str, Any], *,
                       status: int = 200) -> HttpResponse:
    """Answer htmx with the composer fragment, a plain request with a page around it."""
    if is_htmx(request):
        response = render(request, "desk/ticket/_composer.html", context)
        response["HX-Retarget"] = "#composer"
        response["HX-Reswap"] = "outerHTML"
        return response
    return render(request, "desk/ticket/_composer_page.html", {**context, "ticket": ticket, "nav": "inbox"},
                  status=status)


def _preview_of(request: HttpRequest, ticket: Ticket, macro: ReplyTemplate | None,
                language: str) -> MacroPreview | None:
    if macro is None:
        return None
    return macro_preview(ticket=ticket, macro=macro, agent=_agent(request), language=language)


@desk_view
@require_POST
def reply(request: HttpRequest, ticket_id: int) -> HttpResponse:
    """Send the composer: a reply to the customer or an internal note, then the macro's actions."""
    agent = _agent(request)
    ticket = ticket_for(request, ticket_id, select=("queue", "customer"))
    form = ComposerForm(request.POST, request.FILES, ticket=ticket, user=agent)
    if not form.is_valid():
        return _invalid(request, ticket, form)
    data = form.cleaned_data
    macro: ReplyTemplate | None = data["macro"]
    news: list[NewActivity] = []
    done = ""
    try:
        with transaction.atomic():
            # Lock the ticket (PostgreSQL) so two agents sending at once hold each other.
            list(Ticket.objects.select_for_update().filter(pk=ticket.pk).values_list("pk", flat=True))
            news = activity_since(ticket=ticket, user=agent, seen=data["seen"], seen_event=data["seen_event"])
            if not news:
                done = _send(ticket=ticket, agent=agent, data=data, macro=macro)
    except ValueError as exc:
        reason = str(exc)
        form.add_error(None, f"Not sent: {reason}.")
        return _invalid(request, ticket, form)
    if news:
        return _held(request, ticket, form, news)
    messages.success(request, done)
    return page_redirect(request, reverse("desk:ticket", args=[ticket.pk]), htmx_status=204)


def _send(*, ticket: Ticket, agent: User, data: dict[str, Any], macro: ReplyTemplate | None) -> str:
    """Write the note or queue the reply, apply the macro; returns the success message."""
    if data["internal_note"]:
        note_add(ticket=ticket, author=agent, text=data["text"])
        done = "Internal note added."
    else:
        # A macro that sets a status decides it (with its own timeline source); the reply
        # then keeps the status as it is.
        status_after = ticket.status if macro is not None and macro.action_status else data["status_after"]
        outbound = reply_send(
            ticket=ticket, author=agent, text=data["text"], cc=data["cc"],
            attachments=[attachment_from_upload(f) for f in data["attachments"]],
            status_after=status_after, subject=data["subject"],
        )
        done = f"Reply queued to {', '.join(outbound.recipients)}."
    if macro is not None:
        macro_apply(ticket=ticket, macro=macro, actor=agent)
    return done


def _invalid(request: HttpRequest, ticket: Ticket, form: ComposerForm) -> HttpResponse:
    macro = form.cleaned_data.get("macro") if hasattr(form, "cleaned_data") else None
    preview = _preview_of(request, ticket, macro, form.cleaned_data.get("language") or "")
    context = composer_context(request, ticket, form=form, preview=preview, autofocus=True)
    return _composer_response(request, ticket, context, status=400)


def _held(request: HttpRequest, ticket: Ticket, form: ComposerForm, news: list[NewActivity]) -> HttpResponse:
    """Show the composer again with the agent's words and what is new; nothing was sent."""
    data = form.cleaned_data
    seen, seen_event = ticket_newest(ticket)
    macro = data["macro"]
    kept = ComposerForm(ticket=ticket, user=_agent(request), initial={
        "text": data["text"],
        "cc": request.POST.get("cc", ""),
        "internal_note": data["internal_note"],
        "status_after": data["status_after"],
        "macro": macro.pk if macro is not None else None,
        "language": data["language"],
        "seen": seen,
        "seen_event": seen_event,
    })
    preview = _preview_of(request, ticket, macro, data["language"])
    context = composer_context(request, ticket, form=kept, preview=preview, held=news,
                               files_dropped=bool(data["attachments"]), autofocus=True)
    response = _composer_response(request, ticket, context, status=409)
    if is_htmx(request):
        response["HX-Trigger"] = "ticket:new-activity"
    return response


@desk_view
@require_GET
def macro_preview_view(request: HttpRequest, ticket_id: int, macro_id: int) -> HttpResponse:
    """Return the composer filled in with a macro (?language=xx picks the variant).

    Keeps what the composer already had (cc, note, status, the hold's `seen`), passed
    as query parameters; counts no use.
    """
    agent = _agent(request)
    ticket = ticket_for(request, ticket_id, select=("queue", "customer"))
    macro = macro_for(ticket=ticket, user=agent, macro_id=macro_id)
    if macro is None:
        raise Http404("No such macro for this ticket.")
    preview = macro_preview(ticket=ticket, macro=macro, agent=agent, language=request.GET.get("language", ""))
    status_after = request.GET.get("status_after", "")
    if status_after not in dict(STATUS_CHOICES):
        status_after = TicketStatus.PENDING.value
    seen, seen_event = _int_param(request, "seen"), _int_param(request, "seen_event")
    if seen is None:
        # Opened without the page's ids (a link followed by hand): this page shows no
        # thread, so treat everything as unseen rather than as reviewed.
        seen, seen_event = 0, 0
    form = ComposerForm(ticket=ticket, user=agent, initial={
        "text": preview.body,
        "cc": request.GET.get("cc", ""),
        "internal_note": request.GET.get("internal_note", "") in {"on", "1", "true"},
        "status_after": status_after,
        # A macro that cannot be filled in is not used: no subject, no actions.
        "macro": macro.pk if not preview.error else None,
        "language": preview.language,
        "seen": seen,
        "seen_event": seen_event,
    })
    context = composer_context(request, ticket, form=form, preview=preview, autofocus=True)
    return _composer_response(request, ticket, context)


def _int_param(request: HttpRequest, name: str) -> int | None:
    value = request.GET.get(name, "")
    return int(value) if value.isdigit() else None


urlpatterns: list[URLPattern] = [
    path("t/<int:ticket_id>/reply/", reply, name="reply"),
    path("t/<int:ticket_id>/macros/<int:macro_id>/", macro_preview_view, name="macro-preview"),
]
