"""`directory import-oruk`: another directory's Open Referral UK feed read page by page from a local HTTP
server (the official HSDS 3.0 examples, and our own /oruk feed), imported all or nothing, idempotently."""

import json
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest
from sqlalchemy import delete, func, select

from directory.csv_import import import_organisations_csv
from directory.hsds import join_name
from directory.hsds_import import import_hsds
from directory.models import Organisation
from directory.oruk_import import FeedError, HttpFetch, import_oruk
from referrals.models import AuditEvent
from tests.integration.directory.helpers import HSDS_DATA, UK_FICTIONAL, messages, write_csv

EXAMPLES = HSDS_DATA / "openreferral-3.0-json"
SAMPLE_ID = "ac148810-d857-441c-9679-408f346de14b"


class Feed(ThreadingHTTPServer):
    """Answers GET path?query with the JSON (or bytes) stored for it, 404 for anything else."""

    daemon_threads = True

    def __init__(self):
        super().__init__(("127.0.0.1", 0), _Handler)
        self.documents: dict[str, object] = {}
        self.asked: list[str] = []

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.server_address[1]}/oruk"


class _Handler(BaseHTTPRequestHandler):
    def do_GET(self):
        self.server.asked.append(self.path)
        document = self.server.documents.get(self.path)
        if document is None:
            self.send_error(404)
            return
        body = document if isinstance(document, bytes) else json.dumps(document).encode()
        self.send_response(200)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, *args):
        return


@pytest.fixture
def feed():
    server = Feed()
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield server
    server.shutdown()
    server.server_close()


def sample_page(**counts) -> dict:
    return json.loads((EXAMPLES / "service_list.json").read_text()) | counts


def run(session_factory, feed, geocoder, areas, **options):
    with session_factory() as session:
        return import_oruk(session, feed.url, geocoder=geocoder, areas=areas, **options)


def organisations(session_factory) -> int:
    with session_factory() as session:
        return session.scalar(select(func.count()).select_from(Organisation))


def test_the_official_example_is_read_in_full_and_imported_for_review(session_factory, feed, geocoder, areas):
    feed.documents["/oruk/services?page=1&per_page=100"] = sample_page(total_pages=1, last_page=True)
    feed.documents[f"/oruk/services/{SAMPLE_ID}"] = json.loads((EXAMPLES / "service_full.json").read_text())

    report = run(session_factory, feed, geocoder, areas)

    assert (report.created, report.skipped) == (1, 0), report.summary()
    assert feed.asked == ["/oruk/services?page=1&per_page=100", f"/oruk/services/{SAMPLE_ID}"]
    with session_factory() as session:
        (org,) = session.scalars(select(Organisation)).all()
    assert org.external_id == f"hsds:{SAMPLE_ID}"
    assert org.name == "Example Organization Inc. — Community Counselling"
    assert not org.active, "its only location is at latitude 100 with a US address: imported for review"
    assert any("100 is not a latitude" in message for message in messages(report))


def test_a_page_that_cannot_be_read_stops_the_import_and_nothing_is_written(
    session_factory, feed, geocoder, areas
):
    # The example page says it is the first of 10; the feed has no second page.
    feed.documents["/oruk/services?page=1&per_page=100"] = sample_page()
    feed.documents[f"/oruk/services/{SAMPLE_ID}"] = json.loads((EXAMPLES / "service_full.json").read_text())

    with pytest.raises(FeedError, match=r"services\?page=2&per_page=100 answered 404"):
        run(session_factory, feed, geocoder, areas)
    assert organisations(session_factory) == 0

    feed.documents["/oruk/services?page=2&per_page=100"] = b"<html>not json</html>"
    with pytest.raises(FeedError, match="did not answer JSON"):
        run(session_factory, feed, geocoder, areas)
    feed.documents["/oruk/services?page=2&per_page=100"] = {"items": []}
    with pytest.raises(FeedError, match="not a page of services"):
        run(session_factory, feed, geocoder, areas)
    with pytest.raises(FeedError, match="more than 1 pages"):
        run(session_factory, feed, geocoder, areas, max_pages=1)
    assert organisations(session_factory) == 0


