"""The interim agent desk (the Django admin) in a real Chromium: an agent answers a mailed
ticket, hostile mail runs no script and loads nothing remote, outsiders see nothing."""

from __future__ import annotations

import re
from email import policy
from email.headerregistry import Address
from email.parser import BytesParser

import pytest
from django.contrib.auth.models import Permission
from django.urls import reverse

from postroom.mail.models import OutboundKind, OutboundMessage, OutboundState, RawState
from postroom.mail.outbound import transports
from postroom.tickets.models import Ticket
from tests.conftest import FIXTURES
from tests.mail.builders import build_mail, deliver

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

PASSWORD = "correct horse battery staple"
AGENT_PERMISSIONS = ("view_ticket", "change_ticket", "view_message", "add_message")
PAYLOADS = (FIXTURES / "xss" / "payloads.txt").read_text(encoding="utf-8").splitlines()

# A payload that calls alert/prompt/confirm is rewritten to set a canary instead, so it is
# noticed even where dialogs are suppressed (sandboxed frames): `self` is the window the
# code runs in, top page or frame. Calls hidden by entities or escapes stay as they are
# and are caught by the dialog listener instead.
_DIALOG_CALL = re.compile(r"(?:alert|prompt|confirm)(?:\((?:[^()]|\([^()]*\))*\)|`[^`]*`)")
CANARY = "Object.assign(self,{__xss:1})"


def with_canary(payload: str) -> str:
    """Return *payload* with its dialog calls replaced by the canary."""
    return _DIALOG_CALL.sub(CANARY, payload)


@pytest.fixture(autouse=True)
def outbox(settings, tmp_path):
    """Keep attachments in a temporary folder and outgoing mail in memory."""
    settings.MEDIA_ROOT = tmp_path
    settings.POSTROOM = {
        **settings.POSTROOM,
        "OUTBOUND_TRANSPORT": "postroom.mail.outbound.transports.MemoryTransport",
    }
    transports.outbox.clear()
    yield transports.outbox
    transports.outbox.clear()


def staff_member(django_user_model, username, queue):
    """Return a staff user with the desk's permissions, member of *queue*."""
    user = django_user_model.objects.create_user(
        username, f"{username}@example.test", PASSWORD, is_staff=True, first_name=username.title()
    )
    user.user_permissions.add(
        *Permission.objects.filter(
            content_type__app_label="tickets", codename__in=AGENT_PERMISSIONS
        )
    )
    queue.members.add(user)
    return user


@pytest.fixture
def agent(django_user_model, mailboxes, queues):
    return staff_member(django_user_model, "mia", queues["support"])


@pytest.fixture
def outsider(django_user_model, mailboxes, queues):
    return staff_member(django_user_model, "otto", queues["billing"])


def sign_in(page, live_server, user):
    page.goto(f"{live_server.url}/desk/login/?next=/admin/")
    page.fill("#id_username", user.username)
    page.fill("#id_password", PASSWORD)
    page.click("#signin-submit")
    page.wait_for_url(f"{live_server.url}/admin/")


def mailed_ticket(data: bytes, sender: str) -> Ticket:
    """Deliver *data* through intake (SMTP-style) and return the ticket it became."""
    raw = deliver(data, sender=sender)
    assert (raw.state, raw.error) == (RawState.PROCESSED, "")
    assert raw.ticket is not None
    return raw.ticket


def test_agent_answers_a_mailed_ticket_from_the_desk(page, live_server, agent, outbox):
    ticket = mailed_ticket(
        build_mail(
            subject="Watch stopped syncing after update",
            body="Hello,\n\nmy watch stopped syncing with the app after the update.\n\nAlice\n",
        ),
        sender="alice@customer.test",
    )
    outbox.clear()  # the acknowledgement intake sent

    sign_in(page, live_server, agent)
    page.locator("tr.model-ticket").get_by_role("link", name="Tickets").click()
    page.get_by_role("link", name=ticket.reference).click()

    thread = page.locator("section.desk-thread")
    customer = thread.locator("article.msg-in")
    assert "my watch stopped syncing with the app after the update" in customer.inner_text()
    assert "alice@customer.test" in customer.locator(".who").inner_text()
    timeline = page.locator("section.desk-timeline").inner_text()
    assert "mailbox:support@example.test" in timeline

    page.fill("#id_text", "Please re-pair the watch in the app's settings.")
    with page.expect_navigation():
        page.click("#reply_form input[type=submit]")

    assert "Reply queued to alice@customer.test" in page.locator("ul.messagelist").inner_text()
    reply = page.locator("section.desk-thread article.msg-out")
    assert "Please re-pair the watch" in reply.inner_text()
    sent = OutboundMessage.objects.get(ticket=ticket, kind=OutboundKind.REPLY)
    assert sent.state == OutboundState.SENT
    assert ticket.reference in sent.subject
    assert sent.recipients == ["alice@customer.test"]
    assert len(outbox) == 1
    assert (
        ticket.reference in BytesParser(policy=policy.default).parsebytes(outbox[0].data)["Subject"]
    )


