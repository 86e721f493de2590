from __future__ import annotations

import pytest

from postroom.tickets.models import TicketStatus
from tests.mail.builders import build_mail, deliver

pytestmark = pytest.mark.django_db


@pytest.mark.parametrize(
    "headers",
    [
        {"X-Spam-Flag": "YES"},
        {"X-Spam-Status": "Yes, score=9.1 required=5.0 tests=BAYES_99"},
        {"X-Spam": "yes"},
        {"X-MS-Exchange-Organization-SCL": "7"},
    ],
)
def test_upstream_spam_verdict_goes_to_the_spam_view(mailboxes, headers):
    raw = deliver(build_mail(headers=headers))
    assert raw.outcome == "spam"
    assert raw.ticket.status == TicketStatus.SPAM
    assert raw.ticket.events.filter(source__startswith="header:x-").exists()


@pytest.mark.parametrize("headers", [{"X-Spam-Status": "No, score=0.1 required=5.0"}, {"X-Spam-Flag": "NO"},
                                     {"X-MS-Exchange-Organization-SCL": "-1"}])
def test_ham_verdicts_are_not_spam(mailboxes, headers):
    assert deliver(build_mail(headers=headers)).outcome == "ticket"
