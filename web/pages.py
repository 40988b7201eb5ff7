"""The `web` blueprint with every page attached: importing the page modules attaches their routes.
Imported only when the app installs its HTTP side (`api._register_http`), so a `flask` command that serves
nothing never loads the pages, their forms or what they import."""

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
