"""HTTP for the fake Twilio: Twilio's two Messages endpoints and the /_fake/ endpoints for people."""

import json
import logging
import re
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import TYPE_CHECKING
from urllib.parse import parse_qs, urlsplit

import requests

from notify.fake_twilio.model import API_VERSION, TwilioError

if TYPE_CHECKING:
    from notify.fake_twilio.server import FakeTwilio

logger = logging.getLogger(__name__)

CREATE_PATH = re.compile(rf"^/{API_VERSION}/Accounts/(?P<account>[^/]+)/Messages\.json$")
FETCH_PATH = re.compile(rf"^/{API_VERSION}/Accounts/(?P<account>[^/]+)/Messages/(?P<sid>[^/]+)\.json$")


class FakeTwilioHTTPServer(ThreadingHTTPServer):
    daemon_threads = True

    def __init__(self, address: tuple[str, int], fake: "FakeTwilio"):
        super().__init__(address, FakeTwilioHandler)
        self.fake = fake


class FakeTwilioHandler(BaseHTTPRequestHandler):
    server: FakeTwilioHTTPServer
    server_version = "FakeTwilio/1.0"

    def do_GET(self) -> None:
        self._dispatch("GET")

    def do_POST(self) -> None:
        self._dispatch("POST")

    def do_DELETE(self) -> None:
        self._dispatch("DELETE")

    def log_message(self, format: str, *args: object) -> None:
        logger.debug("%s " + format, self.address_string(), *args)

    def _dispatch(self, method: str) -> None:
        parts = urlsplit(self.path)
        try:
            status, payload = self._route(method, parts.path, parse_qs(parts.query))
        except TwilioError as error:
            status, payload = error.status, error.body()
        except (ValueError, TypeError, KeyError) as error:
            status, payload = 400, {"error": f"{type(error).__name__}: {error}"}
        except requests.RequestException as error:
            status, payload = 502, {"error": f"the app could not be reached: {error}"}
        self._send_json(status, payload)

    def _route(self, method: str, path: str, query: dict[str, list[str]]) -> tuple[int, object]:
        fake = self.server.fake
        authorization = self.headers.get("Authorization")
        if method == "POST" and (match := CREATE_PATH.match(path)):
            return 201, fake.create_message(match["account"], self._form(), authorization).as_json()
        if method == "GET" and (match := FETCH_PATH.match(path)):
            return 200, fake.fetch_message(match["account"], match["sid"], authorization).as_json()
        route = (method, path.rstrip("/"))
        if route == ("GET", "/_fake/messages"):
            return 200, [m.inspection_json() for m in fake.messages(query.get("to", [None])[0])]
        if route == ("DELETE", "/_fake/messages"):
            fake.reset()
            return 200, fake.stats()
        if route == ("GET", "/_fake/stats"):
            return 200, fake.stats()
        if route == ("GET", "/_fake/control"):
            return 200, fake.switches()
        if route == ("POST", "/_fake/control"):
            return 200, fake.configure(self._json())
        if route == ("DELETE", "/_fake/control"):
            fake.reset_switches()
            return 200, fake.switches()
        if route == ("POST", "/_fake/inbound"):
            request = self._json()
            result = fake.send_inbound(request["from"], request["body"], request["url"], request.get("to"))
            return 200, {"message_sid": result.message_sid, "status": result.status, "body": result.body}
        raise TwilioError(20404, f"The requested resource {path} was not found")

    def _body(self) -> str:
        length = int(self.headers.get("Content-Length") or 0)
        return self.rfile.read(length).decode("utf-8")

    def _form(self) -> dict[str, str]:
        return {name: values[0] for name, values in parse_qs(self._body(), keep_blank_values=True).items()}

    def _json(self) -> dict:
        payload = json.loads(self._body() or "{}")
        if not isinstance(payload, dict):
            raise ValueError("expected a JSON object")
        return payload

    def _send_json(self, status: int, payload: object) -> None:
        encoded = json.dumps(payload).encode("utf-8")
        self.send_response(status)
        self.send_header("Content-Type", "application/json; charset=utf-8")
        self.send_header("Content-Length", str(len(encoded)))
        if status == 401:
            self.send_header("WWW-Authenticate", 'Basic realm="Twilio API"')
        self.end_headers()
        try:
            self.wfile.write(encoded)
        except (BrokenPipeError, ConnectionResetError):
            logger.info("the client left before the answer to %s %s", self.command, self.path)
