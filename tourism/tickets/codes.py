"""Signed ticket codes: what the QR on a ticket holds, verifiable offline with a public key.

A code is ``LV1:`` followed by Base45 (RFC 9285) of a 19-byte payload and its 64-byte
Ed25519 signature — 129 characters, all in the QR alphanumeric set, so the QR stays small
(version 6 at error correction M). The payload, big-endian::

    key id          u16   which signing key (derived from its public key; keys rotate)
    reference       5 B   the 8-character booking reference, 5 bits a character
    session id      u32
    party           u16   how many people the ticket admits
    valid from      u32   UTC minutes since the epoch
    valid for       u16   minutes after `valid from` (≤ 45 days)

The signature covers the prefix too, so a later format cannot be passed off as this one.
A code proves who issued it and for what; whether the booking is still confirmed, and how
many of its party were already admitted, only the server knows.
"""
import base64
import hashlib
import os
import struct
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta, timezone
from pathlib import Path
from zoneinfo import ZoneInfo

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey
from pyramid.exceptions import ConfigurationError

from tourism.exceptions import DomainError
from tourism.i18n import _
from tourism.settings import is_production

PREFIX = "LV1:"
REFERENCE_ALPHABET = "ABCDEFGHJKLMNPQRSTUVWXYZ23456789"  # the booking references' (no 0/O, 1/I)
REFERENCE_LENGTH = 8
_PAYLOAD = struct.Struct(">H5sIHIH")
SIGNATURE_LENGTH = 64
CODE_BYTES = _PAYLOAD.size + SIGNATURE_LENGTH
MAX_VALIDITY = timedelta(minutes=0xFFFF)

KEY_FILE_SETTING = "tourism.ticket_key_file"
RETIRED_KEYS_SETTING = "tourism.ticket_retired_public_keys"
KEY_ENV = "TOURISM_TICKET_SIGNING_KEY"
REGISTRY_KEY = "tourism.tickets.keys"

_EPOCH = datetime(1970, 1, 1, tzinfo=timezone.utc)


class TicketCodeError(DomainError):
    """A code that must not admit anyone. `reason` is for programs, `message` for people.

    Reasons: not_a_ticket, damaged, unknown_key, forged, not_yet_valid, expired.
    """

    def __init__(self, reason: str, message):
        super().__init__(message)
        self.reason = reason


NOT_A_TICKET = _("This is not a LàngViệt ticket code.")
DAMAGED = _("This ticket code is incomplete or damaged. Scan it again, or enter the booking reference.")
UNKNOWN_KEY = _("This ticket was signed with a key this scanner does not know. "
                "Update the scanner, or enter the booking reference.")
FORGED = _("This ticket code is damaged or forged.")
WRONG_DAY = _("This ticket is for another day.")


@dataclass(frozen=True)
class TicketClaims:
    """What a valid code says. Times are UTC; the window is [valid_from, valid_until)."""

    key_id: int
    reference: str
    session_id: int
    party: int
    valid_from: datetime
    valid_until: datetime


# --- Base45 (RFC 9285) ------------------------------------------------------------------

BASE45_ALPHABET = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ $%*+-./:"
_BASE45_VALUE = {c: i for i, c in enumerate(BASE45_ALPHABET)}


