"""The customer's survey pages: a GET records nothing, a POST records once, bad ratings
reach a supervisor and may reopen the request, broken links say so and nothing more."""

from __future__ import annotations

import datetime as dt
import re

import pytest
from django.test import Client

from postroom.core.clock import pinned
from postroom.surveys.models import Survey
from postroom.tickets.models import EventKind, TicketEvent, TicketStatus

pytestmark = pytest.mark.django_db


def page(token: str, suffix: str = "") -> str:
    return f"/s/{token}/{suffix}"


def test_opening_a_link_shows_the_answer_preselected_and_records_nothing(surveyed, client):
    survey, links = surveyed
    for method in (client.get, client.head):
        response = method(page(links[5]), {"rating": "5"})
        assert response.status_code == 200
    html = (
        response.content.decode()
        if response.content
        else client.get(page(links[5]), {"rating": "5"}).content.decode()
    )
    survey.refresh_from_db()
    assert (survey.rating, survey.rated_at) == (None, None)
    assert re.search(r'value="5" required checked', html)
    assert html.count(" checked") == 1
    assert 'data-autosubmit="1"' in html and "form.submit()" in html
    assert not TicketEvent.objects.filter(ticket=survey.ticket, kind=EventKind.NOTE).exists()


def test_a_link_without_a_rating_shows_the_form_without_sending_it(surveyed, client):
    _, links = surveyed
    html = client.get(page(links[5]), {"rating": "7"}).content.decode()
    assert " checked" not in html and "data-autosubmit" not in html and "<script" not in html


def test_the_pages_keep_the_link_private_and_load_nothing_else(surveyed, client):
    _, links = surveyed
    response = client.get(page(links[3]), {"rating": "3"})
    csp = response["Content-Security-Policy"]
    nonce = re.search(r"'nonce-([^']+)'", csp).group(1)
    assert "default-src 'none'" in csp and "form-action 'self'" in csp
    assert f'<script nonce="{nonce}">' in response.content.decode()
    assert response["Referrer-Policy"] == "same-origin"
    assert "no-store" in response["Cache-Control"]
    assert "noindex" in response["X-Robots-Tag"]
    assert not re.search(r'(src|href)="https?://', response.content.decode())


def test_sending_the_form_records_the_rating_and_the_comment(surveyed, client):
    survey, links = surveyed
    response = client.post(page(links[4]), {"rating": "4", "comment": " Quick and friendly.\r\n"})
    assert response.status_code == 303
    assert response["Location"] == page(links[4], "done/")
    survey.refresh_from_db()
    assert (survey.rating, survey.comment) == (4, "Quick and friendly.")
    assert survey.rated_at is not None and survey.comment_at is not None
    event = TicketEvent.objects.get(ticket=survey.ticket, kind=EventKind.NOTE, source="survey")
    assert (
        event.summary == 'Satisfaction survey: the customer rated 4/5 (Good): "Quick and friendly."'
    )
    done = client.get(response["Location"]).content.decode()
    assert "Thank you for your rating!" in done and "🙂 Good" in done
    assert 'id="comment-form"' not in done and "we have received your comment" in done


def test_a_used_link_says_the_rating_is_already_there(surveyed, client):
    survey, links = surveyed
    client.post(page(links[5]), {"rating": "5"})

    again = client.get(page(links[1]), {"rating": "1"})
    assert again.status_code == 200
    assert "Thanks, we already have your rating" in again.content.decode()
    assert "<script" not in again.content.decode()
    repost = client.post(page(links[1]), {"rating": "1"})
    assert repost.status_code == 409
    assert "Thanks, we already have your rating" in repost.content.decode()
    survey.refresh_from_db()
    assert survey.rating == 5
    assert TicketEvent.objects.filter(ticket=survey.ticket, kind=EventKind.NOTE).count() == 1


def test_a_comment_can_follow_the_rating_once(surveyed, client):
    survey, links = surveyed
    client.post(page(links[5]), {"rating": "5"})
    done = client.get(page(links[5], "done/")).content.decode()
    assert 'id="comment-form"' in done

    assert client.post(page(links[5], "comment/"), {"comment": "Thanks, Mia!"}).status_code == 303
    assert (
        client.post(page(links[5], "comment/"), {"comment": "Changed my mind"}).status_code == 303
    )
    survey.refresh_from_db()
    assert survey.comment == "Thanks, Mia!"
    notes = TicketEvent.objects.filter(ticket=survey.ticket, kind=EventKind.NOTE).order_by("id")
    assert [n.summary for n in notes][
        -1
    ] == 'Satisfaction survey: the customer commented: "Thanks, Mia!"'
    assert 'id="comment-form"' not in client.get(page(links[5], "done/")).content.decode()


def test_an_empty_or_overlong_comment_is_asked_again(surveyed, client):
    survey, links = surveyed
    client.post(page(links[4]), {"rating": "4"})
    for comment in ("   ", "x" * 5001):
        response = client.post(page(links[4], "comment/"), {"comment": comment})
        assert response.status_code == 400
        assert "at most 5000 characters" in response.content.decode()
    survey.refresh_from_db()
    assert (survey.comment, survey.comment_at) == ("", None)


