"""The directory over HTTP: organisations and volunteers (admins manage; others read what they need)."""

from api.blueprints import api_blueprint

blp = api_blueprint("directory", __name__, url_prefix="/api/v1", description="Organisations and volunteers")
