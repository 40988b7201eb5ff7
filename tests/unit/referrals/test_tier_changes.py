"""Lowering a tier: the rule of config/tier_changes.yaml (who may lower which case, what a reason must say),
how a case is read from the referral and the triage rules, and the loader's refusals of a broken file."""

from pathlib import Path

import pytest

from accounts.tokens import Principal
from config.settings import ConfigError
from referrals.errors import DomainValidationError, Forbidden
from referrals.models import Referral
from referrals.tier_changes import Case, load_tier_change_policy, statutory_needs
from referrals.triaging import Retriage, _check_override_allowed
from triage import load_rules, triage

POLICY = load_tier_change_policy()
RULES = load_rules()
ORDINARY = Case(safeguarding=False, urgencies=frozenset({"routine"}), statutory_needs=frozenset())
GOOD_REASON = "Her daughter does the shopping now, only a weekly call is needed"


def person(role: str) -> Principal:
    return Principal(token_id=1, name=f"test {role}", role=role, org_id=None)


@pytest.mark.parametrize(
    "reason",
    [
        "",
        "x",
        "....",
        "asdf",
        "asdf asdf asdf asdf",
        "no need",
        "aaaaaaaaaa bbbbbbbbbb",
        "test test testing",
        "x y z 1 2 3 4 5 6 7 8",
        "12345678901234567890",
        "lowered tier",
        "see notes above",
    ],
)
def test_a_reason_that_says_nothing_is_refused(reason):
    assert POLICY.reason.problem(reason) is not None


@pytest.mark.parametrize(
    "reason",
    [
        GOOD_REASON,
        "GP confirmed",
        "No longer homeless",
        "Ffoniodd ei merch",  # Welsh: her daughter phoned
        "Córka już pomaga",  # Polish: the daughter is helping already
    ],
)
def test_a_reason_in_words_is_accepted(reason):
    assert POLICY.reason.problem(reason) is None


def test_the_thresholds_come_from_the_file():
    assert (POLICY.reason.min_words, POLICY.reason.min_letters) == (2, 10)
    assert {"asdf", "no"} <= POLICY.reason.not_words


@pytest.mark.parametrize(
    ("case", "rule"),
    [
        (Case(True, frozenset({"urgent"}), frozenset()), "safeguarding"),
        (Case(False, frozenset({"emergency"}), frozenset()), "emergency"),
        (Case(False, frozenset({"routine", "emergency"}), frozenset()), "emergency"),
        (Case(False, frozenset({"urgent"}), frozenset({"homelessness"})), "statutory_need"),
        (ORDINARY, "other"),
        (Case(False, frozenset({"urgent"}), frozenset()), "other"),
    ],
)
def test_the_first_rule_that_holds_decides(case, rule):
    assert POLICY.rule_for(case).id == rule


@pytest.mark.parametrize(
    "case",
    [
        Case(True, frozenset({"urgent"}), frozenset()),
        Case(False, frozenset({"emergency"}), frozenset()),
        Case(False, frozenset({"routine"}), frozenset({"personal_care"})),
    ],
)
def test_only_a_safety_net_officer_may_lower_a_protected_case(case):
    assert POLICY.refusal(case, "safety_net_officer") is None
    for role in ("helpline_staff", "hub_coordinator", "admin"):
        refusal = POLICY.refusal(case, role)
        assert (refusal or "").startswith("only a safety-net officer may lower the tier of")
        assert "config/tier_changes.yaml" in refusal


def test_helpline_staff_and_officers_may_lower_another_case_but_not_coordinators_or_admins():
    assert POLICY.refusal(ORDINARY, "helpline_staff") is None
    assert POLICY.refusal(ORDINARY, "safety_net_officer") is None
    assert POLICY.refusal(ORDINARY, "hub_coordinator") == (
        "only helpline staff or a safety-net officer may lower the tier of this referral "
        "(rule 'other' in config/tier_changes.yaml)"
    )
    assert POLICY.refusal(ORDINARY, "admin") is not None


def test_a_refusal_for_a_statutory_need_names_the_need():
    case = Case(False, frozenset({"urgent"}), frozenset({"homelessness"}))
    assert "statutory duty for (homelessness)" in POLICY.refusal(case, "helpline_staff")


