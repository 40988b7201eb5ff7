"""What the fake SMS providers (`notify.fake_twilio`, `notify.fake_notify`) share: a threaded HTTP server
that runs in the background of a test or of `make run`, and a request handler that routes each request to
the fake and answers in JSON. Each fake says only what differs: its routes, its errors and its headers."""

import json
import logging
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qs, urlsplit

import requests

logger = logging.getLogger(__name__)
SHUTDOWN_POLL_SECONDS = 0.05


class ProviderError(Exception):
    """An error the provider's own API would answer with: its HTTP status and its JSON body."""

    status: int

    def body(self) -> dict:
        raise NotImplementedError


class FakeHTTPServer(ThreadingHTTPServer):
    daemon_threads = True

    def __init__(self, address: tuple[str, int], handler: type["JsonHandler"], fake: object):
        super().__init__(address, handler)
        self.fake = fake


class JsonHandler(BaseHTTPRequestHandler):
    """GET, POST and DELETE go to `route(method, path, query)`, which returns (status, payload); the
    provider's own errors are answered as the provider would, malformed input as a 400 (`bad_request`),
    and a callback the app did not answer as a 502."""

    server: FakeHTTPServer
    content_type = "application/json"
    strip_trailing_slash = False

    def do_GET(self) -> None:
        self._dispatch("GET")

    def do_POST(self) -> None:
        self._dispatch("POST")

    def do_DELETE(self) -> None:
        self._dispatch("DELETE")

    def log_message(self, format: str, *args: object) -> None:
        logger.debug("%s " + format, self.address_string(), *args)

    def route(self, method: str, path: str, query: dict[str, list[str]]) -> tuple[int, object]:
        raise NotImplementedError

    def bad_request(self, message: str) -> dict:
        return {"error": message}

    def extra_headers(self, status: int) -> dict[str, str]:
        return {}

    def _dispatch(self, method: str) -> None:
        parts = urlsplit(self.path)
        path = parts.path.rstrip("/") if self.strip_trailing_slash else parts.path
        try:
            status, payload = self.route(method, path, parse_qs(parts.query))
        except ProviderError as error:
            status, payload = error.status, error.body()
        except (ValueError, TypeError, KeyError) as error:
            status, payload = 400, self.bad_request(f"{type(error).__name__}: {error}")
        except requests.RequestException as error:
            status, payload = 502, {"error": f"the app could not be reached: {error}"}
        self.send_json(status, payload)

    def body_text(self) -> str:
        length = int(self.headers.get("Content-Length") or 0)
        return self.rfile.read(length).decode("utf-8")

    def json_body(self) -> dict:
        payload = json.loads(self.body_text() or "{}")
        if not isinstance(payload, dict):
            raise ValueError("expected a JSON object")
        return payload

    def send_json(self, status: int, payload: object) -> None:
        encoded = json.dumps(payload).encode("utf-8")
        self.send_response(status)
        self.send_header("Content-Type", self.content_type)
        self.send_header("Content-Length", str(len(encoded)))
        for name, value in self.extra_headers(status).items():
            self.send_header(name, value)
        self.end_headers()
        try:
            self.wfile.write(encoded)
        except (BrokenPipeError, ConnectionResetError):
            logger.info("the client left before the answer to %s %s", self.command, self.path)


class BackgroundServer:
    """Start and stop a fake's server on a thread (also as a context manager); `url` is where it listens.
    Threads the fake starts for callbacks go in `_workers`; stopping waits `join_timeout` for each."""

    thread_name = "fake-provider"
    join_timeout = 5.0

    def _serve_on(self, host: str, port: int, handler: type[JsonHandler]) -> None:
        self._stopping = threading.Event()
        self._workers: list[threading.Thread] = []
        self._server = FakeHTTPServer((host, port), handler, self)
        self._serving: threading.Thread | None = None

    @property
    def url(self) -> str:
        host, port = self._server.server_address[:2]
        return f"http://{host}:{port}"

    def start(self):
        serve = self._server.serve_forever
        self._serving = threading.Thread(
            target=serve, args=(SHUTDOWN_POLL_SECONDS,), name=self.thread_name, daemon=True
        )
        self._serving.start()
        return self

    def stop(self) -> None:
        self._stopping.set()
        if self._serving is not None:
            self._server.shutdown()
            self._serving.join()
        self._server.server_close()
        for worker in list(self._workers):
            worker.join(timeout=self.join_timeout)

    def serve_until_interrupted(self, banner: str) -> None:
        """For `python -m notify.fake_…`: start, print `banner`, serve until Ctrl-C, then stop."""
        self.start()
        print(banner, flush=True)
        try:
            threading.Event().wait()
        except KeyboardInterrupt:
            pass
        finally:
            self.stop()

    def __enter__(self):
        return self.start()

    def __exit__(self, *exc_info: object) -> None:
        self.stop()
