"""The audit trail in plain words: every kind of event the code can write has a sentence (found by reading the
source, as test_package_structure does), and the sentences name people, organisations and the service
itself as an officer would."""

import ast
from pathlib import Path
from types import SimpleNamespace

import pytest

from web.audit_words import AUTOMATIC, WHAT, entry, sentence, what, who

ROOT = Path(__file__).resolve().parents[2]
WRITERS = ("referrals", "texting", "notify", "api", "web", "accounts", "directory", "reports")
RETURNING_OFFERS = ("TRANSFER", "PASS_ON")  # referrals/lifecycle.py: offers that go back to the holder
ORGS = {1: "Sutton Central Hub", 2: "Sutton Council safety net"}


def _calls(tree: ast.AST, name: str):
    for node in ast.walk(tree):
        if isinstance(node, ast.Call):
            func = node.func
            called = func.attr if isinstance(func, ast.Attribute) else getattr(func, "id", None)
            if called == name:
                yield node


def _strings(node: ast.AST, constants: dict[str, str]) -> list[str]:
    """The kinds a `kind` argument can be: a literal, a module constant, either side of `a if c else b`, or
    an f-string's prefix (expanded by the caller)."""
    if isinstance(node, ast.Constant) and isinstance(node.value, str):
        return [node.value]
    if isinstance(node, ast.Name) and node.id in constants:
        return [constants[node.id]]
    if isinstance(node, ast.IfExp):
        return _strings(node.body, constants) + _strings(node.orelse, constants)
    if isinstance(node, ast.JoinedStr) and isinstance(node.values[0], ast.Constant):
        return [f"{node.values[0].value}*"]
    return [f"<unresolved {ast.unparse(node)}>"]


def _lifecycle_kinds(node: ast.AST, constants: dict[str, str]) -> list[str]:
    """`f"{offer.kind}_declined"`: an offer that comes back, for each kind of offer that does."""
    if isinstance(node, ast.JoinedStr) and isinstance(node.values[0], ast.FormattedValue):
        suffix = "".join(v.value for v in node.values[1:] if isinstance(v, ast.Constant))
        return [f"{constants[name]}{suffix}" for name in RETURNING_OFFERS]
    return _strings(node, constants)


def _sources():
    for package in WRITERS:
        for path in sorted((ROOT / package).rglob("*.py")):
            yield path, ast.parse(path.read_text(encoding="utf-8"))


def _constants(trees) -> dict[str, str]:
    found = {}
    for _path, tree in trees:
        for node in ast.walk(tree):
            if isinstance(node, ast.Assign) and isinstance(getattr(node.value, "value", None), str):
                found.update({t.id: node.value.value for t in node.targets if isinstance(t, ast.Name)})
    return found


def emitted_kinds() -> set[str]:
    trees = list(_sources())
    constants = _constants(trees)
    kinds: set[str] = set()
    lifecycle, outbox = set(), set()
    for path, tree in trees:
        for call in _calls(tree, "record"):
            if isinstance(call.func, ast.Attribute) and getattr(call.func.value, "id", "") == "events":
                outbox.update(_strings(call.args[2], constants))  # notify's outbox events, as sms.<event>
            elif len(call.args) >= 2 and path.name != "audit_chain.py":
                kinds.update(_strings(call.args[1], constants))
        for call in _calls(tree, "audit_refusal"):
            kinds.update(_strings(call.args[0], constants))
        for name in ("audit_now", "audit"):  # the pages' sign-in events, and accounts' `audit` port
            for call in _calls(tree, name):
                if call.args and not isinstance(call.func, ast.Attribute):
                    kinds.update(_strings(call.args[0], constants))
        if path.name == "lifecycle.py":
            own = _constants([(path, tree)])
            for name in ("Event", "_returned", "_transfer_returned"):
                lifecycle.update(
                    kind for c in _calls(tree, name) for kind in _lifecycle_kinds(c.args[0], own)
                )
    lifecycle = {kind for kind in lifecycle if not kind.startswith("<")}  # Event(kind, ...) inside a helper
    expanded = {f"referral.{k}" for k in lifecycle} | {f"sms.{k}" for k in outbox}
    kinds.discard("<unresolved kind>")  # api/auth.py's audit_refusal(kind, ...): its callers are read above
    return {k for k in kinds if not k.endswith("*")} | expanded


def test_the_source_is_read_for_every_writer():
    kinds = emitted_kinds()
    expected = {"referral.received", "referral.declined", "referral.transfer_expired", "sms.delivered"}
    assert expected | {"resident.read", "auth.denied", "audit.verified", "triage.overridden"} <= kinds
    assert not [k for k in kinds if k.startswith("<")], f"kinds this test cannot read: {kinds}"


def test_every_kind_the_code_can_write_has_words():
    missing = sorted(emitted_kinds() - set(WHAT))
    assert missing == [], f"add a sentence to web/audit_words.py WHAT for: {missing}"


