"""Reads and writes whose SQL is written once per process (or by hand), for the hottest paths.

Django compiles a queryset to SQL on every evaluation. For a row read with several relations
that compiling is most of the read: the room with everything its information shows (seven
tables, 69 columns) took 0.7-0.8 ms of CPU to compile and 0.09-0.14 ms to run on PostgreSQL,
and the live updates read it for every message. `CompiledGet` compiles the queryset once per
database with stand-in values, and each read binds the real values into a copy of that
compiler; Django then turns the rows into instances as it always does (same columns, same
related objects, `prefetch_related` honoured).

`insert(row)` is `row.save()` of a new row for the same reason: Django's INSERT compiler cost
a task worker 0.8-1.1 ms of CPU a message row and 0.5-0.7 ms an event row. `update_by_pk()`
is `QuerySet.update()` of plain values for rows named by id: 0.5 ms of CPU against 0.17.
`rows()` is `Manager.raw()` for a statement that returns whole rows (UPDATE ... RETURNING).
"""

import copy
import weakref
from collections.abc import Callable
from itertools import count

from django.core.exceptions import MultipleObjectsReturned
from django.db import connections, models, router, transaction
from django.db.models.signals import post_save, pre_save
from django.db.models.sql import Query
from django.db.models.sql.compiler import SQLCompiler
from django.db.transaction import TransactionManagementError

_stand_in_numbers = count(-1_000_000_001, -1)


class CompiledGet:
    """`get(**values)` returns the one row of `queryset()` whose `fields` equal `values`, or
    None: what `queryset().get(**values)` returns, without compiling the SQL again.

    `fields` must identify at most one row (a primary key, a unique field) and be integer or
    text fields (or relations to one).

    `where`, when given, is the condition in place of "`fields` equal `values`": called with
    one stand-in value per field, it returns a Q that may use each of them any number of times
    (a room by its pk, visible to the agent who serves it or to their departments' members).
    """

    def __init__(
        self,
        queryset: Callable[[], models.QuerySet],
        *fields: str,
        where: Callable[..., models.Q] | None = None,
    ) -> None:
        self._queryset = queryset
        self._fields = fields
        self._where = where
        self._base: models.QuerySet | None = None  # built on first use, once apps are ready
        self._compiled: dict[str, _Compiled] = {}

    def get(self, **values) -> models.Model | None:
        if values.keys() != set(self._fields):
            raise TypeError(f"Expected the values of {', '.join(self._fields)}.")
        if self._base is None:
            self._base = self._queryset()
        base = self._base
        alias = base.db
        compiled = self._compiled.get(alias)
        if compiled is None:
            # Two threads may compile at once: they compile the same thing.
            compiled = self._compiled[alias] = _Compiled(base, self._fields, alias, self._where)
        queryset = compiled.bound(values, connections[alias])
        if queryset is None:
            return None
        rows = list(queryset)
        if len(rows) > 1:
            raise MultipleObjectsReturned(f"More than one {base.model.__name__} for {values}.")
        return rows[0] if rows else None

    def get_existing(self, **values) -> models.Model:
        """As `get()`, raising the model's DoesNotExist for no row, as `QuerySet.get()` does."""
        found = self.get(**values)
        if found is None:
            raise self._base.model.DoesNotExist()
        return found


