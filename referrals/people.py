"""Finding a person, and a person's history, as the access rule lets each principal see them.

`search_people` reads the text (`referrals.search_text.read_query`: a referral reference, a phone number in
any format, a postcode or district, a date of birth, a name, or several of these together) and looks the
person up, then asks the access rule (`access.may_find_person`) about every person before it is shown.
`person_history` is a person's page: their referrals (those the principal sees with the person's details),
the timeline of those referrals from the audit trail as each referral page reads it, how to contact them
safely and their consent. Both audit the read of personal details (`resident.read`, naming the door).

Bounded, indexed lookups only: a search never reads the whole `resident` table, however large.
- A reference is one primary-key read; a phone number, a postcode and a district are equality lookups on
  `resident.phone`, `.postcode` and `.outcode` (indexed); a date of birth is the `dob:` blocking key in
  `resident_key` (indexed), as intake stores it.
- A name is looked for through the blocking keys intake keeps (`resident_key`, `duplicates.blocking_keys`):
  first the keys of the whole name (soundex of one part and the initial of the other, so "Margret Smyth"
  finds Margaret Smith), then a range of the index for the soundex of each word ("name:S530:..." finds
  every Smith and every Smyth, whatever their first name). Soundex misses a typo in the first letter and a
  name typed in part ("Marg"): for those, and only when the keys found too few, the words are matched as
  the beginning of a word of the name (SQL LIKE) among the newest `RECENT_WINDOW` residents only, a range
  of the primary key, since someone ringing back ("I called on Tuesday") is a recent caller.
- Every other piece of the text narrows the same SQL statement (a Smith in SM1 is the Smith keys joined
  with the SM1 district), as does the principal's scope (`access.people_scope`: a council area, the people a
  partner referred, the people of an organisation's referrals), so the limit counts only people the
  principal may find. At most `MAX_CANDIDATES` rows are read per step, newest first; candidates are ranked
  with rapidfuzz (`search_text.name_match`), then by their latest contact.
"""

from collections import defaultdict
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, replace
from datetime import date, datetime

from sqlalchemy import Select, and_, exists, false, func, or_, select
from sqlalchemy.orm import Session

from accounts.tokens import Principal
from db.base import utcnow
from referrals import access
from referrals.contact import ContactDetails
from referrals.duplicates import name_tokens, soundex
from referrals.errors import NotFound
from referrals.models import ERASED_TEXT, AuditEvent, Offer, Referral, Resident, ResidentKey
from referrals.reading import (
    READ_EVENT,
    RedactedResident,
    TimelineEvent,
    readable_timeline,
    record_people_shown,
    timeline_for,
)
from referrals.residents import current_record
from referrals.search_text import SearchTerms, name_match, read_query

DEFAULT_LIMIT = 20
MAX_LIMIT = 50
MAX_CANDIDATES = 200
RECENT_WINDOW = 5000
MIN_NAME_SCORE = 70.0
MIN_PREFIX = 2
MAX_REFERRALS_SHOWN = 100
MAX_TIMELINE = 200


@dataclass(frozen=True)
class FoundPerson:
    """One search result. Without `personal_details` (an erased person found by a referral's reference)
    only the district and the referrals are given."""

    resident_id: int
    personal_details: bool
    name: str | None
    phone: str | None
    postcode: str | None
    outcode: str
    address: str | None
    date_of_birth: date | None
    area: str | None
    erased: bool
    matched: tuple[
        str, ...
    ]  # why it was found: "referral", "phone", "postcode", "district", "date of birth", "name"
    name_score: float | None
    referral_count: int  # their referrals the searcher sees with the person's details
    last_referral_id: int | None
    last_referral_status: str | None
    last_contact_at: datetime | None


@dataclass(frozen=True)
class SearchResult:
    terms: SearchTerms
    people: list[FoundPerson]
    more: bool  # more people matched than `limit`: say so, and ask for more of the text


Pair = tuple[Referral, Offer | None]