def test_statutory_needs_come_from_the_triage_rules():
    assert statutory_needs(RULES, ["personal_care", "shopping"], []) == {"personal_care"}
    assert statutory_needs(RULES, ["housing"], ["policy.homelessness", "policy.need_tier.housing"]) == {
        "homelessness"
    }
    assert statutory_needs(RULES, ["housing"], ["policy.carer_breakdown"]) == {"carer_breakdown"}
    # statutory for a flag or for safeguarding, not for a need: the other rules cover those
    assert statutory_needs(RULES, ["shopping"], ["policy.shielding", "policy.safeguarding"]) == set()
    assert statutory_needs(RULES, ["food", "housing"], ["policy.need_tier.food"]) == set()


def referral_from(notes: str) -> Referral:
    decision = triage(notes, rules=RULES)
    return Referral(
        tier=decision.tier,
        needs=list(decision.needs),
        urgency=decision.urgency,
        safeguarding=decision.safeguarding,
        triage=decision.to_dict(),
    )


def check(notes: str, role: str, tier: str, reason: str, current: Referral | None = None):
    current = current or referral_from(notes)
    engine = triage(notes, rules=RULES)
    new = engine.__class__(**{**engine.__dict__, "tier": tier})
    _check_override_allowed(
        current, engine, new, Retriage(tier=tier, reason=reason), person(role), RULES, POLICY
    )


def test_the_measured_bug_emergency_homelessness_lowered_by_helpline_staff_with_reason_x():
    notes = "He was evicted this morning and has nowhere to sleep tonight. Needs some shopping too."
    with pytest.raises(Forbidden, match="emergency"):
        check(notes, "helpline_staff", "mutual_aid", "x")
    with pytest.raises(DomainValidationError) as refused:
        check(notes, "safety_net_officer", "mutual_aid", "x")
    assert refused.value.field == "reason"
    check(
        notes, "safety_net_officer", "vcs", "Housing options team already has him in emergency accommodation"
    )


def test_a_statutory_need_found_only_in_the_stored_triage_still_protects_the_case():
    """New notes that no longer mention the eviction do not open the case to helpline staff."""
    current = referral_from("Facing eviction next month, needs shopping")
    with pytest.raises(Forbidden, match="homelessness"):
        check("Needs shopping", "helpline_staff", "mutual_aid", GOOD_REASON, current=current)


def test_helpline_staff_lower_an_ordinary_case_with_a_real_reason_only():
    with pytest.raises(DomainValidationError):
        check("Needs food bank referral", "helpline_staff", "mutual_aid", "....")
    check("Needs food bank referral", "helpline_staff", "mutual_aid", GOOD_REASON)


def test_raising_needs_neither_a_role_nor_a_reason():
    check("Needs food bank referral", "admin", "statutory", "")


def test_clearing_a_safeguarding_flag_found_in_new_notes_is_for_a_safety_net_officer():
    current = referral_from("Needs shopping")
    notes = "Needs shopping. Her son has taken her bank card and she is scared of him."
    engine = triage(notes, rules=RULES)
    assert engine.safeguarding
    cleared = engine.__class__(**{**engine.__dict__, "safeguarding": False, "tier": "mutual_aid"})
    request = Retriage(safeguarding=False, reason=GOOD_REASON)
    with pytest.raises(Forbidden, match="safeguarding"):
        _check_override_allowed(current, engine, cleared, request, person("helpline_staff"), RULES, POLICY)


# The loader: a broken file is refused with the file and the entry.

HEAD = """
version: 1
reason: {min_words: 2, min_letters: 10, not_words: [asdf]}
rules:
"""
SAFEGUARDING = """
  - {id: safeguarding, description: a safeguarding referral, when: {safeguarding: true},
     roles: [safety_net_officer]}
"""
OTHER = """
  - {id: other, description: this referral, roles: [helpline_staff, safety_net_officer]}
"""
GOOD_FILE = HEAD + SAFEGUARDING + OTHER


