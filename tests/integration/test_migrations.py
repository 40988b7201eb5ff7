"""The migrations build exactly the schema the models describe, on SQLite and PostgreSQL."""

from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from alembic.script import ScriptDirectory

from db.migrate import alembic_config, load_models


def test_models_and_migrations_do_not_drift(engine):
    with engine.connect() as connection:
        context = MigrationContext.configure(connection, opts={"compare_type": True})
        diff = compare_metadata(context, load_models())
    assert diff == [], f"models and migrations differ; run `flask db revision -m ...`: {diff}"


def test_migration_history_is_linear(database_url):
    script = ScriptDirectory.from_config(alembic_config(database_url))
    assert len(script.get_heads()) == 1


def test_database_is_at_head(engine, database_url):
    script = ScriptDirectory.from_config(alembic_config(database_url))
    with engine.connect() as connection:
        assert MigrationContext.configure(connection).get_current_revision() == script.get_current_head()


def _hub_and_resident(connection) -> None:
    """Organisation 1 (a hub) and resident 1, written with SQL that suits the schema of any revision."""
    from sqlalchemy import text

    connection.execute(
        text(
            "INSERT INTO organisation (id, name, kind, area, description, services,"
            " coverage_outcodes, capacity, contact_name, contact_phone, contact_email, public_contact,"
            " sms_opted_out, active, created_at, updated_at) VALUES (1, 'Hub', 'hub', 'sutton', '',"
            " '[]', '[]', 10, '', '', '', '', 0, 1, '2026-01-01', '2026-01-01')"
        )
    )
    connection.execute(
        text(
            "INSERT INTO resident (id, name, phone, postcode, outcode, address, flags, lat, lon,"
            " geo_precision, area, created_at) VALUES (1, 'A', '', 'SM1 1AA', 'SM1', '', '{}',"
            " 51.3, -0.2, 'postcode', 'sutton', '2026-01-01')"
        )
    )


def test_0011_turns_a_handed_over_transfer_into_accepted_work(tmp_path):
    """Before 0011 a transfer handed the referral over at once (status 'transferred', owned by the receiver,
    no offer); after it, 'transferred' means a pending transfer offer, so those rows become accepted work."""
    from sqlalchemy import create_engine, text

    from db.migrate import downgrade, upgrade

    url = f"sqlite:///{tmp_path / 'old.db'}"
    upgrade(url, "0010")
    engine = create_engine(url)
    with engine.begin() as connection:
        _hub_and_resident(connection)
        for referral_id, status in ((1, "transferred"), (2, "in_progress")):
            connection.execute(
                text(
                    "INSERT INTO referral (id, resident_id, channel, notes, given_needs, consent_to_share,"
                    " status, needs, safeguarding, owner_org_id, accepted_org_id, candidates, next_candidate,"
                    " gap, unmet_needs, occurrences, outcome_note, created_by_role, version, created_at,"
                    " updated_at) VALUES (:id, 1, 'phone', '', '[]', 1, :status, '[]', 0, 1, 1, '[]', 0, 0,"
                    " '[]', '[]', '', 'helpline_staff', 1, '2026-01-01', '2026-01-01')"
                ),
                {"id": referral_id, "status": status},
            )
    upgrade(url, "head")
    with engine.connect() as connection:
        statuses = dict(connection.execute(text("SELECT id, status FROM referral ORDER BY id")).all())
    assert statuses == {1: "accepted", 2: "in_progress"}
    downgrade(url, "0010")
    engine.dispose()


def test_downgrading_past_0013_keeps_volunteers_that_offers_and_referrals_refer_to(tmp_path):
    """On SQLite, dropping the DBS columns rebuilds `volunteer`, which offers and referrals refer to: the
    rebuild runs with foreign keys off and checked, so the rows and their references survive."""
    from sqlalchemy import create_engine, text

    from db.migrate import downgrade, upgrade

    url = f"sqlite:///{tmp_path / 'dbs.db'}"
    upgrade(url, "head")
    engine = create_engine(url)
    with engine.begin() as connection:
        connection.exec_driver_sql("PRAGMA foreign_keys = ON")
        _hub_and_resident(connection)
        connection.execute(
            text(
                "INSERT INTO volunteer (id, org_id, name, phone, email, postcode, lat, lon, skills,"
                " availability, travel_radius_km, max_active_tasks, max_tasks_per_week, active,"
                " sms_opted_out, dbs_level, driver, created_at, updated_at) VALUES (7, 1, 'Vera', '', '',"
                " 'SM1 1AA', 51.3, -0.2, '[]', '{}', 5, 3, 5, 1, 0, 'enhanced', 1, '2026-01-01',"
                " '2026-01-01')"
            )
        )
        connection.execute(
            text(
                "INSERT INTO referral (id, resident_id, channel, notes, given_needs, consent_to_share,"
                " status, needs, safeguarding, owner_org_id, accepted_org_id, volunteer_id, candidates,"
                " next_candidate, gap, unmet_needs, occurrences, outcome_note, created_by_role, version,"
                " created_at, updated_at) VALUES (1, 1, 'phone', '', '[]', 1, 'accepted', '[]', 0, 1, 1, 7,"
                " '[]', 0, 0, '[]', '[]', '', 'helpline_staff', 1, '2026-01-01', '2026-01-01')"
            )
        )
    downgrade(url, "0012")
    with engine.connect() as connection:
        assert connection.execute(text("SELECT id, name FROM volunteer")).all() == [(7, "Vera")]
        assert connection.execute(text("SELECT volunteer_id FROM referral")).scalar() == 7
    upgrade(url, "head")
    engine.dispose()


