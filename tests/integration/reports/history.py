"""A known history for the reports: calls logged through the real intake service at chosen times, then
accepted, declined, started and completed through `referrals.actions.perform`, also at chosen times."""

from dataclasses import dataclass
from datetime import date, datetime, timedelta

from accounts.tokens import Principal
from referrals.actions import Action, perform
from referrals.intake import CallLog, ResidentDetails, log_call
from referrals.models import Referral
from referrals.policy import load_lifecycle_policy
from tests.integration.intake_helpers import HELPLINE, intake_context


@dataclass
class History:
    session_factory: object
    directory: dict[str, int]

    def __post_init__(self) -> None:
        self.context = intake_context(self.session_factory)
        self.policy = load_lifecycle_policy()
        self.calls = 0

    def log(
        self, at: datetime, notes: str, postcode: str = "SM1 1AA", resident_id: int | None = None
    ) -> Referral:
        self.calls += 1
        call = CallLog(
            channel="phone",
            resident=ResidentDetails(
                name=f"Resident {self.calls}", postcode=postcode, address=f"{self.calls} Report Street"
            ),
            notes=notes,
            consent_to_share=True,
            new_person=True,  # "Resident N" are different people with look-alike names
            resident_id=resident_id,
        )
        with self.session_factory() as session:
            return log_call(session, call, HELPLINE, self.context, now=at).referral

    def act(self, referral_id: int, name: str, org: str, at: datetime, **fields) -> Referral:
        role = "safety_net_officer" if org.endswith("safety_net") else "hub_coordinator"
        principal = Principal(token_id=None, name=f"{org} test", role=role, org_id=self.directory[org])
        with self.session_factory() as session:
            return perform(session, referral_id, Action(name, **fields), principal, self.policy, now=at)


SHOPPING = "needs shopping picked up"
FOOD = "needs a food parcel"
FOOD_AND_MONEY = "needs a food parcel and help with money"
BEFRIENDING = "lonely, would like someone to talk to"


@dataclass(frozen=True)
class KnownHistory:
    """Ten days ago (T0, on the hour), in Sutton (hub network: the hub is offered everything it covers) and
    Coventry (no providers, so every referral is a gap):

    1 SM1 shopping   T0      hub accepts at +2h, starts, completes
    2 SM1 shopping   T0+1h   hub accepts at +5h (4 hours)
    3 SM2 shopping   T0+2h   hub declines at +3h, escalated; Sutton safety net accepts at +10h (8 hours)
    4 SM1 food       T0      hub accepts at +1h, starts, completes
    5 SM3 befriending T0     gap: the hub does not cover SM3 and nobody else offers befriending there
    6 CV1 shopping   T0+4h   gap; Coventry safety net accepts its offer at +6h (2 hours)
    7 SM2 food+money T0      offered to the hub, unanswered
    8 SM1 shopping   T0-20d  before the report's `since`: hub accepts after 1 hour
    9 SM1 shopping   T0+3h   resident 2 again: linked to referral 2, not counted
    """

    t0: datetime
    since: date
    ids: dict[int, int]


def build_known_history(session_factory, directory: dict[str, int], now: datetime) -> KnownHistory:
    t0 = now.replace(minute=0, second=0, microsecond=0) - timedelta(days=10)
    history = History(session_factory, directory)

    def hours(n: int) -> datetime:
        return t0 + timedelta(hours=n)

    ids = {}
    ids[1] = history.log(hours(0), SHOPPING).id
    second = history.log(hours(1), SHOPPING)
    ids[2] = second.id
    ids[3] = history.log(hours(2), SHOPPING, "SM2 5AA").id
    ids[4] = history.log(hours(0), FOOD).id
    ids[5] = history.log(hours(0), BEFRIENDING, "SM3 9AA").id
    ids[6] = history.log(hours(4), SHOPPING, "CV1 1AH").id
    ids[7] = history.log(hours(0), FOOD_AND_MONEY, "SM2 5AA").id
    ids[8] = history.log(t0 - timedelta(days=20), SHOPPING).id
    ids[9] = history.log(hours(3), SHOPPING, resident_id=second.resident_id).id
    history.act(ids[1], "accept", "hub", hours(2))
    history.act(ids[1], "start", "hub", hours(3))
    history.act(ids[1], "complete", "hub", hours(24), outcome_code="shopping_delivered")
    history.act(ids[2], "accept", "hub", hours(5))
    history.act(ids[3], "decline", "hub", hours(3), reason="no volunteers free")
    history.act(ids[3], "accept", "sutton_safety_net", hours(10))
    history.act(ids[4], "accept", "hub", hours(1))
    history.act(ids[4], "start", "hub", hours(2))
    history.act(ids[4], "complete", "hub", hours(30), outcome_code="parcel_delivered")
    history.act(ids[6], "accept", "coventry_safety_net", hours(6))
    history.act(ids[8], "accept", "hub", t0 - timedelta(days=20) + timedelta(hours=1))
    return KnownHistory(t0=t0, since=(t0 - timedelta(days=1)).date(), ids=ids)


SHIPPED_POSTCODES = ("SM1 1AA", "SM3 9AA")


def add_shipped_postcodes(session_factory, postcodes: tuple[str, ...] = SHIPPED_POSTCODES) -> None:
    """Copy these postcodes, with their real wards, from the shipped postcode file into the postcode table
    (the known history's SM1 1AA and SM3 9AA are in it; SM2 5AA is not)."""
    import csv
    import gzip

    from geo.models import Postcode
    from reports.geography import POSTCODE_FILE

    with gzip.open(POSTCODE_FILE, "rt", newline="", encoding="utf-8") as file, session_factory() as session:
        for row in csv.DictReader(file):
            if row["postcode"] in postcodes:
                session.merge(
                    Postcode(
                        postcode=row["postcode"],
                        outcode=row["outcode"],
                        latitude=float(row["latitude"]),
                        longitude=float(row["longitude"]),
                        admin_district_code=row["admin_district_code"],
                        admin_district=row["admin_district"],
                        admin_ward_code=row["admin_ward_code"],
                        admin_ward=row["admin_ward"],
                        source="test",
                    )
                )
        session.commit()


def remove_postcodes(session_factory, postcodes) -> None:
    """The postcode table outlives each test (tests/conftest.py keeps it): whoever adds rows removes them."""
    from sqlalchemy import delete

    from geo.models import Postcode

    with session_factory() as session:
        session.execute(delete(Postcode).where(Postcode.postcode.in_(list(postcodes))))
        session.commit()
