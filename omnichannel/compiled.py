"""Single-row reads whose SQL is compiled once per process, for the hottest paths.

Django compiles a queryset to SQL on every evaluation. For a row read with several relations
that compiling is most of the read: the room with everything its information shows (seven
tables, 69 columns) took 0.7-0.8 ms of CPU to compile and 0.09-0.14 ms to run on PostgreSQL,
and the live updates read it for every message. `CompiledGet` compiles the queryset once per
database with stand-in values, and each read binds the real values into a copy of that
compiler; Django then turns the rows into instances as it always does (same columns, same
related objects, `prefetch_related` honoured).
"""

import copy
import weakref
from collections.abc import Callable
from itertools import count

from django.core.exceptions import MultipleObjectsReturned
from django.db import connections, models
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
        # How each column's value becomes the field's (JSON parsed, time zones...), worked out
        # once per connection: Django works it out on every read, a column at a time, and for
        # the room's 69 columns that was a third of the read's CPU (0.66 -> 0.43 ms). Per
        # connection, as some backends' converters are methods of their connection's operations.
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
        converters = self.converters.get(connection)
        if converters is None:
            columns = [column for column, *_ in self.compiler.select[: self.compiler.col_count]]
            converters = self.converters[connection] = compiler.get_converters(columns)
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