def test_a_comment_before_any_rating_is_not_taken(surveyed, client):
    survey, links = surveyed
    response = client.post(page(links[5], "comment/"), {"comment": "hello"})
    assert response.status_code == 303
    survey.refresh_from_db()
    assert survey.comment == ""
    assert client.get(response["Location"])["Location"] == page(links[5])


def test_an_answer_outside_the_scale_is_asked_again(surveyed, client):
    survey, links = surveyed
    response = client.post(page(links[5]), {"rating": "9", "comment": "keep me"})
    assert response.status_code == 400
    html = response.content.decode()
    assert "Please choose an answer." in html and "keep me" in html and "<script" not in html
    survey.refresh_from_db()
    assert survey.rating is None


def test_an_expired_link_says_so_and_nothing_about_the_ticket(surveyed, client, ticket):
    survey, links = surveyed
    with pinned(survey.expires_at + dt.timedelta(minutes=1)):
        for response in (
            client.get(page(links[5]), {"rating": "5"}),
            client.post(page(links[5]), {"rating": "5"}),
        ):
            assert response.status_code == 410
            html = response.content.decode()
            assert "This link has expired" in html
            for secret in (ticket.reference, "Watch", "Anna", "Technical Support", "mia"):
                assert secret not in html
    survey.refresh_from_db()
    assert survey.rating is None


@pytest.mark.parametrize("tamper", ["one character", "survey id"])
def test_a_tampered_link_is_refused_and_reveals_nothing(surveyed, client, ticket, tamper):
    survey, links = surveyed
    token = links[5]
    if tamper == "survey id":
        bad = token.replace(f"{survey.pk}.", f"{survey.pk + 1}.", 1)
    else:
        bad = token[:-3] + ("x" if token[-3] != "x" else "y") + token[-2:]
    for response in (
        client.get(page(bad), {"rating": "5"}, HTTP_ACCEPT_LANGUAGE="de-CH,de;q=0.9,en;q=0.5"),
        client.post(page(bad), {"rating": "5"}),
        client.post(page(bad, "comment/"), {"comment": "x"}),
        client.post(page(bad, "comment/"), {"comment": ""}),
        client.post(page(bad), {"rating": "nine"}),
        client.post(page(bad, "reopen/")),
        client.get(page(bad, "done/")),
    ):
        assert response.status_code == 400
        html = response.content.decode()
        assert ticket.reference not in html and "Technical Support" not in html
    first = client.get(page(bad), HTTP_ACCEPT_LANGUAGE="de-CH,de;q=0.9,en;q=0.5").content.decode()
    assert "Dieser Link funktioniert nicht" in first and '<html lang="de">' in first
    survey.refresh_from_db()
    assert survey.rating is None


def test_the_pages_speak_the_customers_language(ticket, solve, memory_transport, client):
    from .conftest import links_in, parsed, text_of

    ticket.language = "fr"
    ticket.save(update_fields=["language"])
    solve(ticket)
    token = links_in(text_of(parsed(memory_transport[0])))[2]
    html = client.get(page(token), {"rating": "2"}).content.decode()
    assert (
        '<html lang="fr">' in html
        and "Êtes-vous satisfait(e) de notre aide pour la demande" in html
    )
    client.post(page(token), {"rating": "2"})
    done = client.get(page(token, "done/")).content.decode()
    assert "Merci pour votre évaluation !" in done and "Rouvrir ma demande" in done


def test_a_bad_rating_alerts_the_supervisor_by_email_and_on_the_timeline(
    surveyed, client, supervisor, staff_mail, django_capture_on_commit_callbacks
):
    survey, links = surveyed
    with django_capture_on_commit_callbacks(execute=True):
        client.post(page(links[1]), {"rating": "1", "comment": "Still broken."})

    (alert,) = staff_mail
    assert alert.to == ["sam@example.test"]
    assert alert.subject.startswith(f"Bad rating 1/5 for {survey.ticket.reference}")
    assert (
        "Very bad" in alert.body
        and "Still broken." in alert.body
        and "Agent: Mia Lund" in alert.body
    )
    assert f"/desk/t/{survey.ticket_id}/" in alert.body
    assert alert.extra_headers["Auto-Submitted"] == "auto-generated"
    event = TicketEvent.objects.get(ticket=survey.ticket, kind=EventKind.DECISION, source="survey")
    assert "supervisors alerted by email (sam@example.test)" in event.summary
    assert event.detail["alerted"] == ["sam@example.test"]


def test_a_comment_on_a_bad_rating_reaches_the_supervisor_too(
    surveyed, client, supervisor, staff_mail, django_capture_on_commit_callbacks
):
    _, links = surveyed
    with django_capture_on_commit_callbacks(execute=True):
        client.post(page(links[2]), {"rating": "2"})
        client.post(
            page(links[2], "comment/"), {"comment": "The watch still drops the connection."}
        )
    assert [m.subject.split(" for ")[0] for m in staff_mail] == [
        "Bad rating 2/5",
        "Comment on a bad rating (2/5)",
    ]
    assert "still drops the connection" in staff_mail[1].body


