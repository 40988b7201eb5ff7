"""Server-rendered pages for helpline staff, hub coordinators, safety-net officers and admins.

Core flows work without JavaScript; the scripts in static/ only add live checks and progress. People sign in
with a username and password (and a second factor), or through the council's OpenID Connect provider (a
session cookie either way); every form carries a CSRF token.

The blueprint with all its pages is `web.pages.blp`; importing this package (or `web.cli`, `web.blueprint`)
loads none of them.
"""