def search_people(
    session: Session,
    principal: Principal,
    query_text: str,
    limit: int = DEFAULT_LIMIT,
    *,
    door: str = "search",
    today: date | None = None,
) -> SearchResult:
    """The people `principal` may find who answer `query_text`, best first (see the module's docstring).
    Showing them is a read of their details: audited for each person shown, naming `door`. Commits."""
    limit = max(1, min(limit, MAX_LIMIT))
    terms = read_query(query_text, today or utcnow().date())
    if terms.public_ref is not None:  # a request from outside's reference, if a referral has it
        referral_id = session.scalar(select(Referral.id).where(Referral.public_ref == terms.public_ref))
        if referral_id is not None:
            terms = replace(terms, reference=referral_id)
    scope = access.people_scope(principal)
    if terms.empty or scope.nobody:
        return SearchResult(terms, [], more=False)
    if terms.reference is not None:
        candidates = _by_reference(session, principal, terms.reference)
    else:
        candidates = _by_terms(session, terms, scope, limit)
    pairs = _referrals_of(session, [resident.id for resident, _score in candidates])
    found = []
    for resident, score in candidates:
        theirs = pairs.get(resident.id, [])
        if access.may_find_person(principal, resident, theirs):
            shown = [(r, o) for r, o in theirs if access.shows_on_person_page(principal, r, o)]
            details = access.sees_person_details(principal, resident, theirs)
            found.append(_found(resident, details, terms, score, shown))
    found.sort(key=_rank)
    people = found[:limit]
    record_people_shown(session, [p.resident_id for p in people if p.personal_details], principal, door)
    return SearchResult(terms, people, more=len(found) > limit)


def _rank(person: FoundPerson) -> tuple:
    latest = person.last_contact_at.timestamp() if person.last_contact_at else 0.0
    return (-(person.name_score or 0.0), -latest, -person.resident_id)


def _by_reference(session: Session, principal: Principal, reference: int) -> list[tuple[Resident, None]]:
    """The person a referral is about, when the principal sees that referral with the person's details (an
    organisation only offered it must not learn whose it is)."""
    referral = session.get(Referral, reference)
    if referral is None:
        return []
    offer = session.scalar(select(Offer).where(Offer.referral_id == referral.id, Offer.status == "pending"))
    if not access.shows_on_person_page(principal, referral, offer):
        return []
    return [(referral.resident, None)]


def _by_terms(
    session: Session, terms: SearchTerms, scope: access.PeopleScope, limit: int
) -> list[tuple[Resident, float | None]]:
    base = _in_scope(_narrowed(terms), scope)
    if not terms.name:
        rows = session.scalars(base.order_by(Resident.id.desc()).limit(MAX_CANDIDATES))
        return [(row, None) for row in rows]
    found: dict[int, tuple[Resident, float | None]] = {}
    for step in _name_steps(session, terms.name):
        rows = session.scalars(base.where(step).order_by(Resident.id.desc()).limit(MAX_CANDIDATES))
        for row in rows:
            if row.id in found:
                continue
            score = name_match(terms.name, row.name)
            if score >= MIN_NAME_SCORE:
                found[row.id] = (row, score)
        if len(found) >= limit:
            break
    return list(found.values())


def _narrowed(terms: SearchTerms) -> Select:
    query = select(Resident).where(Resident.erased_at.is_(None), Resident.same_as_id.is_(None))
    if terms.phone:
        query = query.where(Resident.phone == terms.phone)
    if terms.postcode:
        query = query.where(Resident.postcode == terms.postcode)
    if terms.outcode:
        query = query.where(Resident.outcode == terms.outcode)
    if terms.date_of_birth:
        key = f"dob:{terms.date_of_birth.isoformat()}"
        query = query.where(Resident.id.in_(select(ResidentKey.resident_id).where(ResidentKey.key == key)))
    return query


def _in_scope(query: Select, scope: access.PeopleScope) -> Select:
    """The principal's scope as a filter, so the limit counts people they may find; the rule still decides
    each one."""
    if scope.everyone:
        return query
    conditions = []
    if scope.area:
        conditions.append(Resident.area == scope.area)
    referred = []
    if scope.referred_by_token is not None:
        referred.append(Referral.created_by_token_id == scope.referred_by_token)
    if scope.referred_by_org is not None:
        referred.append(Referral.created_by_org_id == scope.referred_by_org)
    if referred:
        conditions.append(exists().where(Referral.resident_id == Resident.id, or_(*referred)))
    if scope.owned_by_org is not None:
        conditions.append(
            exists().where(Referral.resident_id == Resident.id, Referral.owner_org_id == scope.owned_by_org)
        )
    return query.where(or_(*conditions) if conditions else false())


