"""Server-rendered pages for helpline staff, hub coordinators, safety-net officers and admins.

Core flows work without JavaScript; the scripts in static/ only add live checks and progress. People sign in
with a username and password (and a second factor), or through the council's OpenID Connect provider (a
session cookie either way); every form carries a CSRF token.
"""

from web import (  # noqa: F401 (importing attaches the routes)
    admin,
    audit,
    auth,
    calls,
    directory_pages,
    emails,
    errors,
    follow_ups,
    oversight,
    people,
    phone_tasks,
    referrals,
    repeat_callers,
    reports,
    requests,
    second_factor_pages,
    sso_pages,
)
from web.blueprint import blp

__all__ = ["blp"]
