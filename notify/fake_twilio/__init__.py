"""A local fake of Twilio's Messages API, for development and for tests of the real twilio client.

Run it:    python -m notify.fake_twilio --port 8099 --account-sid AC... --auth-token ...
Embed it:  with FakeTwilio(account_sid=..., auth_token=...) as fake:  # port 0: an ephemeral port
               make_twilio_client(sid, token, base_url=fake.url)

As Twilio:  POST /2010-04-01/Accounts/<sid>/Messages.json, GET /2010-04-01/Accounts/<sid>/Messages/<sid>.json,
            signed status callbacks (`sent`, then `delivered` / `undelivered`; `failed` alone).
For people: GET|DELETE /_fake/messages[?to=...], GET /_fake/stats, GET|POST|DELETE /_fake/control (the
            switches; see Switches.update), POST /_fake/inbound {"from", "body", "url", "to"?} (a signed
            inbound SMS webhook to the app, as if a lead had replied).
"""

from notify.fake_twilio.model import FakeMessage, Outcome, Switches, TwilioError
from notify.fake_twilio.server import FakeTwilio, InboundResult

__all__ = ["FakeMessage", "FakeTwilio", "InboundResult", "Outcome", "Switches", "TwilioError"]
