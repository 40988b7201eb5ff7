"""Months of past offers, as a service in use has: without them every table starts empty and queries that
read all history (rather than the recent rows they need) look as cheap as the ones that don't."""

import psycopg

HISTORY_DAYS = 180
OFFER_HISTORY = """
WITH caller AS (
    INSERT INTO resident (name, phone, postcode, outcode, address, flags, lat, lon, geo_precision, created_at)
    VALUES ('Past caller', '', 'SM1 1AA', 'SM1', '', '{}', 51.36, -0.19, 'outcode',
            now() - interval '200 days')
    RETURNING id
), past AS (
    INSERT INTO referral (resident_id, channel, notes, given_needs, consent_to_share, status, needs,
                          safeguarding, created_by_role, version, created_at, updated_at)
    SELECT id, 'phone', '', '[]', true, 'closed', '[]', false, 'helpline_staff', 1,
           now() - interval '200 days', now() - interval '200 days'
    FROM caller
    RETURNING id
), helpers AS (
    SELECT id, org_id, row_number() OVER (ORDER BY id) AS n FROM volunteer WHERE org_id IS NOT NULL
)
INSERT INTO offer (referral_id, org_id, volunteer_id, status, tier, expires_at, responded_at, reason,
                   created_at)
SELECT past.id, helpers.org_id, helpers.id,
       (ARRAY['accepted', 'declined', 'expired', 'withdrawn'])[1 + g %% 4], 'mutual_aid',
       moment + interval '2 days', moment + interval '3 hours', '', moment
FROM past,
     generate_series(1, %(offers)s) AS g,
     LATERAL (SELECT now() - (8 + g %% %(days)s) * interval '1 day' AS moment) AS at,
     helpers
WHERE helpers.n = 1 + (g::bigint * 7919) %% (SELECT count(*) FROM helpers)
"""


def add_offer_history(conninfo: str, offers: int) -> None:
    """`offers` answered offers to volunteers, spread over the 180 days before last week, all closed."""
    if offers <= 0:
        return
    with psycopg.connect(conninfo) as connection:
        connection.execute(OFFER_HISTORY, {"offers": offers, "days": HISTORY_DAYS - 8})
        connection.execute("ANALYZE offer")
