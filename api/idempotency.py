"""Idempotency-Key on POSTs: a retried request returns the first answer instead of acting twice.

The key is recorded in the same transaction as the action (the service's commit stores it), so an action is
never done without its key being taken; the answer is stored just after. Keys are per token.

If the worker dies between the two (the action committed, its answer never stored), a retry within
STILL_RUNNING is told the request is still being processed; after that it is known to have been carried out,
and is sent with 303 See Other to the referral it acted on or created (recorded with the key, in the
action's transaction), or, where there is none, told that it was done and will not be repeated."""

import hashlib
import logging
from datetime import datetime, timedelta
from functools import wraps

from flask import Response, json, make_response, request, url_for
from sqlalchemy import delete, event, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from api.auth import current_principal
from api.db import get_session
from api.errors import problem
from api.openapi import IDEMPOTENT_ATTR
from db.base import utcnow
from db.faults import first_line, is_unavailable
from referrals.models import ERASED_ANSWER, IdempotentRequest, Referral

log = logging.getLogger(__name__)
HEADER = "Idempotency-Key"
MAX_KEY_LENGTH = 200
# Longer than any request runs (gunicorn kills a worker silent for GUNICORN_TIMEOUT, 30 s by default).
STILL_RUNNING = timedelta(minutes=5)
RECORD, CREATED = "oneroute_idempotent_record", "oneroute_idempotent_created"


def _request_hash() -> str:
    digest = hashlib.sha256()
    for part in (request.method.encode(), request.path.encode(), request.get_data()):
        digest.update(part)
        digest.update(b"\0")
    return digest.hexdigest()


def _replay(record: IdempotentRequest, digest: str) -> Response:
    if record.request_hash != digest:
        return problem(422, "Unprocessable Content", f"This {HEADER} was used for a different request.")
    if record.status_code is None:
        return _unanswered(record)
    if record.response == ERASED_ANSWER:
        return problem(410, "Gone", "The person this request was about has been erased; it is not repeated.")
    response = Response(json.dumps(record.response), status=record.status_code, mimetype="application/json")
    response.headers["Idempotent-Replayed"] = "true"
    return response


def _unanswered(record: IdempotentRequest) -> Response:
    if utcnow() - record.created_at < STILL_RUNNING:
        response = problem(
            409, "Conflict", f"A request with this {HEADER} is still being processed; retry shortly."
        )
        response.headers["Retry-After"] = "5"
        return response
    done = f"The request with this {HEADER} was carried out, but its answer was lost; it is not repeated."
    if record.referral_id is None:
        return problem(409, "Conflict", done)
    location = url_for("referrals.ReferralById", referral_id=record.referral_id)
    body = {"detail": f"{done} See {location}.", "location": location}
    response = Response(json.dumps(body), status=303, mimetype="application/json")
    response.headers["Location"] = location
    return response


@event.listens_for(Session, "before_flush")
def _note_created_referral(session: Session, _context, _instances) -> None:
    if RECORD in session.info and CREATED not in session.info:
        created = next((obj for obj in session.new if isinstance(obj, Referral)), None)
        if created is not None:
            session.info[CREATED] = created


@event.listens_for(Session, "before_commit")
def _record_created_referral(session: Session) -> None:
    """Intake's new referral is written down with the key by the commit that creates it."""
    record, created = session.info.get(RECORD), session.info.pop(CREATED, None)
    if record is None or created is None or record.referral_id is not None:
        return
    if created.id is None:
        session.flush()
    record.referral_id = created.id


def prune(session: Session, before: datetime) -> int:
    """Forget keys made before `before`, with their stored answers (which may repeat a person's details)."""
    old = delete(IdempotentRequest).where(IdempotentRequest.created_at < before)
    return session.execute(old).rowcount or 0


def _store_answer(session: Session, record: IdempotentRequest, response: Response) -> None:
    """Keep the answer for retries. The action has committed; if the database goes away before its answer
    is stored, the caller still gets that answer (not a 503 for work that was done), and a retry within
    STILL_RUNNING is told to wait, then sent to the referral (see `_unanswered`)."""
    record.status_code = response.status_code
    record.response = response.get_json()
    try:
        session.commit()
    except Exception as exc:
        if not is_unavailable(exc):
            raise
        session.rollback()
        log.warning("%s answer not stored (the database is unavailable): %s", HEADER, first_line(exc))


def idempotent(view):
    @wraps(view)
    def wrapper(*args, **kwargs):
        key = request.headers.get(HEADER)
        if key is None:
            return view(*args, **kwargs)
        if not key.strip() or len(key) > MAX_KEY_LENGTH:
            return problem(400, "Bad Request", f"{HEADER} must be 1 to {MAX_KEY_LENGTH} characters.")
        session, principal = get_session(), current_principal()
        digest = _request_hash()
        lookup = select(IdempotentRequest).where(
            IdempotentRequest.token_id == principal.token_id, IdempotentRequest.key == key
        )
        existing = session.scalar(lookup)
        if existing is not None:
            return _replay(existing, digest)
        record = IdempotentRequest(
            token_id=principal.token_id,
            key=key,
            method=request.method,
            path=request.path,
            request_hash=digest,
            referral_id=kwargs.get("referral_id"),  # intake's new referral is noted at its commit
        )
        session.add(record)
        session.info[RECORD] = record
        try:
            response = make_response(view(*args, **kwargs))
        except IntegrityError:
            session.rollback()
            existing = session.scalar(lookup)
            if existing is None:
                raise
            return _replay(existing, digest)
        finally:
            session.info.pop(RECORD, None)
            session.info.pop(CREATED, None)
        if response.status_code < 400 and record.id is not None:
            _store_answer(session, record, response)
        return response

    setattr(wrapper, IDEMPOTENT_ATTR, True)  # documented: api/openapi.py
    return wrapper