def test_0017_keeps_users_and_starts_their_sessions_at_version_0(tmp_path):
    """0017 drops app_user.failed_logins (a rebuild on SQLite) and adds session_version: users survive both
    ways, and a user locked under the old rule is not locked any more."""
    from sqlalchemy import create_engine, text

    from db.migrate import downgrade, upgrade

    url = f"sqlite:///{tmp_path / 'users.db'}"
    upgrade(url, "0016")
    engine = create_engine(url)
    with engine.begin() as connection:
        connection.execute(
            text(
                "INSERT INTO app_user (id, username, display_name, password_hash, role, active, created_at,"
                " failed_logins) VALUES (3, 'sam', 'Sam', 'x', 'admin', 1, '2026-01-01', 10)"
            )
        )
    upgrade(url, "0017")
    with engine.connect() as connection:
        assert connection.execute(text("SELECT id, username, session_version FROM app_user")).all() == [
            (3, "sam", 0)
        ]
    downgrade(url, "0016")
    with engine.connect() as connection:
        assert connection.execute(text("SELECT username, failed_logins FROM app_user")).all() == [("sam", 0)]
    engine.dispose()


def test_0019_adds_the_outside_channels_and_links_and_downgrades_them_to_web(tmp_path):
    """0019 widens referral.channel to self_referral and mutual_aid_referral, adds referral.public_ref and
    referral_link (a rebuild of referral on SQLite); downgraded, a request from outside reads as web."""
    from sqlalchemy import create_engine, inspect, text

    from db.migrate import downgrade, upgrade

    url = f"sqlite:///{tmp_path / 'outside.db'}"
    upgrade(url, "0019")
    engine = create_engine(url)
    with engine.begin() as connection:
        _hub_and_resident(connection)
        connection.execute(
            text(
                "INSERT INTO referral (id, resident_id, channel, notes, summary, given_needs,"
                " consent_to_share, no_contact_reason, status, needs, safeguarding, candidates,"
                " next_candidate, gap, unmet_needs, occurrences, outcome_codes, outcome_note,"
                " created_by_role, public_ref, version, created_at, updated_at) VALUES (1, 1,"
                " 'self_referral', '', '', '[]', 1, '', 'triaged', '[]', 0, '[]', 0, 0, '[]', '[]', '[]',"
                " '', 'resident', 'ABCDE-FGHJK', 1, '2026-01-01', '2026-01-01')"
            )
        )
        connection.execute(
            text(
                "INSERT INTO referral_link (token_hash, purpose, org_id, phone, referral_id, created_at,"
                " expires_at) VALUES ('h', 'status', 1, '+447700900600', 1, '2026-01-01', '2026-02-01')"
            )
        )
    downgrade(url, "0018")
    with engine.connect() as connection:
        assert connection.execute(text("SELECT id, channel FROM referral")).all() == [(1, "web")]
        assert "referral_link" not in inspect(connection).get_table_names()
    upgrade(url, "head")
    engine.dispose()


def test_0020_adds_an_empty_address_line_and_downgrading_keeps_organisations(tmp_path):
    """0020 adds organisation.base_address (blank for the rows there); going back rebuilds `organisation` on
    SQLite, which volunteers, offers and referrals refer to: the rows and their references survive."""
    from sqlalchemy import create_engine, text

    from db.migrate import downgrade, upgrade

    url = f"sqlite:///{tmp_path / 'address.db'}"
    upgrade(url, "0019")
    engine = create_engine(url)
    with engine.begin() as connection:
        connection.exec_driver_sql("PRAGMA foreign_keys = ON")
        _hub_and_resident(connection)
    upgrade(url, "head")
    with engine.connect() as connection:
        assert connection.execute(text("SELECT id, base_address FROM organisation")).all() == [(1, "")]
    downgrade(url, "0019")
    with engine.connect() as connection:
        assert connection.execute(text("SELECT id FROM organisation")).all() == [(1,)]
    upgrade(url, "head")
    engine.dispose()


