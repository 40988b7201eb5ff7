"""Emails to the helpline in the browser: each a draft call (who wrote, what they wrote, any attachment
refused), which helpline staff make into a call (the call form, filled from it) or set aside as not a call.
Who may is `referrals.access.may_work_email_drafts`."""

from flask import flash, redirect, render_template, request, url_for

from referrals.access import EMAIL_DRAFT_ROLES
from referrals.email_drafts import DISMISS_REASONS, dismiss, drafts
from referrals.errors import Conflict, DomainValidationError
from web.auth import current_principal, roles
from web.blueprint import blp, db

ROLES = tuple(sorted(EMAIL_DRAFT_ROLES))


@blp.get("/emails")
@roles(*ROLES)
def emails():
    return render_template("emails.html", drafts=drafts(db(), current_principal()), reasons=DISMISS_REASONS)


@blp.post("/emails/<int:draft_id>/dismiss")
@roles(*ROLES)
def dismiss_email(draft_id: int):
    session = db()
    try:
        dismiss(session, draft_id, request.form.get("reason", ""), current_principal())
    except (Conflict, DomainValidationError) as exc:
        session.rollback()
        flash(f"Email {draft_id}: {exc.message}.", "error")
        return redirect(url_for("web.emails", _anchor=f"email-{draft_id}"))
    flash(f"Email {draft_id} is set aside: it is not a call.", "success")
    return redirect(url_for("web.emails"))
