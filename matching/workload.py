"""Workload bookkeeping between matches, so caps and fairness hold across referrals in one process."""

from dataclasses import replace

from matching.directory import Directory


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
