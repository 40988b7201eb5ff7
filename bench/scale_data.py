"""A year of a large county in PostgreSQL, written with COPY: the shipped postcodes of the three demo councils
(`config/areas.yaml`: Sutton, Coventry, Buckinghamshire), organisations and volunteers in them, and a year
of referrals with their residents (blocking keys and sealing keys as intake writes them), offers and a valid
hash-chained audit trail whose head `audit_head` names.

At `scale` 1: 1,000,000 referrals, about 10,000,000 audit events, 100,000 volunteers, 1,000 organisations.
Everything is fictional: names from the demo lists, phones from Ofcom's drama ranges (so many people share a
number, as they would not in life), addresses "N Example Street".

Rows are made in chunks of referrals in the order they were received; each chunk (its new residents, their
keys, the referrals, offers and audit events) is one transaction that also moves `audit_head`, so the chain
is valid after every chunk. Events of one referral are written together, so `created_at` is not monotonic
in `seq` across referrals (nothing reads it as if it were).
"""

import base64
import json
import os
import random
import time
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta

import numpy as np
import psycopg
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from sqlalchemy import insert, select

from bench.national_directory import UNITS_PER_OUTCODE, District, Outcode, UnitPostcodes
from bench.national_volunteers import COLUMNS as VOLUNTEER_COLUMNS
from bench.national_volunteers import volunteer_lines
from db import make_engine, make_session_factory
from db.migrate import upgrade
from directory.areas import Areas, load_areas
from directory.demo_data import FIRST_NAMES, LAST_NAMES
from directory.models import Organisation
from geo.importer import import_postcodes
from geo.models import Postcode
from referrals.audit_chain import GENESIS, canonical_hash, canonical_json_plain, utc_text
from referrals.duplicates import PersonRecord, blocking_keys
from referrals.sealing import PREFIX
from reports.geography import POSTCODE_FILE

REFERRALS = 1_000_000
EVENTS = 10_000_000
VOLUNTEERS = 100_000
ORGANISATIONS = 1_000
DAYS = 365
CHUNK = 20_000
NEW_PERSON_SHARE = 0.7  # the rest are people who called before
HELPLINE_ACTOR = ("helpline (scale bench)", "helpline_staff")
NEEDS = {
    "shopping": 6.0,
    "prescriptions": 4.0,
    "food": 4.0,
    "befriending": 3.0,
    "financial": 2.0,
    "errands": 2.0,
    "transport": 1.5,
    "dog_walking": 1.0,
    "digital": 0.8,
    "mental_health": 1.0,
    "housing": 0.7,
    "advice": 1.0,
}
NEED_TIER = {
    "shopping": "mutual_aid",
    "prescriptions": "mutual_aid",
    "errands": "mutual_aid",
    "dog_walking": "mutual_aid",
    "befriending": "mutual_aid",
    "food": "vcs",
    "financial": "vcs",
    "transport": "vcs",
    "digital": "vcs",
    "mental_health": "vcs",
    "advice": "vcs",
    "housing": "statutory",
}
TIER_RANK = {"mutual_aid": 0, "vcs": 1, "statutory": 2}
TIER_KINDS = {
    "mutual_aid": ("mutual_aid", "hub"),
    "vcs": ("vcs", "hub", "infrastructure"),
    "statutory": ("safety_net",),
}
# What became of referrals older than a fortnight, and of the last fortnight's.
OLD_OUTCOMES = {"completed": 0.72, "closed": 0.12, "signposted": 0.08, "cancelled": 0.08}
RECENT_OUTCOMES = {
    "completed": 0.35,
    "accepted": 0.15,
    "in_progress": 0.12,
    "offered": 0.16,
    "escalated": 0.05,
    "passed_on": 0.03,
    "transferred": 0.01,
    "triaged": 0.01,
    "signposted": 0.05,
    "cancelled": 0.04,
    "closed": 0.03,
}
WINDOW = {"routine": timedelta(hours=48), "soon": timedelta(hours=24), "urgent": timedelta(hours=4)}
NOTES = (
    "needs shopping picked up, lives alone",
    "needs prescriptions collected from the chemist",
    "needs a food parcel and help with money",
    "lonely since her husband died, would like someone to ring",
    "needs a lift to a hospital appointment",
    "behind on the rent and worried about the electric",
    "cannot get out with the dog since the operation",
)
DRAMA_PHONES = [f"+447700900{n:03d}" for n in range(1000)] + [
    f"+44{prefix}{n:03d}"
    for prefix in ("1134960", "1214960", "1614960", "2079460", "1174960")
    for n in range(1000)
]