class _Compiled:
    """One database's compiled statement, its stand-ins' places in the parameters, and the
    compiler that knows how its columns map onto models."""

    def __init__(
        self,
        base: models.QuerySet,
        fields: tuple[str, ...],
        alias: str,
        where: Callable[..., models.Q] | None,
    ) -> None:
        self.targets = {name: _target_field(base.model, name) for name in fields}
        stand_ins = {name: _stand_in(target) for name, target in self.targets.items()}
        condition = where(**stand_ins) if where else models.Q(**stand_ins)
        # Two rows at most: enough to tell a second match, as get() does.
        self.queryset = base.filter(condition).order_by()[:2]
        self.compiler = self.queryset.query.get_compiler(using=alias)
        self.sql, params = self.compiler.as_sql()
        self.params = list(params)
        self.places = {}
        for name, stand_in in stand_ins.items():
            places = [index for index, param in enumerate(self.params) if param == stand_in]
            if not places or (where is None and len(places) != 1):
                raise ValueError(f"{name!r} is not one parameter of the compiled read.")
            self.places[name] = places
        # Django works the converters out on every read, a column at a time: for the room's 69
        # columns that was a third of the read's CPU (0.66 -> 0.43 ms). See `_converters`.
        self.converters: weakref.WeakKeyDictionary = weakref.WeakKeyDictionary()

    def bound(self, values: dict, connection) -> models.QuerySet | None:
        """The read with `values` in place of the stand-ins; None when no row can match (an
        integer past its column's range, which the ORM's lookups also answer with no row)."""
        # Django checks this while compiling, and this statement is not compiled again.
        if (
            self.queryset.query.select_for_update
            and connection.features.has_select_for_update
            and connection.features.supports_transactions
            and connection.get_autocommit()
        ):
            raise TransactionManagementError(
                "select_for_update cannot be used outside of a transaction."
            )
        params = list(self.params)
        for name, value in values.items():
            target = self.targets[name]
            if isinstance(value, models.Model):
                value = getattr(value, target.attname)
            prepared = target.get_prep_value(value)
            if prepared is not None and isinstance(target, models.IntegerField):
                lowest, highest = connection.ops.integer_field_range(target.get_internal_type())
                if not lowest <= prepared <= highest:
                    return None
            bound = target.get_db_prep_value(prepared, connection, prepared=True)
            for place in self.places[name]:
                params[place] = bound
        queryset = self.queryset._chain()
        compiler: SQLCompiler = copy.copy(self.compiler)
        # This thread's connection, not the one of the thread that compiled.
        compiler.connection = connection
        compiler.query = queryset.query
        statement = (self.sql, tuple(params))
        compiler.as_sql = lambda *args, **kwargs: statement
        selected = self.compiler.select[: self.compiler.col_count]
        converters = _converters(
            self.converters,
            connection,
            lambda: compiler.get_converters([column for column, *_ in selected]),
        )
        compiler.get_converters = lambda expressions: converters
        queryset.query.get_compiler = lambda *args, **kwargs: compiler
        return queryset


def _target_field(model: type[models.Model], name: str) -> models.Field:
    field = model._meta.pk if name == "pk" else model._meta.get_field(name)
    if field.is_relation:
        field = field.target_field
    if not isinstance(field, models.IntegerField | models.CharField | models.TextField):
        raise TypeError(f"{model.__name__}.{name} is neither an integer nor a text field.")
    return field


def _stand_in(field: models.Field) -> int | str:
    number = next(_stand_in_numbers)
    return number if isinstance(field, models.IntegerField) else f"compiled-get-{number}"


def insert(row: models.Model) -> models.Model:
    """Save a new `row` as `row.save(force_insert=True)` does (the same values bound, the same
    signals sent, its new id set), with an INSERT written once per model and database.

    For models with an automatic primary key and plain columns only (no database defaults, no
    generated columns, no parents); elsewhere, for a row given its id, and on a database that
    cannot return the new id from its INSERT, it is `save()`.
    """
    model = type(row)
    alias = router.db_for_write(model, instance=row)
    connection = connections[alias]
    statement = _inserts.get((model, alias))
    if statement is None:
        statement = _inserts[model, alias] = _Insert.of(model, connection)
    if statement is _CANNOT or row.pk is not None:
        row.save(force_insert=True, using=alias)
        return row
    row._prepare_related_fields_for_save(operation_name="save")
    pre_save.send(model, instance=row, raw=False, using=alias, update_fields=None)
    # As save() does: a failed INSERT inside a transaction leaves it to be rolled back.
    with transaction.mark_for_rollback_on_error(using=alias), connection.cursor() as cursor:
        cursor.execute(statement.sql, bound_values(statement.fields, row, connection))
        row.pk = cursor.fetchone()[0]
    saved(row, alias)
    return row


def saved(row: models.Model, alias: str) -> None:
    """What `save()` does once a new row is written: the instance is now stored, and
    `post_save` is sent."""
    row._state.adding = False
    row._state.db = alias
    post_save.send(
        type(row), instance=row, created=True, raw=False, using=alias, update_fields=None
    )


class _Insert:
    def __init__(self, sql: str, fields: list[models.Field]) -> None:
        self.sql = sql
        self.fields = fields

    @classmethod
    def of(cls, model: type[models.Model], connection) -> "_Insert":
        meta = model._meta
        plain = meta.auto_field is not None and meta.pk is meta.auto_field and not meta.parents
        if not plain or not connection.features.can_return_columns_from_insert:
            return _CANNOT
        try:
            fields = inserted_fields(model, skip=meta.auto_field)
        except TypeError:
            return _CANNOT
        quote = connection.ops.quote_name
        sql = (
            f"INSERT INTO {quote(meta.db_table)} ({columns(fields, quote)})"  # noqa: S608 (identifiers from the model)
            f" VALUES ({placeholders(fields)}) RETURNING {quote(meta.pk.column)}"
        )
        return cls(sql, fields)


_CANNOT = _Insert("", [])
_inserts: dict[tuple[type[models.Model], str], _Insert] = {}


