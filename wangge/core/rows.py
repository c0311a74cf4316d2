"""Generic row writers for batch paths (imports): INSERT and UPDATE from plain tuples, and model instances built
without `Model.__init__`'s per-field work. Nothing here checks or decides anything: the callers (the owning app's
services) built the rows. Moved from `cases.services`, which keeps only case-domain logic."""

from __future__ import annotations

import functools
import os
import uuid
from datetime import UTC, datetime
from operator import itemgetter

from django.conf import settings
from django.db import connection, models
from django.db.models.base import ModelState
from django.db.models.signals import post_init, pre_init

# Plain types whose Python value is what the database adapter takes: no per-value conversion needed.
_AS_IS = (models.CharField, models.TextField, models.IntegerField, models.FloatField, models.BooleanField)


def _converter(field):
    """How a column's non-NULL values become what the adapter takes, prepared once per column: None when they are
    already (strings, numbers, foreign keys), else a function. Aware datetimes, UUIDs and JSON go straight to
    what the backend's adaptation makes of them (as `get_db_prep_save` does, without its checks per value)."""
    if isinstance(field, models.ForeignKey):
        return (
            _converter(field.target_field) if not isinstance(field.target_field, models.AutoField) else None
        )
    if isinstance(field, _AS_IS) and not isinstance(field, models.AutoField):
        return None
    if isinstance(field, models.UUIDField):
        if connection.features.has_native_uuid_field:
            return lambda value: (
                value if isinstance(value, uuid.UUID) else field.get_db_prep_save(value, connection)
            )
        return lambda value: (
            value.hex if isinstance(value, uuid.UUID) else field.get_db_prep_save(value, connection)
        )
    if isinstance(field, models.JSONField):
        adapt, encoder = connection.ops.adapt_json_value, field.encoder
        return lambda value: adapt(value, encoder)
    if isinstance(field, models.DateTimeField):
        # An aware datetime: what get_db_prep_save makes of it (PostgreSQL: itself; SQLite: naive UTC as text),
        # without its checks per value.
        if connection.vendor == "postgresql":

            def utc(value):
                if type(value) is datetime and value.utcoffset() is not None:
                    return value
                return field.get_db_prep_save(value, connection)
        elif connection.vendor == "sqlite" and settings.USE_TZ and connection.timezone is UTC:
            seen: dict[datetime, str] = {}  # a batch writes the same few instants (its `now`) over and over
            last: list = [None, None]  # ... mostly the very same object, one after the other

            def utc(value):
                if value is last[0]:
                    return last[1]
                if type(value) is datetime and value.utcoffset() is not None:
                    text = seen.get(value)
                    if text is None:
                        if len(seen) > 4096:
                            seen.clear()
                        text = seen[value] = str(value.astimezone(UTC).replace(tzinfo=None))
                    last[:] = value, text
                    return text
                return field.get_db_prep_save(value, connection)
        else:  # pragma: no cover - other backends
            return lambda value: field.get_db_prep_save(value, connection)
        return utc
    return lambda value: field.get_db_prep_save(value, connection)


def _columns(model, names: list[str] | None = None) -> tuple[list, list]:
    """The concrete columns an INSERT (names None: all but an auto primary key) or an UPDATE writes, with their
    converters."""
    meta = model._meta
    pk = meta.pk
    if names is None:
        fields = [
            f
            for f in meta.local_concrete_fields
            if (f is not pk or not isinstance(pk, models.AutoField)) and not getattr(f, "generated", False)
        ]
    else:
        fields = [meta.get_field(name) for name in names]
    return fields, [_converter(f) for f in fields]


def _values(obj, spec: list[tuple]) -> list:
    """One row's values by `_spec`: `pre_save` where the field needs it (auto_now / auto_now_add), the others as set."""
    d = obj.__dict__
    row = []
    for f, attname, c, auto in spec:
        value = f.pre_save(obj, True) if auto else d[attname] if attname in d else getattr(obj, attname)
        row.append(value if c is None or value is None else c(value))
    return row


def _spec(fields: list, convert: list, *, add: bool) -> list[tuple]:
    plain = (
        models.Field.pre_save,
        models.DateField.pre_save,
        models.DateTimeField.pre_save,
    )  # as set but for auto_now
    return [
        (
            f,
            f.attname,
            c,
            add
            and (
                getattr(f, "auto_now", False)
                or getattr(f, "auto_now_add", False)
                or type(f).pre_save not in plain
            ),
        )
        for f, c in zip(fields, convert, strict=True)
    ]


