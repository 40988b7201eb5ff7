"""The `flask --app wsgi ...` commands a deployment and a newcomer use."""

from datetime import timedelta

import pytest
from sqlalchemy import func, select

from accounts.models import ApiToken
from accounts.tokens import TokenError, authenticate, create_token, revoke_token
from db.base import utcnow
from directory.models import Organisation, Volunteer


def test_tokens_create_prints_the_token_last(app, session):
    result = app.test_cli_runner().invoke(
        args=["tokens", "create", "--role", "helpline_staff", "--name", "Desk 1"]
    )

    assert result.exit_code == 0, result.output
    plaintext = result.output.strip().splitlines()[-1]
    principal = authenticate(session, plaintext)
    assert principal is not None
    assert principal.role == "helpline_staff"
    stored = session.scalars(select(ApiToken)).one()
    assert plaintext not in stored.token_hash


def test_a_coordinator_token_needs_an_organisation(app):
    result = app.test_cli_runner().invoke(
        args=["tokens", "create", "--role", "hub_coordinator", "--name", "x"]
    )
    assert result.exit_code != 0
    assert "organisation" in result.output


def test_revoked_tokens_stop_working(app, session, client):
    runner = app.test_cli_runner()
    plaintext = runner.invoke(
        args=["tokens", "create", "--role", "admin", "--name", "a"]
    ).output.splitlines()[-1]
    token_id = session.scalars(select(ApiToken.id)).one()
    session.rollback()

    assert runner.invoke(args=["tokens", "revoke", str(token_id)]).exit_code == 0
    response = client.get("/api/v1/referrals/1", headers={"Authorization": f"Bearer {plaintext}"})
    assert response.status_code == 401


def test_demo_load_is_idempotent_and_prints_tokens(app, session):
    runner = app.test_cli_runner()
    first = runner.invoke(args=["demo", "load", "--tokens"])
    assert first.exit_code == 0, first.output
    counts = (
        session.scalar(select(func.count()).select_from(Organisation)),
        session.scalar(select(func.count()).select_from(Volunteer)),
    )
    session.rollback()
    second = runner.invoke(args=["demo", "load", "--tokens"])
    assert second.exit_code == 0, second.output
    session.rollback()
    assert counts == (
        session.scalar(select(func.count()).select_from(Organisation)),
        session.scalar(select(func.count()).select_from(Volunteer)),
    )
    assert counts[1] >= 300
    printed = [
        line.split()[-1] for line in second.output.splitlines() if line.strip().split()[-1].startswith("ori_")
    ]
    roles = {authenticate(session, token).role for token in printed}
    assert roles == {"helpline_staff", "hub_coordinator", "safety_net_officer", "partner_referrer", "admin"}
    first_tokens = [
        line.split()[-1] for line in first.output.splitlines() if line.split()[-1].startswith("ori_")
    ]
    assert all(authenticate(session, token) is None for token in first_tokens)


def test_geo_import_makes_full_postcodes_precise(app, client, session, session_factory):
    from geo import Postcode
    from tests.builders import auth, call, token_for

    result = app.test_cli_runner().invoke(args=["geo", "import", "tests/data/geo/codepo_slice.zip"])
    assert result.exit_code == 0, result.output
    assert "imported" in result.output
    known = session.scalars(select(Postcode).where(Postcode.outcode == "SM1")).first()
    assert known is not None

    helpline = auth(token_for(session_factory, "helpline_staff"))
    body = client.post(
        "/api/v1/referrals", json=call(resident={"postcode": known.postcode}), headers=helpline
    )
    location = body.get_json()["resident"]["location"]
    assert location["precision"] == "postcode"
    assert (location["lat"], location["lon"]) == (known.latitude, known.longitude)


