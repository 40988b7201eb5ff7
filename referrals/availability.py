"""Before the cascade moves a declined or expired offer on to the next candidate: can that candidate still
take it? The candidate list was ranked when the referral was routed, perhaps days ago; since then the
organisation or the volunteer may have been deactivated, the volunteer (or a group's lead) may have opted
out of SMS, or the volunteer taken on work up to a cap. Each is checked as it stands now, as matching would,
and a volunteer's counts under a lock on their row (the same claim routing takes), so two cascades never
both give the last slot of one volunteer."""

from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

import matching
from directory.models import Organisation, Volunteer
from referrals.lifecycle import Availability, Candidate
from referrals.snapshot import VOLUNTEER_COLUMNS, claimed, to_matching_volunteer, volunteer_load


def cascade_availability(session: Session, policy: matching.MatchingPolicy, now: datetime) -> Availability:
    """The lifecycle's `available` check over the database, inside the caller's transaction. The volunteer
    an offer goes to stays locked until that transaction ends; one passed over is let go at once."""

    def available(candidate: Candidate) -> str | None:
        org = session.execute(
            select(Organisation.active, Organisation.sms_opted_out).where(Organisation.id == candidate.org_id)
        ).one_or_none()
        if org is None or not org.active:
            return "organisation is no longer active"
        if candidate.volunteer_id is None:  # the organisation itself: matching skips one whose lead opted out
            return "organisation's lead has opted out of SMS" if org.sms_opted_out else None
        with claimed(session, candidate.volunteer_id) as claim:
            why = _volunteer_failure(session, candidate.volunteer_id, policy, now)
            if why is None:
                claim.keep()
        return why

    return available


def _volunteer_failure(
    session: Session, volunteer_id: int, policy: matching.MatchingPolicy, now: datetime
) -> str | None:
    row = session.execute(select(*VOLUNTEER_COLUMNS).where(Volunteer.id == volunteer_id)).one_or_none()
    if row is None or not row.active:
        return "volunteer is no longer active"
    if row.sms_opted_out:
        return "volunteer has opted out of SMS"
    active_tasks, tasks_this_week = volunteer_load(session, volunteer_id, now)
    failure = matching.capacity_failure(to_matching_volunteer(row), policy, active_tasks, tasks_this_week)
    return None if failure is None else f"{failure[1]} (counted before the offer)"
