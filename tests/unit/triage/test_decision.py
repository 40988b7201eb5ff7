"""The decision's shape: reasons for every conclusion, a JSON-ready dict and a text rendering."""

import json

from triage import format_decision

NOTES = "Elderly man, no heating in January. Needs shopping and his perscription collecting."


def test_every_conclusion_has_a_reason(decide):
    decision = decide(NOTES)
    conclusions = {reason.conclusion for reason in decision.reasons}
    assert {f"need:{need}" for need in decision.needs} <= conclusions
    assert f"tier:{decision.tier}" in conclusions
    assert f"urgency:{decision.urgency}" in conclusions
    assert all(reason.rule and reason.detail for reason in decision.reasons)


def test_to_dict_is_json_ready(decide):
    body = json.loads(json.dumps(decide(NOTES).to_dict()))
    assert set(body) == {"tier", "needs", "safeguarding", "urgency", "reasons", "rules_version"}
    assert body["tier"] == "statutory"
    assert body["needs"] == ["shopping", "prescriptions", "housing"]
    assert set(body["reasons"][0]) == {"rule", "conclusion", "evidence", "detail"}


def test_format_decision_is_readable_text(decide):
    decision = decide(NOTES)
    text = format_decision(decision)
    assert text.startswith("Tier:         statutory")
    assert "Needs:        shopping, prescriptions, housing" in text
    assert '"perscription"' in text
    assert text.endswith(f"Rules version: {decision.rules_version}")


def test_empty_notes_are_unclear_not_an_error(decide):
    decision = decide("")
    assert decision.tier == "vcs"
    assert decision.needs == []
    assert not decision.safeguarding
