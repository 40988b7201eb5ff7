"""Rules load from YAML with a version and a content hash; a broken file gives an error naming file, path
and problem."""

import shutil
from pathlib import Path

import pytest
import yaml

from triage import RulesError, load_rules, triage
from triage.loader import DEFAULT_DIR


@pytest.fixture
def rules_copy(tmp_path) -> Path:
    folder = tmp_path / "rules"
    shutil.copytree(DEFAULT_DIR, folder)
    return folder


def rewrite(folder: Path, name: str, change) -> None:
    path = folder / name
    document = yaml.safe_load(path.read_text())
    change(document)
    path.write_text(yaml.safe_dump(document, sort_keys=False))


def test_default_rules_are_cached_and_versioned():
    rules = load_rules()
    assert load_rules() is rules
    version, content_hash = rules.rules_version.split("+")
    assert version == yaml.safe_load((DEFAULT_DIR / "policy.yaml").read_text())["version"]
    assert len(content_hash) == 8


def test_changing_a_file_changes_the_version_hash(rules_copy):
    before = load_rules(rules_copy).rules_version
    rewrite(rules_copy, "needs.yaml", lambda d: d["needs"]["shopping"]["terms"].append("grocery run"))
    load_rules.cache_clear()
    after = load_rules(rules_copy)
    assert after.rules_version != before
    assert "shopping" in triage("needs a grocery run", rules=after).needs
    load_rules.cache_clear()


def set_in(path: list, value):
    def change(document):
        target = document
        for key in path[:-1]:
            target = target[key]
        target[path[-1]] = value

    return change


@pytest.mark.parametrize(
    ("file", "change", "where", "problem"),
    [
        (
            "needs.yaml",
            set_in(["needs", "shopping", "terms", 0], "... shops"),
            "needs.shopping.terms[0]",
            "between",
        ),
        (
            "needs.yaml",
            set_in(["needs", "shopping", "colour"], "red"),
            "needs.shopping.colour",
            "unknown key",
        ),
        (
            "needs.yaml",
            set_in(["needs", "food", "topics", "none", "terms"], "no food"),
            "topics.none.terms",
            "list",
        ),
        ("policy.yaml", set_in(["need_tiers", "shopping"], "council"), "need_tiers.shopping", "unknown tier"),
        ("policy.yaml", set_in(["need_tiers", "unicorns"], "vcs"), "need_tiers.unicorns", "not a need"),
        (
            "policy.yaml",
            set_in(["need_tiers", "mental_health"], "mutual_aid"),
            "specialist_needs",
            "mutual_aid",
        ),
        ("policy.yaml", set_in(["version"], 2026), "version", "in quotes"),
        (
            "policy.yaml",
            set_in(["overrides", 1, "when", "flags"], ["tall"]),
            "overrides[1].when.flags[0]",
            "tall",
        ),
        ("urgency.yaml", set_in(["rules", 0, "urgency"], "asap"), "rules[0].urgency", "unknown urgency"),
        ("urgency.yaml", set_in(["rules", 1, "id"], "immediate_danger"), "rules[1].id", "duplicate"),
        ("urgency.yaml", set_in(["rules", 0, "when"], {}), "rules[0].when", "at least one"),
        (
            "safeguarding.yaml",
            set_in(["indicators", "neglect", "negation"], "maybe"),
            "neglect.negation",
            "profile",
        ),
        (
            "safeguarding.yaml",
            set_in(["indicators", "psychosis", "implies_needs"], ["x"]),
            "implies_needs[0]",
            "x",
        ),
        (
            "language.yaml",
            set_in(["negation", "risk", "before", 0], False),
            "negation.risk.before[0]",
            "quotes",
        ),
        ("language.yaml", set_in(["fuzzy", "score_cutoff"], 10), "fuzzy.score_cutoff", "70 to 100"),
        (
            "language.yaml",
            set_in(["negation", "risk", "also"], ["ancient"]),
            "negation.risk.also[0]",
            "unknown negation profile",
        ),
        (
            "language.yaml",
            set_in(["negation", "historic", "also"], ["plain"]),
            "negation.risk.also[0]",
            "one level only",
        ),
    ],
)
def test_validation_errors_name_file_path_and_problem(rules_copy, file, change, where, problem):
    rewrite(rules_copy, file, change)
    with pytest.raises(RulesError) as caught:
        load_rules(rules_copy)
    error = caught.value
    assert error.file.endswith(file)
    assert where in error.path
    assert problem in error.problem
    assert file in str(error)
    assert where in str(error)


def test_need_without_tier_is_an_error(rules_copy):
    rewrite(rules_copy, "policy.yaml", lambda d: d["need_tiers"].pop("errands"))
    with pytest.raises(RulesError, match="'errands' has no tier"):
        load_rules(rules_copy)


def test_broken_yaml_names_the_line(rules_copy):
    (rules_copy / "urgency.yaml").write_text("rules:\n  - id: x\n    when: {flags: [today\n")
    with pytest.raises(RulesError, match="not valid YAML") as caught:
        load_rules(rules_copy)
    assert caught.value.file.endswith("urgency.yaml")
    assert caught.value.path.startswith("line ")


def test_missing_file_and_missing_folder(rules_copy, tmp_path):
    (rules_copy / "circumstances.yaml").unlink()
    with pytest.raises(RulesError, match="file missing"):
        load_rules(rules_copy)
    with pytest.raises(RulesError, match="not found"):
        load_rules(tmp_path / "nowhere")
