from datetime import UTC, datetime, time

import pytest
import yaml

from matching import MatchingConfigError, load_matching_policy
from matching.policy import DEFAULT_POLICY_PATH, parse_policy
from matching.schedule import availability_bit, availability_slots_in, is_open, local_window

SLOTS = ((time(8), time(12)), (time(12), time(17)), (time(17), time(21)))


def test_default_policy_loads_with_per_need_dbs_rules():
    policy = load_matching_policy()

    assert policy.need_dbs["shopping"] == "never"
    assert policy.need_dbs["befriending"] == "always"
    assert policy.need_dbs["personal_care"] == "always"
    assert policy.urgency_window_hours == {"emergency": 0.0, "urgent": 24.0, "routine": 168.0}
    assert policy.timezone == "Europe/London"


@pytest.mark.parametrize(
    ("needs", "flags", "required"),
    [
        (["shopping"], {}, False),
        (["befriending"], {}, True),
        (["transport"], {}, False),
        (["transport"], {"disabled": True}, True),
        (["transport"], {"disabled": False}, False),
        (["not_in_policy"], {}, True),
    ],
)
def test_dbs_requirement_follows_the_policy(needs, flags, required):
    assert load_matching_policy().dbs_required(needs, flags) is required


@pytest.mark.parametrize(
    ("change", "message"),
    [
        (lambda raw: raw["needs"]["shopping"].update(dbs="sometimes"), "dbs rule"),
        (lambda raw: raw["volunteer_caps"].update(max_active_tasks=0), "positive integer"),
        (lambda raw: raw["urgency_window_hours"].pop("urgent"), "urgent"),
        (lambda raw: raw["availability_slots"].update(morning=["12:00", "08:00"]), "ends before"),
        (lambda raw: raw["ranking"].pop("volunteer"), "volunteer"),
    ],
)
def test_invalid_policy_is_a_clear_error(tmp_path, change, message):
    raw = yaml.safe_load(DEFAULT_POLICY_PATH.read_text())
    change(raw)
    path = tmp_path / "matching.yaml"
    path.write_text(yaml.safe_dump(raw))

    with pytest.raises(MatchingConfigError, match=message):
        load_matching_policy(path)


def test_missing_policy_file_is_a_clear_error(tmp_path):
    with pytest.raises(MatchingConfigError, match="cannot read"):
        load_matching_policy(tmp_path / "absent.yaml")


def test_parse_policy_accepts_the_shipped_file():
    assert parse_policy(yaml.safe_load(DEFAULT_POLICY_PATH.read_text())) == load_matching_policy()


@pytest.mark.parametrize(
    ("now", "hours", "expected"),
    [
        (datetime(2025, 11, 24, 10, 30, tzinfo=UTC), 0, [("mon", 0)]),
        (datetime(2025, 11, 24, 22, 0, tzinfo=UTC), 0, []),
        (datetime(2025, 11, 24, 20, 0, tzinfo=UTC), 14, [("mon", 2), ("tue", 0)]),
        # 07:30 UTC in July is 08:30 in London: the morning slot.
        (datetime(2025, 7, 14, 7, 30, tzinfo=UTC), 0, [("mon", 0)]),
    ],
)
def test_availability_slots_in_the_window_use_london_time(now, hours, expected):
    window = local_window(now, hours, "Europe/London")
    mask = sum(availability_bit(day, slot) for day, slot in expected)

    assert availability_slots_in(window, SLOTS) == mask


def test_a_week_long_window_covers_every_slot():
    window = local_window(datetime(2025, 11, 26, 13, 0, tzinfo=UTC), 168, "Europe/London")

    assert availability_slots_in(window, SLOTS) == (1 << 21) - 1


@pytest.mark.parametrize(
    ("now", "hours", "opening_hours", "expected"),
    [
        (datetime(2025, 7, 14, 8, 30, tzinfo=UTC), 0, {"mon": [["09:00", "17:00"]]}, True),
        (datetime(2025, 11, 24, 8, 30, tzinfo=UTC), 0, {"mon": [["09:00", "17:00"]]}, False),
        (datetime(2025, 11, 25, 1, 0, tzinfo=UTC), 0, {"mon": [["20:00", "02:00"]]}, True),
        (datetime(2025, 11, 24, 18, 0, tzinfo=UTC), 24, {"tue": [["09:00", "17:00"]]}, True),
        (datetime(2025, 11, 24, 18, 0, tzinfo=UTC), 12, {"tue": [["09:00", "17:00"]]}, False),
        (datetime(2025, 11, 24, 18, 0, tzinfo=UTC), 0, None, True),
        (datetime(2025, 11, 24, 18, 0, tzinfo=UTC), 168, {}, False),
    ],
)
def test_opening_hours_in_london_time(now, hours, opening_hours, expected):
    assert is_open(opening_hours, local_window(now, hours, "Europe/London")) is expected