@dataclass(frozen=True)
class Sizes:
    referrals: int
    volunteers: int
    organisations: int
    events_per_referral: float

    @classmethod
    def at(cls, scale: float) -> "Sizes":
        return cls(
            referrals=max(200, round(REFERRALS * scale)),
            volunteers=max(100, round(VOLUNTEERS * scale)),
            organisations=max(60, round(ORGANISATIONS * scale)),
            events_per_referral=EVENTS / REFERRALS,
        )


def _ts(moment: datetime) -> str:
    return moment.isoformat(sep=" ")


def _json(value) -> str:
    """A JSON value for COPY's text format (backslashes doubled; JSON never holds a raw tab or newline)."""
    return json.dumps(value, separators=(",", ":")).replace("\\", "\\\\")


def _text(value: str) -> str:
    return value.replace("\\", "\\\\").replace("\t", "\\t").replace("\n", "\\n")


def _null(value) -> str:
    return "\\N" if value is None else str(value)


def _copy(cursor: psycopg.Cursor, table: str, columns: str, lines: Iterable[str]) -> None:
    with cursor.copy(f"COPY {table} ({columns}) FROM STDIN") as copy:
        batch: list[str] = []
        for line in lines:
            batch.append(line)
            if len(batch) >= 20_000:
                copy.write("".join(batch))
                batch.clear()
        if batch:
            copy.write("".join(batch))


# ---------------------------------------------------------------------------------------------------------
# The county: postcodes, organisations and volunteers


@dataclass
class County:
    areas: Areas
    districts: list[District]  # one per council, each with its real postcode districts
    units: UnitPostcodes
    unit_ward: list[str | None]
    orgs: dict[str, list[dict]]  # by area, with ids


def _districts(session, areas: Areas) -> tuple[list[District], UnitPostcodes, list[str | None]]:
    rng = np.random.default_rng(26)
    districts, postcodes, owners, lats, lons, wards = [], [], [], [], [], []
    for area in areas.by_code.values():
        rows = session.execute(
            select(
                Postcode.postcode,
                Postcode.outcode,
                Postcode.latitude,
                Postcode.longitude,
                Postcode.admin_district_code,
                Postcode.admin_district,
                Postcode.admin_ward_code,
            )
            .where(
                Postcode.admin_district_code.in_(area.admin_district_codes), Postcode.latitude.is_not(None)
            )
            .order_by(Postcode.postcode)
        ).all()
        by_outcode = defaultdict(list)
        for row in rows:
            by_outcode[row.outcode].append(row)
        outcodes = []
        for code, members in sorted(by_outcode.items()):
            lat = sum(m.latitude for m in members) / len(members)
            lon = sum(m.longitude for m in members) / len(members)
            outcode = Outcode(
                code, lat, lon, float(len(members)), members[0].admin_district_code, members[0].admin_district
            )
            outcodes.append(outcode)
            for pick in rng.choice(
                len(members), size=UNITS_PER_OUTCODE, replace=len(members) < UNITS_PER_OUTCODE
            ):
                member = members[int(pick)]
                postcodes.append(member.postcode)
                owners.append(outcode)
                lats.append(member.latitude)
                lons.append(member.longitude)
                wards.append(member.admin_ward_code)
        districts.append(
            District(
                area.admin_district_codes[0], area.name, area.code, area.coordination_model, tuple(outcodes)
            )
        )
    return districts, UnitPostcodes(postcodes, owners, np.array(lats), np.array(lons)), wards


