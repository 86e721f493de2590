"""`postroom mail import`, `retry`, `explain` and `quarantined` as a user runs them."""

from __future__ import annotations

import json
import mailbox
from io import StringIO

import pytest
from django.core.management import CommandError, call_command

from postroom.mail.models import RawMessage, RawState
from postroom.tickets.models import Ticket
from tests.mail.builders import build_mail

pytestmark = pytest.mark.django_db


def _run(*args: str) -> str:
    out = StringIO()
    call_command("mail", *args, stdout=out, stderr=StringIO())
    return out.getvalue()


def test_import_json_summary_has_the_documented_keys(mailboxes, tmp_path):
    (tmp_path / "one.eml").write_bytes(build_mail(subject="one"))
    (tmp_path / "two.eml").write_bytes(build_mail(subject="two"))
    summary = json.loads(_run("import", str(tmp_path), "--json"))
    for key in ("received", "tickets", "followups", "bounces", "spam", "duplicates", "quarantined", "errors"):
        assert key in summary
    assert summary["received"] == 2 and summary["tickets"] == 2


def test_import_reads_an_mbox_file(mailboxes, tmp_path):
    box = mailbox.mbox(tmp_path / "archive.mbox")
    for i in range(3):
        box.add(build_mail(subject=f"mbox message {i}"))
    box.flush()
    summary = json.loads(_run("import", str(tmp_path / "archive.mbox"), "--json"))
    assert summary["received"] == 3 and summary["tickets"] == 3


def test_importing_the_same_file_twice_makes_duplicates_not_tickets(mailboxes, tmp_path):
    (tmp_path / "one.eml").write_bytes(build_mail(message_id="same@customer.test"))
    _run("import", str(tmp_path), "--json")
    summary = json.loads(_run("import", str(tmp_path), "--json"))
    assert summary["duplicates"] == 1
    assert Ticket.objects.count() == 1


def test_imported_mail_is_not_acknowledged_by_default(mailboxes, tmp_path):
    (tmp_path / "one.eml").write_bytes(build_mail())
    _run("import", str(tmp_path), "--json")
    assert not Ticket.objects.get().outbound.exists()


def test_import_of_a_missing_path_is_a_clear_error(db, tmp_path):
    with pytest.raises(CommandError, match="no such file"):
        _run("import", str(tmp_path / "nope"))


def test_human_summary_names_every_outcome(mailboxes, tmp_path):
    (tmp_path / "one.eml").write_bytes(build_mail())
    text = _run("import", str(tmp_path), "--no-progress")
    assert "1 new tickets" in text and "quarantined" in text


def test_quarantined_list_and_retry_all(mailboxes, tmp_path, monkeypatch):
    from postroom.mail.pipeline.steps import route

    original = route.run
    monkeypatch.setattr(route, "run", lambda m, d: (_ for _ in ()).throw(RuntimeError("db down")))
    (tmp_path / "one.eml").write_bytes(build_mail())
    summary = json.loads(_run("import", str(tmp_path), "--json"))
    assert summary["quarantined"] == 1
    listing = _run("quarantined")
    assert "step=route" in listing and "db down" in listing
    monkeypatch.setattr(route, "run", original)
    assert json.loads(_run("retry", "--all", "--json")) == {"ticket": 1}
    assert RawMessage.objects.get().state == RawState.PROCESSED


def test_explain_prints_decisions_and_stores_nothing(mailboxes, tmp_path):
    path = tmp_path / "auto.eml"
    path.write_bytes(build_mail(headers={"Auto-Submitted": "auto-replied"}, to="billing@example.test"))
    text = _run("explain", str(path))
    assert "loop_guard: acknowledge = no [header:auto-submitted]" in text
    assert "route: queue = Billing [mailbox:billing@example.test]" in text
    assert "Outcome:     ticket" in text
    assert not RawMessage.objects.exists() and not Ticket.objects.exists()
