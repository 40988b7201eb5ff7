import pytest

from notify.reply_parsing import Command, parse_command, words_of


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("YES K7QX", Command("accept", "K7QX")),
        ("yes k7qx", Command("accept", "K7QX")),
        ("  Yes,   K7QX! ", Command("accept", "K7QX")),
        ("YES #K7QX", Command("accept", "K7QX")),
        ("yesk7qx", Command("accept", "K7QX")),
        ("YES K7 QX", Command("accept", "K7QX")),
        ("Y E S", Command("accept")),
        ("YES", Command("accept")),
        ("y", Command("accept")),
        ("yes pls", Command("accept")),
        ("Yes please, I can do it", Command("accept")),
        ("YESPLS", Command("accept")),
        ("OK K7QX thanks", Command("accept", "K7QX")),
        ("accept k7qx", Command("accept", "K7QX")),
        ("NO K7QX", Command("decline", "K7QX")),
        ("no sorry", Command("decline")),
        ("can't, sorry", Command("decline")),
        ("No, can't", Command("decline")),
        ("nope", Command("decline")),
        ("DONE K7QX", Command("done", "K7QX")),
        ("done k7 qx", Command("done", "K7QX")),
        ("Done!", Command("done")),
        ("finished", Command("done")),
        ("HELP", Command("help")),
        ("info", Command("help")),
    ],
)
def test_commands_as_leads_write_them(text, expected):
    assert parse_command(text) == expected


@pytest.mark.parametrize(
    ("text", "kind", "code"),
    [
        ("YSE", "accept", None),  # two letters swapped
        ("yse k7qx", "accept", "K7QX"),
        ("yess", "accept", None),  # one letter too many
        ("DOEN K7QX", "done", "K7QX"),
        ("dnoe", "done", None),
        ("HELO", "help", None),
        ("NOPR", "decline", None),
    ],
)
def test_an_obvious_typo_is_understood(text, kind, code):
    command = parse_command(text)
    assert (command.kind, command.code) == (kind, code)
    assert command.guessed_from is not None


@pytest.mark.parametrize(
    "text",
    [
        "",
        "   ",
        "thanks",
        "hello",
        "NONE",  # one letter from both NOPE and DONE: ambiguous
        "ON",  # too short to guess
        "yes but only after 5pm",  # more than a code after the command
        "YES K7QX B2RT",  # two codes
        "Yesterday was fine",
        "who is this?",
        "STPO",  # opting out is never guessed
        "STRAT",  # nor opting back in
    ],
)
def test_anything_else_is_not_understood(text):
    assert parse_command(text).kind == "unknown"


@pytest.mark.parametrize(
    ("text", "kind"),
    [
        ("STOP", "opt_out"),
        ("stop", "opt_out"),
        ("Stop please", "opt_out"),
        ("STOPALL", "opt_out"),
        ("UNSUBSCRIBE", "opt_out"),
        ("end", "opt_out"),
        ("QUIT", "opt_out"),
        ("revoke", "opt_out"),
        ("OPTOUT", "opt_out"),
        ("cancel", "opt_out"),
        ("START", "opt_in"),
        ("start", "opt_in"),
        ("unstop", "opt_in"),
    ],
)
def test_opt_out_and_opt_in_keywords(text, kind):
    assert parse_command(text) == Command(kind)


@pytest.mark.parametrize(
    ("text", "words"),
    [
        ("Yes, K7QX!", ["YES", "K7QX"]),
        ("can't", ["CANT"]),
        ("can’t", ["CANT"]),
        ("done-k7qx", ["DONE", "K7QX"]),
        ("👍 yes", ["YES"]),
    ],
)
def test_words_ignore_case_and_punctuation(text, words):
    assert words_of(text) == words
