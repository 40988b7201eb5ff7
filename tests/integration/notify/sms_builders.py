"""A small Coventry directory (multi-agency cell: mutual-aid work is offered straight to groups and their
volunteers) and a resident's call logged through the real intake service, for the SMS tests."""

import time
from collections.abc import Callable

from sqlalchemy import select
from twilio.request_validator import RequestValidator

from notify.models import OutboxMessage
from referrals.intake import CallLog, ResidentDetails, log_call
from referrals.models import Offer, Referral
from tests.builders import organisation, volunteer
from tests.integration.intake_helpers import HELPLINE, intake_context

LEAD_PHONE = "+447700900611"
SECOND_PHONE = "+447700900612"
GROUP_PHONE = "+447700900600"
RESIDENT = ResidentDetails(
    name="Dorothy Example",
    postcode="CV1 1AH",
    phone="07700 900321",
    address="12 Sample Street, Coventry",
    flags={"lives_alone": True},
)
NOTES = "Needs shopping picked up this week."


def coventry_directory(session_factory, mode: str = "integrated", volunteers: int = 2) -> dict[str, int]:
    """The council's safety net, one mutual-aid group in CV1 and its volunteers (each with its own phone)."""
    ids = {
        "safety_net": organisation(
            session_factory,
            name="Coventry City Council safety net",
            kind="safety_net",
            area="coventry",
            services=[],
            coverage_outcodes=["CV1"],
            capacity=1000,
        ),
        "group": organisation(
            session_factory,
            name="CV1 Mutual Aid",
            kind="mutual_aid",
            mutual_aid_mode=mode,
            area="coventry",
            services=["shopping", "prescriptions", "befriending", "dog_walking", "errands"],
            coverage_outcodes=["CV1"],
            contact_phone=GROUP_PHONE,
        ),
    }
    for n, phone in enumerate((LEAD_PHONE, SECOND_PHONE)[:volunteers], start=1):
        ids[f"volunteer{n}"] = volunteer(
            session_factory,
            name=f"Volunteer {n}",
            phone=phone,
            org_id=ids["group"],
            postcode="CV1 1AH",
            lat=52.4094 + n * 0.001,
            lon=-1.5065,
        )
    return ids


def log_coventry_call(session_factory, resident: ResidentDetails = RESIDENT, notes: str = NOTES) -> int:
    call = CallLog(channel="phone", resident=resident, notes=notes, consent_to_share=True, new_person=True)
    with session_factory() as session:
        return log_call(session, call, HELPLINE, intake_context(session_factory)).referral.id


def pending_offer(session, referral_id: int) -> Offer | None:
    session.rollback()
    return session.scalar(select(Offer).where(Offer.referral_id == referral_id, Offer.status == "pending"))


def referral(session, referral_id: int) -> Referral:
    session.rollback()
    return session.get(Referral, referral_id, populate_existing=True)


def texts(session, **where) -> list[OutboxMessage]:
    session.rollback()
    query = select(OutboxMessage).order_by(OutboxMessage.id)
    for name, value in where.items():
        query = query.where(getattr(OutboxMessage, name) == value)
    return list(session.scalars(query.execution_options(populate_existing=True)))


def wait_until(condition: Callable[[], object], timeout: float = 5.0) -> None:
    deadline = time.monotonic() + timeout
    while not condition():
        if time.monotonic() > deadline:
            raise AssertionError("condition not met before the deadline")
        time.sleep(0.02)


WEBHOOK_PUBLIC = "https://oneroutein.example.org"


def webhook_settings(auth_token: str) -> dict[str, str]:
    """What an app needs to check Twilio's signatures: its public address and a Twilio configuration."""
    return {
        "PUBLIC_BASE_URL": WEBHOOK_PUBLIC,
        "TWILIO_ACCOUNT_SID": "AC" + "1" * 32,
        "TWILIO_AUTH_TOKEN": auth_token,
        "TWILIO_FROM": "+447700900000",
    }


def inbound_form(body: str = "HELP", sid: str = "SM" + "b" * 32) -> dict[str, str]:
    return {
        "MessageSid": sid,
        "From": LEAD_PHONE,
        "To": "+447700900000",
        "Body": body,
        "AccountSid": "AC" + "1" * 32,
    }


def signed(url: str, form: dict[str, str], token: str) -> dict[str, str]:
    return {"X-Twilio-Signature": RequestValidator(token).compute_signature(url, form)}