@pytest.mark.parametrize("kind", sorted(WHAT))
def test_every_sentence_reads_with_or_without_its_data(kind):
    for payload in (
        {},
        {"org_id": 1, "to_org_id": 2, "returned_to_org_id": 1, "kind": "offer", "door": "api"},
    ):
        words = what(kind, payload, ORGS, {})
        assert words
        assert "{" not in words
        assert "None" not in words
        assert "  " not in words


@pytest.mark.parametrize(
    ("actor", "role", "org_id", "expected"),
    [
        ("user:3:cole", "hub_coordinator", 1, "Cole Coordinator (hub coordinator, Sutton Central Hub)"),
        ("user:4:hana", "helpline_staff", None, "hana (helpline staff)"),
        ("token:7:Partner CRM", "partner_referrer", None, "Partner CRM (API token, partner referrer)"),
        ("system", "system", None, AUTOMATIC),
        ("cascade", "system", None, AUTOMATIC),
        ("sms-outbox", "system", None, AUTOMATIC),
        ("sms-fallback", "hub_coordinator", 1, AUTOMATIC),
        ("sms:+447700900123", "hub_coordinator", 1, "Sutton Central Hub's lead"),
        ("sms:unknown sender", "system", None, "Someone texting from unknown sender"),
        ("resident (own request)", "resident", None, "The person themselves"),
        ("lead:+447700900600", "mutual_aid_lead", 1, "Sutton Central Hub's lead"),
    ],
)
def test_who(actor, role, org_id, expected):
    assert who(actor, role, org_id, ORGS, {3: "Cole Coordinator"}) == expected


def test_a_decline_reads_as_one_sentence_with_its_reason():
    event = SimpleNamespace(
        seq=5,
        kind="referral.declined",
        created_at=None,
        actor="user:3:cole",
        actor_role="hub_coordinator",
        actor_org_id=1,
    )
    shown = SimpleNamespace(reason="No volunteers this week.", payload={"org_id": 1})

    said = entry(event, shown, ORGS, {3: "Cole Coordinator"}, {})

    assert said.sentence == (
        "Cole Coordinator (hub coordinator, Sutton Central Hub) declined the offer: no volunteers this week."
    )
    assert not said.automatic


def test_the_services_own_reason_is_not_repeated():
    event = SimpleNamespace(
        seq=6,
        kind="referral.expired",
        created_at=None,
        actor="system",
        actor_role="system",
        actor_org_id=None,
    )
    shown = SimpleNamespace(reason="offer to 1 expired unanswered", payload={"org_id": 1})

    said = entry(event, shown, ORGS, {}, {})

    assert (
        said.sentence == "Automatically closed the offer to Sutton Central Hub, as no one answered in time."
    )
    assert said.automatic


def test_the_services_escalations_in_words():
    escalated = SimpleNamespace(
        seq=7,
        kind="referral.escalated",
        created_at=None,
        actor="cascade",
        actor_role="system",
        actor_org_id=None,
    )
    up_a_tier = SimpleNamespace(
        reason="no mutual_aid candidate left; escalating to vcs",
        payload={"from_tier": "mutual_aid", "to_tier": "vcs"},
    )
    to_the_team = SimpleNamespace(
        reason="no statutory candidate left; the safety-net team holds the referral",
        payload={"tier": "statutory", "to_org_id": 2},
    )

    assert entry(escalated, up_a_tier, ORGS, {}, {}).sentence == (
        "Automatically moved it up from mutual aid to local charity or hub."
    )
    assert entry(escalated, to_the_team, ORGS, {}, {}).sentence == (
        "Automatically escalated it to Sutton Council safety net: no council safety net candidate left; "
        "the safety-net team holds the referral."
    )


def test_outcomes_and_texts_in_words():
    assert (
        what("referral.completed", {"outcome_code": "shopping_delivered"}, ORGS, {})
        == "completed it: shopping delivered"
    )
    assert what("sms.sent", {"kind": "offer"}, ORGS, {}) == "sent the offer text"
    assert what("sms.received", {"command": "yes"}, ORGS, {}) == "replied YES by text"
    assert sentence("Automatically", "escalated it to the safety net", "") == (
        "Automatically escalated it to the safety net."
    )
    assert (
        sentence("Ann (admin)", "cancelled it", "ASB team took it")
        == "Ann (admin) cancelled it: ASB team took it."
    )


def test_requests_from_outside_in_words():
    """A resident's own request and a group lead's referral say where they came from and what the review
    decided (issue 24)."""
    assert what("referral.received", {"channel": "self_referral"}, ORGS, {}) == (
        "asked for help on the public Ask for help page"
    )
    assert what("referral.received", {"channel": "phone"}, ORGS, {}) == "logged the call"
    assert what("referral.reviewed", {"outcome": "confirmed", "edited": ["summary", "needs"]}, ORGS, {}) == (
        "confirmed the request after review, so it goes to whoever can help"
        " (with the summary and needs corrected)"
    )
    assert what("referral.reviewed", {"outcome": "not_taken_forward"}, ORGS, {}) == (
        "reviewed the request and did not take it forward"
    )
