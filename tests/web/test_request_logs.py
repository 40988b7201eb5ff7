"""A page request's log line names the signed-in user by id and role, never by name."""

import json
import re

from tests.api.test_logs import lines, request_lines  # noqa: F401  (the fixture)
from tests.web.conftest import sign_in


def test_a_signed_in_user_is_logged_by_id_and_role(client, people, session_factory, lines):  # noqa: F811
    from sqlalchemy import select

    from accounts.models import User

    assert sign_in(client, people["officer"]).status_code == 302
    page = client.get("/", follow_redirects=True)
    assert page.status_code == 200
    with session_factory() as session:
        user_id = session.scalar(select(User.id).where(User.username == people["officer"].username))
    last = request_lines(lines())[-1]
    assert (last["user"], last["role"]) == (f"user:{user_id}", "safety_net_officer")
    assert last["status"] == 200
    written = json.dumps(lines())
    assert people["officer"].username not in written
    assert "Officer Person" not in written
    assert not re.search(r"correct horse", written)
