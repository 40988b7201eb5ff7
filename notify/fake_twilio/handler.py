"""HTTP for the fake Twilio: Twilio's two Messages endpoints and the /_fake/ endpoints for people."""

import re
from typing import TYPE_CHECKING
from urllib.parse import parse_qs

from notify.fake_http import JsonHandler
from notify.fake_twilio.model import API_VERSION, TwilioError

if TYPE_CHECKING:
    from notify.fake_twilio.server import FakeTwilio

CREATE_PATH = re.compile(rf"^/{API_VERSION}/Accounts/(?P<account>[^/]+)/Messages\.json$")
FETCH_PATH = re.compile(rf"^/{API_VERSION}/Accounts/(?P<account>[^/]+)/Messages/(?P<sid>[^/]+)\.json$")


class FakeTwilioHandler(JsonHandler):
    server_version = "FakeTwilio/1.0"
    content_type = "application/json; charset=utf-8"

    def extra_headers(self, status: int) -> dict[str, str]:
        return {"WWW-Authenticate": 'Basic realm="Twilio API"'} if status == 401 else {}

    def route(self, method: str, path: str, query: dict[str, list[str]]) -> tuple[int, object]:
        fake: FakeTwilio = self.server.fake
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
            return 200, fake.configure(self.json_body())
        if route == ("DELETE", "/_fake/control"):
            fake.reset_switches()
            return 200, fake.switches()
        if route == ("POST", "/_fake/inbound"):
            request = self.json_body()
            result = fake.send_inbound(request["from"], request["body"], request["url"], request.get("to"))
            return 200, {"message_sid": result.message_sid, "status": result.status, "body": result.body}
        raise TwilioError(20404, f"The requested resource {path} was not found")

    def _form(self) -> dict[str, str]:
        fields = parse_qs(self.body_text(), keep_blank_values=True)
        return {name: values[0] for name, values in fields.items()}
