"""The desk's composer and macros (issue #4): replies and notes, Cc and attachments,
"send and set status", macros with variables, languages and actions, and the hold on new
activity ("review before sending")."""

from __future__ import annotations

import re

import pytest
from django.contrib.auth.models import User
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from postroom.accounts.models import Role
from postroom.desk.views.compose import composer_context
from postroom.mail.models import OutboundKind, OutboundMessage
from postroom.mail.outbound import transports
from postroom.replies.models import ReplyTemplate, ReplyTemplateVariant
from postroom.tickets.models import Direction, EventKind, Message, Tag, Ticket, TicketEvent
from tests.desk.conftest import desk_user, signed_in

HTMX = {"HTTP_HX_REQUEST": "true"}


@pytest.fixture(autouse=True)
def memory_transport(settings, tmp_path):
    settings.POSTROOM = {
        **settings.POSTROOM,
        "OUTBOUND_TRANSPORT": "postroom.mail.outbound.transports.MemoryTransport",
    }
    settings.MEDIA_ROOT = tmp_path
    transports.outbox.clear()
    yield transports.outbox
    transports.outbox.clear()


@pytest.fixture
def ticket(make_ticket):
    return make_ticket(address="anna@customer.example", name="Anna Berg", body="My watch stopped syncing.")


@pytest.fixture
def refund_tag(db):
    return Tag.objects.create(name="refund")


@pytest.fixture
def macro(refund_tag):
    """A macro in English and German that solves, tags "refund" and assigns the sender."""
    m = ReplyTemplate.objects.create(name="Refund issued", action_status="solved", action_assign="me")
    m.action_tags.add(refund_tag)
    ReplyTemplateVariant.objects.create(
        template=m, language="en", subject="Your refund for {{ facts.order_number }}",
        body="Hi {{ customer.first_name }},\n\nyour refund on {{ ticket.reference }} for order "
             "{{ facts.order_number }} is on its way.\n\n{{ agent.name }}",
    )
    ReplyTemplateVariant.objects.create(
        template=m, language="de", subject="Ihre Erstattung für {{ facts.order_number }}",
        body="Hallo {{ customer.first_name }},\n\nIhre Erstattung zu {{ ticket.reference }} für die "
             "Bestellung {{ facts.order_number }} ist unterwegs.\n\n{{ agent.name }}",
    )
    return m


def reply_url(ticket: Ticket) -> str:
    return reverse("desk:reply", args=[ticket.pk])


def preview_url(ticket: Ticket, macro: ReplyTemplate) -> str:
    return reverse("desk:macro-preview", args=[ticket.pk, macro.pk])


def seen_ids(client, ticket: Ticket) -> dict[str, str]:
    """Return the composer's hidden seen / seen_event values from the ticket page."""
    page = client.get(reverse("desk:ticket", args=[ticket.pk])).content.decode()
    return {name: re.search(rf'name="{name}" value="(\d+)"', page).group(1) for name in ("seen", "seen_event")}


def post_reply(client, ticket: Ticket, **data):
    data.setdefault("status_after", "pending")
    if "seen" not in data:
        data.update(seen_ids(client, ticket))
    return client.post(reply_url(ticket), data)


# --- the composer on the ticket page ---------------------------------------------------------


def test_the_ticket_page_shows_the_composer_with_recipient_macros_and_what_the_agent_saw(
    agent, agent_client, ticket, macro
):
    page = agent_client.get(reverse("desk:ticket", args=[ticket.pk])).content.decode()

    composer = page.split('<section id="composer"', 1)[1].split("</section>", 1)[0]
    assert 'id="composer-to">anna@customer.example<' in composer
    assert "replies go to the customer" in composer
    assert 'name="internal_note"' in composer and 'type="checkbox"' in composer
    assert "Note — not sent to the customer" in composer
    assert 'enctype="multipart/form-data"' in composer and 'hx-encoding="multipart/form-data"' in composer
    assert 'name="attachments"' in composer and "multiple" in composer
    assert '<option value="pending" selected>Send and wait for the customer (pending)</option>' in composer
    newest = Message.objects.filter(ticket=ticket).latest("id").pk
    assert f'name="seen" value="{newest}"' in composer
    assert "Refund issued" in composer and preview_url(ticket, macro) in composer
    # Typing tells the others once that this agent is replying.
    presence = reverse("desk:ticket-presence", args=[ticket.pk])
    assert f'hx-post="{presence}"' in composer and 'hx-trigger="input once"' in composer
    assert 'hx-vals=\'{"replying": "1"}\'' in composer
    # The form's own hx-* (disabled submit button, target) are not the textarea's: its
    # presence post would look for a submit button inside itself, an htmx console error.
    form_tag = re.search(r'<form id="composer-form"[^>]*>', composer).group(0)
    assert 'hx-disabled-elt="find button[type=submit]"' in form_tag and 'hx-disinherit="*"' in form_tag


