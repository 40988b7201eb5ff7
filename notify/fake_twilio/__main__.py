"""python -m notify.fake_twilio: run the fake Twilio server until Ctrl-C."""

import argparse
import logging
import os

from notify.fake_twilio.server import DEFAULT_NUMBER, FakeTwilio


def _number_and_value(text: str) -> tuple[str, str]:
    number, separator, value = text.partition("=")
    if not separator or not number or not value:
        raise argparse.ArgumentTypeError(f"expected NUMBER=VALUE, got {text!r}")
    return number, value


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        prog="python -m notify.fake_twilio", description="A local fake of Twilio's Messages API."
    )
    environment_sid, environment_token = (
        os.environ.get("TWILIO_ACCOUNT_SID"),
        os.environ.get("TWILIO_AUTH_TOKEN"),
    )
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=8099)
    parser.add_argument("--account-sid", default=environment_sid, required=not environment_sid)
    parser.add_argument("--auth-token", default=environment_token, required=not environment_token)
    parser.add_argument("--number", default=DEFAULT_NUMBER, help="our number: the To of inbound texts")
    parser.add_argument("--outage", action="store_true", help="answer every create with 503")
    parser.add_argument("--outage-requests", type=int, help="answer only the next N creates with 503")
    parser.add_argument("--delay", type=float, default=0.0, help="seconds to wait before answering")
    parser.add_argument(
        "--create-error", type=_number_and_value, action="append", default=[], help="NUMBER=CODE, e.g. 21211"
    )
    parser.add_argument(
        "--outcome",
        type=_number_and_value,
        action="append",
        default=[],
        help="NUMBER=delivered|undelivered[:CODE]|failed[:CODE]",
    )
    parser.add_argument("--callback-delay", type=float, default=0.5)
    parser.add_argument("--no-callbacks", action="store_true")
    parser.add_argument("--quiet", action="store_true", help="do not print each SMS")
    return parser.parse_args(argv)


def main(argv: list[str] | None = None) -> None:
    args = parse_args(argv)
    logging.basicConfig(level=logging.INFO, format="[fake-twilio] %(message)s")
    fake = FakeTwilio(
        args.host,
        args.port,
        args.account_sid,
        args.auth_token,
        number=args.number,
        outage=args.outage,
        outage_requests=args.outage_requests,
        delay=args.delay,
        create_errors={number: int(code) for number, code in args.create_error},
        outcomes=dict(args.outcome),
        callbacks=not args.no_callbacks,
        callback_delay=args.callback_delay,
        echo=not args.quiet,
    )
    fake.serve_until_interrupted(f"[fake-twilio] listening on {fake.url} for account {fake.account_sid}")


if __name__ == "__main__":
    main()
