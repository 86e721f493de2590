"""The interim agent desk: tickets in the Django admin, with the thread and a reply form.

Mail content is hostile: text goes through template auto-escaping, HTML only through
`sanitize_html` and then into a sandboxed frame that loads no remote content.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta
from typing import TYPE_CHECKING, Any, cast

from django import forms
from django.conf import settings
from django.contrib import admin, messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.validators import validate_email
from django.db.models import QuerySet
from django.http import (
    Http404,
    HttpRequest,
    HttpResponse,
    HttpResponseNotAllowed,
    HttpResponseRedirect,
)
from django.urls import NoReverseMatch, path, reverse
from django.utils.html import format_html, format_html_join
from django.utils.safestring import mark_safe

from postroom.accounts.models import Queue
from postroom.core import clock
from postroom.core.html import sanitize_html
from postroom.core.uploads import MultipleFileField, attachment_from_upload
from postroom.mail.outbound.replies import note_add, reply_send
from postroom.tickets.models import (
    Attachment,
    Direction,
    Message,
    Ticket,
    TicketEvent,
    TicketStatus,
)
from postroom.tickets.queries import tickets_visible_to
from postroom.tickets.services import (
    ticket_fields_change,
    ticket_merge,
    ticket_set_status,
    ticket_split,
    ticket_triage_done,
)

if TYPE_CHECKING:
    from django.contrib.auth.models import User

# The HTML part of a message is shown in a sandboxed frame (no scripts, no same origin)
# whose policy blocks everything remote: no tracking pixels, no external CSS or fonts.
_FRAME_POLICY = (
    '<meta http-equiv="Content-Security-Policy" content="default-src \'none\'; '
    "img-src data: cid:; style-src 'unsafe-inline'\">"
    '<base target="_blank">'
)


def attachment_url(attachment: Attachment) -> str:
    """Return the desk's download link for *attachment*, "" if the URLs are not mounted."""
    try:
        return reverse("tickets:attachment-download", args=[attachment.pk])
    except NoReverseMatch:
        return ""


@dataclass(frozen=True)
class AttachmentLink:
    filename: str
    size: int
    content_type: str
    url: str


@dataclass(frozen=True)
class ThreadEntry:
    """One message as the thread template shows it (values still to be escaped)."""

    css: str
    label: str
    who: str
    message: Message
    html_frame: str  # sanitised HTML wrapped for the sandboxed frame's srcdoc
    has_more: bool
    attachments: tuple[AttachmentLink, ...]


_CSS: dict[str, str] = {
    Direction.INBOUND: "msg-in",
    Direction.OUTBOUND: "msg-out",
    Direction.NOTE: "msg-note",
    Direction.AUTO: "msg-auto",
}


def thread_entries(ticket: Ticket) -> list[ThreadEntry]:
    """Return *ticket*'s messages, oldest first, prepared for display."""
    rows = (
        Message.objects.filter(ticket=ticket)
        .select_related("author")
        .prefetch_related("attachments")
        .order_by("created_at", "id")
    )
    entries = []
    for m in rows:
        if m.direction == Direction.INBOUND:
            who = f"{m.from_name} <{m.from_address}>" if m.from_name else m.from_address
        elif m.author is not None:
            who = m.author.get_full_name() or m.author.get_username()
        else:
            who = m.from_address or "Postroom"
        # Stored HTML keeps remote image URLs; the desk shows none of them (no tracking).
        html = sanitize_html(m.body_html, remote_images=False) if m.body_html else ""
        entries.append(
            ThreadEntry(
                css=_CSS.get(m.direction, "msg-in"),
                label=m.get_direction_display(),
                who=who,
                message=m,
                html_frame=_FRAME_POLICY + html if html else "",
                has_more=bool(m.body_text.strip())
                and m.body_text.strip() != m.visible_text.strip(),
                attachments=tuple(
                    AttachmentLink(a.filename, a.size, a.content_type, attachment_url(a))
                    for a in m.attachments.all()
                ),
            )
        )
    return entries


class ReplyForm(forms.Form):
    """What an agent writes on a ticket page: a reply to the customer or a note."""

    text = forms.CharField(widget=forms.Textarea(attrs={"rows": 10, "cols": 90}), strip=False)
    cc = forms.CharField(
        required=False,
        help_text="Further recipients, separated by commas.",
        widget=forms.TextInput(attrs={"size": 80}),
    )
    internal_note = forms.BooleanField(
        required=False, label="Internal note (not sent to the customer)"
    )
    status_after = forms.ChoiceField(
        choices=[
            (s.value, s.label)
            for s in (
                TicketStatus.PENDING,
                TicketStatus.OPEN,
                TicketStatus.SOLVED,
                TicketStatus.CLOSED,
            )
        ],
        initial=TicketStatus.PENDING,
        label="Status after reply",
    )
    attachments = MultipleFileField(required=False)

    def clean_cc(self) -> list[str]:
        addresses = [a.strip() for a in self.cleaned_data["cc"].replace(";", ",").split(",")]
        addresses = [a for a in addresses if a]
        for address in addresses:
            try:
                validate_email(address)
            except ValidationError:
                raise ValidationError(f"Not an email address: {address}") from None
        return addresses

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        if not (data.get("text") or "").strip():
            self.add_error("text", "Write something first.")
        return data


