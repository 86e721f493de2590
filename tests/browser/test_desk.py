"""The agent desk (issue #4) in a real Chromium: an agent signs in, works the inbox with
the keyboard, answers a mailed ticket with a macro and the mail leaves; an agent of
another queue gets 404; hostile mail from a real-world XSS list runs no script.

With POSTROOM_SCREENSHOTS=1 the main pages are saved under docs/screenshots/."""

from __future__ import annotations

import os
import re
from email import policy
from email.parser import BytesParser

import pytest
from django.urls import reverse

from postroom.accounts.models import Role
from postroom.mail.models import OutboundKind, OutboundMessage, OutboundState
from postroom.replies.models import ReplyTemplate, ReplyTemplateVariant
from postroom.tickets.models import Tag, Ticket, TicketStatus
from tests.browser.test_admin_desk import PAYLOADS, hostile_mail, mailed_ticket, visit
from tests.desk.conftest import PASSWORD, desk_user
from tests.mail.builders import build_mail

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

SCREENSHOTS = os.environ.get("POSTROOM_SCREENSHOTS")
SHOTS_DIR = __import__("pathlib").Path(__file__).resolve().parents[2] / "docs" / "screenshots"


def shot(page, name: str) -> None:
    """Save the page as docs/screenshots/<name>.png when asked to (POSTROOM_SCREENSHOTS=1)."""
    if SCREENSHOTS:
        SHOTS_DIR.mkdir(parents=True, exist_ok=True)
        page.screenshot(path=str(SHOTS_DIR / f"{name}.png"), full_page=True)


@pytest.fixture(autouse=True)
def outbox(settings, tmp_path):
    from postroom.mail.outbound import transports

    settings.MEDIA_ROOT = tmp_path
    settings.POSTROOM = {**settings.POSTROOM,
                         "OUTBOUND_TRANSPORT": "postroom.mail.outbound.transports.MemoryTransport"}
    transports.outbox.clear()
    yield transports.outbox
    transports.outbox.clear()


@pytest.fixture
def mia(django_user_model, mailboxes, queues):
    """Mia, an agent of Technical Support."""
    user = desk_user(django_user_model, "mia", queues=(queues["support"],))
    user.last_name = "Lund"
    user.save()
    return user


@pytest.fixture
def otto(django_user_model, mailboxes, queues):
    """Otto, an agent of Billing only."""
    return desk_user(django_user_model, "otto", queues=(queues["billing"],))


@pytest.fixture
def resync_macro(queues):
    """A macro with an English and a German variant that solves the ticket and tags it."""
    macro = ReplyTemplate.objects.create(name="Re-pair the watch", action_status=TicketStatus.SOLVED)
    macro.action_tags.add(Tag.objects.create(name="sync"))
    ReplyTemplateVariant.objects.create(
        template=macro, language="en",
        body="Hi {{ customer.first_name }},\n\nplease re-pair the watch in the app "
             "(ticket {{ ticket.reference }}).\n\n{{ agent.name }}")
    ReplyTemplateVariant.objects.create(
        template=macro, language="de",
        body="Hallo {{ customer.first_name }},\n\nbitte koppeln Sie die Uhr neu.\n\n{{ agent.name }}")
    return macro


def sign_in(page, live_server, user, *, next_url: str = "") -> None:
    """Sign in through the desk's own page."""
    page.goto(f"{live_server.url}/desk/login/" + (f"?next={next_url}" if next_url else ""))
    page.fill("#id_username", user.username)
    page.fill("#id_password", PASSWORD)
    page.click("#signin-submit")
    page.wait_for_url(re.compile(re.escape(live_server.url) + r"/desk/.*"))


def test_an_agent_answers_a_mailed_ticket_with_a_macro_and_the_mail_leaves(
    page, live_server, mia, resync_macro, outbox
):
    ticket = mailed_ticket(build_mail(
        subject="Watch stopped syncing after update", sender="Alice Moreau <alice@customer.test>",
        body="Hello,\n\nmy watch stopped syncing with the app after the update.\n\nAlice\n",
    ), sender="alice@customer.test")
    outbox.clear()  # the acknowledgement intake sent

    sign_in(page, live_server, mia)
    page.goto(f"{live_server.url}/desk/?view=all")
    row = page.locator("tr[data-row]", has_text="Watch stopped syncing")
    assert row.count() == 1

    # The keyboard: j selects the first row, o opens it.
    page.keyboard.press("j")
    with page.expect_navigation():
        page.keyboard.press("o")
    assert page.url.endswith(reverse("desk:ticket", args=[ticket.pk]))
    customer = page.locator("article.msg-in")
    assert "my watch stopped syncing with the app after the update" in customer.inner_text()

    page.locator("#composer summary", has_text="Macros").click()
    page.locator("#composer-macro-list a", has_text="Re-pair the watch").click()
    text = page.locator("#composer-text")
    page.wait_for_function("() => document.querySelector('#composer-text').value.startsWith('Hi Alice')")
    assert f"(ticket {ticket.reference})" in text.input_value()
    assert text.input_value().rstrip().endswith("Mia Lund")
    with page.expect_navigation():
        page.click("#composer-send")

    assert "Reply queued to alice@customer.test" in page.locator("#flash").inner_text()
    assert "please re-pair the watch" in page.locator("article.msg-out").inner_text()
    sent = OutboundMessage.objects.get(ticket=ticket, kind=OutboundKind.REPLY)
    assert sent.state == OutboundState.SENT and sent.recipients == ["alice@customer.test"]
    # The reply, and the satisfaction survey that solving the ticket sends (issue #5).
    (mail,) = [envelope for envelope in outbox if envelope.outbound_id == sent.pk]
    assert ticket.reference in BytesParser(policy=policy.default).parsebytes(mail.data)["Subject"]
    ticket.refresh_from_db()
    assert ticket.status == TicketStatus.SOLVED
    assert list(ticket.tags.values_list("name", flat=True)) == ["sync"]
    resync_macro.refresh_from_db()
    assert resync_macro.uses == 1


