"""Account rules: creating users and checking passwords (argon2id)."""
import re

from argon2 import PasswordHasher
from argon2.exceptions import VerificationError
from sqlalchemy import select

from tourism.accounts.models import User
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


def create_admin(dbsession, *, email: str, password: str, display_name: str = "") -> User:
    """Create a platform admin, or make an existing user an admin with this password.

    Raises DomainError for a malformed email or a short password; changes nothing then.
    """
    email = email.strip().lower()
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
    user.password_hash = hash_password(password)
    user.is_admin = True
    dbsession.flush()
    return user