def test_0022_keeps_users_lets_a_role_be_empty_and_goes_back(tmp_path):
    """0022 rebuilds app_user on SQLite (role may be empty, the provider's identity is unique) and adds
    recovery_code: users survive both ways; going back drops the people who never had a role."""
    import pytest
    from sqlalchemy import create_engine, text
    from sqlalchemy.exc import IntegrityError

    from db.migrate import downgrade, upgrade

    url = f"sqlite:///{tmp_path / 'sso.db'}"
    upgrade(url, "0021")
    engine = create_engine(url)
    with engine.begin() as connection:
        connection.execute(
            text(
                "INSERT INTO app_user (id, username, display_name, password_hash, role, active, created_at,"
                " session_version) VALUES (3, 'sam', 'Sam', 'x', 'admin', 1, '2026-01-01', 2)"
            )
        )
    upgrade(url, "0022")
    with engine.begin() as connection:
        assert connection.execute(
            text("SELECT id, username, role, session_version, role_from_groups, oidc_subject FROM app_user")
        ).all() == [(3, "sam", "admin", 2, 0, None)]
        connection.execute(
            text(
                "INSERT INTO app_user (id, username, display_name, password_hash, role, active, created_at,"
                " oidc_issuer, oidc_subject) VALUES (4, 'nia@x.example', 'Nia', '', NULL, 1, '2026-01-01',"
                " 'https://idp', 'sub-nia')"
            )
        )
        connection.execute(text("INSERT INTO recovery_code (user_id, code_hash) VALUES (3, 'h')"))
    with pytest.raises(IntegrityError), engine.begin() as connection:
        connection.execute(
            text(
                "INSERT INTO app_user (id, username, display_name, password_hash, active, created_at,"
                " oidc_issuer, oidc_subject) VALUES (5, 'again', 'Again', '', 1, '2026-01-01', 'https://idp',"
                " 'sub-nia')"
            )
        )
    downgrade(url, "0021")
    with engine.connect() as connection:
        assert connection.execute(text("SELECT id, username, role FROM app_user")).all() == [
            (3, "sam", "admin")
        ]
    upgrade(url, "head")
    engine.dispose()


def test_0023_allows_escalated_follow_ups_and_phone_tasks_and_downgrading_reopens_them(tmp_path):
    """0023 lets follow_up.status and phone_task.status be 'escalated'; going back makes such a task open
    again (the escalation stays in the audit trail) and refuses 'escalated' once more."""
    import pytest
    from sqlalchemy import create_engine, exc, text

    from db.migrate import downgrade, upgrade

    url = f"sqlite:///{tmp_path / 'escalated.db'}"
    upgrade(url, "head")
    engine = create_engine(url)
    insert = text(
        "INSERT INTO phone_task (id, phone, reason, status, created_at)"
        " VALUES (1, '+447700900001', 'ring them', 'escalated', '2026-01-01')"
    )
    with engine.begin() as connection:
        connection.execute(insert)
    downgrade(url, "0022")
    with engine.connect() as connection:
        assert connection.execute(text("SELECT status FROM phone_task")).all() == [("open",)]
    with pytest.raises(exc.IntegrityError), engine.begin() as connection:
        connection.execute(text("UPDATE phone_task SET status = 'escalated'"))
    upgrade(url, "head")
    with engine.begin() as connection:
        connection.execute(text("UPDATE phone_task SET status = 'escalated'"))
    engine.dispose()


def test_0024_swaps_the_audit_kind_index_for_kind_referral_created_and_back(tmp_path):
    from sqlalchemy import create_engine, inspect

    from db.migrate import downgrade, upgrade

    url = f"sqlite:///{tmp_path / 'audit_index.db'}"
    engine = create_engine(url)

    def audit_indexes() -> set[str]:
        return {index["name"] for index in inspect(engine).get_indexes("audit_event")}

    upgrade(url, "0024")
    assert "ix_audit_event_kind_referral_id_created_at" in audit_indexes()
    assert "ix_audit_event_kind" not in audit_indexes()
    downgrade(url, "0023")
    engine.dispose()
    assert "ix_audit_event_kind" in audit_indexes()
    assert "ix_audit_event_kind_referral_id_created_at" not in audit_indexes()
    engine.dispose()
