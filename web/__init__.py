"""Server-rendered pages for helpline staff, hub coordinators, safety-net officers and admins.

Core flows work without JavaScript; the scripts in static/ only add live checks and progress. People sign in
with a username and password (a session cookie); every form carries a CSRF token.
"""

from web import (  # noqa: F401 (importing attaches the routes)
    admin,
    auth,
    calls,
    errors,
    oversight,
    people,
    referrals,
    repeat_callers,
)
from web.blueprint import blp

__all__ = ["blp"]
