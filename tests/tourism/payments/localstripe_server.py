"""localstripe for the test suite: `python -m tests.tourism.payments.localstripe_server --port N`.

Three differences from `python -m localstripe`, all to keep tests local and faithful:
- it listens on 127.0.0.1 only (localstripe's own start() listens on every interface);
- it keeps its store in memory (localstripe writes /tmp/localstripe.pickle after each change,
  a file every test run on the machine would share);
- the test card 4000000000000002 is declined when charged, as on Stripe (localstripe only
  declines it when it is attached to a customer).
"""
import argparse

from aiohttp import web
from localstripe import resources, server

DECLINED_WHEN_CHARGED = {"4000000000000002"}


def _charging_is_declined(self, _original=resources.PaymentMethod._charging_is_declined):
    return _original(self) or (self.type == "card" and self._card_number in DECLINED_WHEN_CHARGED)


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--port", type=int, required=True)
    args = parser.parse_args()
    resources.Store.dump_to_disk = lambda self: None
    resources.PaymentMethod._charging_is_declined = _charging_is_declined
    web.run_app(server.app, host="127.0.0.1", port=args.port, print=None, access_log=None)


if __name__ == "__main__":
    main()