def b45encode(data: bytes) -> str:
    out = []
    for i in range(0, len(data) - 1, 2):
        n = data[i] * 256 + data[i + 1]
        out += (BASE45_ALPHABET[n % 45], BASE45_ALPHABET[n // 45 % 45], BASE45_ALPHABET[n // 2025])
    if len(data) % 2:
        n = data[-1]
        out += (BASE45_ALPHABET[n % 45], BASE45_ALPHABET[n // 45])
    return "".join(out)


def b45decode(text: str) -> bytes:
    """Raises ValueError for a character outside the alphabet, a dangling character, or a
    group worth more than its bytes can hold (so every byte string has exactly one text)."""
    if len(text) % 3 == 1:
        raise ValueError("dangling character")
    try:
        values = [_BASE45_VALUE[c] for c in text]
    except KeyError as error:
        raise ValueError(f"not Base45: {error}") from None
    out = bytearray()
    for i in range(0, len(values), 3):
        group = values[i:i + 3]
        n = sum(v * 45**k for k, v in enumerate(group))
        if len(group) == 3:
            if n > 0xFFFF:
                raise ValueError("group out of range")
            out += n.to_bytes(2, "big")
        else:
            if n > 0xFF:
                raise ValueError("group out of range")
            out.append(n)
    return bytes(out)


# --- references and times -----------------------------------------------------------------

def _pack_reference(reference: str) -> bytes:
    if len(reference) != REFERENCE_LENGTH or any(c not in REFERENCE_ALPHABET for c in reference):
        raise ValueError(f"not a booking reference: {reference!r}")
    n = 0
    for c in reference:
        n = n * 32 + REFERENCE_ALPHABET.index(c)
    return n.to_bytes(5, "big")


def _unpack_reference(packed: bytes) -> str:
    n = int.from_bytes(packed, "big")
    return "".join(REFERENCE_ALPHABET[(n >> (5 * k)) & 31] for k in reversed(range(REFERENCE_LENGTH)))


def _epoch_minutes(moment: datetime) -> int:
    if moment.tzinfo is None:
        raise ValueError("ticket validity needs timezone-aware datetimes")
    seconds = (moment - _EPOCH).total_seconds()
    if seconds % 60:
        raise ValueError("ticket validity is kept to the minute")
    return int(seconds // 60)


def local_day_window(starts_at: datetime, tz: str, ends_at: datetime | None = None) -> tuple[datetime, datetime]:
    """The validity of a ticket for a session: its local day, midnight to midnight, in UTC.

    Stretched to `ends_at` when the session runs past midnight.
    """
    zone = ZoneInfo(tz)
    day: date = starts_at.astimezone(zone).date()
    start = datetime.combine(day, time(0), zone).astimezone(timezone.utc)
    end = datetime.combine(day + timedelta(days=1), time(0), zone).astimezone(timezone.utc)
    if ends_at is not None and ends_at > end:
        end = ends_at.astimezone(timezone.utc).replace(second=0, microsecond=0) + timedelta(minutes=1)
    return start, end


# --- signing and verifying ----------------------------------------------------------------

def key_id(public_key: Ed25519PublicKey) -> int:
    """A key's id: the first two bytes of the SHA-256 of its raw public key.

    Derived, not configured, so a scanner and the server can never disagree about it.
    """
    return int.from_bytes(hashlib.sha256(public_key.public_bytes_raw()).digest()[:2], "big")


def sign_ticket(private_key: Ed25519PrivateKey, key_id: int, *, reference: str, session_id: int,
                party: int, valid_from: datetime, valid_until: datetime) -> str:
    """The QR text for a ticket. Raises ValueError for values the format cannot hold."""
    start, end = _epoch_minutes(valid_from), _epoch_minutes(valid_until)
    if not 0 < end - start <= 0xFFFF:
        raise ValueError("valid_until must follow valid_from by at most 45 days")
    if not 0 < party <= 0xFFFF:
        raise ValueError(f"party out of range: {party}")
    payload = _PAYLOAD.pack(key_id, _pack_reference(reference), session_id, party, start, end - start)
    signature = private_key.sign(PREFIX.encode() + payload)
    return PREFIX + b45encode(payload + signature)


def verify_ticket(public_keys: dict[int, Ed25519PublicKey], code: str) -> TicketClaims:
    """The claims of a genuine code; raises TicketCodeError for anything else.

    Checks the signature only: call `check_validity` for the day, and ask the server for
    the booking's state and admissions.
    """
    code = code.strip()
    if not code.startswith(PREFIX):
        raise TicketCodeError("not_a_ticket", NOT_A_TICKET)
    try:
        raw = b45decode(code[len(PREFIX):])
    except ValueError:
        raise TicketCodeError("damaged", DAMAGED) from None
    if len(raw) != CODE_BYTES:
        raise TicketCodeError("damaged", DAMAGED)
    payload, signature = raw[:_PAYLOAD.size], raw[_PAYLOAD.size:]
    kid, packed_reference, session_id, party, start, minutes = _PAYLOAD.unpack(payload)
    public_key = public_keys.get(kid)
    if public_key is None:
        raise TicketCodeError("unknown_key", UNKNOWN_KEY)
    try:
        public_key.verify(signature, PREFIX.encode() + payload)
    except InvalidSignature:
        raise TicketCodeError("forged", FORGED) from None
    valid_from = _EPOCH + timedelta(minutes=start)
    return TicketClaims(kid, _unpack_reference(packed_reference), session_id, party,
                        valid_from, valid_from + timedelta(minutes=minutes))


def check_validity(claims: TicketClaims, now: datetime) -> None:
    """Raise TicketCodeError (reason not_yet_valid or expired) unless `now` is in the window."""
    if now < claims.valid_from:
        raise TicketCodeError("not_yet_valid", WRONG_DAY)
    if now >= claims.valid_until:
        raise TicketCodeError("expired", WRONG_DAY)


# --- keys -------------------------------------------------------------------------------

@dataclass(frozen=True)
class TicketKeys:
    """The key that signs new tickets, and every public key whose tickets are still honoured."""

    key_id: int
    private_key: Ed25519PrivateKey
    public_keys: dict[int, Ed25519PublicKey]

    def sign(self, **claims) -> str:
        return sign_ticket(self.private_key, self.key_id, **claims)

    def verify(self, code: str) -> TicketClaims:
        return verify_ticket(self.public_keys, code)


def public_key_b64(key: Ed25519PrivateKey | Ed25519PublicKey) -> str:
    """The raw 32-byte public key in standard Base64, as the offline scanner takes it."""
    public = key.public_key() if isinstance(key, Ed25519PrivateKey) else key
    return base64.b64encode(public.public_bytes_raw()).decode("ascii")


def _key_from_b64(text: str, what: str) -> bytes:
    try:
        raw = base64.b64decode(text.strip(), validate=True)
    except ValueError:
        raw = b""
    if len(raw) != 32:
        raise ConfigurationError(f"{what} must be the Base64 of 32 raw bytes.")
    return raw


def _generate_key_file(path: Path) -> None:
    """Write a new PEM key, readable by its owner only; never overwrite one.

    The key is written under another name and linked into place, so a second process
    starting at the same moment reads a whole key, never half of one.
    """
    path.parent.mkdir(parents=True, exist_ok=True)
    pem = Ed25519PrivateKey.generate().private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption())
    temporary = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    fd = os.open(temporary, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    try:
        with os.fdopen(fd, "wb") as f:
            f.write(pem)
        os.link(temporary, path)
    except FileExistsError:
        pass  # another process won the race: use its key
    finally:
        temporary.unlink(missing_ok=True)


def load_signing_key(settings: dict, environ=os.environ) -> Ed25519PrivateKey:
    """The private key that signs tickets.

    In order: the environment variable TOURISM_TICKET_SIGNING_KEY (Base64 of the 32 raw
    private bytes; production), else the PEM file named by `tourism.ticket_key_file`,
    which outside production is created (mode 0600) when missing. Raises
    ConfigurationError, saying what to set, when there is no usable key.
    """
    if environ.get(KEY_ENV):
        return Ed25519PrivateKey.from_private_bytes(_key_from_b64(environ[KEY_ENV], KEY_ENV))
    filename = settings.get(KEY_FILE_SETTING, "").strip()
    if not filename:
        raise ConfigurationError(
            f"No ticket signing key: set the environment variable {KEY_ENV} (Base64 of 32 random bytes: "
            "`python -c 'import base64, os; print(base64.b64encode(os.urandom(32)).decode())'`) "
            f"or the setting {KEY_FILE_SETTING}.")
    path = Path(filename)
    if not path.exists():
        if is_production(settings):
            # Each server inventing its own key would make every other server's tickets forgeries.
            raise ConfigurationError(f"{KEY_FILE_SETTING}: {path} does not exist; production never "
                                     f"generates a signing key. Set {KEY_ENV} or install the key file.")
        _generate_key_file(path)
    try:
        key = serialization.load_pem_private_key(path.read_bytes(), password=None)
    except (OSError, ValueError, TypeError) as error:
        raise ConfigurationError(f"{KEY_FILE_SETTING}: cannot read a private key from {path} ({error}).") from error
    if not isinstance(key, Ed25519PrivateKey):
        raise ConfigurationError(f"{KEY_FILE_SETTING}: {path} holds a {type(key).__name__}, not an Ed25519 key.")
    return key


def load_ticket_keys(settings: dict, environ=os.environ) -> TicketKeys:
    """The signing key and the honoured public keys: its own, plus the retired ones listed
    (Base64, whitespace-separated) in `tourism.ticket_retired_public_keys`, so tickets sold
    before a key rotation still scan."""
    private_key = load_signing_key(settings, environ)
    current = key_id(private_key.public_key())
    public_keys = {current: private_key.public_key()}
    for text in settings.get(RETIRED_KEYS_SETTING, "").split():
        public = Ed25519PublicKey.from_public_bytes(_key_from_b64(text, RETIRED_KEYS_SETTING))
        kid = key_id(public)
        if kid in public_keys and public_keys[kid].public_bytes_raw() != public.public_bytes_raw():
            raise ConfigurationError(f"{RETIRED_KEYS_SETTING}: two keys share the id {kid}; retire one of them.")
        public_keys[kid] = public
    return TicketKeys(current, private_key, public_keys)
