"""Needs against provision: reports over referrals and the directory (filled in by the reports work)."""

from api.blueprints import api_blueprint

blp = api_blueprint("reports", __name__, url_prefix="/api/v1/reports", description="Needs against provision")
