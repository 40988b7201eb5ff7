"""needs_fact and needs_dirty: the needs report's facts, one narrow row per referral and need, kept in step by
triggers (PostgreSQL)

The needs report over a year of a large county (1,000,000 referrals, 10,000,000 audit events) joined every
referral to its resident, postcode, offers and acceptance events and sorted them all twice: 22 s of one
statement. `reports/facts.py` keeps those joins done, and `reports/needs_sql.py` reads them. On PostgreSQL
the triggers below note which residents' facts a write touched (`needs_dirty`, append-only: a writer never
waits for a refresh) and the facts are built here once; SQLite's report folds referrals in Python and keeps
the tables empty.

Revision ID: 0026
Revises: 0025
Create Date: 2026-12-07 17:40:00
"""

import sqlalchemy as sa
from alembic import op

revision = "0026"
down_revision = "0025"
branch_labels = None
depends_on = None

BYTES = sa.Text().with_variant(sa.Text(collation="C"), "postgresql")
MOMENT = sa.DateTime(timezone=True)

# The referral columns the facts are made of: an update that changes none of them notes nothing.
REFERRAL_COLUMNS = (
    "resident_id",
    "status",
    "needs",
    "unmet_needs",
    "gap",
    "urgency",
    "area",
    "linked_referral_id",
    "created_at",
)
CHANGED = " OR ".join(
    f"CAST(OLD.{column} AS text) IS DISTINCT FROM CAST(NEW.{column} AS text)" for column in REFERRAL_COLUMNS
)

TRIGGERS = f"""
CREATE FUNCTION needs_note_referral() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF TG_OP <> 'INSERT' THEN
        INSERT INTO needs_dirty (resident_id) VALUES (OLD.resident_id);
    END IF;
    IF TG_OP = 'INSERT' OR (TG_OP = 'UPDATE' AND NEW.resident_id IS DISTINCT FROM OLD.resident_id) THEN
        INSERT INTO needs_dirty (resident_id) VALUES (NEW.resident_id);
    END IF;
    RETURN NULL;
END $$;
CREATE TRIGGER needs_note_referral_written AFTER INSERT OR DELETE ON referral
    FOR EACH ROW EXECUTE FUNCTION needs_note_referral();
CREATE TRIGGER needs_note_referral_changed AFTER UPDATE ON referral
    FOR EACH ROW WHEN ({CHANGED}) EXECUTE FUNCTION needs_note_referral();

CREATE FUNCTION needs_note_resident() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    INSERT INTO needs_dirty (resident_id) VALUES (OLD.id);
    RETURN NULL;
END $$;
CREATE TRIGGER needs_note_resident_changed AFTER UPDATE ON resident FOR EACH ROW
    WHEN (OLD.same_as_id IS DISTINCT FROM NEW.same_as_id OR OLD.outcode IS DISTINCT FROM NEW.outcode
          OR OLD.postcode IS DISTINCT FROM NEW.postcode)
    EXECUTE FUNCTION needs_note_resident();
CREATE TRIGGER needs_note_resident_deleted AFTER DELETE ON resident
    FOR EACH ROW EXECUTE FUNCTION needs_note_resident();

-- an acceptance: an accepted offer (written, or deleted), or a "referral.accepted" event
CREATE FUNCTION needs_note_acceptance() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE
    about bigint := CASE WHEN TG_OP = 'DELETE' THEN OLD.referral_id ELSE NEW.referral_id END;
BEGIN
    INSERT INTO needs_dirty (resident_id) SELECT resident_id FROM referral WHERE id = about;
    RETURN NULL;
END $$;
CREATE TRIGGER needs_note_offer_accepted AFTER INSERT OR UPDATE ON offer FOR EACH ROW
    WHEN (NEW.status = 'accepted') EXECUTE FUNCTION needs_note_acceptance();
CREATE TRIGGER needs_note_offer_deleted AFTER DELETE ON offer FOR EACH ROW
    WHEN (OLD.status = 'accepted') EXECUTE FUNCTION needs_note_acceptance();
CREATE TRIGGER needs_note_acceptance_event AFTER INSERT ON audit_event FOR EACH ROW
    WHEN (NEW.kind = 'referral.accepted' AND NEW.referral_id IS NOT NULL)
    EXECUTE FUNCTION needs_note_acceptance();

-- wards come from the postcode table: any change to it, every fact again
CREATE FUNCTION needs_note_everything() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    INSERT INTO needs_dirty (resident_id) VALUES (NULL);
    RETURN NULL;
END $$;
CREATE TRIGGER needs_note_postcodes AFTER INSERT OR UPDATE OR DELETE OR TRUNCATE ON postcode
    FOR EACH STATEMENT EXECUTE FUNCTION needs_note_everything();
"""  # noqa: S608 (fixed column names; no value is put in)

