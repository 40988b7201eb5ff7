"""Idempotency-Key on POSTs: a retried request returns the first answer instead of acting twice.

The key is recorded in the same transaction as the action (the service's commit stores it), so an action is
never done without its key being taken; the answer is stored just after. Keys are per token."""

import hashlib
from functools import wraps

from flask import Response, json, make_response, request
from sqlalchemy import select
from sqlalchemy.exc import IntegrityError

from api.auth import current_principal
from api.db import get_session
from api.errors import problem
from referrals.models import IdempotentRequest

HEADER = "Idempotency-Key"
MAX_KEY_LENGTH = 200


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
        return problem(
            409, "Conflict", f"A request with this {HEADER} is still being processed; retry shortly."
        )
    response = Response(json.dumps(record.response), status=record.status_code, mimetype="application/json")
    response.headers["Idempotent-Replayed"] = "true"
    return response


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
        )
        session.add(record)
        try:
            response = make_response(view(*args, **kwargs))
        except IntegrityError:
            session.rollback()
            existing = session.scalar(lookup)
            if existing is None:
                raise
            return _replay(existing, digest)
        if response.status_code < 400 and record.id is not None:
            record.status_code = response.status_code
            record.response = response.get_json()
            session.commit()
        return response

    return wrapper