def test_an_agent_of_another_queue_gets_404_on_the_ticket(page, live_server, mia, otto):
    ticket = mailed_ticket(build_mail(subject="Private: my card was charged twice"),
                           sender="alice@customer.test")
    url = live_server.url + reverse("desk:ticket", args=[ticket.pk])

    sign_in(page, live_server, otto)
    response = page.goto(url)
    assert response.status == 404
    assert "charged twice" not in page.content()
    page.goto(f"{live_server.url}/desk/?view=all")
    assert "charged twice" not in page.content()
    # Posting a reply or a field change straight to their addresses is refused too.
    csrf = next(c["value"] for c in page.context.cookies() if c["name"] == "csrftoken")
    for name, form in (("desk:reply", {"text": "Hi", "status_after": "pending"}),
                       ("desk:ticket-fields", {"status": "closed"})):
        answer = page.request.post(live_server.url + reverse(name, args=[ticket.pk]), form=form,
                                   headers={"X-CSRFToken": csrf, "Referer": url})
        assert answer.status == 404, name
    assert not OutboundMessage.objects.filter(kind=OutboundKind.REPLY).exists()
    assert Ticket.objects.get(pk=ticket.pk).status != TicketStatus.CLOSED


def test_hostile_mail_runs_no_script_and_loads_nothing_remote(page, live_server, mia):
    tickets = [mailed_ticket(hostile_mail(index, payload), sender=f"eve{index}@customer.test")
               for index, payload in enumerate(PAYLOADS)]

    sign_in(page, live_server, mia)
    assert visit(page, f"{live_server.url}/desk/?view=all&per=100") == []
    assert page.locator("tr[data-row]").count() == len(PAYLOADS)
    assert visit(page, f"{live_server.url}/desk/?q=Order") == []
    for index, ticket in enumerate(tickets):
        url = live_server.url + reverse("desk:ticket", args=[ticket.pk])
        assert visit(page, url) == [], PAYLOADS[index]
        # The HTML version loads in its sandboxed frame: only the alt text of the pixel.
        frame = page.frame(name=f"message-frame-{ticket.messages.first().pk}")
        if frame is not None:
            frame.wait_for_load_state()
            assert frame.evaluate("() => window.__xss") is None, PAYLOADS[index]
        assert page.watch.dialogs == [], PAYLOADS[index]
        assert page.watch.remote_requests == [], PAYLOADS[index]
        customer = page.locator("article.msg-in")
        assert customer.locator(".who").inner_text().startswith("Eve ")
        assert customer.locator("ul.attachments li").count() == 1


def test_the_desk_reads_on_a_phone(page, live_server, mia, make_desk_tickets):
    page.set_viewport_size({"width": 390, "height": 844})
    sign_in(page, live_server, mia)
    page.goto(f"{live_server.url}/desk/?view=all")
    # Nothing wider than the screen: no sideways scrolling.
    assert page.evaluate("() => document.documentElement.scrollWidth") <= 390
    page.locator("tr[data-row] a[data-open]").first.click()
    page.wait_for_selector("article.msg")
    assert page.evaluate("() => document.documentElement.scrollWidth") <= 390


@pytest.fixture
def make_desk_tickets(mia, queues):
    """A few mailed tickets so that the pages have something to show."""
    subjects = [("Battery drains overnight", "urgent"), ("Refund for a double charge", "high"),
                ("Strap broke after two weeks", "normal"), ("Firmware 2.3.1 will not install", "normal")]
    made = []
    for n, (subject, priority) in enumerate(subjects):
        ticket = mailed_ticket(build_mail(subject=subject, sender=f"customer{n}@customer.test",
                                          body=f"Hello,\n\n{subject.lower()}.\n"), sender=f"customer{n}@customer.test")
        Ticket.objects.filter(pk=ticket.pk).update(priority=priority)
        made.append(ticket)
    return made