def hostile_mail(index: int, payload: str) -> bytes:
    """Return a message carrying *payload* in every place a customer controls."""
    armed = with_canary(payload)
    data = build_mail(
        subject=f"Order {index} {armed}",
        sender=f"eve{index}@customer.test",
        body=f"Hi,\n{armed}\n{payload}\n",
        # The tracking pixel comes first: an unclosed <script> swallows what follows.
        html=(
            f'<p>Hi</p><img src="http://tracker.example/pixel-{index}.gif" alt="pixel">'
            f"{payload}{armed}"
        ),
    )
    message = BytesParser(policy=policy.default).parsebytes(data)
    message.replace_header(
        "From", Address(display_name=f"Eve {armed}", addr_spec=f"eve{index}@customer.test")
    )
    message.add_attachment(
        armed.encode(), maintype="application", subtype="octet-stream", filename=armed
    )
    # Unfolded: CPython's refolding of a long quoted display name drops its quotes, and
    # the From field would no longer parse (a name like that is valid on one line).
    return message.as_bytes(policy=policy.default.clone(max_line_length=998))


# What the page itself may run: the admin's scripts from the live server, and its JSON
# data islands. Anything else in the DOM came from mail.
_OWN_SCRIPTS = """() => [...document.scripts]
    .filter(s => !(s.type === 'application/json' || s.src.startsWith(location.origin + '/')))
    .map(s => s.outerHTML)"""
_HANDLERS = """() => [...document.querySelectorAll('*')].flatMap(el =>
    [...el.attributes].filter(a => a.name.startsWith('on')).map(a => el.tagName + ' ' + a.name))"""
_SETTLE = "() => new Promise(r => requestAnimationFrame(() => requestAnimationFrame(r)))"


def visit(page, url):
    """Open *url*, unfold every <details> (the HTML frames), let pending events fire, and
    return what ran or was planted: canaries set, foreign scripts, handler attributes."""
    page.goto(url)
    page.eval_on_selector_all("details", "els => els.forEach(e => { e.open = true; })")
    page.wait_for_load_state()
    page.evaluate(_SETTLE)
    findings = []
    for frame in page.frames:
        if frame.evaluate("() => window.__xss") is not None:
            findings.append(f"canary set in {frame.url}")
    findings += [f"foreign script {s}" for s in page.evaluate(_OWN_SCRIPTS)]
    findings += [f"handler attribute {h}" for h in page.evaluate(_HANDLERS)]
    return findings


def test_hostile_mail_runs_no_script_and_loads_nothing_remote(page, live_server, agent):
    tickets = [
        mailed_ticket(hostile_mail(index, payload), sender=f"eve{index}@customer.test")
        for index, payload in enumerate(PAYLOADS)
    ]
    assert len(set(tickets)) == len(PAYLOADS)

    sign_in(page, live_server, agent)
    assert visit(page, live_server.url + reverse("admin:tickets_ticket_changelist")) == []
    assert page.locator("#result_list tbody tr").count() == len(PAYLOADS)
    for index, ticket in enumerate(tickets):
        url = live_server.url + reverse("admin:tickets_ticket_change", args=[ticket.pk])
        assert visit(page, url) == [], PAYLOADS[index]
        assert page.watch.dialogs == [], PAYLOADS[index]
        assert page.watch.remote_requests == [], PAYLOADS[index]
        # All of the mail is shown, as text: subject, sender's name, the HTML version in
        # its frame (the pixel's alt text, never the pixel) and the attachment.
        customer = page.locator("article.msg-in")
        assert customer.locator("strong").inner_text().startswith(f"Order {index} ")
        assert customer.locator(".who").inner_text().startswith("Eve ")
        frame = customer.locator("iframe[sandbox]")
        assert '<img alt="pixel">' in frame.get_attribute("srcdoc")
        assert customer.locator("ul.attachments li").count() == 1


def test_the_watchers_notice_script_and_remote_loads(page):
    # The checks above can fail: the same watchers catch a page that does run script.
    page.set_content(
        f'<img src=x onerror="{CANARY}"><img src="http://tracker.example/p.gif">'
        "<script>alert(1)</script>"
    )
    page.evaluate(_SETTLE)
    assert page.evaluate("() => window.__xss") == 1
    assert page.watch.dialogs == ["alert: 1"]
    assert page.watch.remote_requests == ["http://tracker.example/p.gif"]


def test_agent_outside_the_queue_cannot_open_the_ticket(page, live_server, outsider):
    ticket = mailed_ticket(
        build_mail(subject="Private: my card was charged twice"), sender="alice@customer.test"
    )
    url = live_server.url + reverse("admin:tickets_ticket_change", args=[ticket.pk])

    sign_in(page, live_server, outsider)
    response = page.goto(url)

    assert response.status in (403, 404) or page.url != url
    assert "charged twice" not in page.content()
    page.goto(live_server.url + reverse("admin:tickets_ticket_changelist"))
    assert "charged twice" not in page.content()
    # Posting a reply straight to the form's address is refused too.
    csrf = next(c["value"] for c in page.context.cookies() if c["name"] == "csrftoken")
    reply = page.request.post(
        live_server.url + reverse("admin:tickets_ticket_reply", args=[ticket.pk]),
        form={"text": "Hi", "status_after": "pending"},
        headers={"X-CSRFToken": csrf, "Referer": url},
    )
    assert reply.status == 404
    assert not OutboundMessage.objects.filter(kind=OutboundKind.REPLY).exists()
