"""The outcome codes of config/outcomes.yaml: loaded and checked, several per completion, the service's own
codes never offered on a form."""

import pytest

from config.settings import ConfigError
from referrals.lifecycle import PLAN_COMPLETED
from referrals.outcomes import MAX_PER_COMPLETION, load_outcomes
from texting.replies import DONE_OUTCOME

OUTCOMES = load_outcomes()


def test_the_shipped_list_loads_and_the_services_own_codes_are_in_it_but_not_offered():
    offered = [outcome.code for outcome in OUTCOMES.choices]
    assert {"shopping_delivered", "prescription_collected", "no_answer", "referred_on"} <= set(offered)
    for code in (DONE_OUTCOME, PLAN_COMPLETED):
        assert OUTCOMES.get(code) is not None
        assert code not in offered


@pytest.mark.parametrize(
    ("codes", "problem"),
    [
        (["shopping_delivered", "prescription_collected"], None),
        ([], "choose at least one outcome"),
        (["shopping_delivered", "shopping_delivered"], "each outcome once"),
        (["referred_on", "referred_elsewhere"], "each outcome once"),
        (["teleported"], "not an outcome that may be recorded: teleported"),
        ([DONE_OUTCOME], f"not an outcome that may be recorded: {DONE_OUTCOME}"),
        (
            [o.code for o in OUTCOMES.choices][: MAX_PER_COMPLETION + 1],
            f"choose at most {MAX_PER_COMPLETION} outcomes",
        ),
    ],
)
def test_what_may_be_recorded_at_one_completion(codes, problem):
    assert OUTCOMES.problem(codes) == problem


def test_codes_recorded_before_the_list_read_as_their_new_names():
    assert OUTCOMES.label("could_not_contact") == "No answer: could not reach them"
    assert OUTCOMES.get("referred_elsewhere").result == "referred_on"
    assert OUTCOMES.label("something_old") == "Something old"


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("outcomes: []", "'outcomes' must map"),
        ("outcomes: {Bad-Code: {label: x, result: helped}}", "lower-case words"),
        ("outcomes: {ok: {result: helped}}", "needs a label"),
        ("outcomes: {ok: {label: Ok, result: fine}}", "result must be one of"),
        ("outcomes: {ok: {label: Ok, result: helped, colour: red}}", "unknown keys colour"),
        ("outcomes: {ok: {label: Ok, result: helped}}\naliases: {old: missing}", "aliases.old"),
    ],
)
def test_a_broken_file_is_refused_naming_the_entry(tmp_path, text, message):
    path = tmp_path / "outcomes.yaml"
    path.write_text(text)
    with pytest.raises(ConfigError, match=message):
        load_outcomes(path)
