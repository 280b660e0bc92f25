"""Statements compiled once and run many times: the hot paths' SQL without Peewee
compiling it again on every request.

`prepare` compiles a query ahead of its transaction; `insert_statement` builds a multi-row
INSERT; `PreparedQuery` (reads) and `PreparedUpdate` (writes) compile once per database
handle and then only swap in new parameters. Peewee's internals these need (a query's
selected fields, a field's converters, its JSON wrapping) are read here and nowhere else.
"""
from datetime import datetime

import peewee
from peewee import JSONField

from .db import is_sqlite
from .models import database
from .models.base import TimestampField, json_text


def prepare(query):
    """(sql, params) of a Peewee query, compiled now so that `execute` runs it later,
    inside the transaction, without compiling there.

    Compiling a PATCH's statements is 0.5 ms of Python (a POST's 1.1 ms) on an idle
    core; under 32 writers on a busy machine, compiled inside the transaction, the
    median time SQLite's write lock was held went from 2.4-3.3 ms to 4.5-7.7 ms (3
    rounds each, wrk).
    """
    return query.sql()


def execute(statement):
    """Run one prepared (sql, params); the rows it touched."""
    sql, params = statement
    return database.execute_sql(sql, params).rowcount


def insert_statement(model, rows):
    """One multi-row INSERT of `rows` (dicts with the same keys) as a prepared statement.

    `insert_many` compiles every value into Peewee's SQL nodes: for a 50-task run that is
    about 6 ms, most of the request. Values are converted as Peewee would convert them;
    JSON columns go through json() on SQLite and psycopg2's Json adapter on PostgreSQL.
    Columns come in the model's field order, as Peewee's own INSERT has them. Peewee's
    private `_meta` names the fields and columns: this is the one place that reads it.
    """
    fields = [field for field in model._meta.sorted_fields if field.name in rows[0]]
    if len(fields) != len(rows[0]):
        unknown = set(rows[0]) - {field.name for field in fields}
        raise ValueError(f"not fields of {model.__name__}: {sorted(unknown)}")
    sqlite, param = is_sqlite(), database.param
    marks = [f"json({param})" if sqlite and isinstance(f, JSONField) else param
             for f in fields]
    group = "(" + ", ".join(marks) + ")"
    sql = (f'INSERT INTO "{model._meta.table_name}" ('
           + ", ".join(f'"{f.column_name}"' for f in fields) + ") VALUES "
           + ", ".join([group] * len(rows)))
    writers = [(f.name, *_writer(f, sqlite)) for f in fields]
    return sql, [value if (value := row[name]) is None or value.__class__ is same
                 else convert(value) for row in rows for name, same, convert in writers]


def _json_text(value):
    return None if value is None else json_text(value)


# Field types whose db_value hands a value of this Python type back unchanged: such a
# value is sent as it is (a 50-task run has 1,150 values; one db_value call each was a
# tenth of POST /process-runs, cProfile). None is sent as it is by every field.
UNCONVERTED = ((peewee._StringField, str), (peewee.IntegerField, int),
               (peewee.BooleanField, bool), (TimestampField, datetime))


def _writer(field, sqlite):
    """(the type sent unconverted or None, the conversion) of a field's values."""
    if isinstance(field, JSONField):
        return None, _json_text if sqlite else field.db_value
    target = field.rel_field if isinstance(field, peewee.ForeignKeyField) else field
    if type(target).db_value is peewee.Field.db_value:
        for kind, same in UNCONVERTED:
            if isinstance(target, kind) and type(target).adapt is kind.adapt:
                return same, field.db_value
    return None, field.db_value


class PreparedQuery:
    """A SELECT built and compiled by Peewee once, then run with new parameters.

    `build(*markers)` returns the Peewee query with a marker string where each parameter
    goes; the compiled SQL is kept per database handle, and each call swaps the markers
    in the parameter list for its own values. On the hot reads (the API key of every
    request, a run, a run task) building, compiling and reading back the row through
    Peewee's cursor wrapper was most of the request's Python (about 1 ms of the 2.3 ms
    of an in-process GET of a run, measured with cProfile). Rows are model instances as
    Peewee's own would be: each selected field's `python_value` converts its column, and
    a joined model is attached where its foreign key would load it (`__rel__`). That
    construction, Peewee's internals, is written here only.
    """

    def __init__(self, build, arity):
        self.build, self.arity = build, arity
        self._compiled = {}  # id of the bound database -> (sql, slots, params, make_row)

    def _compile(self):
        key = id(database.obj)
        compiled = self._compiled.get(key)
        if compiled is None:
            markers = [_marker(index) for index in range(self.arity)]
            query = self.build(*markers)
            sql, params = query.sql()
            compiled = self._compiled[key] = (sql, _slots(params, markers), params,
                                              _row_maker(query))
        return compiled

    def rows(self, *values):
        """Every row, as the query would give them."""
        sql, slots, params, make_row = self._compile()
        rows = database.execute_sql(sql, _filled(params, slots, values)).fetchall()
        return [make_row(row) for row in rows]

    def first(self, *values):
        """The first row or None (the query should carry its own LIMIT 1)."""
        rows = self.rows(*values)
        return rows[0] if rows else None

    def keyset(self, *values):
        """The first row's values as the database stores them (no conversion), or None:
        a keyset cursor's columns, to be sent back as parameters."""
        sql, slots, params, _make_row = self._compile()
        row = database.execute_sql(sql, _filled(params, slots, values)).fetchone()
        return None if row is None else list(row)


