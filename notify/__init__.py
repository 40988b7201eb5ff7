"""Notifications: the SMS outbox, Twilio client and status callbacks, and a fake Twilio for development."""
