"""Every domain's models (and the installed add-ons'), imported so the metadata (and alembic) sees all tables."""
from tourism.accounts import models as accounts  # noqa: F401
from tourism.catalog import models as catalog  # noqa: F401
from tourism.notify import models as notify  # noqa: F401
from tourism.scheduling import models as scheduling  # noqa: F401
from tourism.booking import models as booking  # noqa: F401
from tourism.payments import models as payments  # noqa: F401
from tourism.tickets import models as tickets  # noqa: F401
from tourism.shop import models as shop  # noqa: F401
from tourism.octo import models as octo  # noqa: F401

from tourism.addons import import_models as _import_addon_models  # noqa: E402

_import_addon_models()
