"""The satisfaction survey in a real Chromium: the customer clicks "Great" in the mail, the
page records it by itself, takes a comment, and a second click finds the rating there.
Without JavaScript (a link scanner, a strict browser) opening the link records nothing."""

from __future__ import annotations

from email import message_from_bytes, policy

import pytest

from postroom.mail.models import RawState
from postroom.mail.outbound import transports
from postroom.surveys.models import Survey
from postroom.tickets.models import EventKind, TicketEvent, TicketStatus
from postroom.tickets.services import ticket_set_status
from tests.mail.builders import build_mail, deliver

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


@pytest.fixture(autouse=True)
def outbox(settings, live_server, tmp_path, mailboxes):
    """Keep outgoing mail in memory; survey links point at the live server."""
    settings.MEDIA_ROOT = tmp_path
    settings.POSTROOM = {
        **settings.POSTROOM,
        "OUTBOUND_TRANSPORT": "postroom.mail.outbound.transports.MemoryTransport",
        "PUBLIC_URL": live_server.url,
    }
    transports.outbox.clear()
    yield transports.outbox
    transports.outbox.clear()


def solved_ticket_survey_mail(outbox) -> tuple[Survey, dict[str, str]]:
    """Mail a request in, solve it, and return the survey with the links of its email by answer."""
    raw = deliver(
        build_mail(
            subject="Watch stopped syncing",
            sender="Alice Example <alice@customer.test>",
            body="Hello,\n\nmy watch stopped syncing after the update.\n\nAlice\n",
        ),
        sender="alice@customer.test",
    )
    assert (raw.state, raw.error) == (RawState.PROCESSED, "")
    ticket = raw.ticket
    outbox.clear()  # the acknowledgement
    ticket_set_status(ticket=ticket, status=TicketStatus.SOLVED, actor=None)

    (envelope,) = outbox
    body = (
        message_from_bytes(envelope.data, policy=policy.default).get_body(("plain",)).get_content()
    )
    lines = body.splitlines()
    links = {
        lines[i]: lines[i + 1] for i, line in enumerate(lines[:-1]) if "?rating=" in lines[i + 1]
    }
    assert list(links) == ["😀 Great", "🙂 Good", "😐 Okay", "🙁 Bad", "😞 Very bad"]
    return Survey.objects.get(ticket=ticket), links


def test_customer_rates_from_the_mail_adds_a_comment_and_cannot_rate_twice(
    page, live_server, outbox
):
    survey, links = solved_ticket_survey_mail(outbox)

    page.goto(links["😀 Great"])
    page.wait_for_url("**/done/")
    assert page.get_by_role("heading").inner_text() == "Thank you for your rating!"
    assert "😀 Great" in page.inner_text("main")
    survey.refresh_from_db()
    assert survey.rating == 5 and survey.comment == ""

    page.get_by_label("Anything you would like to add? (optional)").fill(
        "Fast and friendly, thank you!"
    )
    page.get_by_role("button", name="Send comment").click()
    page.wait_for_load_state()
    assert "we have received your comment" in page.inner_text("main")
    assert page.get_by_role("button", name="Send comment").count() == 0
    survey.refresh_from_db()
    assert survey.comment == "Fast and friendly, thank you!"

    page.goto(links["😞 Very bad"])
    assert page.get_by_role("heading").inner_text() == "Thanks, we already have your rating"
    survey.refresh_from_db()
    assert survey.rating == 5
    notes = TicketEvent.objects.filter(ticket=survey.ticket, kind=EventKind.NOTE, source="survey")
    assert notes.count() == 2
    assert page.watch.dialogs == [] and page.watch.remote_requests == []


def test_without_javascript_opening_the_link_records_nothing_until_send(
    browser, live_server, outbox
):
    survey, links = solved_ticket_survey_mail(outbox)
    context = browser.new_context(java_script_enabled=False)
    try:
        page = context.new_page()
        page.set_default_timeout(10_000)
        page.goto(links["🙁 Bad"])
        assert page.get_by_role("radio", name="Bad", exact=True).is_checked()
        survey.refresh_from_db()
        assert survey.rating is None, "a GET (a link scanner) must not rate"

        page.get_by_label("Anything you would like to add? (optional)").fill(
            "Still drops the connection."
        )
        page.get_by_role("button", name="Send", exact=True).click()
        page.wait_for_url("**/done/")
        survey.refresh_from_db()
        assert (survey.rating, survey.comment) == (2, "Still drops the connection.")

        page.get_by_role("button", name="Reopen my request").click()
        page.wait_for_url("**/done/")
        assert "Your request is open again" in page.inner_text("main")
        survey.ticket.refresh_from_db()
        assert survey.ticket.status == TicketStatus.OPEN
    finally:
        context.close()
