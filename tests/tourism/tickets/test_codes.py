"""Signed ticket codes: round trip, tampering, truncation, forgery, key rotation, validity."""
import base64
import re
from datetime import datetime, timedelta, timezone

import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from tests.tourism.tickets.samples import SESSION_START, VIETNAM
from tourism.tickets import codes
from tourism.tickets.codes import TicketCodeError

QR_ALPHANUMERIC = re.compile(r"^[0-9A-Z $%*+\-./:]+$")


def reason_of(keys, code) -> str:
    with pytest.raises(TicketCodeError) as caught:
        keys.verify(code)
    return caught.value.reason


def test_round_trip(keys, claims, code):
    print(f"ticket code: {len(code)} characters: {code}")
    assert code.startswith("LV1:")
    assert len(code) == 129
    assert QR_ALPHANUMERIC.match(code), "the whole code must fit the QR alphanumeric mode"
    verified = keys.verify(code)
    assert verified == codes.TicketClaims(key_id=keys.key_id, **claims)
    assert verified.valid_from.tzinfo is not None


def test_surrounding_whitespace_from_a_scanner_is_ignored(keys, code):
    assert keys.verify(f" {code}\n").reference == "BT7KQ2XM"


@pytest.mark.parametrize(("data", "text"), [
    (b"AB", "BB8"), (b"Hello!!", "%69 VD92EX0"), (b"base-45", "UJCLQE7W581"), (b"ietf!", "QED8WEX0"),
    (b"", ""), (b"\x00", "00"), (b"\xff\xff", "FGW"),
])
def test_base45_matches_rfc_9285(data, text):
    assert codes.b45encode(data) == text
    assert codes.b45decode(text) == data


@pytest.mark.parametrize("text", ["GGW", "A", "ABCD", "ab8", "BB#", "6#"])
def test_base45_rejects_what_no_bytes_encode_to(text):
    with pytest.raises(ValueError):
        codes.b45decode(text)


def test_every_tampered_byte_is_refused(keys, code):
    raw = codes.b45decode(code[len(codes.PREFIX):])
    for index in range(len(raw)):
        for flip in (0x01, 0x80, 0xFF):
            tampered = bytearray(raw)
            tampered[index] ^= flip
            reason = reason_of(keys, codes.PREFIX + codes.b45encode(bytes(tampered)))
            # The key id's two bytes name a key nobody has; every other byte breaks the signature.
            assert reason == ("unknown_key" if index < 2 else "forged"), (index, flip)


def test_every_tampered_character_is_refused(keys, code):
    for index in range(len(codes.PREFIX), len(code)):
        replacement = "0" if code[index] != "0" else "1"
        tampered = code[:index] + replacement + code[index + 1:]
        assert reason_of(keys, tampered) in {"damaged", "unknown_key", "forged"}, index


@pytest.mark.parametrize("cut", [1, 2, 3, 60, 125])
def test_truncated_codes_are_damaged(keys, code, cut):
    with pytest.raises(TicketCodeError) as caught:
        keys.verify(code[:-cut])
    assert caught.value.reason == "damaged"
    assert caught.value.message == "This ticket code is incomplete or damaged. " \
                                   "Scan it again, or enter the booking reference."
    assert caught.value.message.domain == "tourism"


def test_extra_bytes_are_damaged(keys, code):
    assert reason_of(keys, code + codes.b45encode(b"\x00\x00")) == "damaged"


def test_lower_case_is_not_base45(keys, code):
    assert reason_of(keys, code[:4] + code[4:].lower()) == "damaged"


@pytest.mark.parametrize("text", ["", "LV1", "LV2:BB8", "https://langviet.vn/t/BT7KQ2XM", "BT7K-Q2XM"])
def test_other_qr_codes_are_not_tickets(keys, text):
    with pytest.raises(TicketCodeError) as caught:
        keys.verify(text)
    assert caught.value.reason == "not_a_ticket"
    assert caught.value.message == "This is not a LàngViệt ticket code."


def test_a_code_signed_with_another_key_under_our_key_id_is_forged(keys, claims):
    forger = Ed25519PrivateKey.generate()
    forged = codes.sign_ticket(forger, keys.key_id, **claims)
    with pytest.raises(TicketCodeError) as caught:
        keys.verify(forged)
    assert caught.value.reason == "forged"
    assert caught.value.message == "This ticket code is damaged or forged."


def test_an_unknown_key_is_named_as_such(keys, claims):
    stranger = Ed25519PrivateKey.generate()
    code = codes.sign_ticket(stranger, codes.key_id(stranger.public_key()), **claims)
    with pytest.raises(TicketCodeError) as caught:
        keys.verify(code)
    assert caught.value.reason == "unknown_key"
    assert "does not know" in caught.value.message


def test_tickets_from_a_retired_key_still_verify(tmp_path, claims):
    old = Ed25519PrivateKey.generate()
    old_code = codes.sign_ticket(old, codes.key_id(old.public_key()), **claims)
    settings = {codes.KEY_FILE_SETTING: str(tmp_path / "ticket.key"),
                codes.RETIRED_KEYS_SETTING: f"\n  {codes.public_key_b64(old)}\n"}
    keys = codes.load_ticket_keys(settings, environ={})
    assert len(keys.public_keys) == 2
    assert keys.verify(old_code).party == 3
    assert keys.verify(keys.sign(**claims)).key_id == keys.key_id != codes.key_id(old.public_key())


