class MatchingConfigError(LookupError):
    """The directory or area configuration cannot route a referral (a setup problem, not a data gap)."""


class NoSafetyNetError(MatchingConfigError):
    """An area has no council safety-net team, so a referral there would have no owner of last resort."""
