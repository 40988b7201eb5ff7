"""SMS text: GSM-7 or UCS-2, how many segments a text costs, trimming to fit, and transliteration to GSM-7.

A single SMS holds 160 GSM-7 septets or 70 UCS-2 code units; a text longer than that is split into
segments of 153 septets or 67 code units (the rest carries the concatenation header). Characters from the
GSM-7 extension table take two septets, and neither an escape pair nor a UTF-16 surrogate pair may be
split across segments, so segments are packed character by character rather than by dividing lengths.
"""

import unicodedata
from typing import Literal

Encoding = Literal["GSM-7", "UCS-2"]

GSM7_BASIC = frozenset(
    "@£$¥èéùìòÇ\nØø\rÅåΔ_ΦΓΛΩΠΨΣΘΞÆæßÉ !\"#¤%&'()*+,-./0123456789:;<=>?"
    "¡ABCDEFGHIJKLMNOPQRSTUVWXYZÄÖÑÜ§¿abcdefghijklmnopqrstuvwxyzäöñüà"
)
GSM7_EXTENSION = frozenset("^{}\\[~]|€\f")

SINGLE_CAPACITY: dict[Encoding, int] = {"GSM-7": 160, "UCS-2": 70}
MULTIPART_CAPACITY: dict[Encoding, int] = {"GSM-7": 153, "UCS-2": 67}
ELLIPSIS = "..."

TRANSLITERATIONS: dict[str, str] = {
    **dict.fromkeys("‘’‚‛′`´", "'"),
    **dict.fromkeys("“”„‟″«»", '"'),
    **dict.fromkeys("‹›", "'"),
    **dict.fromkeys("‐‑‒–—―−", "-"),
    **dict.fromkeys(
        "\t\u00a0\u2000\u2001\u2002\u2003\u2004\u2005\u2006\u2007\u2008\u2009\u200a\u202f\u205f\u3000", " "
    ),
    **dict.fromkeys("\u200b\u200c\u200d\u2060\ufeff\u00ad", ""),
    "…": "...",
    "•": "-",
    "·": ".",
    "×": "x",
    "ł": "l",
    "Ł": "L",
    "đ": "d",
    "Đ": "D",
    "œ": "oe",
    "Œ": "OE",
    "©": "(c)",
    "®": "(R)",
    "™": "TM",
}


def is_gsm7(text: str) -> bool:
    return all(char in GSM7_BASIC or char in GSM7_EXTENSION for char in text)


def encoding(text: str) -> Encoding:
    return "GSM-7" if is_gsm7(text) else "UCS-2"


def _unit_costs(text: str, text_encoding: Encoding) -> list[int]:
    if text_encoding == "GSM-7":
        return [2 if char in GSM7_EXTENSION else 1 for char in text]
    return [2 if ord(char) > 0xFFFF else 1 for char in text]


def segment_count(text: str) -> int:
    text_encoding = encoding(text)
    costs = _unit_costs(text, text_encoding)
    if sum(costs) <= SINGLE_CAPACITY[text_encoding]:
        return 1
    capacity = MULTIPART_CAPACITY[text_encoding]
    segments, used = 1, 0
    for cost in costs:
        if used + cost > capacity:
            segments, used = segments + 1, 0
        used += cost
    return segments


def fits(text: str, max_segments: int) -> bool:
    return segment_count(text) <= max_segments


def fit_segments(text: str, max_segments: int = 2) -> str:
    """`text` unchanged if it fits in `max_segments`, else cut (at a word boundary when one lies in the
    second half of what fits) and ended with an ellipsis."""
    if max_segments < 1:
        raise ValueError(f"max_segments must be >= 1, got {max_segments}")
    if fits(text, max_segments):
        return text
    longest, low, high = 0, 0, len(text)
    while low <= high:
        middle = (low + high) // 2
        if fits(text[:middle].rstrip() + ELLIPSIS, max_segments):
            longest, low = middle, middle + 1
        else:
            high = middle - 1
    kept = text[:longest]
    if 0 < longest < len(text) and not text[longest].isspace() and not kept[-1].isspace():
        word_start = max(kept.rfind(" "), kept.rfind("\n"))
        if word_start >= longest // 2:
            kept = kept[:word_start]
    return kept.rstrip() + ELLIPSIS


def _to_gsm_char(char: str) -> str:
    if char in GSM7_BASIC or char in GSM7_EXTENSION:
        return char
    if char in TRANSLITERATIONS:
        return TRANSLITERATIONS[char]
    decomposed = "".join(
        part for part in unicodedata.normalize("NFKD", char) if not unicodedata.combining(part)
    )
    candidate = "".join(TRANSLITERATIONS.get(part, part) for part in decomposed)
    return candidate if candidate and is_gsm7(candidate) else char


def to_gsm(text: str) -> str:
    """Replace common characters outside GSM-7 (smart quotes, dashes, the ellipsis character, unusual
    spaces, accented letters) by GSM-7 look-alikes. Characters with no look-alike (emoji, other scripts)
    are kept, so such a text stays UCS-2 rather than losing its meaning."""
    return "".join(_to_gsm_char(char) for char in text)
