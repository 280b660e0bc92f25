"""GET /health: no key, no rate limit; says whether the database answers."""
from flask import Blueprint

from ..errors import APIError
from ..models import database
from .responses import single

health = Blueprint("health", __name__)


@health.get("/health")
def check_health():
    try:
        database.execute_sql("SELECT 1")
    except Exception:  # any driver error means the same thing to a monitor
        raise APIError(503, "unavailable", "The database is not answering") from None
    return single({"status": "ok", "database": "ok"})
