import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from notify.sms_text import encoding, fit_segments, is_gsm7, segment_count, to_gsm

GRINNING = "\U0001f600"


@pytest.mark.parametrize(
    ("text", "gsm"),
    [
        ("", True),
        ("Hello, can you collect a prescription?", True),
        ("@£$¥èéùìòÇØøÅåΔ_ΦΓΛΩΠΨΣΘΞÆæßÉ¡ÄÖÑÜ§¿äöñüà", True),
        ("[]{}\\~^|€", True),
        ("line one\nline two\r", True),
        ("ç", False),  # GSM has only the capital Ç
        ("δ", False),  # only capital Greek letters are in GSM-7
        ("`", False),
        ("\t", False),
        ("it’s", False),
        (GRINNING, False),
    ],
)
def test_is_gsm7(text, gsm):
    assert is_gsm7(text) is gsm
    assert encoding(text) == ("GSM-7" if gsm else "UCS-2")


@pytest.mark.parametrize(
    ("text", "segments"),
    [
        ("", 1),
        ("a" * 160, 1),
        ("a" * 161, 2),
        ("a" * 306, 2),
        ("a" * 307, 3),
        ("{" * 80, 1),  # extension characters take two septets
        ("{" * 81, 2),
        ("€" * 153, 3),  # 76 escape pairs per 153-septet segment
        ("a" * 152 + "{" + "a" * 152, 3),  # the escape pair is not split, so not ceil(306 / 153)
        ("ā" * 70, 1),
        ("ā" * 71, 2),
        ("ā" * 134, 2),
        ("ā" * 135, 3),
        ("a" * 159 + "ā", 3),  # one non-GSM character turns the whole text into UCS-2
        (GRINNING * 35, 1),  # two UTF-16 code units each
        (GRINNING * 36, 2),
        ("a" * 66 + GRINNING + "a" * 66, 3),  # the surrogate pair is not split
    ],
)
def test_segment_count(text, segments):
    assert segment_count(text) == segments


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("“Hi” ‘there’", "\"Hi\" 'there'"),
        ("9–5 — ok", "9-5 - ok"),
        ("Wait…", "Wait..."),
        ("a\u00a0b\u202fc\u2009d", "a b c d"),
        ("Tab\there", "Tab here"),
        ("x\u200by\ufeff", "xy"),
        ("café Ångström Müller", "café Ångström Müller"),  # already GSM-7: kept
        ("Zoë naïve", "Zoe naive"),
        ("Łódź", "Lodz"),
        ("Siân ŵy", "Sian wy"),
        ("garçon", "garcon"),
        ("ﬁx", "fix"),
        ("• milk", "- milk"),
        (f"Thanks {GRINNING}", f"Thanks {GRINNING}"),  # no look-alike: kept, the text stays UCS-2
        ("Привет", "Привет"),
    ],
)
def test_to_gsm(text, expected):
    assert to_gsm(text) == expected


def test_to_gsm_brings_a_typical_pasted_text_back_to_gsm():
    pasted = "Your volunteer “Siân” will call 10–11am… Reply ‘YES’ to confirm.\u00a0"
    assert not is_gsm7(pasted)
    assert is_gsm7(to_gsm(pasted))
    assert segment_count(to_gsm(pasted)) == 1


def test_fit_segments_leaves_a_fitting_text_alone():
    assert fit_segments("a" * 306, max_segments=2) == "a" * 306


@pytest.mark.parametrize(
    ("text", "max_segments", "expected"),
    [
        ("a" * 200, 1, "a" * 157 + "..."),  # no word boundary: cut anywhere
        ("ā" * 200, 1, "ā" * 67 + "..."),  # UCS-2: 70 code units
        ("a" * 300 + "ā", 2, "a" * 300 + "..."),  # dropping the one UCS-2 character buys GSM-7 room
        ("word " * 40, 1, ("word " * 31).rstrip() + "..."),  # cut at the last whole word
    ],
)
def test_fit_segments_trims(text, max_segments, expected):
    assert fit_segments(text, max_segments) == expected
    assert segment_count(expected) <= max_segments


def test_fit_segments_rejects_zero_segments():
    with pytest.raises(ValueError, match="max_segments"):
        fit_segments("hello", 0)


@settings(derandomize=True, max_examples=300, deadline=None)
@given(
    text=st.text(alphabet=st.sampled_from("ab {€ā\n" + GRINNING), max_size=700),
    max_segments=st.integers(min_value=1, max_value=4),
)
def test_fit_segments_always_fits_and_keeps_a_prefix(text, max_segments):
    fitted = fit_segments(text, max_segments)
    assert segment_count(fitted) <= max_segments
    assert fitted == text or (fitted.endswith("...") and text.startswith(fitted[:-3]))
