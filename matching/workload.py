"""Workload bookkeeping between matches, so caps and fairness hold across referrals in one process."""

from dataclasses import replace

from matching.directory import Directory
from matching.policy import MatchingPolicy
from matching.types import Volunteer
from matching.volunteers import ACTIVE_TASK_CAP, FAILURES, WEEKLY_TASK_CAP


def record_assignment(directory: Directory, volunteer_id: int) -> None:
    """A volunteer accepted a task: one more active task and one more this week."""
    directory.add_volunteer_workload(volunteer_id, active=1, this_week=1)


def record_completion(directory: Directory, volunteer_id: int) -> None:
    """A volunteer finished (or handed back) a task: one fewer active task."""
    directory.add_volunteer_workload(volunteer_id, active=-1, this_week=0)


def start_new_week(directory: Directory) -> None:
    directory.reset_weekly_counts()


def record_org_acceptance(directory: Directory, org_id: int, change: int = 1) -> None:
    """An organisation accepted (change=1) or closed (change=-1) a referral."""
    org = directory.organisation(org_id)
    if org is None:
        raise KeyError(f"organisation {org_id} is not in the directory")
    directory.upsert_organisation(replace(org, open_accepted=max(0, org.open_accepted + change)))


def capacity_failure(
    volunteer: Volunteer, policy: MatchingPolicy, active_tasks: int, tasks_this_week: int
) -> tuple[str, str] | None:
    """(reason, detail) when a volunteer with these counts is at a cap, their own or the policy's; else None.
    The same caps the index applies, for checking the counts as they stand just before an offer goes out."""
    if active_tasks >= min(volunteer.max_active_tasks, policy.max_active_tasks):
        return FAILURES[ACTIVE_TASK_CAP]
    if tasks_this_week >= min(volunteer.max_tasks_per_week, policy.max_tasks_per_week):
        return FAILURES[WEEKLY_TASK_CAP]
    return None
