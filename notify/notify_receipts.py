"""GOV.UK Notify's delivery statuses in the words the outbox already records (Twilio's), kept apart from the
Notify client so that the callbacks do not load it (nor `requests` and `jwt`) when the app starts."""

# Notify's delivery-receipt statuses in the outbox's words (`notify.outbox.record_status` reads Twilio's):
# a temporary failure is Notify giving up after 72 hours of a phone off or out of signal.
DELIVERY_STATUSES = {
    "created": "queued",
    "sending": "sending",
    "pending": "sending",
    "sent": "sent",
    "delivered": "delivered",
    "temporary-failure": "undelivered",
    "permanent-failure": "failed",
    "technical-failure": "failed",
}