def test_a_supervisor_sees_two_agents_on_the_same_ticket(page, browser, live_server, mia, django_user_model, queues,
                                                         make_desk_tickets):
    sam = desk_user(django_user_model, "sam", role=Role.SUPERVISOR, queues=(queues["support"],))
    ticket = make_desk_tickets[0]
    url = live_server.url + reverse("desk:ticket", args=[ticket.pk])
    sign_in(page, live_server, mia)
    page.goto(url)
    page.fill("#composer-text", "Working on it")

    other = browser.new_context().new_page()
    try:
        sign_in(other, live_server, sam)
        other.goto(url)
        other.wait_for_function("() => (document.querySelector('#presence') || {}).textContent"
                                " && document.querySelector('#presence').textContent.includes('Mia')",
                                timeout=15_000)
        assert "Mia" in other.locator("#presence").inner_text()
        shot(other, "desk-ticket-presence")
    finally:
        other.context.close()


BUSY = [
    ("Battery drains overnight since 2.3.1", "Lena Vogt <lena@customer.test>", "urgent", "battery"),
    ("Charged twice for my subscription", "Omar Haddad <omar@customer.test>", "high", "refund"),
    ("Watch will not pair with my new phone", "Anna Berg <anna@customer.test>", "normal", "sync"),
    ("Strap broke after two weeks — warranty?", "Chen Wei <chen@customer.test>", "normal", "warranty"),
    ("Firmware update stuck at 42%", "Sofia Rossi <sofia@customer.test>", "high", "firmware"),
    ("Steps not syncing to the app", "Jonas Berg <jonas@customer.test>", "normal", "sync"),
    ("Invoice address is wrong", "Maria Lopez <maria@customer.test>", "low", "invoice"),
    ("Heart rate readings look off", "Tom Baker <tom@customer.test>", "normal", ""),
]


def test_screens_of_a_busy_desk(page, live_server, mia, resync_macro, outbox):
    """The README's pictures: a desk with a morning's mail, the ticket page with a macro."""
    tickets = []
    for subject, sender, priority, tag in BUSY:
        address = sender.split("<")[1].rstrip(">")
        ticket = mailed_ticket(build_mail(subject=subject, sender=sender,
                                          body=f"Hello,\n\n{subject.lower()}. Can you help?\n\nThanks"),
                               sender=address)
        Ticket.objects.filter(pk=ticket.pk).update(priority=priority)
        if tag:
            ticket.tags.add(Tag.objects.get_or_create(name=tag)[0])
        tickets.append(ticket)
    Ticket.objects.filter(pk__in=[t.pk for t in tickets[::3]]).update(assignee=mia)
    page.set_viewport_size({"width": 1366, "height": 900})

    page.goto(f"{live_server.url}/desk/login/")
    shot(page, "desk-sign-in")
    sign_in(page, live_server, mia)
    page.goto(f"{live_server.url}/desk/?view=all")
    assert page.locator("tr[data-row]").count() == len(BUSY)
    assert str(len(BUSY)) in page.locator("#view-all").inner_text().split()
    shot(page, "desk-inbox")

    page.goto(live_server.url + reverse("desk:ticket", args=[tickets[2].pk]))
    page.locator("#composer summary", has_text="Macros").click()
    page.locator("#composer-macro-list a", has_text="Re-pair the watch").click()
    page.wait_for_function("() => document.querySelector('#composer-text').value.startsWith('Hi Anna')")
    shot(page, "desk-ticket")

    page.set_viewport_size({"width": 390, "height": 844})
    page.goto(f"{live_server.url}/desk/?view=all")
    assert page.evaluate("() => document.documentElement.scrollWidth") <= 390
    shot(page, "desk-inbox-phone")


def test_a_reply_is_held_when_the_customer_wrote_meanwhile(page, live_server, mia, outbox):
    ticket = mailed_ticket(build_mail(subject="Watch stopped syncing", sender="alice@customer.test",
                                      body="Hello,\n\nmy watch stopped syncing.\n"), sender="alice@customer.test")
    sign_in(page, live_server, mia)
    page.goto(live_server.url + reverse("desk:ticket", args=[ticket.pk]))
    page.fill("#composer-text", "Please re-pair the watch.")
    # The customer writes again while the agent is typing.
    mailed_ticket(build_mail(subject=f"Re: [{ticket.reference}] Watch stopped syncing", sender="alice@customer.test",
                             body="Never mind the pairing: it is the strap sensor.\n"), sender="alice@customer.test")
    page.click("#composer-send")
    held = page.locator("#composer-held")
    held.wait_for()
    assert "New activity — review before sending" in held.inner_text()
    assert "strap sensor" in held.inner_text()
    assert page.locator("#composer-text").input_value() == "Please re-pair the watch."
    assert not OutboundMessage.objects.filter(ticket=ticket, kind=OutboundKind.REPLY).exists()

    with page.expect_navigation():
        page.click("#composer-send")  # reviewed: send it as it is
    assert OutboundMessage.objects.filter(ticket=ticket, kind=OutboundKind.REPLY).count() == 1