def test_a_server_that_does_not_answer_in_time_is_a_feed_error(feed):
    feed.RequestHandlerClass = type("Slow", (_Handler,), {"do_GET": lambda self: threading.Event().wait(2)})
    with pytest.raises(FeedError, match="could not be read"):
        HttpFetch(timeout=0.2)(feed.url + "/services?page=1&per_page=1")


def test_our_own_feed_round_trips_page_by_page_and_again_changes_nothing(
    app, client, session_factory, feed, geocoder, areas, tmp_path
):
    with session_factory() as session:
        import_hsds(session, UK_FICTIONAL, geocoder=geocoder, areas=areas)
    hub = {
        "external_id": "csv:hub",
        "name": "Sutton Central Hub",
        "kind": "hub",
        "area": "sutton",
        "services": "shopping;prescriptions",
        "base_postcode": "SM1 1EA",
        "base_address": "Civic Offices, St Nicholas Way",
        "opening_hours": "mon-fri 09:00-17:00",
        "contact_name": "Jo Referrals",
        "public_contact": "020 7946 0100 · hub@example.org",
    }
    with session_factory() as session:
        import_organisations_csv(
            session, write_csv(tmp_path / "o.csv", [hub]), geocoder=geocoder, areas=areas
        )
    published = client.get("/oruk/services?per_page=500").get_json()["contents"]
    for number in range(1, 5):
        page = client.get(f"/oruk/services?page={number}&per_page=3").get_json()
        feed.documents[f"/oruk/services?page={number}&per_page=3"] = page
    for item in published:
        feed.documents[f"/oruk/services/{item['id']}"] = client.get(f"/oruk/services/{item['id']}").get_json()
    with session_factory() as writer:
        writer.execute(delete(Organisation))
        writer.commit()

    first = run(session_factory, feed, geocoder, areas, per_page=3)

    assert first.created == len(published), first.summary()
    with session_factory() as session:
        imported = {org.name: org for org in session.scalars(select(Organisation))}
    assert set(imported) == {join_name(item["organization"]["name"], item["name"]) for item in published}
    copy = imported["Sutton Central Hub"]
    assert (copy.base_postcode, copy.base_address, copy.area, copy.kind) == (
        "SM1 1EA",
        "Civic Offices, St Nicholas Way",
        "sutton",
        "hub",
    )
    assert copy.services == ["shopping", "prescriptions"]
    assert copy.opening_hours == {day: [["09:00", "17:00"]] for day in ("mon", "tue", "wed", "thu", "fri")}
    assert copy.contact_name == "", "the public feed has no referral contact to copy"

    again = run(session_factory, feed, geocoder, areas, per_page=3)
    assert (again.created, again.updated, again.unchanged) == (0, 0, len(published))


def test_the_command_imports_and_audits_or_says_why_nothing_was_imported(app, session_factory, feed):
    feed.documents["/oruk/services?page=1&per_page=100"] = sample_page(total_pages=1, last_page=True)
    feed.documents[f"/oruk/services/{SAMPLE_ID}"] = json.loads((EXAMPLES / "service_full.json").read_text())
    runner = app.test_cli_runner()

    result = runner.invoke(args=["directory", "import-oruk", feed.url])

    assert result.exit_code == 0, result.output
    assert "created 1" in result.output
    with session_factory() as session:
        (event,) = session.scalars(
            select(AuditEvent).where(AuditEvent.kind == "directory.feed_imported")
        ).all()
    assert event.payload["source"] == feed.url
    assert event.payload["created"] == 1

    failed = runner.invoke(args=["directory", "import-oruk", feed.url + "/nowhere"])
    assert failed.exit_code == 1
    assert "nothing imported" in failed.output
    assert "answered 404" in failed.output