def _uuid4_pool():
    """`uuid.uuid4` for one builder: the same random UUIDs from the same CSPRNG, 256 per read of it (a read per id was
    a fiftieth of an import)."""
    def draw():
        while True:
            buf = os.urandom(16 * 256)
            for i in range(0, len(buf), 16):
                yield uuid.UUID(bytes=buf[i:i + 16], version=4)

    return functools.partial(next, draw())


def instance_builder(model):
    """A function that builds `model(**kwargs)` as `Model.__init__` does for keyword arguments, without its per-field
    work (a third of an import's instance building): the plain defaults computed once, callable ones (uuid4, dict,
    list, tracking codes) per instance, a foreign key given as an instance stored as its id with the instance cached,
    as its descriptor does. Only where no pre_init / post_init receiver listens to the model (else Model.__init__)."""
    if pre_init.has_listeners(model) or post_init.has_listeners(model):
        return model
    concrete = model._meta.concrete_fields
    static = {f.attname: f.get_default() for f in concrete if not (f.has_default() and callable(f.default))}
    fresh = [(f.attname, _uuid4_pool() if f.default is uuid.uuid4 else f.default)
             for f in concrete if f.has_default() and callable(f.default)]
    relations = {f.name: (f.attname, f.target_field.attname) for f in concrete if f.is_relation}
    attnames = {f.attname for f in concrete}

    def build(**kwargs):
        obj = model.__new__(model)
        d = obj.__dict__
        d.update(static)
        for attname, default in fresh:
            if attname not in kwargs:  # a given value wins: no uuid4 or tracking code drawn for nothing
                d[attname] = default()
        state = d["_state"] = ModelState()
        for name, value in kwargs.items():
            relation = relations.get(name)
            if relation is not None:
                d[relation[0]] = None if value is None else getattr(value, relation[1])
                state.fields_cache[name] = value
            elif name in attnames:
                d[name] = value
            else:
                raise TypeError(f"{model.__name__}() got an unexpected keyword argument {name!r}")
        return obj

    return build


def insert_rows(model, objs: list, *, ids: bool = True) -> None:
    """INSERT model instances from plain tuples: the batch paths' writer for their hot rows (cases, events,
    reports, orders, notifications), where `bulk_create`'s per-value SQL compilation was most of an import's time.
    Every concrete column but the auto primary key, `pre_save` applied (auto_now and the like), values as each field
    prepares them (JSON, UUIDs, datetimes per backend; plain strings, numbers and foreign keys as they are). With
    `ids`, one multi-row INSERT … RETURNING per batch (as `bulk_create` does, rows answered in order) sets each
    instance's pk; without, one executemany. Nothing here checks or decides anything: the callers built the rows."""
    if not objs:
        return
    meta = model._meta
    # A related object given before it had its id (an event built with its new case): its id now, as save() does.
    late = [(f.attname, f.name) for f in meta.local_concrete_fields if f.is_relation and f.many_to_one]
    fields, convert = _columns(model)
    spec = _spec(fields, convert, add=True)
    # The columns in the order plain values, converted values, pre_save ones (the INSERT names them in that order):
    # the plain ones, most of a row, are read from the instance's __dict__ in one C call.
    plain = [s for s in spec if not s[3] and s[2] is None]
    converted = [s for s in spec if not s[3] and s[2] is not None]
    auto = [s for s in spec if s[3]]
    fields = [s[0] for s in (*plain, *converted, *auto)]
    names = [s[1] for s in plain]
    read = itemgetter(*names) if len(names) > 1 else (lambda d: (d[names[0]],)) if names else (lambda d: ())
    rows = []
    for obj in objs:
        d = obj.__dict__
        cache = obj._state.fields_cache
        for attname, name in late:
            if (
                cache.get(name) is not None
                and (d[attname] if attname in d else getattr(obj, attname)) is None
            ):
                setattr(obj, attname, cache[name].pk)
        try:
            row = [*read(d)]
        except KeyError:  # a deferred column: read through the instance, as save() would
            row = [d[a] if a in d else getattr(obj, a) for a in names]
        for _, attname, c, _ in converted:
            value = d[attname] if attname in d else getattr(obj, attname)
            row.append(None if value is None else c(value))
        for f, _, c, _ in auto:
            value = f.pre_save(obj, True)
            row.append(value if c is None or value is None else c(value))
        rows.append(row)
    got = _insert(model, fields, rows, ids=ids)
    if ids:
        for obj, new_id in zip(objs, got, strict=True):
            obj.pk = new_id
    for obj in objs:
        obj._state.adding, obj._state.db = False, connection.alias