def name_keys(name: str) -> tuple[set[str], set[str]]:
    """The blocking keys of the whole name (as intake writes them) and, for each word, the soundex prefix
    that every key of a name with that word starts with (or equals, for a one-word name)."""
    tokens = name_tokens(name)
    whole = set()
    if len(tokens) > 1:
        first, last = tokens[0], tokens[-1]
        whole = {f"name:{soundex(last)}:{first[0]}", f"name:{soundex(first)}:{last[0]}"}
    words = {f"name:{code}" for token in tokens if len(token) > 1 and (code := soundex(token))}
    return whole, words


def _name_steps(session: Session, name: str) -> Iterator:
    """Where-clauses to try in turn, each wider than the one before (see the module's docstring); made only
    when the one before found too few."""
    whole, words = name_keys(name)
    if whole:
        yield Resident.id.in_(select(ResidentKey.resident_id).where(ResidentKey.key.in_(whole)))
    if words:
        ranges = [
            or_(ResidentKey.key == word, and_(ResidentKey.key >= f"{word}:", ResidentKey.key < f"{word};"))
            for word in sorted(words)
        ]
        yield Resident.id.in_(select(ResidentKey.resident_id).where(or_(*ranges)))
    prefixes = _prefixes(name)
    if prefixes:
        newest = session.scalar(select(func.max(Resident.id))) or 0
        lowered = func.lower(Resident.name)
        matches = [lowered.like(f"{word}%") | lowered.like(f"% {word}%") for word in sorted(prefixes)]
        yield and_(Resident.id > newest - RECENT_WINDOW, or_(*matches))


def _prefixes(name: str) -> set[str]:
    typed = {word.casefold() for word in name.replace("’", "'").split()}
    folded = set(name_tokens(name))
    return {
        word
        for word in typed | folded
        if len(word) >= MIN_PREFIX and word.replace("'", "").replace("-", "").isalpha() and word.isascii()
    }


def _referrals_of(session: Session, resident_ids: list[int]) -> dict[int, list[Pair]]:
    """Each person's referrals, newest first, with their pending offers: what the rule asks about."""
    if not resident_ids:
        return {}
    rows = session.scalars(
        select(Referral).where(Referral.resident_id.in_(resident_ids)).order_by(Referral.id.desc())
    ).all()
    offers = _pending_offers(session, [row.id for row in rows])
    pairs: dict[int, list[Pair]] = defaultdict(list)
    for row in rows:
        pairs[row.resident_id].append((row, offers.get(row.id)))
    return pairs


def _pending_offers(session: Session, referral_ids: list[int]) -> dict[int, Offer]:
    if not referral_ids:
        return {}
    found = session.scalars(
        select(Offer).where(Offer.referral_id.in_(referral_ids), Offer.status == "pending")
    )
    return {offer.referral_id: offer for offer in found}


def _found(
    resident: Resident, details: bool, terms: SearchTerms, score: float | None, shown: list[Pair]
) -> FoundPerson:
    latest = shown[0][0] if shown else None
    return FoundPerson(
        resident_id=resident.id,
        personal_details=details,
        name=resident.name if details else None,
        phone=(resident.phone or "") if details else None,
        postcode=resident.postcode if details else None,
        outcode=resident.outcode,
        address=(resident.address or "") if details else None,
        date_of_birth=resident.date_of_birth if details else None,
        area=resident.area,
        erased=resident.erased_at is not None,
        matched=_why(terms, score),
        name_score=score,
        referral_count=len(shown),
        last_referral_id=latest.id if latest else None,
        last_referral_status=latest.status if latest else None,
        last_contact_at=latest.created_at if latest else None,
    )


def _why(terms: SearchTerms, score: float | None) -> tuple[str, ...]:
    if terms.reference is not None:
        return ("referral",)
    why = []
    for field, given in (
        ("phone", terms.phone),
        ("postcode", terms.postcode),
        ("district", terms.outcode),
        ("date of birth", terms.date_of_birth),
    ):
        if given:
            why.append(field)
    if terms.name and score is not None:
        why.append("name")
    return tuple(why)


# A person's page


@dataclass(frozen=True)
class PersonEvent:
    """An event of the person's timeline: one of their referrals' (as that referral's page shows it), or
    the person's own (`referral_id` None: their erasure, a change to their details)."""

    referral_id: int | None
    event: TimelineEvent


