"""The deferred database handle and what every model shares."""
from datetime import datetime

import orjson
from peewee import CharField, DatabaseProxy, DateTimeField, JSONField, Model

from ..ids import new_id

database = DatabaseProxy()


class BaseModel(Model):
    class Meta:
        database = database
        legacy_table_names = False


def IdField(**kwargs):
    """Primary key: a 20-character random id, as in the public API."""
    return CharField(max_length=20, primary_key=True, default=new_id, **kwargs)


class TimestampField(DateTimeField):
    """Naive UTC. SQLite hands datetimes back as ISO text; `fromisoformat` reads it in C,
    where Peewee's default tries `strptime` format by format (a list page reads hundreds)."""

    def adapt(self, value):
        if value and isinstance(value, str):
            try:
                return datetime.fromisoformat(value)
            except ValueError:
                return super().adapt(value)
        return value


def json_text(value):
    """JSON text of a column's value, as every writer of our JSON columns makes it."""
    return orjson.dumps(value).decode()


def JsonField(**kwargs):
    """A JSON column read and written with orjson: a page of 100 run tasks decodes 400
    JSON values and a started run of 50 tasks encodes 150, in a fraction of the json
    module's time."""
    return JSONField(dumps=json_text, loads=orjson.loads, **kwargs)
