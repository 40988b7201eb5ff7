"""The fast path of TermSet.find (skip terms whose keys are missing, try the regex only where a term can
start) finds exactly what a scan of the whole text finds."""

from __future__ import annotations

import pytest

from triage.rules import term_sets_in
from triage.terms import TermIndex, TermSet, index_notes
from triage.text import tokenize

LISTS = {
    "meds": ("meds", "medication", "tablets", "insulin"),
    "child": ("child", "children", "kid*", "little one", "son/daughter"),
}

SENTENCES = [
    "Mrs Jones, 84, lives alone. Ran out of her meds yesterday and can't get to the chemist.",
    "Needs her perscription collecting; no food in the house since Tuesday!",
    "He threatened her again last night - she is scared. Kids home alone, 3 and 7 yo.",
    "Denies self-harm, suicidal thoughts or abuse. Not sure if he hits her though",
    "Statins and insulin running low, 2 tablets left. Her son usually shops for her",
    "Lost job, skint, no cash for gas or electric. Landlord served notice, homeless in 2 weeks",
    "The little one is hungry, no formula, nappies run out. Threats from ex-partner via text",
    "Lonely since husband died, isolated, hasn't been seen by anyone for days.",
    "Aged 92, Mr. Smith no. 22 Acacia Ave; call ended abruptly, whispering, something isn't right",
    "Needs shopping, shops, shop for food; food bank voucher please; foodbank.",
    "",
    "a",
    ", . , .",
    "self harm self-harmed selfharm as a teenager, historic, DV in 2019 - that's all behind him",
]

TERMS = [
    ["meds", "run/ran/running out of @meds", "(no | without) @meds", "chemist/pharmacy"],
    ["threat*", "*ening", "kid*", "@child ... (home alone | hungry | scared)", "hit/hits ... her"],
    ["self harm*", "suicid*", "(denies | not) (any)? abuse", "selfharm"],
    [", {70-119} ,", "aged {60-119}", "{1-12} (and | ,) {1-12} yo"],
    ["shop/shops/shopping", "shop for", "food", "food bank/banks", "*bank"],
    ["no cash", "(no | short of) (money | cash)", "skint/penniless", "gas or electric", "homeless*"],
    ["call ended abruptly", "whisper*", "something (isnt | is not) right"],
    ["lonely/loneliness", "isolated", "hasnt ... been seen", "not been seen"],
    ["*ordi*", "alone"],  # a term whose start is not known: the whole text is scanned
    ["in . (the)? house", "left , . no"],
]


@pytest.mark.parametrize("terms", TERMS, ids=[terms[0] for terms in TERMS])
@pytest.mark.parametrize("sentence", SENTENCES)
def test_a_term_set_finds_the_same_with_the_prefilter_on_and_off(terms, sentence):
    term_set = TermSet(terms, LISTS)
    notes = tokenize(sentence, {"yo": ("year", "old")}, frozenset({"but"}))
    assert term_set.find(notes) == term_set.find(notes, prefilter=False)


def test_the_prefilter_still_finds_overlapping_terms_in_the_regex_order():
    term_set = TermSet(["food", "food bank", "bank*", "*bank"])
    notes = tokenize("went to the food bank, then the foodbank and banks", {}, frozenset())
    hits = term_set.find(notes)
    assert [(hit.first, hit.last, hit.term) for hit in hits] == [
        (3, 4, "food bank"),
        (7, 7, "*bank"),
        (9, 9, "bank*"),
    ]
    assert hits == term_set.find(notes, prefilter=False)


def test_terms_missing_a_word_are_skipped_and_the_rest_still_found():
    term_set = TermSet(["hit/hits ... her", "kick* (him | her)", "hits"])
    notes = tokenize("he hits him, then shouted", {}, frozenset())
    assert [hit.term for hit in term_set.find(notes)] == ["hits"]
    assert term_set.find(notes) == term_set.find(notes, prefilter=False)


def test_every_term_set_of_the_rules_finds_the_same_with_the_prefilter_on_and_off(rules):
    term_sets = list(term_sets_in(rules))
    assert len(term_sets) > 100
    language = rules.language
    for sentence in SENTENCES:
        notes = tokenize(sentence, language.abbreviations, language.clause_words)
        for term_set in term_sets:
            assert term_set.find(notes) == term_set.find(notes, prefilter=False), (sentence, term_set)


def test_every_term_set_finds_the_same_on_notes_read_once_for_the_whole_rule_set(rules):
    """`index_notes` reads a note's keys once for every set of the rules; each set then finds what it finds
    on notes read the old way, and a set the index does not hold still finds by its own keys."""
    term_sets = list(term_sets_in(rules))
    assert len(rules.term_index) == len(set(term_sets))
    outsider = TermSet(TERMS[1], LISTS)
    language = rules.language
    for sentence in SENTENCES:
        plain = tokenize(sentence, language.abbreviations, language.clause_words)
        indexed = tokenize(sentence, language.abbreviations, language.clause_words)
        index_notes(indexed, rules.term_index)
        for term_set in [*term_sets, outsider]:
            assert term_set.find(indexed) == term_set.find(plain), (sentence, term_set)


def test_an_index_meets_the_clauses_a_set_meets_by_itself():
    term_sets = [TermSet(terms, LISTS) for terms in TERMS]
    index = TermIndex(term_sets)
    for sentence in SENTENCES:
        notes = tokenize(sentence, {"yo": ("year", "old")}, frozenset({"but"}))
        index_notes(notes, index)
        for term_set in term_sets:
            assert term_set.find(notes) == term_set.find(notes, prefilter=False), (sentence, term_set)
