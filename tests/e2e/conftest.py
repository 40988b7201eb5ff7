"""The web pages in a real browser: the app served over HTTP on an ephemeral port (werkzeug in a thread) on
the test database, headless Chromium driven by Playwright, axe-core checking every page, screenshots of every
page at desktop width and at 320 px.

Without Chromium (/usr/bin/chromium), Playwright or axe-core (node_modules), the browser tests are skipped
with the reason, or fail when CI=true: `.ci/install-browser` installs what they need.
"""

import importlib.util
import json
import os
import re
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path

import pytest
from argon2 import PasswordHasher
from flask import Flask
from werkzeug.serving import make_server

import accounts.passwords
from accounts.passwords import create_user
from notify.fake_twilio import FakeTwilio
from tests.builders import small_directory

ROOT = Path(__file__).resolve().parents[2]
CHROMIUM = Path(os.environ.get("CHROMIUM_PATH", "/usr/bin/chromium"))
AXE = ROOT / "node_modules" / "axe-core" / "axe.min.js"
SCREENSHOTS = ROOT / "test-artifacts" / "screenshots"
AXE_RESULTS = ROOT / "test-artifacts" / "axe"
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
DESKTOP = {"width": 1280, "height": 800}
NARROW = {"width": 320, "height": 640}
BLOCKING_IMPACTS = {"serious", "critical"}
WEB_PASSWORD = "a browser test password"
AXE_TAGS = ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa", "wcag22aa", "best-practice"]


def _missing() -> list[str]:
    missing = []
    if importlib.util.find_spec("playwright") is None:
        missing.append("the playwright package (pip install -r requirements.txt)")
    if not CHROMIUM.exists():
        missing.append(f"Chromium at {CHROMIUM} (.ci/install-browser)")
    if not AXE.exists():
        missing.append(f"axe-core at {AXE.relative_to(ROOT)} (npm ci)")
    return missing


@pytest.fixture(scope="session")
def web_browser():
    missing = _missing()
    if missing:
        reason = "browser tests need " + ", ".join(missing)
        if os.environ.get("CI") == "true":
            pytest.fail(reason + " (CI=true: not skipping)")
        pytest.skip(reason)
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
        yield browser
        browser.close()


SMS_ACCOUNT_SID = "AC" + "e2" * 16
SMS_AUTH_TOKEN = "e2e-auth-token"
OUR_NUMBER = "+447700900000"


@dataclass(frozen=True)
class LiveApp:
    """The app serving HTTP on a real port, sending texts through the fake Twilio."""

    app: Flask
    url: str
    directory: dict[str, int] = field(default_factory=dict)

    def cli(self, *args: str) -> str:
        result = self.app.test_cli_runner().invoke(args=list(args))
        assert result.exit_code == 0, result.output
        return result.output


@pytest.fixture
def fake() -> Iterator[FakeTwilio]:
    with FakeTwilio(
        account_sid=SMS_ACCOUNT_SID, auth_token=SMS_AUTH_TOKEN, callback_delay=0.02, echo=False
    ) as server:
        yield server


@contextmanager
def live_sms_app(
    database_url: str, fake: FakeTwilio, directory: dict[str, int] | None = None, **config
) -> Iterator[LiveApp]:
    """Serve the app (werkzeug in a thread) with the real twilio client pointed at `fake`, which signs its
    status callbacks and inbound texts for the app's public URL."""
    from api import create_app

    holder: dict[str, Flask] = {}
    server = make_server("127.0.0.1", 0, lambda environ, start: holder["app"](environ, start), threaded=True)
    url = f"http://127.0.0.1:{server.server_port}"
    holder["app"] = create_app(
        {
            "DATABASE_URL": database_url,
            "TESTING": True,
            "PUBLIC_BASE_URL": url,
            "TWILIO_ACCOUNT_SID": SMS_ACCOUNT_SID,
            "TWILIO_AUTH_TOKEN": SMS_AUTH_TOKEN,
            "TWILIO_FROM": OUR_NUMBER,
            "TWILIO_BASE_URL": fake.url,
            "SMS_SEND_TIMEOUT_SECONDS": 3,
            "SMS_BACKOFF_BASE_SECONDS": 0.02,
            "SMS_BACKOFF_CAP_SECONDS": 0.1,
            **config,
        }
    )
    thread = threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True)
    thread.start()
    try:
        yield LiveApp(holder["app"], url, directory or {})
    finally:
        server.shutdown()
        thread.join()
        holder["app"].extensions["oneroute"].engine.dispose()


@dataclass(frozen=True)
class WebServer:
    url: str
    directory: dict[str, int]


@pytest.fixture
def web_fast_hashing(monkeypatch):
    monkeypatch.setattr(
        accounts.passwords, "HASHER", PasswordHasher(time_cost=1, memory_cost=1024, parallelism=1)
    )


