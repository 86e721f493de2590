"""Every hard real-world message ends with an outcome; none is lost, none crashes intake."""

from __future__ import annotations

import json
from io import StringIO

import pytest
from django.core.management import call_command

from postroom.mail.models import RawMessage, RawState
from tests.conftest import FIXTURES

pytestmark = pytest.mark.django_db

HARD_CASES = FIXTURES / "intake"
OUTCOMES = {"ticket", "followup", "bounce", "spam", "duplicate"}


def test_every_hard_case_is_accounted_for(mailboxes):
    files = sorted(p for p in HARD_CASES.iterdir() if p.suffix == ".eml")
    out = StringIO()
    call_command("mail", "import", str(HARD_CASES), "--json", "--no-progress", stdout=out)
    summary = json.loads(out.getvalue())
    assert summary["received"] == len(files)
    assert summary["errors"] == 0
    accounted = sum(summary[k] for k in ("tickets", "followups", "bounces", "spam", "duplicates", "quarantined"))
    assert accounted == summary["received"]
    # Every stored message ends processed with an outcome, or quarantined with a reason.
    for raw in RawMessage.objects.all():
        if raw.state == RawState.QUARANTINED:
            assert raw.failed_step and raw.error
        else:
            assert raw.state == RawState.PROCESSED and raw.outcome in OUTCOMES, raw.origin
    # The parser is built never to fail on these: nothing should need quarantine.
    assert summary["quarantined"] == 0, RawMessage.objects.filter(state=RawState.QUARANTINED).values_list("origin", "error")


def test_bounces_among_hard_cases_make_no_tickets(mailboxes):
    out = StringIO()
    call_command("mail", "import", str(HARD_CASES), "--json", "--no-progress", stdout=out)
    summary = json.loads(out.getvalue())
    assert summary["bounces"] >= 5
    assert summary["spam"] >= 1
