"""Accounts: the people who sign in, and the operators (cooperatives, workshops) they work for.

A platform admin sees everything. Everyone else belongs to exactly one operator, as its
owner or as staff, and sees only that operator's villages and what hangs off them.
"""
import enum
from datetime import datetime

from sqlalchemy import CheckConstraint, ForeignKey, String, func
from sqlalchemy.orm import Mapped, mapped_column, relationship

from tourism.db import Base, UTCDateTime, str_enum


class Operator(Base):
    """Who runs experiences: a cooperative, a family workshop, a museum."""

    __tablename__ = "operators"

    id: Mapped[int] = mapped_column(primary_key=True)
    slug: Mapped[str] = mapped_column(String(80), unique=True)
    name: Mapped[str] = mapped_column(String(200))


class OperatorRole(enum.StrEnum):
    OWNER = "owner"
    STAFF = "staff"


class User(Base):
    __tablename__ = "users"
    __table_args__ = (
        # An operator's people have a role there; admins need no operator.
        CheckConstraint("(operator_id IS NULL) = (operator_role IS NULL)", name="operator_has_role"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    # Stored lower-cased, so the unique constraint also holds case-insensitively.
    email: Mapped[str] = mapped_column(String(254), unique=True)
    display_name: Mapped[str] = mapped_column(String(120))
    password_hash: Mapped[str] = mapped_column(String(255))
    is_admin: Mapped[bool] = mapped_column(default=False)
    operator_id: Mapped[int | None] = mapped_column(ForeignKey("operators.id"), index=True)
    operator_role: Mapped[OperatorRole | None] = mapped_column(str_enum(OperatorRole, "operator_role"))
    # Signed-in browsers carry this number; raising it signs the user out everywhere.
    session_version: Mapped[int] = mapped_column(default=1, server_default="1")
    created_at: Mapped[datetime] = mapped_column(server_default=func.current_timestamp())
    # The language of the e-mails we send them: chosen when they were added, then the one
    # they last signed in with. None (older accounts): the language of the page they ask from.
    locale: Mapped[str | None] = mapped_column(String(8))
    last_sign_in_at: Mapped[datetime | None] = mapped_column(UTCDateTime(timezone=True))
    # Set when an owner removed them but other rows still refer to them: they can no longer
    # sign in, and lists no longer show them.
    deactivated_at: Mapped[datetime | None] = mapped_column(UTCDateTime(timezone=True))

    operator: Mapped[Operator | None] = relationship()

    @property
    def is_active(self) -> bool:
        return self.deactivated_at is None


class TokenPurpose(enum.StrEnum):
    RESET = "reset"  # "Forgot your password?": works for an hour
    INVITE = "invite"  # an owner added them: works for a week


class PasswordToken(Base):
    """A link that lets its holder choose the account's password, once, before it expires.

    Only the SHA-256 of the token is stored: the database alone opens no account.
    """

    __tablename__ = "password_tokens"

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    purpose: Mapped[TokenPurpose] = mapped_column(str_enum(TokenPurpose, "token_purpose"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(timezone=True))
    expires_at: Mapped[datetime] = mapped_column(UTCDateTime(timezone=True))
    used_at: Mapped[datetime | None] = mapped_column(UTCDateTime(timezone=True))

    user: Mapped[User] = relationship()


class ResetRequest(Base):
    """A "Forgot your password?" request, whether or not the e-mail has an account: counted to
    limit how many links one address or one account can be sent."""

    __tablename__ = "password_reset_requests"

    id: Mapped[int] = mapped_column(primary_key=True)
    email: Mapped[str] = mapped_column(String(254), index=True)
    address: Mapped[str] = mapped_column(String(64), index=True)
    requested_at: Mapped[datetime] = mapped_column(UTCDateTime(timezone=True), index=True)


class SignInFailure(Base):
    """A wrong password or unknown e-mail at sign-in, counted to slow down guessing."""

    __tablename__ = "sign_in_failures"

    id: Mapped[int] = mapped_column(primary_key=True)
    email: Mapped[str] = mapped_column(String(254), index=True)
    address: Mapped[str] = mapped_column(String(64), index=True)
    failed_at: Mapped[datetime] = mapped_column(UTCDateTime(timezone=True), index=True)
