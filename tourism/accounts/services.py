"""Account rules: creating users and operators, checking passwords (argon2id)."""
import re

from argon2 import PasswordHasher
from argon2.exceptions import VerificationError
from sqlalchemy import select

from tourism.accounts.models import Operator, OperatorRole, User
from tourism.exceptions import DomainError
from tourism.i18n import _

MIN_PASSWORD_LENGTH = 12
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


def authenticate(dbsession, email: str, password: str) -> User | None:
    """The user with this e-mail and password, or None (without saying which was wrong)."""
    user = dbsession.scalar(select(User).where(User.email == normalise_email(email)))
    if user is None:
        try:
            _hasher.verify(_DUMMY_HASH, password)
        except VerificationError:
            pass
        return None
    return user if verify_password(user, password) else None


def _upsert_user(dbsession, email: str, password: str, display_name: str) -> User:
    """The user with this e-mail (created if new) with this password; DomainError for bad input."""
    email = normalise_email(email)
    if not EMAIL_PATTERN.match(email):
        raise DomainError(_("Enter a valid email address, like name@example.com."))
    if len(password) < MIN_PASSWORD_LENGTH:
        raise DomainError(
            _("Use a password of at least ${count} characters.", mapping={"count": MIN_PASSWORD_LENGTH})
        )
    user = dbsession.scalar(select(User).where(User.email == email))
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
    dbsession.flush()
    return user


def find_operator(dbsession, slug: str) -> Operator | None:
    return dbsession.scalar(select(Operator).where(Operator.slug == slug))
