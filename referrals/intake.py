"""The single route in: a call as helpline staff log it becomes a resident and a referral, in one transaction."""

from dataclasses import dataclass, field
from datetime import date, datetime

from sqlalchemy.orm import Session

from accounts.tokens import Principal
from db.base import utcnow
from directory.areas import Areas
from directory.phones import InvalidPhone, normalise_phone
from geo import Geocoder, InvalidPostcode, Location, is_outcode, normalise_outcode, normalise_postcode
from referrals import audit
from referrals.errors import DomainValidationError, NotFound
from referrals.models import Referral, Resident


@dataclass(frozen=True)
class ResidentDetails:
    name: str
    postcode: str
    phone: str = ""
    address: str = ""
    date_of_birth: date | None = None
    flags: dict[str, bool] = field(default_factory=dict)


@dataclass(frozen=True)
class CallLog:
    channel: str
    resident: ResidentDetails
    notes: str
    consent_to_share: bool
    needs: list[str] = field(default_factory=list)
    resident_id: int | None = None


@dataclass(frozen=True)
class IntakeContext:
    """The outside things intake needs, passed in so tests can give fakes."""

    geocoder: Geocoder
    areas: Areas


def locate(postcode: str, context: IntakeContext) -> tuple[str, Location, str]:
    """Normalise, geocode and place a postcode in a served area, or explain which part is wrong."""
    try:
        normalised = normalise_outcode(postcode) if is_outcode(postcode) else normalise_postcode(postcode)
    except InvalidPostcode as exc:
        raise DomainValidationError("resident.postcode", exc.reason) from exc
    location = context.geocoder.geocode(normalised)
    if location is None:
        raise DomainValidationError("resident.postcode", f"unknown postcode district in {normalised!r}")
    area = context.areas.for_district(location.admin_district_code)
    if area is None:
        raise DomainValidationError(
            "resident.postcode",
            f"{normalised} is in {location.admin_district or 'an area'} this service does not cover "
            f"(it covers {context.areas.names()}): signpost the caller to their own council",
        )
    return normalised, location, area.code


def _phone(raw: str) -> str:
    try:
        return normalise_phone(raw)
    except InvalidPhone as exc:
        raise DomainValidationError("resident.phone", str(exc)) from exc


def _new_resident(details: ResidentDetails, context: IntakeContext, now: datetime) -> Resident:
    postcode, location, area = locate(details.postcode, context)
    return Resident(
        name=details.name,
        phone=_phone(details.phone),
        postcode=postcode,
        outcode=location.outcode,
        address=details.address,
        date_of_birth=details.date_of_birth,
        flags=dict(details.flags),
        lat=location.lat,
        lon=location.lon,
        geo_precision=location.precision,
        area=area,
        created_at=now,
    )


def log_call(
    session: Session, call: CallLog, principal: Principal, context: IntakeContext, now: datetime | None = None
) -> Referral:
    now = now or utcnow()
    if call.resident_id is not None:
        resident = session.get(Resident, call.resident_id)
        if resident is None or resident.erased_at is not None:
            raise NotFound(f"no resident with id {call.resident_id}")
    else:
        resident = _new_resident(call.resident, context, now)
        session.add(resident)
        session.flush()
    referral = Referral(
        resident=resident,
        channel=call.channel,
        notes=call.notes,
        given_needs=list(call.needs),
        consent_to_share=call.consent_to_share,
        status="received",
        area=resident.area,
        created_by_token_id=principal.token_id,
        created_by_role=principal.role,
        created_by_org_id=principal.org_id,
        created_at=now,
        updated_at=now,
    )
    session.add(referral)
    session.flush()
    audit.record(
        session,
        "referral.received",
        principal,
        referral_id=referral.id,
        resident_id=resident.id,
        payload={"channel": call.channel, "given_needs": list(call.needs), "consent_to_share": call.consent_to_share},
        now=now,
    )
    session.commit()
    return referral
