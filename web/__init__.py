"""Server-rendered pages for helpline staff, hub coordinators, safety-net officers and admins."""

from flask import Blueprint

blp = Blueprint(
    "web", __name__, template_folder="templates", static_folder="static", static_url_path="/static/web"
)
