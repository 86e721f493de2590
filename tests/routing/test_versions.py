"""The desk learns routing from its own solved tickets and agents' corrections; a new
version becomes active only when it is no worse; the pipeline uses the active one."""

from __future__ import annotations

from io import StringIO

import pytest
from django.core.management import call_command

from postroom.routing.models import Category, RoutedField, RoutingFeedback, RoutingModel
from postroom.routing.versions import (
    routing_model_active,
    routing_models_forget,
    routing_retrain,
    routing_text,
    routing_training_set,
)
from postroom.tickets.models import Ticket, TicketStatus
from tests.routing.desk import desk_history, labelled_rows

pytestmark = pytest.mark.usefixtures("small_routing_models")


def test_training_set_is_solved_tickets_and_corrected_ones(queues):
    rows = labelled_rows()
    desk_history(queues["support"], rows[:20])
    open_ones = desk_history(queues["support"], rows[20:25], status=TicketStatus.OPEN)
    RoutingFeedback.objects.create(ticket=open_ones[0], field="category", decided="x",
                                   corrected=open_ones[0].category.slug)
    data = routing_training_set(field="category")
    assert len(data) == 21
    assert routing_text(open_ones[0].subject, rows[20][0]) in data.texts


def test_labels_too_rare_to_learn_are_left_out(queues):
    rows = labelled_rows()
    desk_history(queues["support"], rows[:10])
    desk_history(queues["support"], [("my card was eaten by the machine", "card_swallowed")])
    data = routing_training_set(field="category")
    assert "card_swallowed" in data.dropped_labels and "card_swallowed" not in data.labels


def test_first_model_becomes_the_active_version(queues):
    desk_history(queues["support"], labelled_rows())
    (result,) = routing_retrain(fields=("category",))
    assert result.outcome == "promoted" and result.version == 1
    active = routing_model_active("category")
    assert active is not None and active.version == 1
    assert RoutingModel.objects.get(field="category", version=1).state == RoutingModel.State.ACTIVE


def test_a_worse_model_is_kept_as_a_candidate(queues):
    tickets = desk_history(queues["support"], labelled_rows())
    routing_retrain(fields=("category",))
    # Scramble most labels: the next model learns noise and must not replace the first.
    categories = list(Category.objects.all())
    for i, ticket in enumerate(tickets):
        if i % 4:
            Ticket.objects.filter(pk=ticket.pk).update(category=categories[(i * 7) % len(categories)])
    (result,) = routing_retrain(fields=("category",))
    assert result.outcome == "kept"
    assert routing_model_active("category").version == 1
    assert RoutingModel.objects.get(field="category", version=2).state == RoutingModel.State.CANDIDATE


def test_too_little_history_is_skipped_with_a_reason(queues):
    desk_history(queues["support"], labelled_rows()[:5])
    (result,) = routing_retrain(fields=("priority",))
    assert result.outcome == "skipped" and "needs 30" in result.detail
    assert not RoutingModel.objects.exists()


def test_commands_list_and_promote_versions(queues):
    tickets = desk_history(queues["support"], labelled_rows())
    routing_retrain(fields=("category",))
    Ticket.objects.filter(pk__in=[t.pk for t in tickets[::2]]).update(category=Category.objects.first())
    routing_retrain(fields=("category",))
    out = StringIO()
    call_command("routing", "models", stdout=out)
    assert "category  v2" in out.getvalue() and "category  v1" in out.getvalue()
    call_command("routing", "promote", "--field", "category", "--version", "2", stdout=out)
    assert routing_model_active("category").version == 2
    assert RoutingModel.objects.get(version=1).state == RoutingModel.State.RETIRED


def test_retrain_command_reports_each_field(queues):
    desk_history(queues["support"], labelled_rows())
    out = StringIO()
    call_command("routing", "retrain", "--field", "category", "--no-progress", stdout=out)
    assert "category v1: promoted — accuracy" in out.getvalue()


def test_train_from_csv_becomes_the_desks_next_version(tmp_path, db):
    rows = [("text", "category")] + [(t, c) for t, c in labelled_rows()]
    path = tmp_path / "export.csv"
    path.write_text("\n".join(",".join(f'"{v}"' for v in row) for row in rows), encoding="utf-8")
    out = StringIO()
    call_command("routing", "train", "--csv", str(path), "--text", "text", "--label", "category",
                 "--words-only", "--no-progress", stdout=out, stderr=StringIO())
    assert "category v1" in out.getvalue() and "Active now" in out.getvalue()
    assert RoutingModel.objects.get().field == RoutedField.CATEGORY


def test_an_unreadable_model_file_leaves_routing_to_mailboxes_and_rules(queues, settings):
    desk_history(queues["support"], labelled_rows())
    routing_retrain(fields=("category",))
    row = RoutingModel.objects.get()
    (settings.DATA_DIR / row.path).write_bytes(b"damaged")
    routing_models_forget()
    assert routing_model_active("category") is None