class TicketViewFilter(admin.SimpleListFilter):
    """The desk's views: work in the queues by default, spam kept apart (issue #2)."""

    title = "view"
    parameter_name = "view"

    def lookups(self, request, model_admin):
        return (("triage", "Needs triage"), ("due_soon", "Due within 2 hours"), ("overdue", "Overdue"),
                ("spam", "Spam"), ("merged", "Merged"), ("all", "All"))

    def choices(self, changelist):
        # Replace Django's "All" entry: the default view here is "In queues".
        yield {
            "selected": self.value() is None,
            "query_string": changelist.get_query_string(remove=[self.parameter_name]),
            "display": "In queues",
        }
        for lookup, title in self.lookup_choices:
            yield {
                "selected": self.value() == lookup,
                "query_string": changelist.get_query_string({self.parameter_name: lookup}),
                "display": title,
            }

    def queryset(self, request, queryset):
        value = self.value()
        if value == "all":
            return queryset
        if value in {"spam", "merged"}:
            return queryset.filter(status=value)
        if value in {"due_soon", "overdue"}:
            # Issue #5: the earliest open SLA target of each ticket (waiting on the customer: none).
            now = clock.now()
            open_ones = queryset.filter(status__in=["new", "open"], sla__next_due__isnull=False)
            if value == "overdue":
                return open_ones.filter(sla__next_due__lt=now).order_by("sla__next_due")
            return open_ones.filter(sla__next_due__gte=now,
                                    sla__next_due__lt=now + timedelta(hours=2)).order_by("sla__next_due")
        if value == "triage":
            # Issue #3: what a model was unsure of waits here for a person.
            return queryset.filter(needs_triage=True).exclude(status__in=["spam", "merged", "closed"])
        return queryset.exclude(status__in=["spam", "merged"])