def _plan_organisations(districts: list[District], total: int, rng: np.random.Generator) -> list[dict]:
    """Per council: a safety-net team, an infrastructure organisation, then hubs (1 in 10), VCS organisations
    (3 in 10) and mutual-aid groups (the rest), each placed on one of its postcode districts."""
    share = [total // len(districts) + (i < total % len(districts)) for i in range(len(districts))]
    planned = []
    for district, count in zip(districts, share, strict=True):
        codes = [o.code for o in district.outcodes]
        base = {
            "description": "Synthetic organisation for the scale benchmark.",
            "contact_name": "Duty coordinator",
            "contact_phone": "+447700900000",
            "public_contact": "07700 900000",
            "area": district.area,
            "sms_opted_out": False,
            "active": True,
            "services": [],
            "coverage_outcodes": [],
            "capacity": 50,
        }
        planned.append(
            {
                **base,
                "name": f"{district.name} Community Response",
                "kind": "safety_net",
                "coverage_outcodes": codes,
                "capacity": 100_000,
                "contact_email": f"{district.area}-safety-net@example.org",
            }
        )
        planned.append(
            {
                **base,
                "name": f"{district.name} Voluntary Action",
                "kind": "infrastructure",
                "coverage_outcodes": codes,
                "capacity": 5_000,
                "services": list(NEEDS),
                "contact_email": f"{district.area}-cvs@example.org",
            }
        )
        for n in range(count - 2):
            kind = "hub" if n % 10 == 0 else "vcs" if n % 10 < 4 else "mutual_aid"
            centre = district.outcodes[int(rng.integers(len(district.outcodes)))]
            services = {
                "hub": [
                    "shopping",
                    "prescriptions",
                    "food",
                    "befriending",
                    "errands",
                    "transport",
                    "digital",
                ],
                "vcs": list(
                    rng.choice(
                        [
                            "food",
                            "financial",
                            "advice",
                            "mental_health",
                            "transport",
                            "digital",
                            "befriending",
                            "housing",
                        ],
                        size=2,
                        replace=False,
                    )
                ),
                "mutual_aid": ["shopping", "prescriptions", "dog_walking", "errands", "befriending"],
            }[kind]
            planned.append(
                {
                    **base,
                    "name": f"{centre.code} {kind.replace('_', ' ').title()} {n}",
                    "kind": kind,
                    "services": [str(s) for s in services],
                    "base_lat": centre.lat,
                    "base_lon": centre.lon,
                    "radius_km": float(rng.uniform(2, 10)),
                    "capacity": int(rng.integers(20, 300)),
                    "coverage_outcodes": [centre.code] if kind == "hub" else [],
                    "mutual_aid_mode": "integrated" if kind == "mutual_aid" else None,
                    "contact_email": f"org{len(planned)}@example.org",
                }
            )
    return planned


def build_county(url: str, conninfo: str, sizes: Sizes, timings: dict[str, float]) -> County:
    started = time.perf_counter()
    upgrade(url)
    timings["migrate_s"] = time.perf_counter() - started
    factory = make_session_factory(make_engine(url))
    started = time.perf_counter()
    import_postcodes(factory, POSTCODE_FILE, progress=False)
    timings["postcodes_s"] = time.perf_counter() - started
    areas = load_areas()
    with factory() as session:
        districts, units, wards = _districts(session, areas)
        planned = _plan_organisations(districts, sizes.organisations, np.random.default_rng(1))
        ids = session.scalars(
            insert(Organisation).returning(Organisation.id, sort_by_parameter_order=True), planned
        )
        for org, org_id in zip(planned, ids, strict=True):
            org["id"] = org_id
        session.commit()
    orgs: dict[str, list[dict]] = defaultdict(list)
    for org in planned:
        orgs[org["area"]].append(org)
    started = time.perf_counter()
    with psycopg.connect(conninfo) as connection, connection.cursor() as cursor:
        _copy(
            cursor,
            "volunteer",
            VOLUNTEER_COLUMNS,
            volunteer_lines(sizes.volunteers, districts, orgs, units, 2),
        )
        connection.commit()
    timings["volunteers_s"] = time.perf_counter() - started
    return County(areas, districts, units, wards, dict(orgs))


# ---------------------------------------------------------------------------------------------------------
# A year of referrals


RESIDENT_COLUMNS = (
    "id, name, phone, postcode, outcode, address, date_of_birth, flags, contact, lat, lon, geo_precision, "
    "area, created_at"
)
REFERRAL_COLUMNS = (
    "id, resident_id, channel, notes, summary, given_needs, consent_to_share, no_contact_reason, status, "
    "tier, needs, urgency, safeguarding, triage, area, owner_org_id, safety_net_org_id, cascade_tier, "
    "candidates, next_candidate, accepted_org_id, volunteer_id, escalated_to_org_id, signposted_org_id, gap, "
    "unmet_needs, occurrences, outcome_codes, outcome_note, created_by_role, version, created_at, updated_at"
)
OFFER_COLUMNS = (
    "id, referral_id, org_id, volunteer_id, status, tier, kind, expires_at, responded_at, reason, created_at"
)
EVENT_COLUMNS = (
    "seq, kind, referral_id, resident_id, actor, actor_role, actor_org_id, reason, payload, created_at, "
    "prev_hash, hash"
)


class Chain:
    """The audit chain as `referrals.audit` writes it: each event's hash over the previous one."""

    def __init__(self, seq: int = 0, head: str = GENESIS):
        self.seq, self.head = seq, head
        self.lines: list[str] = []

    def add(self, kind, referral_id, resident_id, at, payload, actor=HELPLINE_ACTOR, org_id=None, reason=""):
        document = {
            "kind": kind,
            "referral_id": referral_id,
            "resident_id": resident_id,
            "actor": actor[0],
            "actor_role": actor[1],
            "actor_org_id": org_id,
            "reason": reason,
            "payload": payload,
            "created_at": utc_text(at),
        }
        seq = self.seq + 1
        # What `audit_chain.chain_hash` computes, for a document already of plain values (no _plain walk).
        digest = canonical_hash(self.head, seq, canonical_json_plain(document))
        self.lines.append(
            f"{seq}\t{kind}\t{_null(referral_id)}\t{_null(resident_id)}\t{actor[0]}\t{actor[1]}\t{_null(org_id)}\t"
            f"{_text(reason)}\t{_json(payload)}\t{_ts(at)}\t{self.head}\t{digest}\n"
        )
        self.seq, self.head = seq, digest


def _seal(key: bytes, resident_id: int, data: dict) -> str:
    """`referrals.sealing.seal` with a key in hand (AES-GCM, the resident id as associated data)."""
    nonce = os.urandom(12)
    plaintext = json.dumps(data, sort_keys=True, separators=(",", ":")).encode()
    return (
        PREFIX
        + base64.b64encode(nonce + AESGCM(key).encrypt(nonce, plaintext, str(resident_id).encode())).decode()
    )


@dataclass
class Person:
    id: int
    unit: int
    area_index: int
    key: bytes


class Year:
    """Makes the referrals chunk by chunk, in the order they came in, with their people."""

    def __init__(self, county: County, sizes: Sizes, now: datetime, seed: int = 26):
        self.county, self.sizes, self.now = county, sizes, now
        self.rng = random.Random(seed)
        self.people: list[Person] = []
        self.offer_id = 0
        self.by_kind: list[dict[str, list[int]]] = []
        self.safety_net: list[int] = []
        for district in county.districts:
            kinds: dict[str, list[int]] = defaultdict(list)
            for org in county.orgs[district.area]:
                kinds[org["kind"]].append(org["id"])
            self.by_kind.append(kinds)
            self.safety_net.append(kinds["safety_net"][0])
        self.unit_area = np.array(
            [
                next(i for i, d in enumerate(county.districts) if outcode in d.outcodes)
                for outcode in county.units.outcode
            ]
        )
        self.need_codes = list(NEEDS)
        weights = np.array(list(NEEDS.values()))
        self.need_p = list(weights / weights.sum())
        # Volunteers by organisation, for the volunteer doing a mutual-aid job.
        self.volunteers: dict[int, list[int]] = {}
        self.extra_events = max(0.0, sizes.events_per_referral - 8.6)

    def load_volunteers(self, conninfo: str) -> None:
        with psycopg.connect(conninfo) as connection:
            rows = connection.execute("SELECT org_id, id FROM volunteer WHERE org_id IS NOT NULL").fetchall()
        for org_id, volunteer_id in rows:
            self.volunteers.setdefault(org_id, []).append(volunteer_id)

    def chunk(self, first_id: int, count: int, start: datetime, step: timedelta, chain: Chain):
        rng = self.rng
        residents, keys, secrets, referrals, offers = [], [], [], [], []
        for n in range(count):
            referral_id = first_id + n
            at = start + step * n + timedelta(microseconds=rng.randrange(1_000_000))
            if not self.people or rng.random() < NEW_PERSON_SHARE:
                person = self._new_person(at, residents, keys, secrets)
            else:
                person = self.people[rng.randrange(len(self.people))]
            self._referral(referral_id, person, at, referrals, offers, chain)
        return residents, keys, secrets, referrals, offers

    def _new_person(self, at, residents, keys, secrets) -> Person:
        rng, units = self.rng, self.county.units
        resident_id = len(self.people) + 1
        unit = rng.randrange(len(units.postcode))
        area_index = int(self.unit_area[unit])
        name = f"{rng.choice(FIRST_NAMES)} {rng.choice(LAST_NAMES)}"
        phone = rng.choice(DRAMA_PHONES) if rng.random() < 0.85 else ""
        birth = date(1930, 1, 1) + timedelta(days=rng.randrange(70 * 365)) if rng.random() < 0.6 else None
        postcode = units.postcode[unit]
        address = f"{rng.randrange(1, 300)} Example Street"
        flags = {"lives_alone": True} if rng.random() < 0.3 else {}
        residents.append(
            f"{resident_id}\t{name}\t{phone}\t{postcode}\t{units.outcode[unit].code}\t{address}\t{_null(birth)}\t"
            f"{_json(flags)}\t{{}}\t{units.lat[unit]:.6f}\t{units.lon[unit]:.6f}\tunit\t"
            f"{self.county.districts[area_index].area}\t{_ts(at)}\n"
        )
        record = PersonRecord(resident_id, name, phone or None, postcode, address, birth)
        keys.extend(f"{resident_id}\t{key}\n" for key in sorted(blocking_keys(record)))
        key = os.urandom(32)
        secrets.append(f"{resident_id}\t\\\\x{key.hex()}\n")
        person = Person(resident_id, unit, area_index, key)
        self.people.append(person)
        return person

    def _org(self, area_index: int, tier: str) -> int:
        kinds = self.by_kind[area_index]
        options = [org for kind in TIER_KINDS[tier] for org in kinds.get(kind, ())]
        return self.rng.choice(options) if options else self.safety_net[area_index]

    def _referral(self, referral_id, person: Person, at: datetime, referrals, offers, chain: Chain) -> None:
        rng = self.rng
        age = self.now - at
        outcomes = OLD_OUTCOMES if age > timedelta(days=14) else RECENT_OUTCOMES
        status = rng.choices(list(outcomes), list(outcomes.values()))[0]
        needs = sorted(set(rng.choices(self.need_codes, self.need_p, k=rng.randint(1, 2))))
        safeguarding = rng.random() < 0.04
        tier = "statutory" if safeguarding else max((NEED_TIER[n] for n in needs), key=TIER_RANK.get)
        urgency = (
            "urgent" if safeguarding else rng.choices(("routine", "soon", "urgent"), (0.8, 0.15, 0.05))[0]
        )
        area_index = person.area_index
        area = self.county.districts[area_index].area
        safety_net = self.safety_net[area_index]
        gap = rng.random() < 0.05
        unmet = needs[:1] if gap else []
        actor_t = at
        chain.add(
            "referral.received",
            referral_id,
            person.id,
            actor_t,
            {"channel": "phone", "given_needs": [], "consent_to_share": True, "possible_duplicates": []},
        )
        decision = {
            "tier": tier,
            "needs": needs,
            "safeguarding": safeguarding,
            "urgency": urgency,
            "reasons": [{"rule": f"need.{n}.exact", "conclusion": f"need:{n}", "detail": n} for n in needs],
            "rules_version": "scale-bench",
        }
        chain.add(
            "triage.decided",
            referral_id,
            person.id,
            actor_t,
            {"decision": decision, "evidence": _seal(person.key, person.id, {"evidence": needs})},
        )
        first_org = self._org(area_index, tier)
        chain.add(
            "referral.matched",
            referral_id,
            person.id,
            actor_t,
            {
                "coordination_model": self.county.districts[area_index].model,
                "candidates": [
                    {
                        "kind": "organisation",
                        "org_id": first_org,
                        "volunteer_id": None,
                        "tier": tier,
                        "action": "offer",
                    }
                ],
                "excluded": [],
                "gap": gap,
                "unmet_needs": unmet,
            },
        )
        chain.add(
            "referral.triaged",
            referral_id,
            person.id,
            actor_t,
            {"from": "received", "to": "triaged", "tier": tier, "candidate_count": 1},
        )
        owner, accepted_org, volunteer, escalated_to, signposted = safety_net, None, None, None, None
        window = WINDOW[urgency]
        offer_at = at + timedelta(seconds=5)
        updated = at
        # The worker expires an unanswered offer when its window ends and the cascade moves on, so an offer
        # still waiting is one made within its window; older ones were escalated to the safety net, and
        # work passed on or transferred long ago was taken up.
        if status == "offered" and self.now - offer_at > window:
            status = "escalated"
        if status in ("passed_on", "transferred") and age > 2 * window:
            status = "in_progress"
        if status == "triaged":
            pass
        elif status == "signposted":
            signposted = self._org(area_index, "vcs")
            updated = at + timedelta(minutes=10)
            chain.add(
                "referral.signposted",
                referral_id,
                person.id,
                updated,
                {"from": "triaged", "to": "signposted", "org_id": signposted},
            )
        else:
            org = first_org
            if rng.random() < 0.2:  # a first offer declined, the next candidate asked
                self._offer(referral_id, org, None, "declined", tier, offer_at, offer_at + window / 4, offers)
                chain.add(
                    "referral.offered",
                    referral_id,
                    person.id,
                    offer_at,
                    {
                        "from": "triaged",
                        "to": "offered",
                        "org_id": org,
                        "volunteer_id": None,
                        "tier": tier,
                        "expires_at": _ts(offer_at + window),
                    },
                )
                offer_at += window / 4
                chain.add(
                    "referral.declined",
                    referral_id,
                    person.id,
                    offer_at,
                    {"from": "offered", "to": "declined", "org_id": org},
                    actor=("coordinator", "hub_coordinator"),
                    org_id=org,
                )
                org = self._org(area_index, tier)
            chain.add(
                "referral.offered",
                referral_id,
                person.id,
                offer_at,
                {
                    "from": "triaged",
                    "to": "offered",
                    "org_id": org,
                    "volunteer_id": None,
                    "tier": tier,
                    "expires_at": _ts(offer_at + window),
                },
            )
            answered = offer_at + window * (rng.uniform(0.05, 0.6))
            updated = offer_at
            if status == "offered":
                expires = offer_at + window
                self._offer(referral_id, org, None, "pending", tier, offer_at, None, offers, expires)
            elif status == "escalated":
                self._offer(referral_id, org, None, "expired", tier, offer_at, offer_at + window, offers)
                escalated_to, updated = safety_net, offer_at + window
                chain.add(
                    "referral.escalated",
                    referral_id,
                    person.id,
                    updated,
                    {"from": "offered", "to": "escalated", "org_id": safety_net},
                    actor=("cascade", "system"),
                )
            elif status == "cancelled":
                self._offer(referral_id, org, None, "withdrawn", tier, offer_at, answered, offers)
                updated = answered
                chain.add(
                    "referral.cancelled",
                    referral_id,
                    person.id,
                    updated,
                    {"from": "offered", "to": "cancelled"},
                )
            else:
                self._offer(referral_id, org, None, "accepted", tier, offer_at, answered, offers)
                owner = accepted_org = org
                updated = answered
                coordinator = ("coordinator", "hub_coordinator")
                chain.add(
                    "referral.accepted",
                    referral_id,
                    person.id,
                    answered,
                    {"from": "offered", "to": "accepted", "org_id": org},
                    actor=coordinator,
                    org_id=org,
                )
                chain.add(
                    "resident.read",
                    referral_id,
                    person.id,
                    answered,
                    {"door": "web"},
                    actor=coordinator,
                    org_id=org,
                )
                helpers = self.volunteers.get(org)
                if tier == "mutual_aid" and helpers and rng.random() < 0.5:
                    volunteer = rng.choice(helpers)
                if status in ("in_progress", "completed", "closed", "passed_on", "transferred"):
                    updated = answered + timedelta(hours=(rng.uniform(1, 24)))
                    chain.add(
                        "referral.started",
                        referral_id,
                        person.id,
                        updated,
                        {"from": "accepted", "to": "in_progress"},
                        actor=coordinator,
                        org_id=org,
                    )
                if status in ("completed", "closed"):
                    updated += timedelta(hours=(rng.uniform(2, 96)))
                    chain.add(
                        "referral.completed",
                        referral_id,
                        person.id,
                        updated,
                        {"from": "in_progress", "to": "completed", "outcomes": ["need_met"]},
                        actor=coordinator,
                        org_id=org,
                    )
                if status == "closed":
                    updated += timedelta(days=1)
                    chain.add(
                        "referral.closed",
                        referral_id,
                        person.id,
                        updated,
                        {"from": "completed", "to": "closed"},
                        actor=("safety net", "safety_net_officer"),
                        org_id=safety_net,
                    )
                if status in ("passed_on", "transferred"):
                    target = self._org(area_index, tier)
                    expires = updated + window
                    kind = "pass_on" if status == "passed_on" else "transfer"
                    self._offer(
                        referral_id,
                        org if kind == "pass_on" else target,
                        volunteer,
                        "pending",
                        tier,
                        updated,
                        None,
                        offers,
                        expires,
                        kind=kind,
                    )
                    chain.add(
                        f"referral.{status}",
                        referral_id,
                        person.id,
                        updated,
                        {"from": "in_progress", "to": status, "org_id": target},
                        actor=coordinator,
                        org_id=org,
                    )
        # Later reads of the person's details (a coordinator, the safety net, a search), as a year has them.
        for _ in range(self._reads()):
            updated_read = updated + timedelta(minutes=(rng.uniform(1, 600)))
            chain.add(
                "resident.read",
                referral_id,
                person.id,
                min(updated_read, self.now),
                {"door": "search"},
                actor=("safety net", "safety_net_officer"),
                org_id=safety_net,
            )
        updated = min(updated, self.now)
        referrals.append(
            "\t".join(
                (
                    str(referral_id),
                    str(person.id),
                    "phone",
                    _text(rng.choice(NOTES)),
                    "",
                    "[]",
                    "t",
                    "",
                    status,
                    tier,
                    _json(needs),
                    urgency,
                    "t" if safeguarding else "f",
                    _json(decision),
                    area,
                    _null(owner),
                    str(safety_net),
                    tier,
                    "[]",
                    "1",
                    _null(accepted_org),
                    _null(volunteer),
                    _null(escalated_to),
                    _null(signposted),
                    "t" if gap else "f",
                    _json(unmet),
                    "[]",
                    _json(["need_met"] if status in ("completed", "closed") else []),
                    "",
                    "helpline_staff",
                    "1",
                    _ts(at),
                    _ts(updated),
                )
            )
            + "\n"
        )

    def _reads(self) -> int:
        """Later reads of one referral's person: 0, 1, 2, ... averaging `extra_events`."""
        whole = int(self.extra_events)
        return whole + (self.rng.random() < self.extra_events - whole)

    def _offer(
        self, referral_id, org, volunteer, status, tier, at, responded, offers, expires=None, kind="cascade"
    ):
        self.offer_id += 1
        expires = expires or at + timedelta(hours=48)
        offers.append(
            f"{self.offer_id}\t{referral_id}\t{org}\t{_null(volunteer)}\t{status}\t{tier}\t{kind}\t{_ts(expires)}\t"
            f"{_ts(responded) if responded else chr(92) + 'N'}\t\t{_ts(at)}\n"
        )


def build_year(
    conninfo: str, county: County, sizes: Sizes, now: datetime, timings: dict[str, float], progress=print
) -> dict[str, int]:
    year = Year(county, sizes, now)
    year.load_volunteers(conninfo)
    chain = Chain()
    start = now - timedelta(days=DAYS)
    step = timedelta(days=DAYS) / sizes.referrals
    made = {"residents": 0, "referrals": 0, "offers": 0, "audit_events": 0}
    python_s = copy_s = 0.0
    with psycopg.connect(conninfo) as connection, connection.cursor() as cursor:
        for first in range(0, sizes.referrals, CHUNK):
            count = min(CHUNK, sizes.referrals - first)
            began = time.perf_counter()
            old_seq, old_head = chain.seq, chain.head
            chain.lines = []
            residents, keys, secrets, referrals, offers = year.chunk(
                first + 1, count, start + step * first, step, chain
            )
            made_at = time.perf_counter()
            python_s += made_at - began
            _copy(cursor, "resident", RESIDENT_COLUMNS, residents)
            _copy(cursor, "resident_key", "resident_id, key", keys)
            _copy(cursor, "resident_secret", "resident_id, key", secrets)
            _copy(cursor, "referral", REFERRAL_COLUMNS, referrals)
            _copy(cursor, "offer", OFFER_COLUMNS, offers)
            _copy(cursor, "audit_event", EVENT_COLUMNS, chain.lines)
            cursor.execute(
                "UPDATE audit_head SET seq = %s, hash = %s WHERE id = 1 AND seq = %s AND hash = %s",
                (chain.seq, chain.head, old_seq, old_head),
            )
            connection.commit()
            copy_s += time.perf_counter() - made_at
            made["residents"] += len(residents)
            made["referrals"] += count
            made["offers"] += len(offers)
            made["audit_events"] += len(chain.lines)
            if progress and (first // CHUNK) % 10 == 0:
                progress(
                    f"  {first + count:,} referrals, {chain.seq:,} events "
                    f"(python {python_s:.0f} s, COPY {copy_s:.0f} s)"
                )
        for table in ("resident", "referral", "offer", "audit_event"):
            cursor.execute(
                f"SELECT setval(pg_get_serial_sequence('{table}', 'id'), (SELECT max(id) FROM {table}))"
                if table != "audit_event"
                else "SELECT 1"
            )
        connection.commit()
    began = time.perf_counter()
    _needs_facts(conninfo)
    timings["needs_facts_s"] = time.perf_counter() - began
    with psycopg.connect(conninfo, autocommit=True) as connection:
        began = time.perf_counter()
        connection.execute("VACUUM ANALYZE")
        timings["vacuum_analyze_s"] = time.perf_counter() - began
    timings["generate_python_s"] = python_s
    timings["copy_s"] = copy_s
    return made


def utc_now() -> datetime:
    return datetime.now(UTC)


def _needs_facts(conninfo: str) -> None:
    """The needs report's facts of the year, as the migration builds them for a database that has referrals
    (the triggers noted every resident COPY wrote: one rebuild instead)."""
    from sqlalchemy import create_engine

    from reports.facts import rebuild

    engine = create_engine(conninfo.replace("postgresql://", "postgresql+psycopg://"))
    try:
        with engine.begin() as connection:
            rebuild(connection)
    finally:
        engine.dispose()