def write(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "tier_changes.yaml"
    path.write_text(text)
    return path


def test_a_good_file_loads(tmp_path):
    policy = load_tier_change_policy(write(tmp_path, GOOD_FILE))
    assert [rule.id for rule in policy.rules] == ["safeguarding", "other"]
    assert policy.reason.not_words == {"asdf"}


@pytest.mark.parametrize(
    ("change", "message"),
    [
        (
            ("roles: [helpline_staff, safety_net_officer]", "roles: [helpline]"),
            r"rules\[1\] \(other\)\.roles: unknown role 'helpline'",
        ),
        (
            ("roles: [helpline_staff, safety_net_officer]", "roles: []"),
            r"rules\[1\] \(other\)\.roles must list",
        ),
        (
            ("when: {safeguarding: true}", "when: {safeguarding: false}"),
            r"rules\[0\] \(safeguarding\)\.when\.safeguarding may only be true",
        ),
        (
            ("when: {safeguarding: true}", "when: {urgency: [emergency]}"),
            r"rules\[0\] \(safeguarding\)\.when: unknown condition 'urgency'",
        ),
        (
            ("when: {safeguarding: true}", "when: {urgencies: [soon]}"),
            r"rules\[0\] \(safeguarding\)\.when\.urgencies must list",
        ),
        (("when: {safeguarding: true}", "when: {}"), r"rules\[0\] \(safeguarding\)\.when must be a mapping"),
        (
            (
                "id: other, description: this referral,",
                "id: other, description: this referral, when: {safeguarding: true},",
            ),
            r"rules\[1\] \(other\): the last rule must have no `when`",
        ),
        (("id: other,", "id: safeguarding,"), r"rules\[1\] \(safeguarding\): the id is used twice"),
        (("description: a safeguarding referral, ", ""), r"rules\[0\] \(safeguarding\) needs a description"),
        (
            ("roles: [safety_net_officer]}", "roles: [safety_net_officer], who: me}"),
            r"rules\[0\] \(safeguarding\): unknown key 'who'",
        ),
        (("min_words: 2", "min_words: 0"), r"reason\.min_words must be a whole number of at least 1, not 0"),
        (("min_letters: 10", "min_letters: ten"), r"reason\.min_letters must be a whole number"),
        (
            ("not_words: [asdf]", "not_words: [asdf, no]"),
            r"reason\.not_words\[1\]: False is not a word \(quote yes, no",
        ),
        (("version: 1", "versoin: 1"), r"unknown key 'versoin'"),
        (("reason: {", "reasons: {"), r"unknown key 'reasons'"),
    ],
)
def test_a_broken_file_is_refused_naming_the_file_and_the_entry(tmp_path, change, message):
    old, new = change
    assert old in GOOD_FILE
    path = write(tmp_path, GOOD_FILE.replace(old, new, 1))
    with pytest.raises(ConfigError, match=message) as refused:
        load_tier_change_policy(path)
    assert str(path) in str(refused.value)


def test_a_rule_for_every_case_before_others_is_refused(tmp_path):
    swapped = HEAD + OTHER + SAFEGUARDING
    with pytest.raises(ConfigError, match=r"rules\[0\] \(other\) has no `when`.*put it last"):
        load_tier_change_policy(write(tmp_path, swapped))


def test_an_unreadable_or_empty_file_is_refused(tmp_path):
    with pytest.raises(ConfigError, match="cannot read the tier-change rules"):
        load_tier_change_policy(tmp_path / "missing.yaml")
    with pytest.raises(ConfigError, match="rules must list at least one rule"):
        load_tier_change_policy(write(tmp_path, "version: 1\nreason: {min_words: 1, min_letters: 1}\n"))
    with pytest.raises(ConfigError, match="expected a mapping"):
        load_tier_change_policy(write(tmp_path, "- just a list\n"))


def test_the_partial_index_of_tier_changes_holds_the_events_lowered_tiers_reads():
    """ix_audit_event_tier_changes (referrals.models.TIER_CHANGES) names what tier_checks reads: a check, or a
    re-triage by a person that recorded the tier before it."""
    from referrals import tier_checks
    from referrals.models import TIER_CHANGES

    kinds = ", ".join(f"'{kind}'" for kind in tier_checks.RETRIAGE_KINDS)
    for words in TIER_CHANGES.values():
        assert words.startswith(f"@kind = '{tier_checks.CHECKED}' OR (@kind IN ({kinds}) AND ")
        assert "@actor_role <> 'system'" in words
        assert "before" in words
        assert "tier" in words
