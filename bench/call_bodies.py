"""Intake bodies as helpline staff would log them: residents across every served area (weighted by how many
postcodes each district has), varied call notes and needs, random names and drama-range phone numbers."""

import json
from pathlib import Path

import numpy as np

from bench.national_directory import UnitPostcodes
from directory.demo_data import FIRST_NAMES, LAST_NAMES

NOTES = (
    ("Lives alone and is shielding. Needs a weekly shop picking up, usually from Tesco.", []),
    ("Needs shopping picked up this week, lives alone.", ["shopping"]),
    ("Prescription ready at the chemist on the high street, can't get there, self-isolating.", []),
    (
        "Running out of her blood pressure tablets tomorrow, pharmacy needs someone to collect.",
        ["prescriptions"],
    ),
    ("Very lonely since his wife died, would like a regular check-in call.", []),
    ("Would appreciate a friendly phone call once a week, feels isolated.", ["befriending"]),
    ("Can't walk the dog while recovering from a hip operation.", ["dog_walking"]),
    ("No food in the house and no money until universal credit is paid next week.", []),
    ("Asking for a food parcel, two children at home, benefits delayed.", ["food"]),
    ("Needs a lift to a hospital appointment on Thursday morning.", ["transport"]),
    ("Would like help setting up a tablet to video call family and order shopping online.", []),
    ("Struggling with the rent and worried about being evicted, needs advice.", []),
    ("Behind on council tax and energy bills, wants help with a budget.", ["financial"]),
    ("Feeling very low and anxious, not sleeping, would like someone to talk to.", []),
    ("Needs a few bits from the shop and her post taking to the post office.", []),
    ("Cannot cook since the stroke, would like hot meals delivered.", []),
    ("Housebound, needs milk and bread and someone to collect a parcel.", ["shopping", "errands"]),
    ("Carer is ill, needs help with shopping and picking up prescriptions.", ["shopping", "prescriptions"]),
    ("Asked about help filling in a benefits form.", ["advice"]),
    ("Wants to know what support is available locally, has just come out of hospital.", []),
    ("Needs a weekly check-in and help with shopping, partially sighted.", []),
    ("Dog needs walking twice a day for the next fortnight while he is in plaster.", []),
    ("Has run out of insulin and cannot get to the pharmacy today.", []),
    ("Needs help getting to the GP surgery next week, no car.", []),
)
FLAGS = ("shielding", "lives_alone", "disabled", "has_children", "carer")
FLAG_ODDS = (0.25, 0.4, 0.15, 0.1, 0.05)
STREETS = ("High Street", "Church Road", "Station Road", "Park Avenue", "Victoria Road", "Mill Lane")


def make_bodies(
    count: int, units: UnitPostcodes, seed: int, only_outcodes: set[str] | None = None
) -> list[dict]:
    """`count` call bodies; with `only_outcodes`, residents come only from those postcode districts."""
    rng = np.random.default_rng(seed)
    weight = np.array([o.weight for o in units.outcode], dtype=float)
    if only_outcodes is not None:
        weight *= np.array([o.code in only_outcodes for o in units.outcode])
    where = rng.choice(len(units.postcode), size=count, p=weight / weight.sum())
    bodies = []
    for n, unit in enumerate(where):
        notes, needs = NOTES[int(rng.integers(len(NOTES)))]
        resident = {
            "name": f"{rng.choice(FIRST_NAMES)} {rng.choice(LAST_NAMES)}",
            "phone": f"+447700900{int(rng.integers(1000)):03d}",
            "postcode": units.postcode[unit],
            "address": f"{int(rng.integers(1, 200))} {STREETS[n % len(STREETS)]}",
            "flags": {flag: bool(rng.random() < odds) for flag, odds in zip(FLAGS, FLAG_ODDS, strict=True)},
        }
        if rng.random() < 0.6:
            resident["date_of_birth"] = f"{int(rng.integers(1930, 2004))}-{int(rng.integers(1, 13)):02d}-15"
        bodies.append(
            {
                "channel": "phone" if rng.random() < 0.85 else "partner_referral",
                "resident": resident,
                "notes": notes,
                "needs": needs,
                "consent_to_share": bool(rng.random() < 0.95),
                # Random names over 1,000 phone numbers look alike: each body is a caller the call-taker
                # has checked (the duplicate search still runs; a 409 would measure nothing).
                "new_person": True,
            }
        )
    return bodies


def write_bodies(bodies: list[dict], path: Path) -> Path:
    path.write_text("".join(json.dumps(body, separators=(",", ":")) + "\n" for body in bodies))
    return path
