import pytest

from triage import Rules, TriageDecision, load_rules, triage


@pytest.fixture(scope="session")
def rules() -> Rules:
    return load_rules()


@pytest.fixture
def decide(rules):
    def run(notes: str, **options) -> TriageDecision:
        return triage(notes, rules=rules, **options)

    return run
