"""Model instances from raw SQL rows, exactly as the ORM would have built them.

The status click and the sign-in check read a few rows with hand-written SQL, because
building the ORM's statements cost more than running them (see sessionauth.py and
Progress.locked_for). Their rows still go through the converters the ORM's compiler
applies (SQLite hands back text for dates, 0/1 for booleans, a float for a decimal, a
string for JSON), so nothing downstream can tell the difference.

Their SQL is built once per database vendor (`statement`): quoting a dozen names through
the connection proxy on every request cost more than SQLite took to run the query.
"""

import functools

from django.db import connection


def table(model) -> str:
    return connection.ops.quote_name(model._meta.db_table)


def statement(build):
    """Decorator for a function that builds a hot statement's SQL: the decorated function
    returns the same text, built by `build()` only the first time per database vendor."""
    built: dict[str, str] = {}

    @functools.wraps(build)
    def sql() -> str:
        vendor = connection.vendor
        text = built.get(vendor)
        if text is None:
            text = built[vendor] = build()
        return text

    return sql


def instance(model, attnames, row):
    """`model` loaded from `row`, whose values are the columns `attnames` in order; the
    model's other fields are deferred, so saving it cannot overwrite them with defaults."""
    values = []
    for (column, converters), value in zip(_converters(model, tuple(attnames)), row, strict=True):
        for convert in converters:
            value = convert(value, column, connection)
        values.append(value)
    return model.from_db(connection.alias, list(attnames), values)


# {(model, attnames, database vendor): [(column, converters)]}: worked out once per shape.
_CONVERTERS: dict[tuple, list] = {}


def _converters(model, attnames: tuple[str, ...]) -> list:
    key = (model, attnames, connection.vendor)
    if key not in _CONVERTERS:
        shape = []
        for name in attnames:
            field = model._meta.get_field(name)
            column = field.get_col(model._meta.db_table)
            shape.append(
                (column, connection.ops.get_db_converters(column) + field.get_db_converters(connection))
            )
        _CONVERTERS[key] = shape
    return _CONVERTERS[key]
