"""An operator's resellers, managed by its owners (and by platform admins) in the console.

A reseller has a name, an optional contact e-mail, the share of the retail price it keeps
(its commission, a whole percent from 0 to 90) and the experiences it may sell, chosen
among its operator's own: an id of another operator's experience is refused, never quietly
dropped. Each function reads a whole form first and raises `InvalidInput` (one message per
wrong field) before anything changes. Its keys are issued and revoked with tourism.octo.keys.
"""
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass

from sqlalchemy import func, select

from tourism.accounts.models import Operator
from tourism.accounts.services import EMAIL_PATTERN, normalise_email
from tourism.catalog.models import Experience, Village
from tourism.forms import Problems, chosen_id, chosen_row, line, too_long, whole_number
from tourism.i18n import _
from tourism.octo.models import Reseller, ResellerBooking, ResellerKey

NAME_LIMIT = 120
EMAIL_LIMIT = 254
MAX_COMMISSION = 90  # also the database's CHECK (commission_range)


@dataclass(frozen=True)
class ResellerRow:
    """A reseller as the console's list shows it."""

    reseller: Reseller
    live_keys: int
    bookings: int


def offered_experiences(dbsession, operator_id: int | None) -> list[Experience]:
    """The experiences a reseller of `operator_id` may be given (None: every operator's, for
    an admin's "new" form), by village and slug."""
    query = (select(Experience).join(Village, Village.id == Experience.village_id)
             .where(Village.operator_id.is_not(None)).order_by(Village.slug, Experience.slug))
    if operator_id is not None:
        query = query.where(Village.operator_id == operator_id)
    return list(dbsession.scalars(query))


def operator_resellers(dbsession, operator_id: int | None) -> list[ResellerRow]:
    """The resellers of `operator_id` (None: of every operator), by operator then name, each
    with its live keys and its bookings counted."""
    live = (select(func.count()).select_from(ResellerKey)
            .where(ResellerKey.reseller_id == Reseller.id, ResellerKey.revoked_at.is_(None)).scalar_subquery())
    booked = (select(func.count()).select_from(ResellerBooking)
              .where(ResellerBooking.reseller_id == Reseller.id).scalar_subquery())
    query = (select(Reseller, live, booked).join(Operator, Operator.id == Reseller.operator_id)
             .order_by(Operator.name, Operator.id, func.lower(Reseller.name), Reseller.id))
    if operator_id is not None:
        query = query.where(Reseller.operator_id == operator_id)
    return [ResellerRow(reseller, int(keys), int(bookings)) for reseller, keys, bookings in dbsession.execute(query)]


def _read(form: Mapping, problems: Problems) -> dict:
    """Name, contact e-mail and commission from `form`, each wrong one noted in `problems`."""
    name = line(form, "name")
    if not name:
        problems.add("name", _("Write the reseller's name, as you know them (a company or a website)."))
    too_long(problems, "name", name, NAME_LIMIT)
    email = normalise_email(line(form, "contact_email"))
    if email and (not EMAIL_PATTERN.match(email) or len(email) > EMAIL_LIMIT):
        problems.add("contact_email", _("Enter a valid email address, like name@example.com, or leave it empty."))
    typed = line(form, "commission_percent").removesuffix("%").strip()  # "20 %" is 20
    commission = whole_number(typed) if typed else 0
    if commission is None:
        problems.add("commission_percent", _("Write the commission as a whole number of percent, like 20."))
    elif not 0 <= commission <= MAX_COMMISSION:
        problems.add("commission_percent", _("The commission must be between 0 and ${max} percent.",
                                             mapping={"max": MAX_COMMISSION}))
    return {"name": name, "contact_email": email, "commission_percent": commission}


def _chosen_experiences(dbsession, operator_id: int | None, chosen_ids: Iterable, problems: Problems) -> list[Experience]:
    """The experiences ticked, all of them `operator_id`'s; anything else is refused whole."""
    ids, wrong = set(), False
    for value in chosen_ids:
        number = chosen_id(value) if isinstance(value, str) else None
        if number is None:
            wrong = True
        else:
            ids.add(number)
    found = list(dbsession.scalars(
        select(Experience).join(Village, Village.id == Experience.village_id)
        .where(Experience.id.in_(ids), Village.operator_id == operator_id)
        .order_by(Experience.id))) if ids and operator_id is not None else []
    if wrong or len(found) != len(ids):
        problems.add("experiences", _("A reseller may sell only your own experiences: choose among those listed here."))
    return found


def create_reseller(dbsession, form: Mapping, chosen_ids: Iterable, *, operators: Sequence[Operator]) -> Reseller:
    """A new reseller from `form` (name, contact_email, commission_percent, and operator when
    `operators` offers more than one) allowed to sell the experiences whose ids are in
    `chosen_ids`, all the operator's own. Raises InvalidInput (nothing added)."""
    problems = Problems()
    values = _read(form, problems)
    if len(operators) == 1:
        operator = operators[0]
    else:
        operator = chosen_row(form, "operator", operators, problems, _("Choose whose reseller it is."))
    # Without an operator (an admin chose none) there is nothing to check the experiences against.
    experiences = _chosen_experiences(dbsession, operator.id, chosen_ids, problems) if operator is not None else []
    problems.raise_any()
    reseller = Reseller(operator_id=operator.id, **values)
    reseller.experiences = experiences
    dbsession.add(reseller)
    dbsession.flush()
    return reseller


def update_reseller(dbsession, reseller: Reseller, form: Mapping, chosen_ids: Iterable) -> None:
    """Change the reseller's name, contact e-mail, commission and the experiences it may sell
    (exactly those ticked, all its operator's). Raises InvalidInput (nothing changed)."""
    problems = Problems()
    values = _read(form, problems)
    experiences = _chosen_experiences(dbsession, reseller.operator_id, chosen_ids, problems)
    problems.raise_any()
    for name, value in values.items():
        setattr(reseller, name, value)
    reseller.experiences = experiences
    dbsession.flush()
