"""Account rules: creating users and operators, checking passwords (argon2id), choosing a
new password (which signs the person out everywhere else)."""
import re
import secrets
from collections.abc import Mapping
from datetime import datetime

from argon2 import PasswordHasher
from argon2.exceptions import VerificationError
from sqlalchemy import select, update

from tourism.accounts.models import Operator, OperatorRole, PasswordToken, User
from tourism.exceptions import DomainError
from tourism.forms import Problems, raw
from tourism.i18n import LOCALES, _

MIN_PASSWORD_LENGTH = 12
# Sign-in reads at most this much of a password: a longer one could never be typed back.
MAX_PASSWORD_LENGTH = 1024
EMAIL_PATTERN = re.compile(r"^[^@\s]{1,64}@[^@\s]+\.[^@\s]{2,}$")

_hasher = PasswordHasher()


def hash_password(password: str) -> str:
    return _hasher.hash(password)


def verify_password(user: User, password: str) -> bool:
    try:
        return _hasher.verify(user.password_hash, password)
    except VerificationError:
        return False


# Checked against when no account has the e-mail, so a wrong address costs as much time as
# a wrong password and the timing does not tell which e-mails have accounts.
_DUMMY_HASH = _hasher.hash("no account has this password")


def normalise_email(email: str) -> str:
    return email.strip().lower()


def find_user(dbsession, email: str) -> User | None:
    """The account with this e-mail (any case, surrounding spaces ignored), removed or not."""
    return dbsession.scalar(select(User).where(User.email == normalise_email(email)))


def authenticate(dbsession, email: str, password: str) -> User | None:
    """The active user with this e-mail and password, or None (without saying which was wrong)."""
    user = find_user(dbsession, email)
    if user is None or not user.is_active:
        try:
            _hasher.verify(_DUMMY_HASH, password)
        except VerificationError:
            pass
        return None
    return user if verify_password(user, password) else None


def signed_in(user: User, *, now: datetime, locale: str) -> None:
    """Note a successful sign-in: when (for the team list), and the language of the page,
    which the e-mails we send them use from now on."""
    user.last_sign_in_at = now
    if locale in LOCALES:
        user.locale = locale


def unusable_password_hash() -> str:
    """A real argon2 hash of a secret nobody knows: for people who have not chosen a password yet."""
    return hash_password(secrets.token_urlsafe(32))


def read_new_password(form: Mapping, email: str, problems: Problems) -> str:
    """The new password typed in `password` and again in `confirm`, or "" with the problems noted.

    At least MIN_PASSWORD_LENGTH characters (at most MAX_PASSWORD_LENGTH), not the e-mail
    address, and the same twice. Spaces count: a passphrase may have them.
    """
    password, confirm = raw(form, "password"), raw(form, "confirm")
    if len(password) < MIN_PASSWORD_LENGTH:
        problems.add("password", _("Use a password of at least ${count} characters.",
                                   mapping={"count": MIN_PASSWORD_LENGTH}))
    elif len(password) > MAX_PASSWORD_LENGTH:
        problems.add("password", _("At most ${limit} characters, please (this has ${length}).",
                                   mapping={"limit": MAX_PASSWORD_LENGTH, "length": len(password)}))
    elif normalise_email(password) == normalise_email(email):
        problems.add("password", _("Do not use your e-mail address as your password."))
    elif confirm != password:
        problems.add("confirm", _("The two passwords are not the same. Type the new password again in both boxes."))
    return password if "password" not in problems.errors and "confirm" not in problems.errors else ""


def set_password(dbsession, user: User, password: str, *, now: datetime) -> None:
    """Give `user` this password, sign them out of every browser (raise session_version) and
    make every password link they were sent unusable. The caller checked the password."""
    user.password_hash = hash_password(password)
    sign_out_everywhere(user)
    forget_password_links(dbsession, user, now=now)


def sign_out_everywhere(user: User) -> None:
    """Every browser signed in as `user` is signed out at its next request."""
    user.session_version += 1


def forget_password_links(dbsession, user: User, *, now: datetime) -> None:
    """Every reset or invitation link sent to `user` and not used yet stops working."""
    dbsession.execute(update(PasswordToken).where(PasswordToken.user_id == user.id, PasswordToken.used_at.is_(None))
                      .values(used_at=now).execution_options(synchronize_session=False))


def _upsert_user(dbsession, email: str, password: str, display_name: str) -> User:
    """The user with this e-mail (created if new) with this password; DomainError for bad input."""
    email = normalise_email(email)
    if not EMAIL_PATTERN.match(email):
        raise DomainError(_("Enter a valid email address, like name@example.com."))
    if len(password) < MIN_PASSWORD_LENGTH:
        raise DomainError(
            _("Use a password of at least ${count} characters.", mapping={"count": MIN_PASSWORD_LENGTH})
        )
    user = find_user(dbsession, email)
    if user is None:
        user = User(email=email, display_name=display_name or email.split("@")[0])
        dbsession.add(user)
    elif display_name:
        user.display_name = display_name
    user.password_hash = hash_password(password)
    return user


def create_admin(dbsession, *, email: str, password: str, display_name: str = "") -> User:
    """Create a platform admin, or make an existing user an admin with this password.

    Raises DomainError for a malformed email or a short password; changes nothing then.
    """
    user = _upsert_user(dbsession, email, password, display_name)
    user.is_admin = True
    user.operator_id, user.operator_role = None, None
    user.deactivated_at = None
    dbsession.flush()
    return user


def create_operator_user(dbsession, *, operator: Operator, email: str, password: str,
                         role: OperatorRole = OperatorRole.STAFF, display_name: str = "") -> User:
    """Create one of an operator's people (owner or staff), or move an existing one there.

    Raises DomainError for a malformed email or a short password; changes nothing then.
    """
    user = _upsert_user(dbsession, email, password, display_name)
    user.is_admin = False
    user.operator, user.operator_role = operator, OperatorRole(role)
    user.deactivated_at = None  # someone removed before is back
    dbsession.flush()
    return user


def find_operator(dbsession, slug: str) -> Operator | None:
    return dbsession.scalar(select(Operator).where(Operator.slug == slug))
