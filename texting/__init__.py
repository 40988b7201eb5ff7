"""The SMS conversation with volunteers and mutual-aid leads, above `referrals`: their replies (YES, NO,
DONE, HELP, STOP, START), the outbox's events for referrals and what is done when a text cannot be
delivered, phone tasks for helpline staff, and opting a phone out of texts. The texts the lifecycle writes
with an offer are `referrals.offer_texts`; nothing in `referrals` imports this package."""