class PreparedUpdate:
    """An UPDATE of one model built and compiled by Peewee once per set of columns, then
    run with new values: the PATCH of a run task compiled two or three UPDATEs a request,
    0.4 of its 1.9 ms of in-process Python (cProfile), and the SET columns vary only with
    what the PATCH changes.

    `where(*markers)` builds the condition, each marker standing for one parameter (passed
    as the database stores it, as PreparedQuery's are); `fixed` holds SET expressions
    that are the same every time (`revision + 1`). `statement(values, *where_values)`
    gives the (sql, params) that `prepare(model.update(...).where(...))` would give:
    `values` ({field or its name: Python value}) converted as the field converts them.
    """

    def __init__(self, model, where, arity, fixed=None):
        self.model, self.where, self.arity = model, where, arity
        self.fixed = fixed or {}
        self._compiled = {}  # (database, columns, which are NULL) -> (sql, slots, params, convert)

    def statement(self, values, *where_values):
        fields = self.model._meta.fields
        items = sorted((((fields[name] if isinstance(name, str) else name), value)
                        for name, value in values.items()), key=_by_name)
        key = (id(database.obj), tuple((f.name, v is None) for f, v in items))
        compiled = self._compiled.get(key) or self._compile(key, [f for f, _v in items],
                                                            [v is None for _f, v in items])
        sql, slots, params, convert = compiled
        given = [to_db(v) for (_f, v), to_db in zip(items, convert, strict=True)]
        given += where_values
        return sql, _filled(params, slots, given)

    def _compile(self, key, fields, nulls):
        """Every value and where-parameter gets a marker; a JSON value goes through json()
        on SQLite as Peewee's JSONField sends it, except NULL, which Peewee sends bare."""
        markers = [_marker(index) for index in range(len(fields) + self.arity)]
        wrapped = [is_sqlite() and isinstance(f, JSONField) and not null
                   for f, null in zip(fields, nulls, strict=True)]
        assigned = {f: peewee.fn.json(_raw(marker)) if wrap else _raw(marker)
                    for f, wrap, marker in zip(fields, wrapped, markers, strict=False)}
        query = self.model.update({**self.fixed, **assigned}).where(
            self.where(*[_raw(marker) for marker in markers[len(fields):]]))
        sql, params = query.sql()
        convert = [_none if null else _json_text if wrap else f.db_value
                   for f, null, wrap in zip(fields, nulls, wrapped, strict=True)]
        compiled = self._compiled[key] = (sql, _slots(params, markers), params, convert)
        return compiled


def _marker(index):
    return f"\x00prepared-{index}\x00"


def _raw(marker):
    """A parameter Peewee passes through as it is, never converting it."""
    return peewee.Value(marker, converter=False)


def _by_name(item):
    return item[0].name


def _none(_value):
    return None


def _filled(params, slots, values):
    """A copy of the compiled parameters with each marker's slot holding its value."""
    params = list(params)
    for position, index in slots:
        params[position] = values[index]
    return params


def _slots(params, markers):
    """[(position in params, index of its marker)]; each marker must be one parameter."""
    slots = [(position, markers.index(value)) for position, value in enumerate(params)
             if isinstance(value, str) and value in markers]
    if sorted(index for _position, index in slots) != list(range(len(markers))):
        raise ValueError("each marker must be one parameter of the compiled query")
    return slots

def _row_maker(query):
    """A function from a result tuple of `query` to its model instance, joined models
    attached by the main model's foreign key to each; or to a dict of the fields, for a
    `.dicts()` query of one model."""
    main = query.model
    columns = {}
    for index, field in enumerate(query._returning):
        if not isinstance(field, peewee.Field):
            raise ValueError("a prepared query selects model fields only")
        columns.setdefault(field.model, []).append((index, field.name, _converter(field)))
    if query._row_type == peewee.ROW.DICT:
        if list(columns) != [main]:
            raise ValueError("a dict row holds the fields of one model")
        return _data_maker(columns[main])
    if query._row_type not in (None, peewee.ROW.MODEL):
        raise ValueError("rows are models or dicts")
    if not isinstance(query._returning[0], peewee.Field):
        raise ValueError("a prepared query selects model fields only")
    links = []
    for model in columns:
        if model is not main:
            keys = [fk for fk in main._meta.refs if fk.rel_model is model]
            if len(keys) != 1:
                raise ValueError(f"{model.__name__} must be joined by one foreign key")
            links.append((keys[0].name, model))

    makers = {model: _data_maker(fields) for model, fields in columns.items()}

    def make_row(row):
        made = {}
        for model, make_data in makers.items():
            instance = model.__new__(model)
            instance.__data__ = make_data(row)
            instance._dirty = set()
            instance.__rel__ = {}
            made[model] = instance
        instance = made[main]
        for name, model in links:
            instance.__rel__[name] = made[model]
        return instance
    return make_row


# Field adapters that return what SQLite's and PostgreSQL's drivers already hand back
# (str for text columns, int for integer ones): their column needs no conversion.
IDENTITY_ADAPTERS = (peewee._StringField.adapt, peewee.IntegerField.adapt)


def _converter(field):
    """The field's python_value, or None where it would return the driver's value as is
    (a page of 100 tasks converted some 2,000 such values one call each)."""
    target = field.rel_field if isinstance(field, peewee.ForeignKeyField) else field
    if (type(target).python_value is peewee.Field.python_value
            and type(target).adapt in IDENTITY_ADAPTERS):
        return None
    return field.python_value


def _data_maker(fields):
    """A function from a result tuple to the {field name: value} of `fields`."""
    plain = [(index, name) for index, name, convert in fields if convert is None]
    converted = [(index, name, convert) for index, name, convert in fields
                 if convert is not None]

    def make_data(row):
        data = {name: row[index] for index, name in plain}
        for index, name, convert in converted:
            data[name] = convert(row[index])
        return data
    return make_data
