"""The pure rules of following recurring support through: missed, two in a row, reminders due, the end of
the council's day; and an email read for a draft call."""

from datetime import UTC, datetime, timedelta
from email.message import EmailMessage
from zoneinfo import ZoneInfo

from referrals import follow_through as ft
from referrals.email_reading import from_fields, html_to_text, read_email

T0 = datetime(2026, 12, 1, 10, tzinfo=UTC)
DAY = timedelta(days=1)


def plan(*outcomes):
    return [
        {"index": i, "due_at": (T0 + 7 * i * DAY).isoformat(), "outcome_code": code}
        for i, code in enumerate(outcomes)
    ]


def test_missed_only_after_the_grace_and_without_an_outcome():
    occurrences = plan(None, "call_made", None)
    assert ft.missed(occurrences, DAY, T0 + DAY) == []
    assert [o["index"] for o in ft.missed(occurrences, DAY, T0 + DAY + timedelta(seconds=1))] == [0]
    assert [o["index"] for o in ft.missed(occurrences, DAY, T0 + 15 * DAY + timedelta(hours=1))] == [0, 2]


def test_two_in_a_row_means_consecutive_times():
    late = T0 + 30 * DAY
    assert ft.missed_twice(plan(None, None, "call_made"), 1, DAY, late)
    assert not ft.missed_twice(plan(None, "call_made", None), 2, DAY, late), "an answered time between"
    assert not ft.missed_twice(plan(None, None), 0, DAY, late)
    assert ft.not_answered_twice(plan("no_answer", "no_answer"), 1)
    assert not ft.not_answered_twice(plan("no_answer", "call_made", "no_answer"), 2)


def test_a_reminder_is_due_the_day_before_and_not_once_recorded():
    second = plan("call_made", None)[1]
    due = ft.due_at(second)
    assert not ft.reminder_due(second, due - DAY - timedelta(seconds=1))
    assert ft.reminder_due(second, due - DAY)
    assert ft.reminder_due(second, due - timedelta(seconds=1))
    assert not ft.reminder_due(second, due)
    assert not ft.reminder_due({**second, "outcome_code": "call_made"}, due - timedelta(hours=3))


def test_same_day_means_the_end_of_the_councils_day_across_the_clock_change():
    london = ZoneInfo("Europe/London")
    late_evening = datetime(2026, 10, 24, 23, 30, tzinfo=UTC)  # 00:30 on the 25th in BST, the day GMT starts
    assert ft.end_of_day(late_evening, london) == datetime(2026, 10, 25, 23, 59, tzinfo=london)


def test_a_one_off_check_in_not_answered_is_followed_up_and_nothing_else_is():
    aliases = {"could_not_contact": "no_answer"}.get

    def canonical(code):
        return aliases(code, code)

    assert ft.one_off_not_answered(["befriending"], False, ["no_answer"])
    assert ft.one_off_not_answered(["befriending", "shopping"], False, ["could_not_contact"], canonical)
    assert not ft.one_off_not_answered(["befriending"], False, ["could_not_contact"])  # alias unknown
    assert not ft.one_off_not_answered(["befriending"], True, ["no_answer"])  # a plan's own rule
    assert not ft.one_off_not_answered(["shopping"], False, ["no_answer"])  # not a check-in
    assert not ft.one_off_not_answered(["befriending"], False, ["call_made"])


def test_only_no_answer_again_on_an_open_no_answer_follow_up_escalates():
    assert ft.escalates_on_close(ft.NOT_ANSWERED, ft.OPEN, ft.NO_ANSWER)
    assert not ft.escalates_on_close(ft.NOT_ANSWERED, ft.OPEN, ft.REACHED)
    assert not ft.escalates_on_close(ft.NOT_ANSWERED, ft.ESCALATED, ft.NO_ANSWER)  # the safety net's already
    assert not ft.escalates_on_close(ft.MISSED, ft.OPEN, ft.NO_ANSWER)


def test_a_phone_task_escalates_on_the_second_unanswered_call_in_a_row():
    assert ft.calls_not_answered_twice(["no_answer", "no_answer"])
    assert ft.calls_not_answered_twice(["will_do", "no_answer", "no_answer"])
    assert not ft.calls_not_answered_twice(["no_answer"])
    assert not ft.calls_not_answered_twice(["no_answer", "left_message", "no_answer"])
    assert not ft.calls_not_answered_twice([])


def test_an_emails_html_is_plain_text_without_script_or_style():
    text = html_to_text(
        "<style>b{}</style><p>One &amp; two</p><script>x()</script><ul><li>a</li><li>b</li></ul>"
    )
    assert text == "One & two\n\na\n\nb"


def test_an_email_keeps_its_sender_and_refuses_attachments():
    message = EmailMessage()
    message["From"] = '"Pat, Person" <PAT@example.ORG>'
    message["Subject"] = "Help   please"
    message.set_content("Line one\r\n\r\n\r\n\r\nLine two\x07")
    message.add_attachment(b"data", maintype="image", subtype="png", filename="photo.png")
    found = read_email(bytes(message))
    assert (found.sender, found.sender_name) == ("pat@example.org", "Pat, Person")
    assert found.subject == "Help please"
    assert found.body == "Line one\n\nLine two"
    assert found.attachments == ("photo.png",)
    assert found.message_id.startswith("sha256:"), "no Message-ID: the same message twice is one all the same"
    assert read_email(bytes(message)).message_id == found.message_id


def test_a_webhooks_email_without_an_address_has_no_sender():
    assert from_fields(sender="just a name").sender == ""
    assert from_fields(sender="a@b.example", html="<b>hi</b>").body == "hi"
