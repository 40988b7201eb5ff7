"""The helpline's list of partner referrals whose person may already be known: each settled as the same
person as one listed, or someone else, by the domain's `referrals.repeat_callers` (the API's question too)."""

from flask import flash, redirect, render_template, request, url_for

from referrals.access import CANDIDATE_READERS
from referrals.errors import Conflict, DomainValidationError
from referrals.repeat_callers import settle, to_check
from web.auth import current_principal, roles
from web.blueprint import blp, db
from web.lookups import need_labels

SOMEONE_ELSE = "someone_else"


@blp.get("/repeat-callers")
@roles(*sorted(CANDIDATE_READERS))
def repeat_callers():
    return render_template(
        "repeat_callers.html",
        items=to_check(db(), current_principal()),
        needs=need_labels(),
        someone_else=SOMEONE_ELSE,
        error_for=request.args.get("error", type=int),
    )


@blp.post("/repeat-callers/<int:referral_id>")
@roles(*sorted(CANDIDATE_READERS))
def settle_repeat_caller(referral_id: int):
    choice = request.form.get("same_as", "")
    if choice != SOMEONE_ELSE and not choice.isdigit():
        flash(f"Referral {referral_id}: choose who the person is, or that they are someone else.", "error")
        return redirect(url_for("web.repeat_callers", error=referral_id, _anchor=f"check-{referral_id}"))
    same_as = None if choice == SOMEONE_ELSE else int(choice)
    try:
        settle(db(), referral_id, current_principal(), same_as)
    except (Conflict, DomainValidationError):
        db().rollback()
        flash(f"Referral {referral_id} was already checked, or that person is no longer listed.", "error")
        return redirect(url_for("web.repeat_callers"))
    if same_as is None:
        flash(f"Referral {referral_id} is recorded as a different person.", "success")
    else:
        flash(f"Referral {referral_id} is now on the known person's record.", "success")
    return redirect(url_for("web.repeat_callers"))
