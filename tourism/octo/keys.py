"""Resellers' API keys: issued (shown once), checked on every OCTO request, revoked.

A key is 32 random bytes, URL-safe, after a recognisable prefix ("lvk_"): a leaked key is
easy to spot in logs and in code. Only its SHA-256 is stored: with that much randomness
there is nothing to brute-force, so a slow password hash would only slow every request.
"""
import hashlib
import secrets
from datetime import datetime, timedelta

from sqlalchemy import select, update

from tourism.octo.models import KEY_PREFIX_LENGTH, Reseller, ResellerKey

KEY_PREFIX = "lvk_"
# `last_used_at` is written at most this often per key, not on every request.
LAST_USED_RESOLUTION = timedelta(minutes=5)


def hash_key(key: str) -> str:
    return hashlib.sha256(key.encode()).hexdigest()


def issue_key(dbsession, reseller: Reseller, *, now: datetime) -> tuple[ResellerKey, str]:
    """A new key for the reseller: the row, and the key itself (shown once, never stored)."""
    key = KEY_PREFIX + secrets.token_urlsafe(32)
    return add_known_key(dbsession, reseller, key, now=now), key


def add_known_key(dbsession, reseller: Reseller, key: str, *, now: datetime) -> ResellerKey:
    """Store a key chosen elsewhere (the demo's documented key); idempotent."""
    row = dbsession.scalar(select(ResellerKey).where(ResellerKey.key_hash == hash_key(key)))
    if row is None:
        row = ResellerKey(reseller_id=reseller.id, prefix=key[:KEY_PREFIX_LENGTH], key_hash=hash_key(key),
                          created_at=now)
        dbsession.add(row)
        dbsession.flush()
    return row


def revoke_key(dbsession, key: ResellerKey, *, now: datetime) -> bool:
    """Revoke the key from now on; False when it already was (nothing changes)."""
    revoked = dbsession.execute(
        update(ResellerKey).where(ResellerKey.id == key.id, ResellerKey.revoked_at.is_(None))
        .values(revoked_at=now).execution_options(synchronize_session=False)
    ).rowcount == 1
    dbsession.refresh(key)
    return revoked


def reseller_for_key(dbsession, key: str, *, now: datetime) -> Reseller | None:
    """The reseller whose live key this is, or None (unknown, revoked, or not a key at all)."""
    if not key or len(key) > 200:
        return None
    row = dbsession.scalar(select(ResellerKey).where(ResellerKey.key_hash == hash_key(key),
                                                     ResellerKey.revoked_at.is_(None)))
    if row is None:
        return None
    if row.last_used_at is None or now - row.last_used_at >= LAST_USED_RESOLUTION:
        row.last_used_at = now
    return row.reseller