def _insert(model, fields: list, rows: list[list], *, ids: bool) -> list:
    """The INSERT itself: rows in the database's form, in `fields` order. With `ids`, one multi-row INSERT …
    RETURNING per batch (rows answered in order, as `bulk_create` relies on): their ids; else one executemany."""
    meta, qn = model._meta, connection.ops.quote_name
    if (
        ids and not connection.features.can_return_rows_from_bulk_insert
    ):  # pragma: no cover - SQLite before 3.35
        raise RuntimeError("insert_rows needs INSERT … RETURNING (SQLite 3.35+ or PostgreSQL).")
    into = f"INSERT INTO {qn(meta.db_table)} ({', '.join(qn(f.column) for f in fields)}) "  # noqa: S608 - names from the model
    head = f"{into}VALUES "
    one = f"({', '.join(['%s'] * len(fields))})"
    out: list = []
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql" and len(rows) > 1 and _unnestable(fields):
            # One parameter per column (an array), not one per value: psycopg parses the query's placeholders in
            # Python, and a 500-row VALUES list has 25,000 of them (over a third of a PostgreSQL commit). Rows come
            # out of UNNEST, and their ids out of RETURNING, in order, as Django's bulk_create relies on.
            types = [f.db_type(connection).split("(")[0] for f in fields]  # varchar[], not varchar(50)[]: no cut
            returning = f" RETURNING {qn(meta.pk.column)}" if ids else ""
            sql = f"{into}SELECT * FROM UNNEST({', '.join(f'(%s)::{t}[]' for t in types)}){returning}"  # noqa: S608 - names and types from the model
            cursor.execute(sql, [list(column) for column in zip(*rows, strict=True)])
            if not ids:
                return out
            got = cursor.fetchall()
            if len(got) != len(rows):  # pragma: no cover - the database answers every row
                raise RuntimeError(f"{meta.db_table}: {len(got)} ids for {len(rows)} rows.")
            return [new_id for (new_id,) in got]
        if not ids:
            cursor.executemany(head + one, rows)
            return out
        size = max(1, min(len(rows), connection.ops.bulk_batch_size(fields, rows)))
        for start in range(0, len(rows), size):
            part = rows[start : start + size]
            cursor.execute(
                f"{head}{', '.join([one] * len(part))} RETURNING {qn(meta.pk.column)}",
                [v for row in part for v in row],
            )
            got = cursor.fetchall()
            if len(got) != len(part):  # pragma: no cover - the database answers every row
                raise RuntimeError(f"{meta.db_table}: {len(got)} ids for {len(part)} rows.")
            out.extend(new_id for (new_id,) in got)
    return out


def _unnestable(fields: list) -> bool:
    """Every column a plain type of this database (no arrays, geometries or custom fields): UNNEST can carry it."""
    types = connection.data_types
    return all((f.target_field if f.is_relation else f).get_internal_type() in types for f in fields)


def insert_values(model, names: list[str], rows: list[list], *, ids: bool = True) -> list:
    """INSERT plain rows without model instances: `rows` hold the fields `names` (attnames' values: ids for foreign
    keys) in Python form, converted here once per column type as `insert_rows` does. No `pre_save`: the caller gives
    every value (auto_now ones included). The new ids in order with `ids`."""
    if not rows:
        return []
    fields, convert = _columns(model, names)
    if any(c is not None for c in convert):
        rows = [
            [v if c is None or v is None else c(v) for v, c in zip(row, convert, strict=True)] for row in rows
        ]
    return _insert(model, fields, rows, ids=ids)


def update_rows(model, objs: list, names: list[str]) -> None:
    """UPDATE these columns of saved instances by primary key, their values as set (no `pre_save`, as `bulk_update`):
    one executemany, where `bulk_update` builds a CASE per column and row. Nothing checked or decided here."""
    if not objs or not names:
        return
    fields, convert = _columns(model, names)
    meta, qn = model._meta, connection.ops.quote_name
    sql = (
        f"UPDATE {qn(meta.db_table)} SET {', '.join(f'{qn(f.column)} = %s' for f in fields)} "  # noqa: S608 - names from the model
        f"WHERE {qn(meta.pk.column)} = %s"
    )
    spec = _spec(fields, convert, add=False)
    with connection.cursor() as cursor:
        cursor.executemany(sql, [[*_values(obj, spec), obj.pk] for obj in objs])
