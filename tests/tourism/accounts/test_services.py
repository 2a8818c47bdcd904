"""Creating platform admins."""
import pytest
from sqlalchemy import select

from tourism.accounts.models import User
from tourism.accounts.services import create_admin, verify_password
from tourism.exceptions import DomainError


def test_create_admin_hashes_the_password(dbsession):
    user = create_admin(dbsession, email=" Admin@LangViet.example ", password="correct horse battery")
    assert user.email == "admin@langviet.example" and user.is_admin
    assert user.password_hash.startswith("$argon2id$")
    assert verify_password(user, "correct horse battery") and not verify_password(user, "wrong password!")


def test_create_admin_again_promotes_and_resets(dbsession):
    create_admin(dbsession, email="a@example.com", password="first password 1")
    user = create_admin(dbsession, email="A@example.com", password="second password 2")
    assert dbsession.scalars(select(User).where(User.email == "a@example.com")).all() == [user]
    assert verify_password(user, "second password 2")


@pytest.mark.parametrize("email, password", [("not-an-email", "long enough pass"), ("a@example.com", "short")])
def test_bad_input_changes_nothing(dbsession, email, password):
    with pytest.raises(DomainError):
        create_admin(dbsession, email=email, password=password)
    assert dbsession.scalars(select(User).where(User.email.in_([email, "a@example.com"]))).all() == []