def test_the_composer_costs_a_constant_number_of_queries(
    rf, agent, make_ticket, macro, django_assert_max_num_queries
):
    small = make_ticket(messages=1)
    big = make_ticket(messages=30)
    for i in range(20):
        ReplyTemplate.objects.create(name=f"Macro {i}")
    request = rf.get("/")
    request.user = agent
    for ticket in (small, big):
        ticket = Ticket.objects.select_related("queue", "customer").get(pk=ticket.pk)
        with django_assert_max_num_queries(6):
            context = composer_context(request, ticket)
        assert len(context["composer"].macros) == 21


def test_a_ticket_without_a_customer_address_offers_a_note(agent_client, make_ticket):
    ticket = make_ticket(messages=0)
    Ticket.objects.filter(pk=ticket.pk).update(customer=None)

    page = agent_client.get(reverse("desk:ticket", args=[ticket.pk])).content.decode()

    assert "This ticket has no customer address: only an internal note can be added." in page
    assert re.search(r'name="internal_note" id="composer-internal_note"\s+checked', page)


# --- sending -------------------------------------------------------------------------------


def test_a_reply_queues_mail_to_the_customer_with_cc_and_attachments_and_sets_the_chosen_status(
    agent_client, ticket, memory_transport, django_capture_on_commit_callbacks
):
    seen = seen_ids(agent_client, ticket)
    with django_capture_on_commit_callbacks(execute=True):
        response = agent_client.post(reply_url(ticket), {
            "text": "Please re-pair the watch.",
            "cc": "Lena@Example.org, ops@example.org",
            "status_after": "solved",
            "attachments": [SimpleUploadedFile("manual.pdf", b"%PDF-1.4 manual", content_type="application/pdf"),
                            SimpleUploadedFile("steps.txt", b"1. unpair", content_type="text/plain")],
            **seen,
        })

    assert response.status_code == 302
    assert response["Location"] == reverse("desk:ticket", args=[ticket.pk])
    outbound = OutboundMessage.objects.get(kind=OutboundKind.REPLY)  # solving also asks for a rating
    assert outbound.recipients == ["anna@customer.example", "lena@example.org", "ops@example.org"]
    assert len(memory_transport) == OutboundMessage.objects.count()
    data = bytes(outbound.data)
    assert b"manual.pdf" in data and b"steps.txt" in data
    sent = Message.objects.get(ticket=ticket, direction=Direction.OUTBOUND)
    assert sent.body_text == "Please re-pair the watch."
    assert sorted(a.filename for a in sent.attachments.all()) == ["manual.pdf", "steps.txt"]
    ticket.refresh_from_db()
    assert ticket.status == "solved"
    page = agent_client.get(response["Location"]).content.decode()
    assert "Reply queued to anna@customer.example, lena@example.org, ops@example.org." in page


def test_an_internal_note_sends_nothing(agent, agent_client, ticket):
    response = post_reply(agent_client, ticket, text="Customer is on firmware 2.3.", internal_note="on",
                          cc="lena@example.org", status_after="solved")

    assert response.status_code == 302
    assert not OutboundMessage.objects.exists()
    note = Message.objects.get(ticket=ticket, direction=Direction.NOTE)
    assert (note.author, note.body_text) == (agent, "Customer is on firmware 2.3.")
    ticket.refresh_from_db()
    assert ticket.status == "open"  # a note changes no status
    assert "Internal note added." in agent_client.get(response["Location"]).content.decode()


