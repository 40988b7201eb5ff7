"""python -m notify.fake_notify: run the fake GOV.UK Notify until Ctrl-C."""

import argparse
import logging
import os

from notify.fake_notify.server import DEFAULT_NUMBER, FakeNotify

APP = "http://127.0.0.1:5000"


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        prog="python -m notify.fake_notify", description="A local fake of GOV.UK Notify's text-message API."
    )
    environ = os.environ.get
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=8098)
    for option, setting in (
        ("--api-key", "NOTIFY_API_KEY"),
        ("--template-id", "NOTIFY_SMS_TEMPLATE_ID"),
        ("--callback-token", "NOTIFY_CALLBACK_TOKEN"),
    ):
        parser.add_argument(
            option, default=environ(setting), required=not environ(setting), help=f"or {setting}"
        )
    base = (environ("PUBLIC_BASE_URL") or APP).rstrip("/")
    parser.add_argument("--status-callback", default=f"{base}/sms/notify/status")
    parser.add_argument("--inbound-callback", default=f"{base}/sms/notify/inbound")
    parser.add_argument(
        "--number", default=DEFAULT_NUMBER, help="our number: the destination of received texts"
    )
    parser.add_argument("--quiet", action="store_true", help="do not print each SMS")
    return parser.parse_args(argv)


def main(argv: list[str] | None = None) -> None:
    args = parse_args(argv)
    logging.basicConfig(level=logging.INFO, format="[fake-notify] %(message)s")
    fake = FakeNotify(
        args.api_key,
        args.template_id,
        host=args.host,
        port=args.port,
        callback_token=args.callback_token,
        status_callback_url=args.status_callback,
        inbound_callback_url=args.inbound_callback,
        number=args.number,
        echo=not args.quiet,
    )
    fake.serve_until_interrupted(f"[fake-notify] listening on {fake.url} for service {fake.service_id}")


if __name__ == "__main__":
    main()
