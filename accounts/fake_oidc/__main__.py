"""python -m accounts.fake_oidc: run the local OpenID provider (its demo people) until Ctrl-C."""

import argparse
import threading

from accounts.fake_oidc.server import DEMO_USERS, FakeOidc


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(prog="python -m accounts.fake_oidc", description=__doc__)
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=8098)
    parser.add_argument("--client-id", default="one-route-in")
    parser.add_argument("--client-secret", default="fake-oidc-secret")
    args = parser.parse_args(argv)
    fake = FakeOidc(
        args.host,
        args.port,
        users=DEMO_USERS,
        client_id=args.client_id,
        client_secret=args.client_secret,
        log_requests=True,
    )
    fake.start()
    print(f"[fake-oidc] issuer {fake.url}, client {fake.client_id}; people:", flush=True)
    for user in DEMO_USERS:
        print(f"[fake-oidc]   {user.email} groups={','.join(user.groups) or '-'}", flush=True)
    try:
        threading.Event().wait()
    except KeyboardInterrupt:
        pass
    finally:
        fake.stop()


if __name__ == "__main__":
    main()