def test_empty_text_is_refused_with_a_message(agent_client, ticket):
    response = post_reply(agent_client, ticket, text="  \n ", cc="lena@example.org")

    assert response.status_code == 400
    page = response.content.decode()
    assert "Write something first." in page
    assert 'value="lena@example.org"' in page  # what the agent typed stays
    assert not OutboundMessage.objects.exists()
    assert not Message.objects.filter(ticket=ticket).exclude(direction=Direction.INBOUND).exists()


def test_a_bad_cc_address_is_refused_and_the_text_kept(agent_client, ticket):
    response = post_reply(agent_client, ticket, text="Here is <b>the fix</b>.", cc="lena@example.org, not an address")

    assert response.status_code == 400
    page = response.content.decode()
    assert "Not an email address: not an address" in page
    assert "Here is &lt;b&gt;the fix&lt;/b&gt;." in page
    assert not OutboundMessage.objects.exists()


def test_attachments_over_the_size_limit_are_refused(settings, agent_client, ticket):
    settings.POSTROOM = {**settings.POSTROOM, "MAX_ATTACHMENT_BYTES": 10}
    response = post_reply(agent_client, ticket, text="See the log.",
                          attachments=[SimpleUploadedFile("log.txt", b"x" * 11, content_type="text/plain")])

    assert response.status_code == 400
    assert "the limit is 10\xa0bytes" in response.content.decode()
    assert not OutboundMessage.objects.exists()


def test_htmx_sends_and_is_redirected_to_the_ticket(agent_client, ticket):
    seen = seen_ids(agent_client, ticket)
    response = agent_client.post(reply_url(ticket), {"text": "Done.", "status_after": "pending", **seen}, **HTMX)

    assert response.status_code == 204
    assert response["HX-Redirect"] == reverse("desk:ticket", args=[ticket.pk])
    assert OutboundMessage.objects.count() == 1


def test_htmx_gets_the_composer_back_with_errors(agent_client, ticket):
    seen = seen_ids(agent_client, ticket)
    response = agent_client.post(reply_url(ticket), {"text": "", "status_after": "pending", **seen}, **HTMX)

    # htmx 2 swaps no 4xx answer, so the fragment comes back as 200.
    assert response.status_code == 200
    page = response.content.decode()
    assert '<section id="composer"' in page and "<html" not in page
    assert "Write something first." in page


def test_an_agent_of_another_queue_gets_404_on_reply_and_macro_preview(billing_agent, ticket, macro):
    client = signed_in(billing_agent)

    assert client.post(reply_url(ticket), {"text": "Hi", "status_after": "pending", "seen": "0"}).status_code == 404
    assert client.get(preview_url(ticket, macro)).status_code == 404
    assert not OutboundMessage.objects.exists()
    assert not Message.objects.filter(ticket=ticket).exclude(direction=Direction.INBOUND).exists()


def test_replying_needs_post(agent_client, ticket):
    assert agent_client.get(reply_url(ticket)).status_code == 405


# --- macros --------------------------------------------------------------------------------


def test_macro_preview_fills_in_the_variables_in_the_customers_language(agent_client, make_ticket, macro):
    german = make_ticket(address="jonas@kunde.example", name="Jonas Weber", language="de",
                         facts={"order_number": ["SO-2024-00123"]})

    response = agent_client.get(preview_url(german, macro), **HTMX)

    assert response.status_code == 200
    page = response.content.decode()
    assert "<html" not in page  # the composer fragment for htmx
    text = page.split('name="text"', 1)[1].split(">", 1)[1].split("</textarea>", 1)[0]
    assert text == (f"Hallo Jonas,\n\nIhre Erstattung zu {german.reference} für die Bestellung "
                    "SO-2024-00123 ist unterwegs.\n\nAlex")
    assert 'id="composer-subject">Ihre Erstattung für SO-2024-00123<' in page
    assert f'name="macro" value="{macro.pk}"' in page
    assert 'name="language" value="de"' in page
    assert 'aria-current="true" lang="de"' in page
    assert f"{preview_url(german, macro)}?language=en" in page


def test_customer_text_filled_into_a_macro_stays_escaped(agent_client, make_ticket, macro):
    hostile = make_ticket(name="<img/src=x/onerror=alert(1)> Berg", facts={"order_number": ["</textarea><script>"]})

    page = agent_client.get(preview_url(hostile, macro), **HTMX).content.decode()

    assert "Hi &lt;img/src=x/onerror=alert(1)&gt;," in page
    assert "&lt;/textarea&gt;&lt;script&gt;" in page
    assert "<script>" not in page and "<img/src" not in page


