"""The term syntax and the tokenizer it runs over."""

import re

import pytest

from triage.errors import TermSyntaxError
from triage.terms import TermSet, compile_term
from triage.text import tokenize

ABBREVIATIONS = {"2moro": ("tomorrow",), "foodbank": ("food", "bank"), "yo": ("year", "old")}
LISTS = {"meds": ("tablets", "insulin", "eye drops", "*statin")}


def found(term: str, text: str) -> list[str]:
    notes = tokenize(text, ABBREVIATIONS, frozenset({"but"}))
    return [notes.quote(hit.first, hit.last) for hit in TermSet([term], LISTS).find(notes)]


@pytest.mark.parametrize(
    ("term", "text", "quotes"),
    [
        ("shopping", "Needs SHOPPING.", ["SHOPPING"]),
        ("shopping", "shoppingcentre", []),
        ("hasn't", "she hasnt eaten", ["hasnt"]),
        ("hasnt", "she hasn’t eaten", ["hasn’t"]),
        ("prescri*", "was prescribed", ["prescribed"]),
        ("*statin", "takes atorvastatin", ["atorvastatin"]),
        ("son/daughter", "her daughter rang", ["daughter"]),
        ("son ... card", "son has her bank card", ["son has her bank card"]),
        ("son ... card", "son has always had her old bank card", []),
        ("son ... card", "her son, and the card", []),
        ("son ... card", "her son. The card", []),
        ("aged {70-90}", "aged 84", ["aged 84"]),
        ("aged {70-90}", "aged 94", []),
        ("{70-119} year old", "84yo", ["84yo"]),
        ("(at risk | in danger) now", "in danger now", ["in danger now"]),
        ("(no | out of) (her)? meds", "out of her meds", ["out of her meds"]),
        ("(no | out of) (her)? meds", "no meds", ["no meds"]),
        ("run out of @meds", "run out of eye drops", ["run out of eye drops"]),
        ("@meds", "his simvastatin", ["simvastatin"]),
        ("self-harm", "self harm", ["self harm"]),
        (", {70-119} ,", "Mrs Jones, 87, lives alone", ["87"]),
        ("food bank", "needs a foodbank", ["foodbank"]),
        ("tomorrow", "run out 2moro", ["2moro"]),
    ],
)
def test_term_syntax(term, text, quotes):
    assert found(term, text) == quotes


@pytest.mark.parametrize(
    ("term", "problem"),
    [
        ("", "non-empty"),
        ("... food", "between two words"),
        ("food ...", "between two words"),
        ("a* food", "too short"),
        ("*ab", "too short"),
        ("(no | out of meds", "without ')'"),
        ("food)", "unexpected"),
        ("(her)? meds", "optional"),
        ("fo?od", "letters and digits"),
        ("{90-10}", "range"),
        ("@nowhere", "unknown word list"),
        (",", "no word"),
    ],
)
def test_bad_terms_are_refused(term, problem):
    with pytest.raises(TermSyntaxError, match=re.escape(problem)):
        compile_term(term, LISTS)


def test_a_term_is_compiled_again_when_a_word_list_it_names_changes():
    """Compiled terms are kept from one load of the rules to the next; a changed word list is a new term."""
    notes = tokenize("out of insulin and inhalers", ABBREVIATIONS, frozenset())
    before = TermSet(["out of @meds"], LISTS)
    after = TermSet(["out of @meds"], {"meds": ("inhalers",), "other": ("x",)})
    assert [notes.quote(hit.first, hit.last) for hit in before.find(notes)] == ["out of insulin"]
    assert after.find(notes) == []
    assert compile_term("out of @meds", LISTS) is compile_term("out of @meds", {**LISTS, "other": ("x",)})
    with pytest.raises(TermSyntaxError, match="unknown word list"):
        compile_term("out of @meds", {"other": ("x",)})
    assert compile_term("out of @meds", {"meds": ["inhalers"]}).pattern == after.compiled[0].pattern


@pytest.mark.parametrize(
    ("term", "gate"),
    [
        ("(at risk | in danger) now", {"now"}),
        ("(hit | kick*) her", {"her"}),
        ("(hit | slap) ... (her | him)", {"hit", "slap"}),
        ("(hit | kick*)", None),
        ("{70-90} year old", {"year"}),
        ("run out of @meds", {"run"}),
    ],
)
def test_a_term_knows_words_any_match_must_hold(term, gate):
    assert compile_term(term, LISTS).gate == gate


def test_tokenizer_keeps_offsets_sentences_and_clauses():
    notes = tokenize(
        "Mrs O'Brien, 84yo. Needs food but not today", {"yo": ("year", "old")}, frozenset({"but"})
    )
    words = [token.word for token in notes.tokens]
    assert words == ["mrs", "obrien", "84", "year", "old", "needs", "food", "but", "not", "today"]
    assert notes.quote(1, 1) == "O'Brien"
    assert notes.tokens[5].sentence == 1
    assert notes.tokens[4].sentence == 0
    assert notes.tokens[7].clause > notes.tokens[6].clause
    assert notes.doc == "mrs obrien , 84 year old . needs food but not today ."


@pytest.mark.parametrize(
    ("text", "doc"),
    [
        ("Hoarder? No - house is clean", "hoarder no , house is clean ."),
        ("Young carer? - no, helps now and then", "young carer no , helps now and then ."),
        ("Suicidal thoughts - denied.", "suicidal thoughts denied ."),
        ("Any DV? Yes.", "any dv . yes ."),
        ("lives alone (since 2019) - shielding", "lives alone , since 2019 , shielding ."),
        ("self-harm", "self harm ."),
        ("Kids at no. 22 left alone", "kids at no 22 left alone ."),
        ("Mr. Shah rang. Said no. He hit her", "mr shah rang . said no . he hit her ."),
    ],
)
def test_answers_titles_and_house_numbers_keep_their_sentence(text, doc):
    assert tokenize(text, {}, frozenset()).doc == doc


def test_accented_text_keeps_offsets():
    notes = tokenize("Café owner José needs shopping", {}, frozenset())
    assert notes.quote(0, 0) == "Café"
    assert notes.tokens[-1].word == "shopping"