@admin.register(Ticket)
class TicketAdmin(admin.ModelAdmin):
    list_display = (
        "reference_link",
        "subject",
        "queue",
        "category",
        "status",
        "priority",
        "triage_flag",
        "sla_due",
        "customer",
        "assignee",
        "updated_at",
    )
    list_display_links = None
    actions = ("merge_selected", "mark_triaged")
    list_filter = (TicketViewFilter, "status", "priority", "queue", "category", "assignee", "language", "tone")
    list_select_related = ("queue", "customer", "assignee", "category", "sla")
    # Shows the search box; the search itself goes through the full-text index
    # (get_search_results), these fields are what it covers besides the messages.
    search_fields = (
        "subject",
        "customer__name",
        "customer__addresses__address",
        "messages__from_address",
        "facts",  # firmware 2.3.1, SO-2024-00123, E-102 … (the JSON as text)
    )
    ordering = ("-updated_at",)
    date_hierarchy = "updated_at"
    fields = (
        "reference",
        "subject",
        "status",
        "priority",
        "queue",
        "category",
        "assignee",
        "tags",
        "needs_triage",
        "decided_by",
        "facts_display",
        "tone_display",
        "customer",
        "language",
        "our_address",
        "linked_from",
        "merged_into",
        "created_at",
        "updated_at",
        "solved_at",
        "closed_at",
    )
    readonly_fields = (
        "reference",
        "needs_triage",
        "decided_by",
        "facts_display",
        "tone_display",
        "customer",
        "language",
        "our_address",
        "linked_from",
        "merged_into",
        "created_at",
        "updated_at",
        "solved_at",
        "closed_at",
    )
    change_form_template = "admin/tickets/ticket/change_form.html"

    @admin.display(description="Ticket", ordering="id")
    def reference_link(self, obj: Ticket) -> str:
        url = reverse("admin:tickets_ticket_change", args=[obj.pk])
        return format_html('<a href="{}">{}</a>', url, obj.reference)

    @admin.display(description="Triage", boolean=True, ordering="needs_triage")
    def triage_flag(self, obj: Ticket) -> bool | None:
        return True if obj.needs_triage else None

    @admin.display(description="SLA", ordering="sla__next_due")
    def sla_due(self, obj: Ticket) -> str:
        """Show "due in 3h" / "overdue 25 min" for the earliest open target."""
        from postroom.sla.due import due_phrase
        from postroom.sla.models import TicketSla

        try:
            sla = obj.sla
        except TicketSla.DoesNotExist:
            return "—"
        if sla.paused_since:
            return "paused (waiting on customer)"
        phrase = due_phrase(sla.next_due)
        if not phrase:
            return "—"
        target = sla.next_due_target.replace("_", " ")
        if phrase.startswith("overdue"):
            return format_html('<strong style="color:#ba2121">{}</strong> <small>{}</small>', phrase, target)
        return format_html("{} <small>{}</small>", phrase, target)

    @admin.display(description="Decided by")
    def decided_by(self, obj: Ticket) -> str:
        """Show which source set each routed field (mailbox, classifier vN p=…, rule:N)."""
        items = [(field, d.get("value", ""), d.get("source", "")) for field, d in (obj.auto_fields or {}).items()]
        if not items:
            return "—"
        return format_html_join(mark_safe("<br>"), "{}: {} <small>[{}]</small>", items)

    @admin.display(description="Facts")
    def facts_display(self, obj: Ticket) -> str:
        from postroom.routing.facts import FACT_LABELS

        items = [(FACT_LABELS.get(kind, kind), ", ".join(values)) for kind, values in (obj.facts or {}).items()]
        if not items:
            return "—"
        return format_html_join(mark_safe("<br>"), "{}: {}", items)

    @admin.display(description="Tone")
    def tone_display(self, obj: Ticket) -> str:
        return f"{obj.tone} ({obj.tone_score:+.2f})" if obj.tone else "—"

    @admin.action(description="Mark selected tickets as triaged")
    def mark_triaged(self, request: HttpRequest, queryset: QuerySet[Ticket]) -> None:
        agent = _agent(request)
        done = 0
        for ticket in queryset.filter(needs_triage=True):
            ticket_triage_done(ticket=ticket, actor=agent)
            done += 1
        self.message_user(request, f"{done} ticket(s) triaged.")

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False  # tickets come from mail

    def changelist_view(self, request: HttpRequest, extra_context: dict[str, Any] | None = None) -> HttpResponse:
        """Show the desk's lists; tell the agent about unread SLA notices first (issue #5)."""
        from postroom.sla.models import SlaNotice

        unread = SlaNotice.objects.filter(user=_agent(request), read_at__isnull=True).count()
        if unread and request.method == "GET":
            url = reverse("admin:sla_slanotice_changelist") + "?read_at__isnull=True"
            messages.warning(request, format_html('{} unread SLA notice(s): <a href="{}">review them</a>.', unread, url))
        return super().changelist_view(request, extra_context)

    def get_queryset(self, request: HttpRequest) -> QuerySet[Ticket]:
        return tickets_visible_to(request.user, super().get_queryset(request)).distinct()

    def get_search_results(
        self, request: HttpRequest, queryset: QuerySet[Ticket], search_term: str
    ) -> tuple[QuerySet[Ticket], bool]:
        """Find tickets through the full-text index (subject, messages, notes, customer,
        facts), and "PR-42" or "42" by ticket number; the list's filters still apply."""
        from postroom.search.queries import tickets_search

        if not search_term.strip():
            return queryset, False
        page = tickets_search(query=search_term, queryset=queryset, limit=200)
        results = queryset.filter(pk__in=list(page.ticket_ids))
        term = search_term.strip().strip("[]").upper()
        number = term.removeprefix(f"{str(settings.POSTROOM['TICKET_PREFIX']).upper()}-")
        if number.isdigit():
            results = results | queryset.filter(pk=int(number))
        return results, False

    def formfield_for_foreignkey(self, db_field: Any, request: HttpRequest, **kwargs: Any) -> Any:
        if db_field.name == "queue" and not request.user.is_superuser:
            kwargs["queryset"] = Queue.objects.filter(members=_agent(request))
        return super().formfield_for_foreignkey(db_field, request, **kwargs)

    def save_model(self, request: HttpRequest, obj: Ticket, form: Any, change: bool) -> None:
        """Save; status and routed fields go through their services for the timeline
        (and, for an automatic decision an agent corrects, routing feedback)."""
        new_status = obj.status
        status_changed = change and "status" in form.changed_data
        if status_changed:
            obj.status = form.initial["status"]
        routed = {f: getattr(obj, f) for f in ("queue", "category", "priority", "assignee")
                  if change and f in form.changed_data}
        for field in routed:
            initial = form.initial.get(field)
            model_field = Ticket._meta.get_field(field)
            if model_field.is_relation:
                setattr(obj, f"{field}_id", initial)
            else:
                setattr(obj, field, initial)
        super().save_model(request, obj, form, change)
        if routed:
            ticket_fields_change(ticket=obj, changes=routed, actor=_agent(request))
        if status_changed:
            ticket_set_status(ticket=obj, status=new_status, actor=_agent(request))

    def get_urls(self) -> list[Any]:
        urls = [
            path(
                "<path:object_id>/reply/",
                self.admin_site.admin_view(self.reply_view),
                name="tickets_ticket_reply",
            ),
            path(
                "<path:object_id>/split/<int:message_id>/",
                self.admin_site.admin_view(self.split_view),
                name="tickets_ticket_split",
            ),
        ]
        return urls + super().get_urls()

    def change_view(
        self,
        request: HttpRequest,
        object_id: str,
        form_url: str = "",
        extra_context: dict[str, Any] | None = None,
    ) -> HttpResponse:
        extra_context = dict(extra_context or {})
        ticket = self.get_object(request, object_id)
        if ticket is not None:
            form = extra_context.pop("reply_form", None)
            if form is None:
                form = ReplyForm()
            extra_context.update(self._desk_context(request, ticket, form))
        return super().change_view(request, object_id, form_url, extra_context)

    def _desk_context(
        self, request: HttpRequest, ticket: Ticket, form: ReplyForm
    ) -> dict[str, Any]:
        return {
            "thread": thread_entries(ticket),
            "timeline": TicketEvent.objects.filter(ticket=ticket).select_related("actor"),
            "reply_form": form,
            "reply_url": reverse("admin:tickets_ticket_reply", args=[ticket.pk]),
            "can_reply": self.has_change_permission(request, ticket),
        }

    def reply_view(self, request: HttpRequest, object_id: str) -> HttpResponse:
        """Send a reply (or add a note) from the ticket page; thin over the services."""
        if request.method != "POST":
            return HttpResponseNotAllowed(["POST"])
        ticket = self.get_object(request, object_id)
        if ticket is None:
            raise Http404("No such ticket.")
        if not self.has_change_permission(request, ticket):
            raise PermissionDenied
        change_url = reverse("admin:tickets_ticket_change", args=[ticket.pk])
        form = ReplyForm(request.POST, request.FILES)
        if form.is_valid():
            data = form.cleaned_data
            try:
                if data["internal_note"]:
                    note_add(ticket=ticket, author=_agent(request), text=data["text"])
                    messages.success(request, "Internal note added.")
                else:
                    outbound = reply_send(
                        ticket=ticket,
                        author=_agent(request),
                        text=data["text"],
                        cc=data["cc"],
                        attachments=[attachment_from_upload(f) for f in data["attachments"]],
                        status_after=data["status_after"],
                    )
                    messages.success(request, f"Reply queued to {', '.join(outbound.recipients)}.")
                return HttpResponseRedirect(change_url)
            except ValueError as exc:
                form.add_error(None, str(exc))
        # Show the page again with the agent's text and the errors; the page's own
        # form still posts to the change URL.
        request.method = "GET"
        return self.change_view(
            request, object_id, form_url=change_url, extra_context={"reply_form": form}
        )


    def split_view(self, request: HttpRequest, object_id: str, message_id: int) -> HttpResponse:
        """Move one message off this ticket into a new ticket; thin over `ticket_split`."""
        if request.method != "POST":
            return HttpResponseNotAllowed(["POST"])
        ticket = self.get_object(request, object_id)
        if ticket is None or not self.has_change_permission(request, ticket):
            raise Http404("No such ticket.")
        message = Message.objects.filter(pk=message_id, ticket=ticket).first()
        if message is None:
            raise Http404("No such message on this ticket.")
        try:
            new = ticket_split(message=message, actor=_agent(request))
        except ValueError as exc:
            messages.error(request, str(exc))
            return HttpResponseRedirect(reverse("admin:tickets_ticket_change", args=[ticket.pk]))
        messages.success(request, f"The message is now ticket {new.reference}.")
        return HttpResponseRedirect(reverse("admin:tickets_ticket_change", args=[new.pk]))

    @admin.action(description="Merge selected tickets into the oldest of them")
    def merge_selected(self, request: HttpRequest, queryset: QuerySet[Ticket]) -> None:
        """Merge every selected ticket into the oldest selected one (`ticket_merge`)."""
        tickets = list(queryset.exclude(status=TicketStatus.MERGED).order_by("created_at", "pk"))
        if len(tickets) < 2:
            messages.warning(request, "Select at least two tickets to merge.")
            return
        target, sources = tickets[0], tickets[1:]
        for source in sources:
            ticket_merge(source=source, target=target, actor=_agent(request))
        merged = ", ".join(t.reference for t in sources)
        messages.success(request, f"Merged {merged} into {target.reference}.")


def _agent(request: HttpRequest) -> User:
    """Return the signed-in staff user (admin views are only reachable signed in)."""
    return cast("User", request.user)


