from __future__ import annotations

import pytest

from postroom.tickets.models import Ticket
from tests.mail.builders import build_mail, deliver

pytestmark = pytest.mark.django_db


def test_same_message_id_delivered_twice_makes_one_ticket(mailboxes):
    data = build_mail(message_id="twice@customer.test")
    first = deliver(data)
    second = deliver(data)
    assert first.outcome == "ticket"
    assert second.outcome == "duplicate" and second.duplicate_of_id == first.pk
    assert Ticket.objects.count() == 1


def test_same_message_id_with_different_bytes_is_still_a_duplicate(mailboxes):
    deliver(build_mail(message_id="relayed@customer.test"))
    again = deliver(build_mail(message_id="relayed@customer.test", headers={"Received": "from relay2"}))
    assert again.outcome == "duplicate"


def test_same_bytes_without_message_id_is_a_duplicate(mailboxes):
    data = build_mail().replace(b"Message-ID:", b"X-Old-Message-ID:")
    assert deliver(data).outcome == "ticket"
    assert deliver(data).outcome == "duplicate"


def test_different_messages_without_message_id_are_not_duplicates(mailboxes):
    one = build_mail(subject="one").replace(b"Message-ID:", b"X-Old-Message-ID:")
    two = build_mail(subject="two").replace(b"Message-ID:", b"X-Old-Message-ID:")
    assert deliver(one).outcome == "ticket"
    assert deliver(two).outcome == "ticket"
