"""Names the pages show in place of codes and ids."""

from collections.abc import Iterable

from sqlalchemy import select

from directory.models import Organisation
from web.blueprint import db, services


def need_labels() -> dict[str, str]:
    return {code: need.detector.label for code, need in services().rules.needs.items()}


def area_names() -> dict[str, str]:
    return {code: area.name for code, area in services().areas.by_code.items()}


def organisation_names(ids: Iterable[int | None]) -> dict[int, str]:
    wanted = {org_id for org_id in ids if org_id is not None}
    if not wanted:
        return {}
    rows = db().execute(select(Organisation.id, Organisation.name).where(Organisation.id.in_(wanted)))
    return dict(rows.all())


def actor_words(actor: str, role: str) -> str:
    """'user:3:alice' → 'alice (helpline staff)'; tokens keep their name; the system is 'the system'."""
    if role == "system" or actor == "system":
        return "the system (timer)"
    kind, _, rest = actor.partition(":")
    name = (rest.partition(":")[2] or rest) if kind in ("user", "token") else actor
    return f"{name} ({role.replace('_', ' ')})"
