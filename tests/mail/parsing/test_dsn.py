"""Bounces name the failed recipients and the message of ours that bounced."""

from __future__ import annotations

from postroom.mail.parsing.dsn import parse_status_fields, statuses_from_fields
from tests.mail.parsing.conftest import fixture_mail, parse_text


def test_postfix_bounce_names_failed_recipient_and_original_message_id():
    report = fixture_mail("postfix_dsn.eml").delivery_report
    assert report is not None and not report.heuristic
    (status,) = report.statuses
    assert status.recipient == "asdfasdfasdfasdfasdfasdfewrqertrtyrthsfgdfgadfqeadvxzvz@gmail.com"
    assert (status.action, status.status, status.hard) == ("failed", "5.1.1", True)
    assert status.diagnostic.startswith("550-5.1.1 The email account that you tried to reach")
    assert report.original_message_id == "20090708054735.GC7578@example.com"
    assert report.original_subject == "test bounce"


def test_delayed_dsn_is_not_a_hard_bounce():
    report = fixture_mail("delayed_dsn.eml").delivery_report
    (status,) = report.statuses
    assert (status.recipient, status.action, status.status) == (
        "fraser@oooooooo.com.au",
        "delayed",
        "4.2.2",
    )
    assert not status.hard
    assert (
        report.original_message_id
        == "15655788.13.1200472642578.JavaMail.Administrator@mail.ttttt.com.au"
    )


def test_mailbox_full_dsn_reads_status_from_the_report():
    (status,) = fixture_mail("mailbox_full_dsn.eml").delivery_report.statuses
    assert (status.recipient, status.status) == ("user@aol.com", "5.2.2")


def test_dsn_with_several_recipients_lists_each():
    report = fixture_mail("multi_recipient_dsn.eml").delivery_report
    assert len(report.statuses) == 5
    assert all(s.hard and s.recipient.endswith("@gmail.com") for s in report.statuses)


def test_amazon_ses_dsn_gives_the_original_message():
    report = fixture_mail("amazon_ses_dsn.eml").delivery_report
    assert report.original_message_id == "xxxxx@email.amazonses.com"
    assert report.original_subject == "Example Subject"
    assert [(s.recipient, s.status) for s in report.statuses] == [("xxxx@xxxx.com", "5.1.1")]


def test_gmail_bounce_without_dsn_part_is_recognised_heuristically():
    report = fixture_mail("gmail_bounce_without_dsn.eml").delivery_report
    assert report.heuristic
    (status,) = report.statuses
    assert (status.recipient, status.status, status.hard) == (
        "awfawfawfawfawfaw@someserverhere.com",
        "5.1.0",
        True,
    )
    assert (
        report.original_message_id
        == "CAKsfaBUUGqVZiaMrmH3TRPfq1odQPtM7Ey5YW1SgyJJRHtAjgw@mail.gmail.com"
    )
    assert report.original_subject == "Hi"


def test_dsn_fields_are_read_even_when_the_mime_boundary_is_cut():
    report = fixture_mail("sendmail_dsn_cut_boundary.eml").delivery_report
    assert [(s.recipient, s.status) for s in report.statuses] == [
        ("scoffman@wellpartner.com", "5.4.6")
    ]


def test_abuse_reports_and_read_receipts_are_not_bounces():
    assert fixture_mail("aol_abuse_report.eml").delivery_report is None
    assert fixture_mail("read_receipt_mdn.eml").delivery_report is None


def test_qmail_failure_notice_is_recognised():
    mail = parse_text(
        """
From: MAILER-DAEMON@mail.example.net
To: support@example.test
Subject: failure notice

Hi. This is the qmail-send program at mail.example.net.
I'm afraid I wasn't able to deliver your message to the following addresses.
This is a permanent error; I've given up. Sorry it didn't work out.

<nobody@customer.test>:
Sorry, no mailbox here by that name. (#5.1.1)

--- Below this line is a copy of the message.

Message-ID: <pr-ack-7@desk.example.test>
From: support@example.test
Subject: [PR-7] We received your request

Thanks for writing.
"""
    )
    report = mail.delivery_report
    assert report.heuristic
    assert [(s.recipient, s.action, s.status) for s in report.statuses] == [
        ("nobody@customer.test", "failed", "5.1.1")
    ]
    assert report.original_message_id == "pr-ack-7@desk.example.test"
    assert report.original_subject == "[PR-7] We received your request"


def test_exim_bounce_uses_x_failed_recipients():
    mail = parse_text(
        """
From: Mail Delivery System <Mailer-Daemon@mx.example.net>
To: support@example.test
Subject: Mail delivery failed: returning message to sender
X-Failed-Recipients: gone@customer.test
Auto-Submitted: auto-replied

This message was created automatically by mail delivery software.

A message that you sent could not be delivered to one or more of its
recipients. This is a permanent error. The following address(es) failed:

  gone@customer.test
    SMTP error from remote mail server after RCPT TO:<gone@customer.test>:
    550 5.1.1 User unknown

------ This is a copy of the message, including all the headers. ------

Message-ID: <pr-reply-9@desk.example.test>
References: <first@customer.test>
 <pr-ack-9@desk.example.test>
Subject: Re: [PR-9] Battery

Hello
"""
    )
    report = mail.delivery_report
    (status,) = report.statuses
    assert (status.recipient, status.status, status.hard) == ("gone@customer.test", "5.1.1", True)
    assert report.original_message_id == "pr-reply-9@desk.example.test"
    assert report.original_references == ("first@customer.test", "pr-ack-9@desk.example.test")


def test_delay_warning_without_dsn_part_is_not_hard():
    mail = parse_text(
        """
From: postmaster@mx.example.net
To: support@example.test
Subject: Delivery delayed: [PR-3] Your warranty claim

This is a warning message only. Delivery to the following recipient has been
delayed and the server will continue to try:

    slow@customer.test
"""
    )
    (status,) = mail.delivery_report.statuses
    assert (status.recipient, status.action, status.hard) == (
        "slow@customer.test",
        "delayed",
        False,
    )


def test_customer_quoting_a_bounce_subject_is_not_a_bounce():
    mail = parse_text(
        """
From: Jane <jane@customer.test>
To: support@example.test
Subject: Re: Undelivered Mail Returned to Sender

I got this failure notice when writing to you: user unknown. Can you check?
"""
    )
    assert mail.delivery_report is None


def test_status_fields_give_defaults_for_missing_status_and_odd_actions():
    blocks = parse_status_fields(
        "Reporting-MTA: dns; mx\n\nFinal-Recipient: rfc822; <A@Example.TEST>\nAction: failure\n"
        "\nOriginal-Recipient: rfc822;b@example.test\nAction: delayed\n"
        "Diagnostic-Code: smtp; 451 4.7.1 try later\n"
    )
    statuses = statuses_from_fields(blocks)
    assert [(s.recipient, s.action, s.status) for s in statuses] == [
        ("a@example.test", "failed", "5.0.0"),
        ("b@example.test", "delayed", "4.7.1"),
    ]
    assert statuses[1].diagnostic == "451 4.7.1 try later"
