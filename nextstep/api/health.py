"""GET /health: no key, no rate limit; says whether the database and the rate-limit
storage answer. A storage that does not answer is `degraded`, not down: requests are
still served, counted per process (ratelimit.py)."""
from flask import current_app

from ..errors import DATABASE_DOWN, unavailable
from ..models import database
from ..schemas.common import HealthSchema
from .operations import operation
from .responses import single
from .routing import ApiBlueprint

health = ApiBlueprint("health", __name__)


@health.get("/health")
@operation("Health of the server", tag="Server", public=True, answer=HealthSchema,
           description="No key and no rate limit. `degraded` while the rate-limit storage "
                       "(Redis) is unreachable: requests are still served, counted per "
                       "process. 503 `unavailable` while the database does not answer.")
def check_health():
    try:
        database.execute_sql("SELECT 1")
    except Exception:  # any driver error means the same thing to a monitor
        raise unavailable(DATABASE_DOWN) from None
    storage = rate_limit_storage_answers()
    return single({"status": "ok" if storage else "degraded", "database": "ok",
                   "rate_limit_storage": "ok" if storage else "unavailable"})


def rate_limit_storage_answers():
    """Whether the configured storage answers now (a PING for Redis; memory always does)."""
    try:
        return bool(current_app.extensions["nextstep"].limiter.storage.check())
    except Exception:  # any client error means the same here: not reachable
        return False
