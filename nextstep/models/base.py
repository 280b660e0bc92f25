"""The deferred database handle and what every model shares."""
from peewee import CharField, DatabaseProxy, Model

from ..ids import new_id

database = DatabaseProxy()


class BaseModel(Model):
    class Meta:
        database = database
        legacy_table_names = False


def IdField(**kwargs):
    """Primary key: a 20-character random id, as in the public API."""
    return CharField(max_length=20, primary_key=True, default=new_id, **kwargs)