def test_a_supervisor_of_another_queue_is_not_alerted_but_a_superuser_is(
    surveyed,
    client,
    supervisor,
    queues,
    django_user_model,
    staff_mail,
    django_capture_on_commit_callbacks,
):
    _, links = surveyed
    queues["support"].members.remove(supervisor)
    queues["billing"].members.add(supervisor)
    django_user_model.objects.create_superuser("root", "root@example.test", "pw")
    django_user_model.objects.create_superuser("nomail", "", "pw")
    with django_capture_on_commit_callbacks(execute=True):
        client.post(page(links[2]), {"rating": "2"})
    (alert,) = staff_mail
    assert alert.to == ["root@example.test"]


def test_with_no_one_to_alert_the_timeline_says_so(
    surveyed, client, staff_mail, django_capture_on_commit_callbacks
):
    survey, links = surveyed
    with django_capture_on_commit_callbacks(execute=True):
        client.post(page(links[1]), {"rating": "1"})
    assert staff_mail == []
    assert TicketEvent.objects.filter(
        ticket=survey.ticket, source="survey", summary__contains="no supervisor"
    ).exists()


def test_a_good_rating_alerts_no_one_and_offers_no_reopen(
    surveyed, client, supervisor, staff_mail, django_capture_on_commit_callbacks
):
    _, links = surveyed
    with django_capture_on_commit_callbacks(execute=True):
        client.post(page(links[3]), {"rating": "3"})
    assert staff_mail == []
    done = client.get(page(links[3], "done/")).content.decode()
    assert "Reopen my request" not in done
    client.post(page(links[3], "reopen/"))
    surveyed[0].ticket.refresh_from_db()
    assert surveyed[0].ticket.status == TicketStatus.SOLVED


def test_reopen_my_request_reopens_the_ticket(surveyed, client):
    survey, links = surveyed
    client.post(page(links[2]), {"rating": "2"})
    done = client.get(page(links[2], "done/")).content.decode()
    assert "Reopen my request" in done

    response = client.post(page(links[2], "reopen/"))
    assert response.status_code == 303
    ticket = survey.ticket
    ticket.refresh_from_db()
    assert ticket.status == TicketStatus.OPEN
    status = TicketEvent.objects.filter(ticket=ticket, kind=EventKind.STATUS).latest("id")
    assert (status.summary, status.source) == ("solved → open", "survey")
    reopened = TicketEvent.objects.get(ticket=ticket, kind=EventKind.REOPENED)
    assert reopened.source == "survey" and "satisfaction survey" in reopened.summary
    page_after = client.get(response["Location"]).content.decode()
    assert "Your request is open again" in page_after and "Reopen my request" not in page_after

    client.post(page(links[2], "reopen/"))  # once is enough
    assert TicketEvent.objects.filter(ticket=ticket, kind=EventKind.REOPENED).count() == 1
    survey.refresh_from_db()
    assert survey.reopened_at is not None


def test_the_forms_need_the_csrf_token(surveyed):
    survey, links = surveyed
    browser = Client(enforce_csrf_checks=True)
    assert browser.post(page(links[5]), {"rating": "5"}).status_code == 403
    html = browser.get(page(links[5]), {"rating": "5"}).content.decode()
    csrf = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', html).group(1)
    response = browser.post(page(links[5]), {"rating": "5", "csrfmiddlewaretoken": csrf})
    assert response.status_code == 303
    assert Survey.objects.get(pk=survey.pk).rating == 5


def test_the_admin_lists_surveys_read_only(surveyed, client, admin_user):
    survey, links = surveyed
    client.post(page(links[4]), {"rating": "4"})
    client.force_login(admin_user)
    listing = client.get("/admin/surveys/survey/", {"rating__exact": "4"})
    assert listing.status_code == 200
    assert survey.ticket.reference in listing.content.decode()
    detail = client.get(f"/admin/surveys/survey/{survey.pk}/change/")
    assert detail.status_code == 200 and survey.token_hash not in detail.content.decode()
    assert client.get("/admin/surveys/survey/add/").status_code == 403


@pytest.mark.parametrize(
    "junk",
    ["x", "1.AAAAAAAAAAAAAAAAAAAAAA:zz:zz", "%C3%A9", "a" * 1000, "%3A", "..", "%00", "0.x:y"],
)
def test_any_junk_in_the_link_is_a_clear_400_never_an_error(db, client, junk):
    for response in (
        client.get(f"/s/{junk}/", {"rating": "5"}),
        client.post(f"/s/{junk}/", {"rating": "5"}),
        client.get(f"/s/{junk}/done/"),
        client.post(f"/s/{junk}/comment/", {"comment": "hi"}),
        client.post(f"/s/{junk}/reopen/"),
    ):
        assert response.status_code == 400
        assert "This link does not work" in response.content.decode()