def inserted_fields(model: type[models.Model], *, skip: models.Field) -> list[models.Field]:
    """The columns an INSERT of `model` writes (all but `skip`), each bound as one plain
    parameter; TypeError for a model with a column that is not."""
    fields = [
        field
        for field in model._meta.local_concrete_fields
        if field is not skip and not field.generated
    ]
    for field in fields:
        # Bound as one plain parameter each, or the statement would not be the ORM's INSERT.
        if field.has_db_default() or hasattr(field, "get_placeholder_sql"):
            raise TypeError(f"{model.__name__}.{field.name} is not a plain column to insert.")
    return fields


def bound_values(fields: list[models.Field], row: models.Model, connection) -> list:
    """What SQLInsertCompiler binds for a plain value: pre_save() (auto_now_add), then
    get_db_prep_save()."""
    return [
        field.get_db_prep_save(field.pre_save(row, add=True), connection=connection)
        for field in fields
    ]


def columns(fields: list[models.Field], quote) -> str:
    return ", ".join(quote(field.column) for field in fields)


def placeholders(fields: list[models.Field]) -> str:
    return ", ".join("%s" for _field in fields)


def update_by_pk(
    model: type[models.Model], pks: list, *, where_null: tuple[str, ...] = (), **values
) -> int:
    """`model.objects.filter(pk__in=pks, <each of where_null>__isnull=True).update(**values)`
    for plain values (no expressions, no relations), with SQL written by hand: the number of
    rows changed.

    Values are bound as Django's UPDATE binds them (`get_db_prep_save()`).
    """
    if not pks:
        return 0
    alias = router.db_for_write(model)
    connection = connections[alias]
    meta = model._meta
    quote = connection.ops.quote_name
    fields = [meta.get_field(name) for name in values]
    for field, value in zip(fields, values.values(), strict=True):
        if field.is_relation or hasattr(value, "resolve_expression"):
            raise TypeError(f"{model.__name__}.{field.name}: only plain values are set here.")
    assignments = ", ".join(f"{quote(field.column)} = %s" for field in fields)
    conditions = [f"{quote(meta.pk.column)} IN ({', '.join('%s' for _pk in pks)})"]
    conditions += [f"{quote(meta.get_field(name).column)} IS NULL" for name in where_null]
    sql = f"UPDATE {quote(meta.db_table)} SET {assignments} WHERE {' AND '.join(conditions)}"  # noqa: S608 (identifiers from the model)
    params = [
        field.get_db_prep_save(value, connection=connection)
        for field, value in zip(fields, values.values(), strict=True)
    ]
    params += [meta.pk.get_db_prep_value(pk, connection) for pk in pks]
    with transaction.mark_for_rollback_on_error(using=alias), connection.cursor() as cursor:
        cursor.execute(sql, params)
        return cursor.rowcount


def rows(model: type[models.Model], sql: str, params: list, *, using: str) -> list[models.Model]:
    """The instances of `model` that `sql` returns, as `model.objects.raw(sql, params,
    using=using)` gives them, for a statement that returns every concrete column of `model`
    in order (`returned_columns()`).

    Raw querysets work out each column's converters, and how the columns map onto fields, on
    every run: for a stored Messenger call counted and read in one UPDATE, that was half of
    the statement's CPU. Here they are worked out once per model and connection.
    """
    connection = connections[using]
    meta = model._meta

    def work_out() -> dict:
        compiler = connection.ops.compiler("SQLCompiler")(Query(model), connection, using)
        return compiler.get_converters(
            [field.get_col(meta.db_table) for field in meta.concrete_fields]
        )

    cache = _row_converters.setdefault(model, weakref.WeakKeyDictionary())
    found = _converters(cache, connection, work_out).items()
    names = [field.attname for field in meta.concrete_fields]
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        fetched = cursor.fetchall()
    instances = []
    for row in fetched:
        values = list(row)
        for index, (functions, expression) in found:
            value = values[index]
            for function in functions:
                value = function(value, expression, connection)
            values[index] = value
        instances.append(model.from_db(using, names, values))
    return instances


def returned_columns(model: type[models.Model], quote) -> str:
    """Every concrete column of `model`, named in order: what `rows()` reads. Named, not `*`: a
    prepared statement must not change what it returns when a migration adds a column."""
    return columns(model._meta.concrete_fields, quote)


_row_converters: dict[type[models.Model], weakref.WeakKeyDictionary] = {}


def _converters(cache: weakref.WeakKeyDictionary, connection, work_out: Callable[[], dict]) -> dict:
    """How each column's value becomes its field's (JSON parsed, time zones...): what a
    compiler's `get_converters()` works out (`work_out`), once per connection and kept in
    `cache`, as some backends' converters are methods of their own connection's operations."""
    found = cache.get(connection)
    if found is None:
        found = cache[connection] = work_out()
    return found
