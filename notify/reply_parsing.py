"""What a lead's text asks for: YES/NO/DONE with an optional task code, HELP, REFER (a link to refer
someone they met), or opting out of and back into texts. Case, spacing and punctuation do not matter; a typo
is read as a command only when it is one edit (or one swap of neighbouring letters) from the words of exactly
one command, and never for opt-out/in or REFER."""

import re
from dataclasses import dataclass
from typing import Literal

from rapidfuzz.distance import OSA

CommandKind = Literal["accept", "decline", "done", "help", "opt_out", "opt_in", "refer", "unknown"]

WORDS: dict[str, CommandKind] = {
    **dict.fromkeys(("YES", "Y", "YEP", "YEAH", "YUP", "ACCEPT", "OK", "OKAY", "SURE"), "accept"),
    **dict.fromkeys(("NO", "N", "NOPE", "DECLINE", "CANT", "CANNOT"), "decline"),
    **dict.fromkeys(("DONE", "COMPLETE", "COMPLETED", "FINISHED"), "done"),
    **dict.fromkeys(("HELP", "INFO"), "help"),
    **dict.fromkeys(
        ("STOP", "STOPALL", "UNSUBSCRIBE", "END", "QUIT", "REVOKE", "OPTOUT", "CANCEL"), "opt_out"
    ),
    **dict.fromkeys(("START", "UNSTOP"), "opt_in"),
    # A mutual-aid lead asks for a one-time link to refer someone they met (texting/replies.py).
    **dict.fromkeys(("REFER", "REFERRAL"), "refer"),
}
REPLIES: frozenset[CommandKind] = frozenset({"accept", "decline", "done"})
GUESSABLE: frozenset[CommandKind] = REPLIES | {"help"}
MIN_GUESS_LENGTH = 3
FILLER = frozenset(
    {"PLS", "PLZ", "PLEASE", "THANKS", "THANK", "YOU", "THX", "TA", "CHEERS", "TO", "FOR", "TASK", "CODE",
     "I", "CAN", "WILL", "DO", "IT", "THAT", "THIS", "ONE", "ALL", "NOW", "SORRY", "X", "XX", "XXX"}
)  # fmt: skip
CODE = re.compile(r"^[A-Z0-9]{3,12}$")
NOT_A_WORD = re.compile(r"[^A-Z0-9 ]+")


@dataclass(frozen=True)
class Command:
    kind: CommandKind
    code: str | None = None
    guessed_from: str | None = None


def words_of(text: str) -> list[str]:
    """Upper-cased words with punctuation dropped: "Yes, K7QX!" -> ["YES", "K7QX"]; "can't" -> ["CANT"]."""
    spaced = re.sub(r"[#:;,.!?()\[\]/\\-]+", " ", text.upper().replace("'", "").replace("’", ""))
    return NOT_A_WORD.sub("", spaced).split()


def _keyword(word: str) -> tuple[CommandKind | None, str | None]:
    if word in WORDS:
        return WORDS[word], None
    if len(word) < MIN_GUESS_LENGTH:
        return None, None
    near = {kind for known, kind in WORDS.items() if OSA.distance(word, known) <= 1}
    if len(near) == 1 and (kind := next(iter(near))) in GUESSABLE:
        return kind, word
    return None, None


def _split_glued(word: str) -> list[str] | None:
    """ "YESK7QX" -> ["YES", "K7QX"], "YESPLS" -> ["YES", "PLS"]: a reply word with a task code (which has a
    digit) or a filler word written straight after it."""
    for known in sorted(WORDS, key=len, reverse=True):
        rest = word[len(known) :]
        if len(known) < 2 or not word.startswith(known) or WORDS[known] not in REPLIES:
            continue
        if rest in FILLER or (CODE.match(rest) and any(char.isdigit() for char in rest)):
            return [known, rest]
    return None


def _parse_words(words: list[str]) -> Command:
    if len(words) == 1 and words[0] not in WORDS and (glued := _split_glued(words[0])):
        words = glued
    kind, guessed_from = _keyword(words[0])
    if kind is None:
        return Command("unknown")
    if kind not in REPLIES:
        return Command(kind, guessed_from=guessed_from)
    rest = [word for word in words[1:] if word not in FILLER and WORDS.get(word) != kind]
    if not rest:
        return Command(kind, guessed_from=guessed_from)
    if len(rest) == 1 and CODE.match(rest[0]):
        return Command(kind, rest[0], guessed_from)
    return Command("unknown")


def parse_command(text: str) -> Command:
    """The command in a text. When it cannot be read as written and is made of short pieces ("Y E S",
    "YES K7 QX"), it is read again without its spaces."""
    words = words_of(text)
    if not words:
        return Command("unknown")
    command = _parse_words(words)
    if command.kind == "unknown" and len(words) > 1 and sum(len(word) > 3 for word in words) <= 1:
        return _parse_words(["".join(words)])
    return command