def test_macro_preview_switches_to_the_language_asked_for(agent_client, make_ticket, macro):
    german = make_ticket(name="Jonas Weber", language="de", facts={"order_number": ["SO-1"]})

    page = agent_client.get(preview_url(german, macro), {"language": "en"}, **HTMX).content.decode()

    assert "Hi Jonas,\n\nyour refund on" in page
    assert 'id="composer-subject">Your refund for SO-1<' in page
    assert 'name="language" value="en"' in page


def test_a_customer_language_without_a_variant_falls_back_to_english(agent_client, make_ticket, macro):
    french = make_ticket(name="Chloé Martin", language="fr")

    page = agent_client.get(preview_url(french, macro), **HTMX).content.decode()

    assert "Hi Chloé," in page


def test_macro_preview_shows_its_actions_and_counts_no_use(agent_client, ticket, macro):
    response = agent_client.get(preview_url(ticket, macro), **HTMX)

    assert 'id="composer-actions">Will set status: Solved · add tags: refund · assign to you<' in (
        response.content.decode()
    )
    macro.refresh_from_db()
    assert macro.uses == 0


def test_macro_preview_without_htmx_is_a_page_keeping_cc_and_note(agent_client, ticket, macro):
    response = agent_client.get(preview_url(ticket, macro), {"cc": "ops@example.org", "internal_note": "on",
                                                             "status_after": "open", "seen": "5"})

    assert response.status_code == 200
    page = response.content.decode()
    assert "<html" in page and '<section id="composer"' in page
    assert 'value="ops@example.org"' in page
    assert re.search(r'name="internal_note" id="composer-internal_note"\s+checked', page)
    assert '<option value="open" selected>' in page
    assert 'name="seen" value="5"' in page


def test_sending_with_a_macro_applies_status_tags_and_assignee_and_counts_one_use(
    agent, agent_client, make_ticket, macro
):
    ticket = make_ticket(language="de", facts={"order_number": ["SO-7"]})

    response = post_reply(agent_client, ticket, text="Hallo Anna, erledigt.", status_after="pending",
                          macro=str(macro.pk), language="de")

    assert response.status_code == 302
    outbound = OutboundMessage.objects.get(kind=OutboundKind.REPLY)
    assert "Ihre Erstattung für SO-7" in outbound.subject
    sent = Message.objects.get(ticket=ticket, direction=Direction.OUTBOUND)
    assert sent.body_text == "Hallo Anna, erledigt."  # the agent's edited text, not the macro's
    ticket.refresh_from_db()
    assert ticket.status == "solved"  # the macro's status wins over "send and wait"
    assert ticket.assignee == agent
    assert list(ticket.tags.values_list("name", flat=True)) == ["refund"]
    macro.refresh_from_db()
    assert macro.uses == 1
    sources = set(TicketEvent.objects.filter(ticket=ticket, kind__in=[EventKind.STATUS, EventKind.FIELD,
                                                                      EventKind.ASSIGNED])
                  .values_list("source", flat=True))
    assert sources == {f"macro:{macro.pk}"}


def test_an_internal_note_with_a_macro_applies_its_actions_too(agent_client, ticket, refund_tag):
    escalate = ReplyTemplate.objects.create(name="Escalate", action_assign="nobody")
    escalate.action_tags.add(refund_tag)
    ReplyTemplateVariant.objects.create(template=escalate, language="en", body="Escalated.")
    ticket.assignee = User.objects.get(username="alex")
    ticket.save()

    post_reply(agent_client, ticket, text="Escalated to billing.", internal_note="on", macro=str(escalate.pk))

    assert not OutboundMessage.objects.exists()
    ticket.refresh_from_db()
    assert ticket.assignee is None
    assert list(ticket.tags.values_list("name", flat=True)) == ["refund"]
    escalate.refresh_from_db()
    assert escalate.uses == 1