@dataclass(frozen=True)
class PersonHistory:
    resident: Resident | RedactedResident  # redacted unless `personal_details`
    personal_details: bool
    erased: bool
    erased_at: datetime | None
    contact: ContactDetails  # empty unless `personal_details`
    referrals: list[Referral]  # newest first: those shown with the person's details, at most 100
    offers: dict[int, Offer]  # their pending offers, by referral id
    more_referrals: int  # shown referrals left off the page
    timeline: list[PersonEvent]  # newest first, at most MAX_TIMELINE
    timeline_cut: bool
    latest_consent: Referral | None  # the newest referral: whether they agreed to share, as last asked
    may_log_call: bool  # the rule lets this principal attach a new call to them


def person_history(
    session: Session, principal: Principal, resident_id: int, *, door: str = "person page"
) -> PersonHistory:
    """A person as `principal` may see them (`access.may_find_person`; otherwise NotFound, whatever the id),
    their referrals that `access.shows_on_person_page`, newest first, and those referrals' timelines. The
    read of their details is audited, naming `door`. Commits when it records the read."""
    resident = current_record(session, session.get(Resident, resident_id))  # a folded record: the person
    if resident is None:
        raise NotFound(f"no person with id {resident_id}")
    pairs = _referrals_of(session, [resident.id]).get(resident.id, [])
    if not access.may_find_person(principal, resident, pairs):
        raise NotFound(f"no person with id {resident_id}")
    details = access.sees_person_details(principal, resident, pairs)
    shown = [(r, o) for r, o in pairs if access.shows_on_person_page(principal, r, o)]
    on_page = shown[:MAX_REFERRALS_SHOWN]
    timeline, cut = _timeline(session, principal, resident, on_page)
    referred_before = any(access.may_see(principal, r, o) for r, o in pairs)
    erased = resident.erased_at is not None
    shown_resident = (
        resident
        if details
        else RedactedResident(resident.id, resident.outcode, resident.area, {}, name=ERASED_TEXT)
    )
    history = PersonHistory(
        resident=shown_resident,
        personal_details=details,
        erased=erased,
        erased_at=resident.erased_at,
        contact=ContactDetails.from_stored(resident.contact) if details else ContactDetails(),
        referrals=[r for r, _o in on_page],
        offers={r.id: o for r, o in on_page if o is not None},
        more_referrals=len(shown) - len(on_page),
        timeline=timeline,
        timeline_cut=cut,
        latest_consent=on_page[0][0] if on_page else None,
        may_log_call=details and access.may_attach(principal, resident, referred_before),
    )
    if details:
        record_people_shown(session, [resident.id], principal, door)
    return history


def _timeline(
    session: Session,
    principal: Principal,
    resident: Resident,
    shown: Iterable[Pair],
) -> tuple[list[PersonEvent], bool]:
    """The newest events of the shown referrals, each read as its referral's page reads it (the same
    redaction: `reading.timeline_for`), and the person's own events, read as by one who may see them (the
    caller may find the person; once they are erased, sealed words read "(erased)"); reads of their details
    are left out, as on a referral's page."""
    referrals = {referral.id: (referral, offer) for referral, offer in shown}
    events = list(
        session.scalars(
            select(AuditEvent)
            .where(
                or_(
                    AuditEvent.referral_id.in_(list(referrals)),
                    and_(AuditEvent.resident_id == resident.id, AuditEvent.referral_id.is_(None)),
                ),
                AuditEvent.kind != READ_EVENT,
            )
            .order_by(AuditEvent.seq.desc())
            .limit(MAX_TIMELINE + 1)
        )
    )
    cut = len(events) > MAX_TIMELINE
    events = events[:MAX_TIMELINE]
    grouped: dict[int | None, list[AuditEvent]] = defaultdict(list)
    for event in events:
        grouped[event.referral_id].append(event)
    timeline = []
    for referral_id, theirs in grouped.items():
        if referral_id is None:
            readable = readable_timeline(
                session,
                resident.id,
                theirs,
                True,
                residents=access.sees_every_resident(principal),
                matching=access.sees_match_results(principal),
            )
        else:
            referral, offer = referrals[referral_id]
            personal = access.sees_personal_details(principal, referral, offer)
            readable = timeline_for(session, referral, theirs, principal, personal)
        timeline += [PersonEvent(referral_id, event) for event in readable]
    timeline.sort(key=lambda item: item.event.seq or 0, reverse=True)
    return timeline, cut
