"""The demo needs map (docs/needs-map.png): a throwaway SQLite database with the shipped postcodes, the demo
directory and a few hundred synthetic referrals of fictional people, drawn by the real report and map code.

    /work/main/.venv/bin/python -m bench.needs_map_demo docs/needs-map.png

Fictional people only: names are "Demo resident N", postcodes real unit postcodes of the shipped file (so
their wards are known), notes a handful of canned requests. About two thirds of the referrals get an
accepted offer within hours; the rest wait (late once their urgency's allowance has passed) or, where the
triage found nobody, are gaps. Wards in the east of each council are made busier and less served, so the map
has something to show."""

import random
import sys
import tempfile
from datetime import timedelta
from pathlib import Path

from sqlalchemy import select

from db import make_engine, make_session_factory
from db.base import utcnow
from db.migrate import upgrade
from directory.areas import load_areas
from directory.demo import load_demo
from geo.importer import import_postcodes
from geo.models import Postcode
from referrals.errors import DomainValidationError
from referrals.intake import CallLog, ResidentDetails, log_call
from referrals.models import Offer, Referral
from reports.geography import POSTCODE_FILE
from reports.needs import needs_report
from reports.needs_map import render_needs_map
from tests.integration.intake_helpers import HELPLINE, intake_context

REFERRALS = 400
AREA = "sutton"  # one council: a few hundred people spread over its 18 wards, most above the threshold
DAYS = 60
SEED = 22
NOTES = (
    "needs shopping picked up",
    "needs a food parcel",
    "needs a food parcel and help with money",
    "lonely, would like someone to talk to",
    "needs prescriptions collected",
    "needs a lift to a hospital appointment",
)


def build(path: Path, database: Path) -> None:
    url = f"sqlite:///{database}"
    upgrade(url)
    factory = make_session_factory(make_engine(url))
    import_postcodes(factory, POSTCODE_FILE, progress=False)
    with factory() as session:
        load_demo(session)
    rng = random.Random(SEED)
    now = utcnow()
    areas = load_areas()
    served = list(areas.by_code[AREA].admin_district_codes)
    with factory() as session:
        units = session.execute(
            select(Postcode.postcode, Postcode.longitude).where(
                Postcode.admin_ward_code.is_not(None), Postcode.admin_district_code.in_(served)
            )
        ).all()
    context = intake_context(factory)
    for n in range(REFERRALS):
        unit = rng.choice(units)
        at = now - timedelta(days=rng.uniform(0, DAYS))
        call = CallLog(
            channel="phone",
            resident=ResidentDetails(
                name=f"Demo resident {n}", postcode=unit.postcode, address=f"{n} Demo Street"
            ),
            notes=rng.choice(NOTES),
            consent_to_share=True,
            new_person=True,
        )
        try:
            with factory() as session:
                referral = log_call(session, call, HELPLINE, context, now=at).referral
        except DomainValidationError:  # its district is mostly another council's: the service signposts
            continue
        served = 0.85 if unit.longitude < _east(unit.postcode) else 0.45
        if rng.random() < served:
            _accept(factory, referral.id, at + timedelta(hours=rng.uniform(1, 30)))
    with factory() as session:
        report = needs_report(
            session, areas, since=(now - timedelta(days=DAYS)).date(), area=AREA, open_data=True
        )
    path.write_bytes(render_needs_map(report))


def _east(postcode: str) -> float:
    """A longitude east of which the demo's wards are less well served."""
    return {"SM": -0.185, "CR": -0.185}.get(postcode[:2], 0.0)


def _accept(factory, referral_id: int, at) -> None:
    with factory() as session:
        referral = session.get(Referral, referral_id)
        offer = session.scalar(select(Offer).where(Offer.referral_id == referral_id).limit(1))
        if offer is None:
            return
        offer.status, offer.responded_at = "accepted", at
        referral.status = "completed"
        session.commit()


if __name__ == "__main__":
    target = Path(sys.argv[1] if len(sys.argv) > 1 else "docs/needs-map.png")
    with tempfile.TemporaryDirectory() as folder:
        build(target, Path(folder) / "demo.db")
    print(f"wrote {target}")
