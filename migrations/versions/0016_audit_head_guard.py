"""audit_head moves only forward, to the event the chaining code has just written (PostgreSQL)

Setting the head back made every later audited write fail (its next seq already taken); deleting it stopped
them all. On PostgreSQL a trigger now refuses INSERT, DELETE and TRUNCATE on `audit_head` and any UPDATE that
does not move `seq` forward; a deferred constraint trigger checks at commit that the move is the chaining
code's: the head names an event that exists with that hash, and the first new event links to the old head.

Revision ID: 0016
Revises: 0015
Create Date: 2026-12-07 09:40:00
"""

from alembic import op

revision = "0016"
down_revision = "0015"
branch_labels = None
depends_on = None


def upgrade() -> None:
    if op.get_bind().dialect.name != "postgresql":
        return
    op.execute(
        """
        CREATE FUNCTION audit_head_forward_only() RETURNS trigger LANGUAGE plpgsql AS $$
        BEGIN
            IF TG_OP = 'UPDATE' AND NEW.id = OLD.id AND NEW.seq > OLD.seq THEN
                RETURN NEW;
            END IF;
            IF TG_OP = 'UPDATE' THEN
                RAISE EXCEPTION 'audit_head moves only forward: seq % to % refused', OLD.seq, NEW.seq
                    USING ERRCODE = 'insufficient_privilege';
            END IF;
            RAISE EXCEPTION 'audit_head moves only forward: % refused', TG_OP
                USING ERRCODE = 'insufficient_privilege';
        END;
        $$
        """
    )
    op.execute(
        """
        CREATE FUNCTION audit_head_follows_the_chain() RETURNS trigger LANGUAGE plpgsql AS $$
        BEGIN
            IF NOT EXISTS (SELECT 1 FROM audit_event WHERE seq = NEW.seq AND hash = NEW.hash) THEN
                RAISE EXCEPTION 'audit_head moves only to an event written with it: no event % with that hash',
                    NEW.seq USING ERRCODE = 'insufficient_privilege';
            END IF;
            IF NOT EXISTS (SELECT 1 FROM audit_event WHERE seq = OLD.seq + 1 AND prev_hash = OLD.hash) THEN
                RAISE EXCEPTION 'audit_head moves only along the chain: event % does not follow the old head',
                    OLD.seq + 1 USING ERRCODE = 'insufficient_privilege';
            END IF;
            RETURN NULL;
        END;
        $$
        """
    )
    op.execute(
        "CREATE TRIGGER audit_head_forward_only BEFORE INSERT OR UPDATE OR DELETE ON audit_head "
        "FOR EACH ROW EXECUTE FUNCTION audit_head_forward_only()"
    )
    op.execute(
        "CREATE TRIGGER audit_head_no_truncate BEFORE TRUNCATE ON audit_head "
        "FOR EACH STATEMENT EXECUTE FUNCTION audit_head_forward_only()"
    )
    op.execute(
        "CREATE CONSTRAINT TRIGGER audit_head_follows_the_chain AFTER UPDATE ON audit_head "
        "DEFERRABLE INITIALLY DEFERRED FOR EACH ROW EXECUTE FUNCTION audit_head_follows_the_chain()"
    )


def downgrade() -> None:
    if op.get_bind().dialect.name != "postgresql":
        return
    op.execute("DROP TRIGGER audit_head_follows_the_chain ON audit_head")
    op.execute("DROP TRIGGER audit_head_no_truncate ON audit_head")
    op.execute("DROP TRIGGER audit_head_forward_only ON audit_head")
    op.execute("DROP FUNCTION audit_head_follows_the_chain()")
    op.execute("DROP FUNCTION audit_head_forward_only()")
