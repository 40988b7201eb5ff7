"""Phone tasks in the browser: leads a text could not reach, or whose reply could not be acted on. The
helpline or a safety-net officer rings them, records what happened, and ends the task (`texting.phone_calls`);
who may see which task is the access rule's (`referrals.access.may_work_phone_task`), as on the dashboard."""

from flask import current_app, flash, redirect, render_template, request, url_for

from referrals.access import PHONE_TASK_ROLES, may_work_phone_task
from referrals.errors import Conflict, DomainValidationError
from referrals.oversight import phone_tasks
from texting.phone_calls import CALL_OUTCOMES, NOTE_LIMIT, call_note, calls_made, get_task, record_call
from web.auth import current_principal, roles
from web.blueprint import blp, db
from web.lookups import actor_words

ROLES = tuple(sorted(PHONE_TASK_ROLES))


@blp.get("/phone-tasks")
@roles(*ROLES)
def phone_task_list():
    items = phone_tasks(db(), current_principal())
    return render_template(
        "phone_tasks.html", items=items, calls=calls_made(db(), [item.task.id for item in items])
    )


def _render_task(task_id: int, errors: dict | None = None, values: dict | None = None, status: int = 200):
    task = get_task(db(), task_id, current_principal())
    page = render_template(
        "phone_task.html",
        task=task,
        calls=[(call, call_note(db(), call)) for call in calls_made(db(), [task.id]).get(task.id, [])],
        outcomes=CALL_OUTCOMES,
        actor_words=actor_words,
        errors=errors or {},
        values=values or {},
        note_limit=NOTE_LIMIT,
    )
    return page, status


@blp.get("/phone-tasks/<int:task_id>")
@roles(*ROLES)
def phone_task(task_id: int):
    return _render_task(task_id)


@blp.post("/phone-tasks/<int:task_id>/calls")
@roles(*ROLES)
def record_phone_call(task_id: int):
    values = {
        "outcome": request.form.get("outcome", ""),
        "note": request.form.get("note", "").strip(),
        "done": request.form.get("done") == "yes",
    }
    session, policy = db(), current_app.extensions["oneroute"].lifecycle_policy
    try:
        task = record_call(
            session,
            task_id,
            current_principal(),
            values["outcome"],
            values["note"],
            policy=policy,
            done=values["done"],
        )
    except DomainValidationError as exc:
        session.rollback()
        return _render_task(task_id, {exc.field: exc.message[:1].upper() + exc.message[1:]}, values, 422)
    except Conflict as exc:
        session.rollback()
        flash(f"Phone task {task_id}: {exc}.", "error")
        return redirect(url_for("web.phone_task_list"))
    if values["done"]:
        flash(f"Phone task {task_id} is done: the call is recorded.", "success")
        return redirect(url_for("web.phone_task_list"))
    if task.status == "escalated" and not may_work_phone_task(current_principal(), None, task.status):
        flash(f"No answer twice in a row: phone task {task_id} goes to the safety net.", "success")
        return redirect(url_for("web.phone_task_list"))
    if task.status == "escalated":
        flash("The call is recorded. No answer twice in a row: the task is the safety net's now.", "success")
    else:
        flash("The call is recorded. The task stays open.", "success")
    return redirect(url_for("web.phone_task", task_id=task_id))
