"""Column types that keep money exact and times in UTC on SQLite and PostgreSQL."""

from __future__ import annotations

import decimal
from datetime import UTC, datetime
from decimal import Decimal
from typing import Any

from sqlalchemy import DateTime, Dialect, Numeric, Text
from sqlalchemy.ext.compiler import compiles
from sqlalchemy.sql.compiler import SQLCompiler
from sqlalchemy.sql.functions import GenericFunction
from sqlalchemy.types import TypeDecorator, TypeEngine

# Adding decimals under this context never rounds: the decimal docs give it as the
# way to get exact arithmetic for addition and multiplication.
EXACT = decimal.Context(
    prec=decimal.MAX_PREC, Emax=decimal.MAX_EMAX, Emin=decimal.MIN_EMIN, traps=[]
)


class ExactDecimal(TypeDecorator[Decimal]):
    """A `Decimal` stored without rounding.

    PostgreSQL: NUMERIC with no declared precision, which keeps every digit it is given
    (up to 16383 after the point), so no scale we pick can round a tiny cost away.
    SQLite has no decimal type (SQLAlchemy's Numeric is REAL there, a binary float), so
    the value is kept as its exact decimal text and summed by `decimal_sum`.
    """

    impl = Numeric
    cache_ok = True

    def load_dialect_impl(self, dialect: Dialect) -> TypeEngine[Any]:
        if dialect.name == "sqlite":
            return dialect.type_descriptor(Text())
        return dialect.type_descriptor(Numeric(asdecimal=True))

    def process_bind_param(self, value: Any, dialect: Dialect) -> Any:
        if value is None:
            return None
        if not isinstance(value, Decimal):
            # Money is never float; an int would be harmless but signals a caller bug.
            raise TypeError(f"money must be a Decimal, got {type(value).__name__} {value!r}")
        if not value.is_finite():
            raise ValueError(f"money must be a finite number, got {value}")
        if dialect.name == "sqlite":
            return format(value, "f")
        return value

    def process_result_value(self, value: Any, dialect: Dialect) -> Decimal | None:
        if value is None:
            return None
        return value if isinstance(value, Decimal) else Decimal(str(value))


class UTCDateTime(TypeDecorator[datetime]):
    """An aware datetime, stored in UTC and read back aware in UTC.

    Naive datetimes are refused: a ledger shared by machines in several time zones
    cannot guess which zone one meant.
    """

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: Any, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        if not isinstance(value, datetime) or value.tzinfo is None:
            raise ValueError(f"timestamps must be timezone-aware datetimes, got {value!r}")
        utc = value.astimezone(UTC)
        # SQLite stores the text without an offset; it is UTC by this convention.
        return utc.replace(tzinfo=None) if dialect.name == "sqlite" else utc

    def process_result_value(self, value: Any, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        assert isinstance(value, datetime)
        if value.tzinfo is None:
            return value.replace(tzinfo=UTC)
        return value.astimezone(UTC)


class decimal_sum(GenericFunction[Decimal]):
    """SUM of an `ExactDecimal` column, exact on both engines.

    PostgreSQL's SUM over NUMERIC is exact. On SQLite it compiles to the `decimal_sum`
    aggregate that `register_sqlite_functions` installs on every connection.
    """

    type = ExactDecimal()
    inherit_cache = True
    name = "decimal_sum"


@compiles(decimal_sum)
def _compile_decimal_sum(element: decimal_sum, compiler: SQLCompiler, **kw: Any) -> str:
    return f"sum({compiler.process(element.clauses, **kw)})"


@compiles(decimal_sum, "sqlite")
def _compile_decimal_sum_sqlite(element: decimal_sum, compiler: SQLCompiler, **kw: Any) -> str:
    return f"decimal_sum({compiler.process(element.clauses, **kw)})"


class _DecimalSumAggregate:
    """The SQLite side of `decimal_sum`: adds decimal text exactly; NULLs are skipped,
    and a group with no known value sums to NULL, as SQL's SUM does."""

    def __init__(self) -> None:
        self.total: Decimal | None = None

    def step(self, value: object) -> None:
        if value is None:
            return
        amount = Decimal(str(value))
        self.total = amount if self.total is None else EXACT.add(self.total, amount)

    def finalize(self) -> str | None:
        return None if self.total is None else format(self.total, "f")


def register_sqlite_functions(dbapi_connection: Any) -> None:
    dbapi_connection.create_aggregate("decimal_sum", 1, _DecimalSumAggregate)
