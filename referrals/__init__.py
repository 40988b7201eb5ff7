"""The referral lifecycle: residents, referrals, offers and the audit trail."""
