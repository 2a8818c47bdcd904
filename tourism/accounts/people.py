"""An operator's people, managed by its owners (and by platform admins).

An owner adds a person (e-mail, name, role, the language of their e-mails), who gets an
invitation link to choose their password; changes a person's role; removes a person, who is
signed out everywhere at once and can no longer sign in. An operator always keeps at least one
owner: the last one can be neither demoted nor removed. That rule holds under concurrency: the
operator's row is locked before the owners are counted, so two owners demoting each other at
once cannot both succeed (OWNER_GUARD, for the tests' negative control).

A removed person's row is kept, deactivated, with a password nobody knows: other domains'
history may refer to it, and a deleted id could be handed out again (SQLite reuses the
highest one) to someone new whom an old session cookie would then match. Adding the same
e-mail again brings the row back.
"""
from collections.abc import Mapping, Sequence
from datetime import datetime

from sqlalchemy import func, select

from tourism.accounts import emails, passwords, services
from tourism.accounts.models import Operator, OperatorRole, TokenPurpose, User
from tourism.concurrency import RaceGuard
from tourism.exceptions import DomainError
from tourism.forms import Problems, chosen_row, choice, line, raw, too_long
from tourism.i18n import LOCALES, _

OWNER_GUARD = RaceGuard()
NAME_LIMIT = 120


def people(dbsession, operator_id: int | None) -> list[User]:
    """The active people of `operator_id` (None: of every operator), by operator, owners
    first, then by name."""
    query = (select(User).join(Operator, Operator.id == User.operator_id)
             .where(User.deactivated_at.is_(None))
             .order_by(Operator.name, Operator.id, User.operator_role, func.lower(User.display_name), User.id))
    if operator_id is not None:
        query = query.where(User.operator_id == operator_id)
    return list(dbsession.scalars(query))


def _owners_left(dbsession, operator_id: int, *, without: User) -> int:
    """How many active owners `operator_id` has besides `without`, its row locked first."""
    if OWNER_GUARD.enabled:
        dbsession.execute(select(Operator.id).where(Operator.id == operator_id).with_for_update())
    count = dbsession.scalar(select(func.count()).select_from(User).where(
        User.operator_id == operator_id, User.operator_role == OperatorRole.OWNER,
        User.deactivated_at.is_(None), User.id != without.id))
    OWNER_GUARD.pause()
    return count


def _keep_an_owner(dbsession, person: User) -> None:
    if person.operator_role == OperatorRole.OWNER and _owners_left(dbsession, person.operator_id, without=person) == 0:
        raise DomainError(_("${name} is the only owner of ${operator}. Make someone else an owner first.",
                            mapping={"name": person.display_name, "operator": person.operator.name}))


def add_person(dbsession, registry, form: Mapping, *, operators: Sequence[Operator], invited_by: User,
               now: datetime) -> User:
    """Add one of an operator's people from `form` (email, name, role, locale, and operator
    when `operators` offers more than one) and e-mail them an invitation link (a week).

    Someone removed earlier comes back (same row, a new password link). Raises InvalidInput,
    one message per wrong field, changing nothing: a malformed e-mail, or one that already has
    an account (here or elsewhere: an e-mail signs in to one operator only), a missing name,
    an unknown role, language or operator.
    """
    problems = Problems()
    email = services.normalise_email(line(form, "email"))
    if not services.EMAIL_PATTERN.match(email) or len(email) > 254:
        problems.add("email", _("Enter a valid email address, like name@example.com."))
    name = line(form, "name")
    if not name:
        problems.add("name", _("Write the person's name, as the team knows them."))
    too_long(problems, "name", name, NAME_LIMIT)
    role = choice(form, "role", OperatorRole, problems, _("Choose what this person may do."))
    locale = raw(form, "locale")
    if locale not in LOCALES:
        problems.add("locale", _("Choose the language of their e-mails."))
    if len(operators) == 1:
        operator = operators[0]
    else:
        operator = chosen_row(form, "operator", operators, problems, _("Choose whose team they join."))
    existing = services.find_user(dbsession, email) if "email" not in problems.errors else None
    if existing is not None and existing.is_active:
        if operator is not None and existing.operator_id == operator.id:
            problems.add("email", _("${name} is already in this team.", mapping={"name": existing.display_name}))
        else:
            problems.add("email", _("This e-mail already has an account on LàngViệt. Use another e-mail, "
                                    "or ask the LàngViệt team to move the account."))
    problems.raise_any()

    person = existing or User(email=email)
    if existing is None:
        dbsession.add(person)
    else:
        services.sign_out_everywhere(person)
        services.forget_password_links(dbsession, person, now=now)
    person.display_name, person.locale = name, locale
    person.password_hash = services.unusable_password_hash()
    person.is_admin, person.deactivated_at = False, None
    person.operator, person.operator_role = operator, role
    dbsession.flush()
    invite(dbsession, registry, person, invited_by=invited_by, now=now)
    return person


def invite(dbsession, registry, person: User, *, invited_by: User, now: datetime) -> None:
    """E-mail `person` a new link to choose their password (valid a week)."""
    token = passwords.issue_link(dbsession, person, TokenPurpose.INVITE, now=now)
    emails.send_invitation(dbsession, registry, person, token, invited_by=invited_by, now=now)


def change_role(dbsession, person: User, form: Mapping) -> bool:
    """Give `person` the role chosen in `form` (field role). Returns whether it changed.

    Raises InvalidInput for an unknown role, DomainError when it would leave the operator
    without an owner; nothing is changed then.
    """
    problems = Problems()
    role = choice(form, "role", OperatorRole, problems, _("Choose what this person may do."))
    problems.raise_any()
    if role == person.operator_role:
        return False
    _keep_an_owner(dbsession, person)
    person.operator_role = role
    dbsession.flush()
    return True


def remove_person(dbsession, person: User, *, now: datetime) -> None:
    """Remove `person` from their operator's team: signed out everywhere at once, unable to
    sign in or to use any link sent earlier (the row stays, deactivated). Raises DomainError
    for the operator's last owner; nothing is changed then."""
    _keep_an_owner(dbsession, person)
    services.sign_out_everywhere(person)
    services.forget_password_links(dbsession, person, now=now)
    person.password_hash = services.unusable_password_hash()
    person.deactivated_at = now
    dbsession.flush()
