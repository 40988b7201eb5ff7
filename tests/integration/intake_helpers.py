"""Logging calls through the real intake service, for integration tests that need many referrals."""

from accounts.tokens import Principal
from db import make_session_factory
from directory.areas import load_areas
from geo import build_geocoder
from matching import load_matching_policy
from referrals.intake import CallLog, IntakeContext, ResidentDetails, log_call
from referrals.policy import load_lifecycle_policy
from referrals.routing import RoutingContext
from referrals.snapshot import DirectorySnapshot
from triage import load_rules

HELPLINE = Principal(token_id=None, name="helpline test", role="helpline_staff", org_id=None)


def intake_context(session_factory, workload_refresh_s: float = 5.0) -> IntakeContext:
    areas = load_areas()
    return IntakeContext(
        geocoder=build_geocoder("outcode"),
        areas=areas,
        rules=load_rules(),
        routing=RoutingContext(
            DirectorySnapshot(
                make_session_factory(session_factory.kw["bind"], readonly=True),
                areas,
                workload_refresh_s=workload_refresh_s,
            ),
            load_matching_policy(),
            load_lifecycle_policy(),
        ),
    )


def log_calls(session_factory, count: int, notes: str = "needs shopping picked up") -> list[int]:
    context = intake_context(session_factory)
    ids = []
    with session_factory() as session:
        for n in range(count):
            call = CallLog(
                channel="phone",
                resident=ResidentDetails(
                    name=f"Resident {n}", postcode="SM1 1AA", address=f"{n} Test Street"
                ),
                notes=notes,
                consent_to_share=True,
                new_person=True,  # "Resident N" are different people with look-alike names
            )
            ids.append(log_call(session, call, HELPLINE, context).referral.id)
    return ids