DROP_TRIGGERS = """
DROP TRIGGER IF EXISTS needs_note_postcodes ON postcode;
DROP TRIGGER IF EXISTS needs_note_acceptance_event ON audit_event;
DROP TRIGGER IF EXISTS needs_note_offer_deleted ON offer;
DROP TRIGGER IF EXISTS needs_note_offer_accepted ON offer;
DROP TRIGGER IF EXISTS needs_note_resident_deleted ON resident;
DROP TRIGGER IF EXISTS needs_note_resident_changed ON resident;
DROP TRIGGER IF EXISTS needs_note_referral_changed ON referral;
DROP TRIGGER IF EXISTS needs_note_referral_written ON referral;
DROP FUNCTION IF EXISTS needs_note_everything();
DROP FUNCTION IF EXISTS needs_note_acceptance();
DROP FUNCTION IF EXISTS needs_note_resident();
DROP FUNCTION IF EXISTS needs_note_referral();
"""


def upgrade() -> None:
    op.create_table(
        "needs_fact",
        sa.Column("id", sa.BigInteger(), sa.Identity(), nullable=False),
        sa.Column("referral_id", sa.BigInteger(), nullable=False),
        sa.Column("need", BYTES, nullable=False),
        sa.Column("person_id", sa.BigInteger(), nullable=False),
        sa.Column("resident_id", sa.BigInteger(), nullable=False),
        sa.Column("area", BYTES, nullable=True),
        sa.Column("outcode", BYTES, nullable=False),
        sa.Column("ward", BYTES, nullable=True),
        sa.Column("ward_name", sa.Text(), nullable=True),
        sa.Column("created_at", MOMENT, nullable=False),
        sa.Column("status", BYTES, nullable=False),
        sa.Column("urgency", BYTES, nullable=True),
        sa.Column("gap", sa.Boolean(), nullable=False),
        sa.Column("unmet_need", sa.Boolean(), nullable=False),
        sa.Column("any_unmet", sa.Boolean(), nullable=False),
        sa.Column("first_need", sa.Boolean(), nullable=False),
        sa.Column("event_accepted_at", MOMENT, nullable=True),
        sa.Column("offer_accepted_at", MOMENT, nullable=True),
        sa.Column("need_prev_at", MOMENT, nullable=True),
        sa.Column("need_next_at", MOMENT, nullable=True),
        sa.Column("person_prev_at", MOMENT, nullable=True),
        sa.Column("person_next_at", MOMENT, nullable=True),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_needs_fact")),
    )
    op.create_index(op.f("ix_needs_fact_referral_id"), "needs_fact", ["referral_id"])
    op.create_index(op.f("ix_needs_fact_person_id"), "needs_fact", ["person_id"])
    op.create_index(op.f("ix_needs_fact_resident_id"), "needs_fact", ["resident_id"])
    op.create_table(
        "needs_dirty",
        sa.Column("id", sa.BigInteger(), sa.Identity(), nullable=False),
        sa.Column("resident_id", sa.BigInteger(), nullable=True),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_needs_dirty")),
    )
    bind = op.get_bind()
    if bind.dialect.name != "postgresql":
        return
    op.execute(TRIGGERS)
    from reports.facts import rebuild  # the facts of the referrals already there

    rebuild(bind)


def downgrade() -> None:
    if op.get_bind().dialect.name == "postgresql":
        op.execute(DROP_TRIGGERS)
    op.drop_table("needs_dirty")
    op.drop_index(op.f("ix_needs_fact_resident_id"), table_name="needs_fact")
    op.drop_index(op.f("ix_needs_fact_person_id"), table_name="needs_fact")
    op.drop_index(op.f("ix_needs_fact_referral_id"), table_name="needs_fact")
    op.drop_table("needs_fact")
