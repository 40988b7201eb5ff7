"""Twilio's webhooks: inbound texts from mutual-aid leads and delivery status callbacks (signed, no token)."""

from flask import Blueprint

blp = Blueprint("sms", __name__, url_prefix="/sms")