# --- validity -----------------------------------------------------------------------------

def test_the_window_is_the_sessions_local_day():
    valid_from, valid_until = codes.local_day_window(SESSION_START, VIETNAM)
    # Midnight to midnight in Hà Nội (UTC+7) on Saturday 14 March
    assert valid_from == datetime(2026, 3, 13, 17, 0, tzinfo=timezone.utc)
    assert valid_until == datetime(2026, 3, 14, 17, 0, tzinfo=timezone.utc)


def test_a_session_past_midnight_stretches_the_window():
    starts = datetime(2026, 3, 14, 15, 0, tzinfo=timezone.utc)  # 22:00 local
    ends = starts + timedelta(hours=3, minutes=30)  # 01:30 the next morning
    valid_from, valid_until = codes.local_day_window(starts, VIETNAM, ends)
    assert valid_from == datetime(2026, 3, 13, 17, 0, tzinfo=timezone.utc)
    assert valid_until > ends


def test_check_validity(keys, code):
    claims = keys.verify(code)
    codes.check_validity(claims, claims.valid_from)
    codes.check_validity(claims, claims.valid_until - timedelta(seconds=1))
    for now, reason in ((claims.valid_from - timedelta(seconds=1), "not_yet_valid"),
                        (claims.valid_until, "expired"),
                        (claims.valid_until + timedelta(days=30), "expired")):
        with pytest.raises(TicketCodeError) as caught:
            codes.check_validity(claims, now)
        assert caught.value.reason == reason
        assert caught.value.message == "This ticket is for another day."


@pytest.mark.parametrize("bad", [
    dict(reference="BT7KQ2X"),  # 7 characters
    dict(reference="BT7KQ2X0"),  # 0 is not in the reference alphabet
    dict(party=0),
    dict(party=70_000),
    dict(valid_from=datetime(2026, 3, 13, 17, 0)),  # naive
    dict(valid_until=datetime(2026, 3, 13, 17, 0, tzinfo=timezone.utc)),  # empty window
    dict(valid_until=datetime(2026, 6, 1, tzinfo=timezone.utc)),  # longer than 45 days
    dict(valid_from=datetime(2026, 3, 13, 17, 0, 30, tzinfo=timezone.utc)),  # not on a minute
])
def test_signing_refuses_what_the_format_cannot_hold(keys, claims, bad):
    with pytest.raises(ValueError):
        keys.sign(**dict(claims, **bad))


# --- keys -------------------------------------------------------------------------------

def test_a_missing_key_file_is_generated_private_and_then_reused(tmp_path, claims):
    path = tmp_path / "var" / "ticket-signing.key"
    settings = {codes.KEY_FILE_SETTING: str(path)}
    first = codes.load_signing_key(settings, environ={})
    assert path.stat().st_mode & 0o777 == 0o600
    assert path.read_bytes().startswith(b"-----BEGIN PRIVATE KEY-----")
    again = codes.load_signing_key(settings, environ={})
    assert codes.public_key_b64(again) == codes.public_key_b64(first)
    assert [p.name for p in path.parent.iterdir()] == ["ticket-signing.key"]  # no temporary left


def test_the_environment_takes_precedence(tmp_path):
    key = Ed25519PrivateKey.generate()
    raw = key.private_bytes_raw()
    settings = {codes.KEY_FILE_SETTING: str(tmp_path / "ignored.key")}
    loaded = codes.load_signing_key(settings, environ={codes.KEY_ENV: base64.b64encode(raw).decode()})
    assert loaded.private_bytes_raw() == raw
    assert not (tmp_path / "ignored.key").exists()


@pytest.mark.parametrize("value", ["not base64!", base64.b64encode(b"short").decode()])
def test_a_bad_environment_key_stops_start_up(value):
    from pyramid.exceptions import ConfigurationError
    with pytest.raises(ConfigurationError, match=codes.KEY_ENV):
        codes.load_signing_key({}, environ={codes.KEY_ENV: value})


def test_no_key_at_all_says_what_to_set():
    from pyramid.exceptions import ConfigurationError
    with pytest.raises(ConfigurationError, match=f"{codes.KEY_ENV}.*{codes.KEY_FILE_SETTING}"):
        codes.load_signing_key({}, environ={})


def test_production_never_generates_a_key(tmp_path):
    from pyramid.exceptions import ConfigurationError
    settings = {codes.KEY_FILE_SETTING: str(tmp_path / "missing.key"), "tourism.environment": "production"}
    with pytest.raises(ConfigurationError, match="never generates"):
        codes.load_signing_key(settings, environ={})
    assert not (tmp_path / "missing.key").exists()


def test_a_key_file_that_is_not_ed25519_is_refused(tmp_path):
    from pyramid.exceptions import ConfigurationError
    path = tmp_path / "ticket.key"
    path.write_text("not a key")
    with pytest.raises(ConfigurationError, match="cannot read"):
        codes.load_signing_key({codes.KEY_FILE_SETTING: str(path)}, environ={})


def test_public_key_b64_is_the_raw_key_for_the_scanner(private_key):
    text = codes.public_key_b64(private_key)
    assert base64.b64decode(text) == private_key.public_key().public_bytes_raw()
    assert codes.public_key_b64(private_key.public_key()) == text