@pytest.fixture
def web_server(web_browser, database_url, session_factory, web_fast_hashing) -> Iterator[WebServer]:
    from api import create_app

    directory = small_directory(session_factory)
    wanted = {
        "helpline": ("helpline_staff", None, "Hana Helpline"),
        "hub": ("hub_coordinator", directory["hub"], "Cole Coordinator"),
        "officer": ("safety_net_officer", directory["sutton_safety_net"], "Sam Safety-Net"),
        "admin": ("admin", None, "Ada Admin"),
    }
    with session_factory() as session:
        for key, (role, org_id, name) in wanted.items():
            create_user(
                session, username=key, display_name=name, password=WEB_PASSWORD, role=role, org_id=org_id
            )
    app = create_app({"DATABASE_URL": database_url, "TESTING": True, "AUTH_FREE_FAILURES_PER_ADDRESS": 1000})
    server = make_server("127.0.0.1", 0, app, threaded=True)
    thread = threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True)
    thread.start()
    try:
        yield WebServer(f"http://127.0.0.1:{server.server_port}", directory)
    finally:
        server.shutdown()
        thread.join()
        app.extensions["oneroute"].engine.dispose()


@pytest.fixture
def web_context(web_browser, web_server):
    """A fresh browser profile (own cookies). CSP is bypassed only so that axe-core can be injected."""
    contexts = []

    def make(javascript: bool = True):
        context = web_browser.new_context(
            base_url=web_server.url,
            viewport=DESKTOP,
            locale="en-GB",
            bypass_csp=True,
            java_script_enabled=javascript,
        )
        context.set_default_timeout(15_000)
        contexts.append(context)
        return context

    yield make
    for context in contexts:
        context.close()


@pytest.fixture
def web_page(web_context):
    return web_context().new_page()


def web_sign_in(page, username: str, password: str = WEB_PASSWORD) -> None:
    page.goto("/sign-in")
    page.fill("#username", username)
    page.fill("#password", password)
    # Wait for the next page's load event, so its deferred scripts (the "/" shortcut) have run.
    with page.expect_navigation():
        page.click("button:has-text('Sign in')")


def web_sign_out(page) -> None:
    page.click("button:has-text('Sign out')")
    page.wait_for_url("**/sign-in")


def axe_violations(page) -> list[dict]:
    if not page.evaluate("typeof window.axe !== 'undefined'"):
        page.add_script_tag(path=str(AXE))
    if not page.evaluate("typeof window.axe !== 'undefined'"):
        return _axe_on_a_copy(page)
    result = page.evaluate(
        "tags => axe.run(document, {runOnly: {type: 'tag', values: tags}, resultTypes: ['violations']})",
        AXE_TAGS,
    )
    return [
        {
            "id": violation["id"],
            "impact": violation["impact"],
            "help": violation["help"],
            "targets": [node["target"] for node in violation["nodes"]][:5],
        }
        for violation in result["violations"]
    ]


def _axe_on_a_copy(page) -> list[dict]:
    """With JavaScript off in the page, axe-core cannot run there: check the same HTML and styles in a page
    that runs scripts (without the page's own scripts, so the copy shows what a no-script user sees)."""
    html = re.sub(r"<script\b[^>]*>.*?</script>", "", page.content(), flags=re.S)
    html = html.replace("<head>", f'<head><base href="{page.url}">', 1)
    context = page.context.browser.new_context(viewport=DESKTOP, bypass_csp=True)
    try:
        copy = context.new_page()
        copy.set_content(html, wait_until="load")
        return axe_violations(copy)
    finally:
        context.close()


def web_check(page, name: str) -> list[dict]:
    """axe-core on the page (no serious or critical violations), no sideways scrolling at 320 px, and
    screenshots at both widths. Returns every violation found, for the record."""
    violations = axe_violations(page)
    AXE_RESULTS.mkdir(parents=True, exist_ok=True)
    (AXE_RESULTS / f"{name}.json").write_text(
        json.dumps({"url": page.url, "violations": violations}, indent=2)
    )
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SCREENSHOTS / f"{name}-desktop.png"), full_page=True)
    page.set_viewport_size(NARROW)
    overflow = page.evaluate("document.documentElement.scrollWidth - document.documentElement.clientWidth")
    page.screenshot(path=str(SCREENSHOTS / f"{name}-320.png"), full_page=True)
    page.set_viewport_size(DESKTOP)
    blocking = [v for v in violations if v["impact"] in BLOCKING_IMPACTS]
    assert not blocking, f"axe-core on {name}: {json.dumps(blocking, indent=2)}"
    assert overflow <= 0, f"{name} scrolls sideways by {overflow} px at 320 px wide"
    return violations