def test_directory_hsds_round_trip_from_the_command_line(app, tmp_path):
    runner = app.test_cli_runner()
    imported = runner.invoke(args=["directory", "import-hsds", "tests/data/hsds/openreferral-3.0"])
    assert imported.exit_code == 0, imported.output
    assert "latitude: 100 is not a latitude" in imported.output, imported.output
    exported = runner.invoke(args=["directory", "export-hsds", str(tmp_path / "out")])
    assert exported.exit_code == 0, exported.output
    assert (tmp_path / "out" / "datapackage.json").exists()
    again = runner.invoke(args=["directory", "import-hsds", str(tmp_path / "out")])
    assert again.exit_code == 0, again.output
    assert "updated 0" in again.output, "re-import of our own export changes nothing it imported"


def test_directory_csv_import_reports_bad_rows(app, tmp_path):
    path = tmp_path / "volunteers.csv"
    path.write_text(
        "external_id,name,phone,postcode,skills,travel_radius_km\n"
        "v1,Ada Example,07700900901,SM1 1AA,shopping;befriending,3\n"
        "v2,Bad Postcode,07700900902,NOT A CODE,shopping,3\n"
    )
    result = app.test_cli_runner().invoke(args=["directory", "import-volunteers", str(path)])
    assert result.exit_code == 1
    assert "row 3" in result.output


def test_residents_reindex_rewrites_the_duplicate_check_keys(app, client, helpline, session):
    from sqlalchemy import delete, select

    from referrals.models import ResidentKey
    from tests.api.http import log

    first = log(client, helpline)
    resident_id = first["resident"]["id"]
    session.execute(delete(ResidentKey).where(ResidentKey.resident_id == resident_id))
    session.commit()

    result = app.test_cli_runner().invoke(args=["residents", "reindex"])

    assert result.exit_code == 0, result.output
    assert "reindexed 1 resident(s)" in result.output
    keys = session.scalars(select(ResidentKey.key).where(ResidentKey.resident_id == resident_id)).all()
    assert any(key.startswith("phone:") for key in keys)


def test_a_token_that_expires_in_zero_days_is_refused(app, session):
    runner = app.test_cli_runner()
    for days in ("0", "-3"):
        result = runner.invoke(
            args=["tokens", "create", "--role", "admin", "--name", "a", "--expires-days", days]
        )
        assert result.exit_code == 2, result.output
        assert "--expires-days" in result.output
        assert ">=1" in result.output or "at least 1" in result.output
    assert session.scalars(select(ApiToken)).all() == []


def test_a_token_with_expires_days_expires_and_one_without_never_does(app, session):
    runner = app.test_cli_runner()
    runner.invoke(args=["tokens", "create", "--role", "admin", "--name", "a", "--expires-days", "1"])
    runner.invoke(args=["tokens", "create", "--role", "admin", "--name", "b"])
    dated, undated = session.scalars(select(ApiToken).order_by(ApiToken.id)).all()
    assert dated.expires_at is not None
    assert dated.expires_at > dated.created_at
    assert undated.expires_at is None


def test_a_token_cannot_be_made_already_expired(session_factory):
    with session_factory() as session, pytest.raises(TokenError, match="expire in the future"):
        create_token(session, role="admin", name="x", expires_in=timedelta(0))


def test_tokens_list_shows_expired_and_revoked_tokens_as_they_are(app, session_factory):
    now = utcnow()
    with session_factory() as session:
        create_token(session, role="admin", name="live", expires_in=timedelta(days=5))
        create_token(session, role="admin", name="forever")
        old, _ = create_token(session, role="admin", name="old", expires_in=timedelta(days=1))
        old.expires_at = now - timedelta(hours=1)
        gone, _ = create_token(session, role="admin", name="gone")
        revoke_token(session, gone.id)
        session.commit()

    result = app.test_cli_runner().invoke(args=["tokens", "list"])

    assert result.exit_code == 0, result.output
    rows = {line.split("\t")[-1]: line.split("\t") for line in result.output.splitlines()}
    assert rows["live"][3] == "active"
    assert rows["forever"][3:5] == ["active", "never"]
    assert rows["old"][3] == "expired"
    assert rows["gone"][3] == "revoked"