def test_assign_to_me_skips_an_agent_outside_the_queue(desk_admin, ticket, macro):
    client = signed_in(desk_admin)  # sees every queue without being a member of any

    page = client.get(preview_url(ticket, macro), **HTMX).content.decode()
    assert "assign to you — skipped: you are not a member of this ticket" in page
    post_reply(client, ticket, text="Refund sent.", macro=str(macro.pk))

    ticket.refresh_from_db()
    assert ticket.assignee is None
    assert ticket.status == "solved"


def test_a_broken_macro_template_gives_a_clear_error(agent_client, ticket):
    broken = ReplyTemplate.objects.create(name="Broken", action_status="closed")
    ReplyTemplateVariant.objects.create(template=broken, language="en", subject="{% if %}", body="Hi {% if x %}")

    response = agent_client.get(preview_url(ticket, broken), **HTMX)

    assert response.status_code == 200
    page = response.content.decode()
    assert "The macro “Broken” (en) could not be filled in" in page
    assert "Ask an admin to fix it" in page
    # Not used: no actions promised, nothing that would apply them on sending.
    assert 'name="macro" id="composer-macro"' in page
    assert "Will set status" not in page
    sent = post_reply(agent_client, ticket, text="Written by hand.", macro=str(broken.pk))
    assert sent.status_code == 400
    assert "The macro&#x27;s subject could not be filled in" in sent.content.decode()
    assert not OutboundMessage.objects.exists()


def test_a_macro_with_a_broken_body_still_sends_the_agents_text_with_its_subject(agent_client, ticket):
    half = ReplyTemplate.objects.create(name="Half broken")
    ReplyTemplateVariant.objects.create(template=half, language="en", subject="About {{ ticket.reference }}",
                                        body="Hi {% if x %}")

    sent = post_reply(agent_client, ticket, text="Written by hand.", macro=str(half.pk))

    assert sent.status_code == 302
    assert f"About {ticket.reference}" in OutboundMessage.objects.get().subject


def test_macros_are_limited_to_their_queues_and_inactive_ones_are_hidden(
    agent, agent_client, make_ticket, queues, macro
):
    billing_only = ReplyTemplate.objects.create(name="Invoice copy")
    billing_only.queues.add(queues["billing"])
    ReplyTemplateVariant.objects.create(template=billing_only, language="en", body="Attached.")
    support_only = ReplyTemplate.objects.create(name="Reset the watch")
    support_only.queues.add(queues["support"])
    ReplyTemplateVariant.objects.create(template=support_only, language="en", body="Hold the button.")
    retired = ReplyTemplate.objects.create(name="Old promo", active=False)
    ReplyTemplateVariant.objects.create(template=retired, language="en", body="Old.")
    ticket = make_ticket(queue="support")

    page = agent_client.get(reverse("desk:ticket", args=[ticket.pk])).content.decode()
    composer = page.split('<section id="composer"', 1)[1].split("</section>", 1)[0]
    assert "Refund issued" in composer and "Reset the watch" in composer
    assert "Invoice copy" not in composer and "Old promo" not in composer
    assert agent_client.get(preview_url(ticket, billing_only)).status_code == 404
    assert agent_client.get(preview_url(ticket, retired)).status_code == 404
    sent = post_reply(agent_client, ticket, text="Hi", macro=str(billing_only.pk))
    assert sent.status_code == 400
    assert not OutboundMessage.objects.exists()


# --- the hold: new activity since the page was rendered -------------------------------------


def test_a_customer_message_after_the_page_was_rendered_holds_the_send(agent_client, ticket):
    seen = seen_ids(agent_client, ticket)
    Message.objects.create(ticket=ticket, direction=Direction.INBOUND, from_address="anna@customer.example",
                           from_name="Anna <script>alert(1)</script>", body_text="Never mind, it works!",
                           visible_text="Never mind, it works!")

    held = agent_client.post(reply_url(ticket), {"text": "Please re-pair the watch.", "cc": "ops@example.org",
                                                 "status_after": "solved", **seen})

    assert held.status_code == 409
    page = held.content.decode()
    assert not OutboundMessage.objects.exists()
    assert 'class="held"' in page and "New activity — review before sending." in page
    assert "Anna &lt;script&gt;alert(1)&lt;/script&gt;</strong> wrote at" in page
    assert "<script>alert(1)" not in page
    assert "Never mind, it works!" in page
    assert ">Please re-pair the watch.</textarea>" in page
    assert 'value="ops@example.org"' in page
    assert '<option value="solved" selected>' in page
    newest = Message.objects.filter(ticket=ticket).latest("id").pk
    assert f'name="seen" value="{newest}"' in page

    # The agent read it and sends anyway: the updated `seen` lets it through.
    seen_again = {name: re.search(rf'name="{name}" value="(\d+)"', page).group(1)
                  for name in ("seen", "seen_event")}
    sent = agent_client.post(reply_url(ticket), {"text": "Please re-pair the watch.", "status_after": "solved",
                                                 **seen_again})
    assert sent.status_code == 302
    assert OutboundMessage.objects.count() == 1


