"""Ticket fixtures: a throwaway signing key and a signed code. Nothing here touches the
database: the ticket core is stateless."""
import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from tests.tourism.tickets.samples import SESSION_START, VIETNAM
from tourism.tickets import codes
from tourism.tickets.fonts import load_fonts


@pytest.fixture(scope="session")
def fonts():
    return load_fonts()


@pytest.fixture
def private_key():
    return Ed25519PrivateKey.generate()


@pytest.fixture
def keys(private_key):
    kid = codes.key_id(private_key.public_key())
    return codes.TicketKeys(kid, private_key, {kid: private_key.public_key()})


@pytest.fixture
def claims():
    valid_from, valid_until = codes.local_day_window(SESSION_START, VIETNAM)
    return dict(reference="BT7KQ2XM", session_id=2_000_123_456, party=3, valid_from=valid_from,
                valid_until=valid_until)


@pytest.fixture
def code(keys, claims):
    return keys.sign(**claims)
