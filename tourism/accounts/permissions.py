"""Who may do what in the console: principals for a signed-in user, ACLs for what they touch.

Every console view names a permission and gets, from its route factory, a resource saying
which operator owns the object (an `OperatorResource`). Admins may do anything; an
operator's owner and staff may work only on their own operator's objects. Queries that list
things across operators narrow themselves with `visible_operator_id`.

Owner and staff: both roles get STAFF_PERMISSIONS (CONSOLE, CHECKIN, PAYMENTS) on their own
operator's objects. MANAGE (the operator's staff, editing experiences and schedules, cancelling
whole sessions, refunds with override, reports) is for the operator's owners and for admins:

- on an operator's object, `OperatorResource(operator_id, obj)` grants MANAGE to the principal
  `operator:<id>:owner` only, so `permission=MANAGE` on a view routed through `row_from_url`
  is enough;
- on pages that are not about one object (a list, a "new" form), use the route factory
  `OwnerRoot`: MANAGE for admins and for the signed-in person if they own their operator;
  the view still narrows what it lists or accepts to `visible_operator_id` (an owner's own
  operator). Staff get 403 there;
- in a view, `can_manage(request, operator_id)` (in a template, `request.can_manage(operator_id)`)
  says whether to show a control (an "Edit" button) at all; operator_id None means the
  person's own operator. The view behind the control still declares `permission=MANAGE`.

The console's landing page lists a link only to those with its permission (CONSOLE or
MANAGE, `config.add_console_link(..., permission=MANAGE)`).
"""
from pyramid.authorization import ALL_PERMISSIONS, Allow, Authenticated, Everyone
from pyramid.httpexceptions import HTTPNotFound

ADMIN = "role:admin"
MAX_ID_DIGITS = 9  # ids in URLs: anything longer is not ours (and int() of it is wasted work)

# Permissions. Check-in: the scanner and the manifest. Payments: marking transfers
# received and importing bank statements.
CONSOLE = "console"
CHECKIN = "checkin"
PAYMENTS = "payments"
STAFF_PERMISSIONS = (CONSOLE, CHECKIN, PAYMENTS)
# Running the operator: its staff, experiences, schedules, whole-session cancels, refund
# overrides, reports. Owners and admins only.
MANAGE = "manage"


def operator_principal(operator_id: int) -> str:
    return f"operator:{operator_id}"


def owner_principal(operator_id: int) -> str:
    return f"{operator_principal(operator_id)}:owner"


def principals_for(user) -> list[str]:
    if user is None:
        return [Everyone]
    principals = [Everyone, Authenticated, f"user:{user.id}"]
    if user.is_admin:
        principals.append(ADMIN)
    if user.operator_id is not None:
        principals += [operator_principal(user.operator_id), f"{operator_principal(user.operator_id)}:{user.operator_role}"]
    return principals


class ConsoleRoot:
    """Console pages that are not about one operator's object (sign-in landing, lists)."""

    __acl__ = [(Allow, ADMIN, ALL_PERMISSIONS), (Allow, Authenticated, CONSOLE)]

    def __init__(self, request=None):
        self.request = request


class OperatorResource:
    """Something owned by an operator (None: owned by no operator yet, so admins only)."""

    def __init__(self, operator_id: int | None, obj=None):
        self.operator_id = operator_id
        self.obj = obj

    @property
    def __acl__(self):
        acl = [(Allow, ADMIN, ALL_PERMISSIONS)]
        if self.operator_id is not None:
            acl.append((Allow, owner_principal(self.operator_id), MANAGE))
            acl.append((Allow, operator_principal(self.operator_id), STAFF_PERMISSIONS))
        return acl


class OwnerRoot(ConsoleRoot):
    """Console pages about the signed-in person's operator as a whole (its staff, its
    reports): CONSOLE for everyone signed in, MANAGE for admins and for owners of their operator.
    Views must still narrow what they show with `visible_operator_id`."""

    @property
    def __acl__(self):
        acl = [(Allow, ADMIN, ALL_PERMISSIONS), (Allow, Authenticated, CONSOLE)]
        user = getattr(self.request, "identity", None) if self.request is not None else None
        if user is not None and user.operator_id is not None:
            acl.append((Allow, owner_principal(user.operator_id), MANAGE))
        return acl


def can_manage(request, operator_id: int | None = None) -> bool:
    """Whether the signed-in person may MANAGE `operator_id`'s things (None: their own operator)."""
    user = request.identity
    if user is None:
        return False
    if operator_id is None:
        operator_id = user.operator_id
    if operator_id is None:
        return bool(user.is_admin)
    return bool(request.has_permission(MANAGE, OperatorResource(operator_id)))


def visible_operator_id(user) -> int | None:
    """The operator whose objects this user's lists show; None means all (a platform admin).

    Raises ValueError for a user who is neither, so a list can never widen by mistake.
    """
    if user.is_admin:
        return None
    if user.operator_id is None:
        raise ValueError(f"user {user.id} is neither an admin nor an operator's")
    return user.operator_id


def row_from_url(request, model, name: str):
    """For route factories: the `model` row whose id is the URL's `{name}`; 404 unless that
    is a plain number of at most MAX_ID_DIGITS digits naming a row that exists."""
    raw = request.matchdict[name]
    found = request.dbsession.get(model, int(raw)) if raw.isascii() and raw.isdigit() \
        and len(raw) <= MAX_ID_DIGITS else None
    if found is None:
        raise HTTPNotFound()
    return found
