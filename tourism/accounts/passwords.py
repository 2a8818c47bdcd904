"""Password links and password changes.

A password link (`PasswordToken`) lets whoever holds it choose the account's password, once,
before it expires: an hour for "Forgot your password?", a week for an invitation from an
owner. Only the token's SHA-256 is stored. Choosing a password through a link, or changing it
with the current one, signs the person out of every other browser and kills their other links.

"Forgot your password?" answers the same whether or not the e-mail has an account, and is
throttled per e-mail and per address (tourism.accounts.throttle) either way.
"""
import enum
import hashlib
import secrets
from collections.abc import Mapping
from datetime import datetime, timedelta

from sqlalchemy import select, update

from tourism.accounts import emails, services, throttle
from tourism.accounts.models import PasswordToken, TokenPurpose, User
from tourism.forms import InvalidInput, Problems, raw
from tourism.i18n import _

LIFETIMES = {TokenPurpose.RESET: timedelta(hours=1), TokenPurpose.INVITE: timedelta(days=7)}
TOKEN_MAX_LENGTH = 100  # ours are 43 characters; anything much longer is not worth hashing


class LinkProblem(enum.StrEnum):
    UNKNOWN = "unknown"  # never issued (mistyped, cut short, forged)
    USED = "used"  # used already, or replaced by a newer password
    EXPIRED = "expired"


class LinkRefused(Exception):
    def __init__(self, problem: LinkProblem, purpose: TokenPurpose | None = None):
        super().__init__(problem.value)
        self.problem, self.purpose = problem, purpose


class Throttled(Exception):
    def __init__(self, wait: timedelta):
        super().__init__(str(wait))
        self.wait = wait

    @property
    def minutes(self) -> int:
        return -(-int(self.wait.total_seconds()) // 60)


def hash_token(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def issue_link(dbsession, user: User, purpose: TokenPurpose, *, now: datetime) -> str:
    """A new password link token for `user`; only its hash is stored. Earlier links stay valid
    until they expire or a password is chosen."""
    token = secrets.token_urlsafe(32)
    dbsession.add(PasswordToken(user_id=user.id, token_hash=hash_token(token), purpose=purpose,
                                created_at=now, expires_at=now + LIFETIMES[purpose]))
    dbsession.flush()
    return token


def find_link(dbsession, token: str, *, now: datetime) -> PasswordToken:
    """The usable link for `token`; LinkRefused saying why when there is none."""
    found = None
    if token and len(token) <= TOKEN_MAX_LENGTH:
        found = dbsession.scalar(select(PasswordToken).where(PasswordToken.token_hash == hash_token(token)))
    if found is None:
        raise LinkRefused(LinkProblem.UNKNOWN)
    if found.used_at is not None or not found.user.is_active:
        raise LinkRefused(LinkProblem.USED, found.purpose)
    if found.expires_at <= now:
        raise LinkRefused(LinkProblem.EXPIRED, found.purpose)
    return found


def choose_password(dbsession, token: str, form: Mapping, *, now: datetime) -> User:
    """Set the password typed in `form` (fields password, confirm) on the account of the link
    `token`, and use the link up. Returns the user, now signed out everywhere (the caller
    signs this browser in).

    Raises LinkRefused (expired, used, unknown) or InvalidInput (the password); nothing is
    changed then. Two requests racing with one link: the conditional UPDATE lets one win,
    the other gets LinkRefused(USED).
    """
    link = find_link(dbsession, token, now=now)
    problems = Problems()
    password = services.read_new_password(form, link.user.email, problems)
    problems.raise_any()
    used = dbsession.execute(
        update(PasswordToken)
        .where(PasswordToken.id == link.id, PasswordToken.used_at.is_(None), PasswordToken.expires_at > now)
        .values(used_at=now).execution_options(synchronize_session=False))
    if used.rowcount != 1:
        raise LinkRefused(LinkProblem.USED, link.purpose)
    dbsession.refresh(link)
    user = link.user
    services.set_password(dbsession, user, password, now=now)
    throttle.clear_failures(dbsession, user.email)  # they proved the address is theirs
    dbsession.flush()
    return user


def request_reset(dbsession, registry, *, email: str, address: str, now: datetime, locale: str) -> None:
    """"Forgot your password?": e-mail a link (valid an hour) to the active account with this
    e-mail, in its language (`locale`, the page's, for someone who never chose one); nothing
    for an e-mail with no account, and the caller answers the same either way.

    Raises Throttled when this e-mail or address asked too often lately; the request counts
    (whether or not the account exists) otherwise.
    """
    key = services.normalise_email(email)[:254]
    wait = throttle.wait_before_reset(dbsession, key, address, now)
    if wait is not None:
        raise Throttled(wait)
    throttle.record_reset_request(dbsession, key, address, now)
    user = services.find_user(dbsession, key)
    if user is None or not user.is_active:
        return
    token = issue_link(dbsession, user, TokenPurpose.RESET, now=now)
    emails.send_reset(dbsession, registry, user, token, now=now, locale=user.locale or locale)


def change_own_password(dbsession, user: User, form: Mapping, *, address: str, now: datetime) -> None:
    """The signed-in person changes their password, typing the current one (field `current`)
    and the new one twice. Signs them out everywhere (the caller signs this browser back in).

    Raises Throttled after too many wrong current passwords (the sign-in limits: a stolen
    session may not guess it), InvalidInput for wrong fields; nothing is changed then.
    """
    wait = throttle.wait_before_sign_in(dbsession, user.email, address, now)
    if wait is not None:
        raise Throttled(wait)
    problems = Problems()
    current = raw(form, "current")[:services.MAX_PASSWORD_LENGTH]
    if not services.verify_password(user, current):
        problems.add("current", _("That is not your current password."))
    password = services.read_new_password(form, user.email, problems)
    if "current" in problems.errors:
        throttle.record_failure(dbsession, user.email, address, now)
        raise InvalidInput(problems.errors)
    problems.raise_any()
    services.set_password(dbsession, user, password, now=now)
    throttle.clear_failures(dbsession, user.email)
    dbsession.flush()
