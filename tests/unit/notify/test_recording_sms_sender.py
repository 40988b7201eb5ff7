import pytest

from notify.errors import SmsSendError
from notify.sms_sender import RecordingSmsSender, SentMessage, SmsSender

OPTED_OUT = SmsSendError(21610, 400, "opted out", transient=False)
OUTAGE = SmsSendError(20503, 503, "unavailable", transient=True)


def test_records_accepted_texts_with_distinct_sids():
    sender: SmsSender = RecordingSmsSender()
    first = sender.send("+447700900001", "Hello", status_callback="http://app/sms/status")
    second = sender.send("+447700900002", "é" * 161)
    assert first == SentMessage(sid=first.sid, status="queued", num_segments=1)
    assert second.num_segments == 2
    assert first.sid != second.sid
    assert first.sid.startswith("SM")
    assert len(first.sid) == 34
    assert [(m.to, m.body, m.status_callback) for m in sender.sent] == [
        ("+447700900001", "Hello", "http://app/sms/status"),
        ("+447700900002", "é" * 161, None),
    ]


def test_fail_next_raises_each_error_once_in_order():
    sender = RecordingSmsSender()
    sender.fail_next(OUTAGE, OPTED_OUT)
    with pytest.raises(SmsSendError) as first:
        sender.send("+447700900001", "a")
    with pytest.raises(SmsSendError) as second:
        sender.send("+447700900001", "b")
    sender.send("+447700900001", "c")
    assert (first.value.code, second.value.code) == (20503, 21610)
    assert sender.bodies_to("+447700900001") == ["c"]
    assert sender.attempts == 3


def test_fail_number_refuses_that_number_until_cleared():
    sender = RecordingSmsSender()
    sender.fail_number("+447700900009", OPTED_OUT)
    for _ in range(2):
        with pytest.raises(SmsSendError) as refused:
            sender.send("+447700900009", "hi")
        assert (refused.value.code, refused.value.transient) == (21610, False)
    sender.send("+447700900001", "others still get texts")
    sender.fail_number("+447700900009", None)
    sender.send("+447700900009", "now it works")
    assert [m.to for m in sender.sent] == ["+447700900001", "+447700900009"]
