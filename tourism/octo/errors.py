"""OCTO's errors: a JSON body `{error, errorMessage, …}` with the code the specification names.

Every error is HTTP 400 with its code, a missing or wrong API key too (UNAUTHORIZED,
FORBIDDEN): the specification lists them all under 400, and resellers' clients (the OCTO
validator among them) read the code, not the status. The message is translated into the
request's language (Accept-Language); the id the reseller sent comes back beside it.
"""
from tourism.i18n import _


class OctoError(Exception):
    status = 400
    code = "BAD_REQUEST"

    def __init__(self, message, **fields):
        super().__init__(message)
        self.message = message
        self.fields = fields  # e.g. productId: the id that was wrong

    def body(self, translate) -> dict:
        return {"error": self.code, "errorMessage": translate(self.message), **self.fields}


class BadRequest(OctoError):
    code = "BAD_REQUEST"


class Unprocessable(OctoError):
    """The request was understood but cannot be done: sold out, closed, expired, too late."""

    code = "UNPROCESSABLE_ENTITY"


class InvalidProductId(OctoError):
    code = "INVALID_PRODUCT_ID"

    def __init__(self, product_id):
        super().__init__(_("The productId was missing or invalid."), productId=_as_text(product_id))


class InvalidOptionId(OctoError):
    code = "INVALID_OPTION_ID"

    def __init__(self, option_id):
        super().__init__(_("The optionId was missing or invalid."), optionId=_as_text(option_id))


class InvalidUnitId(OctoError):
    code = "INVALID_UNIT_ID"

    def __init__(self, unit_id):
        super().__init__(_("The unitId was missing or invalid."), unitId=_as_text(unit_id))


class InvalidAvailabilityId(OctoError):
    code = "INVALID_AVAILABILITY_ID"

    def __init__(self, availability_id):
        super().__init__(_("The availabilityId was missing or invalid."), availabilityId=_as_text(availability_id))


class InvalidBookingUuid(OctoError):
    code = "INVALID_BOOKING_UUID"

    def __init__(self, uuid):
        super().__init__(_("There is no booking with this uuid."), uuid=_as_text(uuid))


class Unauthorized(OctoError):
    code = "UNAUTHORIZED"

    def __init__(self):
        super().__init__(_("Send your API key in the Authorization header: Bearer <key>."))


class Forbidden(OctoError):
    code = "FORBIDDEN"

    def __init__(self):
        super().__init__(_("This API key is not valid or has been revoked."))


def _as_text(value) -> str:
    """The id as the error repeats it: always a string (the schema's type), whatever was sent."""
    if value is None:
        return ""
    return value if isinstance(value, str) else str(value)