def test_a_hold_over_htmx_returns_the_composer_and_tells_the_page(agent_client, ticket):
    seen = seen_ids(agent_client, ticket)
    Message.objects.create(ticket=ticket, direction=Direction.INBOUND, from_address="anna@customer.example",
                           body_text="One more thing", visible_text="One more thing")

    held = agent_client.post(reply_url(ticket), {
        "text": "Draft", "status_after": "pending", **seen,
        "attachments": [SimpleUploadedFile("a.txt", b"a", content_type="text/plain")],
    }, **HTMX)

    assert held.status_code == 200
    assert held["HX-Trigger"] == "ticket:new-activity"
    page = held.content.decode()
    assert "<html" not in page and 'id="composer-held"' in page
    assert "anna@customer.example</strong> wrote at" in page
    assert "Your attachments were not kept: attach them again." in page
    assert not OutboundMessage.objects.exists()


def test_another_agents_note_holds_the_send(django_user_model, queues, agent_client, ticket):
    colleague = desk_user(django_user_model, "kim", role=Role.AGENT, queues=(queues["support"],))
    seen = seen_ids(agent_client, ticket)
    Message.objects.create(ticket=ticket, direction=Direction.NOTE, author=colleague,
                           body_text="I'm on it, wait", visible_text="I'm on it, wait")

    held = agent_client.post(reply_url(ticket), {"text": "Hello", "status_after": "pending", **seen})

    assert held.status_code == 409
    assert "Kim</strong> added an internal note at" in held.content.decode()
    assert not OutboundMessage.objects.exists()


def test_the_agents_own_earlier_note_does_not_hold(agent, agent_client, ticket):
    seen = seen_ids(agent_client, ticket)
    note = post_reply(agent_client, ticket, text="Checked the logs.", internal_note="on", **seen)
    assert note.status_code == 302

    # The same page's composer, still carrying the old `seen`, sends the reply.
    sent = agent_client.post(reply_url(ticket), {"text": "Fixed now.", "status_after": "pending", **seen})

    assert sent.status_code == 302
    assert OutboundMessage.objects.count() == 1


def test_a_merge_by_someone_else_holds_the_send(supervisor, agent_client, make_ticket, ticket):
    from postroom.tickets.services import ticket_merge

    older = make_ticket(address="anna@customer.example", body="Also: the strap broke.")
    seen = seen_ids(agent_client, ticket)
    ticket_merge(source=older, target=ticket, actor=supervisor)

    held = agent_client.post(reply_url(ticket), {"text": "Hello", "status_after": "pending", **seen})

    assert held.status_code == 409
    assert "Sam</strong> merged a ticket in at" in held.content.decode()
    assert not OutboundMessage.objects.exists()


# --- the macro admin -----------------------------------------------------------------------


def test_the_macro_admin_shows_actions_queues_and_uses(admin_client, macro, queues):
    macro.queues.add(queues["support"])
    ReplyTemplate.objects.filter(pk=macro.pk).update(uses=3)

    listing = admin_client.get(reverse("admin:replies_replytemplate_changelist")).content.decode()
    assert "status solved; +refund; assign to the sending agent" in listing
    assert "Technical Support" in listing
    form = admin_client.get(reverse("admin:replies_replytemplate_change", args=[macro.pk])).content.decode()
    for name in ("action_status", "action_assign", "action_tags", "queues"):
        assert f'name="{name}"' in form
    assert 'name="uses"' not in form  # read-only
    assert 'name="variants-0-body"' in form
