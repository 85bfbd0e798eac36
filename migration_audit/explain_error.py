"""``migration-audit explain-error``: from a database error to the default
that caused it.

The error text is read by :mod:`migration_audit.dberror`; the table, the
column(s) and the constraint it names are looked up in the project's model
facts, and the rules that describe a default which collides or leaves a
NOT NULL column empty (MA101, MA102, MA103, MA105, MA204) are run on those
facts, so the cause and the fix are the rule's own words and location. Pure:
text and facts in, an :class:`Explanation` out.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from migration_audit import dberror
from migration_audit.dberror import NOT_NULL, UNIQUE, DatabaseError
from migration_audit.facts import ColumnFact, DefaultKind, Facts, Location, TableFact
from migration_audit.findings import Finding
from migration_audit.rules.base import short

# The rules whose finding on a column explains a duplicate key or a NOT NULL
# failure on it, in the order they are preferred.
KEY_RULES = ("MA101", "MA103", "MA102", "MA105")
NOT_NULL_RULES = ("MA204",)
_DIALECT_NAMES = {"postgresql": "PostgreSQL", "mysql": "MySQL/MariaDB", "sqlite": "SQLite"}


@dataclass(slots=True)
class Explanation:
    """What ``explain-error`` says. ``default_problem`` is True when a
    default of the model causes the error; then ``cause``, ``fix`` and
    ``location`` say what to change and where."""

    error: DatabaseError | None
    default_problem: bool
    headline: str
    object: str | None = None
    cause: str | None = None
    fix: str | None = None
    location: Location | None = None
    code: str | None = None
    notes: list[str] = field(default_factory=list)


def _find_table(facts: Facts, name: str | None, schema: str | None) -> TableFact | None:
    if facts.models is None or not name:
        return None
    tables = facts.models.tables
    for key in ((f"{schema}.{name}" if schema else name), name):
        if key in tables:
            return tables[key]
    matches = [t for t in tables.values() if t.name.lower() == name.lower()
               and (schema is None or t.schema is None or (t.schema or "").lower() == schema.lower())]
    return matches[0] if len(matches) == 1 else None


def _column(table: TableFact, name: str) -> ColumnFact | None:
    col = table.columns.get(name)
    if col is None:
        found = [c for n, c in table.columns.items() if n.lower() == name.lower()]
        col = found[0] if len(found) == 1 else None
    return col


def key_columns(error: DatabaseError, table: TableFact) -> tuple[str, ...]:
    """The columns of the key the error names: given by the message
    (SQLite, PostgreSQL's DETAIL), or found from the constraint's name
    (MySQL's ``PRIMARY`` or index name, PostgreSQL's ``<table>_pkey`` and
    ``<table>_<columns>_key``, a named constraint or index of the model)."""
    if error.columns:
        cols = [_column(table, c) for c in error.columns]
        return tuple(c.name if c is not None else n for c, n in zip(cols, error.columns))
    name = error.constraint
    if name is None:
        return ()
    if name == "PRIMARY" or name.lower() == f"{table.name}_pkey".lower():
        return table.primary_key
    for u in table.uniques:
        if u.name and u.name.lower() == name.lower():
            return u.columns
    lowered = name.lower()
    if lowered.startswith(f"{table.name.lower()}_") and lowered.endswith("_key"):
        middle = lowered[len(table.name) + 1:-4]
        for cols in [*(u.columns for u in table.uniques), *((c.name,) for c in table.columns.values() if c.unique)]:
            if "_".join(cols).lower() == middle:
                return cols
    # MySQL names an unnamed unique key after its first column (``email``, ``email_2``)
    col = _column(table, name)
    if col is not None:
        if col.unique:
            return (col.name,)
        for u in table.uniques:
            if u.columns and u.columns[0].lower() == col.name.lower():
                return u.columns
        return (col.name,)
    return ()


def _sent(error: DatabaseError, column: str) -> list[object]:
    """The values the failing statement sent for ``column``, per row."""
    return [r[column] for r in error.rows if column in r]


def _located(text: str, location: Location | None, root: object) -> str:
    if location is None:
        return text
    return f"{location.shown_path(root)}:{location.line}:{location.column}: {text}"  # type: ignore[arg-type]


def explain(text: str, facts: Facts, findings: list[Finding]) -> Explanation:
    """Explain the error in ``text`` with the model ``facts`` and the
    ``findings`` of the rules in KEY_RULES and NOT_NULL_RULES on them."""
    error = dberror.parse(text)
    if error is None:
        first = next((line.strip() for line in text.splitlines() if line.strip()), "")
        return Explanation(None, False, "not a default problem: this is not a duplicate-key, unique or NOT NULL "
                           "error" + (f" ({short(first, 120)[1:-1]})" if first else ""))
    by_object: dict[str, list[Finding]] = {}
    for f in findings:
        if f.object:
            by_object.setdefault(f.object, []).append(f)
    said = f"{_DIALECT_NAMES[error.dialect]} says: {error.message}"
    table = _find_table(facts, error.table, error.schema)
    if table is None:
        where = f"table {error.table!r}" if error.table else "the table (the text has no statement)"
        return Explanation(error, False, f"cannot tell whether a default causes it: {where} is not in the model "
                           "metadata", notes=[said])
    if error.kind == UNIQUE:
        return _explain_unique(error, table, by_object, said)
    return _explain_not_null(error, table, by_object, said)


def _rule_cause(obj: str, by_object: dict[str, list[Finding]], codes: tuple[str, ...]) -> Finding | None:
    found = by_object.get(obj, [])
    for code in codes:
        for f in found:
            if f.code == code:
                return f
    return None


def _explain_unique(error: DatabaseError, table: TableFact, by_object: dict[str, list[Finding]],
                    said: str) -> Explanation:
    cols = key_columns(error, table)
    if not cols:
        return Explanation(error, False, f"cannot tell whether a default causes it: the key {error.constraint!r} "
                           f"is not a primary key or unique constraint of {table.key} in the model metadata",
                           notes=[said])
    shown = f"{table.key}.{cols[0]}" if len(cols) == 1 else f"{table.key} ({', '.join(cols)})"
    value = ", ".join(error.values) if error.values else None
    sent_key = _sent(error, cols[0]) if len(cols) == 1 else []
    if value is None and sent_key and len(set(map(repr, sent_key))) == 1:
        value = str(sent_key[0])  # SQLite names no value; the statement sent it
    notes = [said]
    for name in cols:
        col = _column(table, name)
        if col is None:
            continue
        obj = f"{table.key}.{col.name}"
        sent = _sent(error, col.name)
        if len(sent) > 1 and len(set(map(repr, sent))) == 1:
            notes.append(f"every row of the failing INSERT had {col.name} = {short(sent[0])}: one value for all rows")
        finding = _rule_cause(obj, by_object, KEY_RULES)
        reason = table.key_reason(col.name) or ("part of the primary key" if col.name in table.primary_key
                                                 else "part of a unique key")
        headline = (f"duplicate key on {obj} ({reason})" + (f", value {value}" if value else "")
                    + ": caused by its default")
        if finding is not None:
            return Explanation(error, True, headline, obj, finding.message, finding.help, finding.location,
                               finding.code, notes)
        d = col.default
        if d is not None and d.kind is DefaultKind.CONSTANT and d.value is not None:
            return Explanation(
                error, True, headline, obj,
                f"default={d.describe()} is a constant, so every row inserted without {col.name} gets "
                f"{short(d.value)}; on {shown} two such rows collide",
                "give the column a default that makes a new value for every row (a callable, a sequence or "
                "identity), or no default",
                d.location or col.location, None, notes)
        s = col.server_default
        if s is not None and s.kind is DefaultKind.CONSTANT and d is None:
            return Explanation(
                error, True, headline, obj,
                f"server_default={s.describe()} is a constant, so every row inserted without {col.name} gets it; "
                f"on {shown} two such rows collide",
                "use a server default the database evaluates per row (a sequence, identity or a generator "
                "function), or none", s.location or col.location, None, notes)
    sent_cols = [c for c in cols if _sent(error, c)]
    came = "the writer gave them" if sent_cols else "they came from the writer"
    return Explanation(
        error, False,
        f"not a default problem: duplicate key on {shown}" + (f", value {value}" if value else "")
        + f"; {'its columns have' if len(cols) > 1 else 'the column has'} no default that gives every row the "
        f"same value, so {came}: two writes used the same key (a retry, a double submit, a race between "
        "a check and an insert)",
        shown, notes=notes)


def _explain_not_null(error: DatabaseError, table: TableFact, by_object: dict[str, list[Finding]],
                      said: str) -> Explanation:
    name = error.columns[0] if error.columns else None
    col = _column(table, name) if name else None
    if col is None:
        return Explanation(error, False, f"cannot tell whether a default causes it: column {name!r} is not in "
                           f"{table.key} in the model metadata", notes=[said])
    obj = f"{table.key}.{col.name}"
    notes = [said]
    omitted = error.statement_columns is not None and col.name not in error.statement_columns
    if error.explicit_null:
        extra = (f"; a default (default={col.default.describe()}) applies only when the column is left out, "
                 "not when None is given" if col.default is not None else "")
        return Explanation(error, False, f"not a default problem: the statement set {obj} to NULL explicitly"
                           + extra, obj, notes=notes)
    if omitted:
        notes.append(f"the failing INSERT does not name {col.name} ({', '.join(error.statement_columns or ())}): "
                     "it did not go through the model's client defaults")
    if col.default is not None and col.server_default is None:
        finding = _rule_cause(obj, by_object, NOT_NULL_RULES)
        headline = f"NOT NULL failure on {obj}: caused by its Python-only default"
        if finding is not None:
            return Explanation(error, True, headline, obj, finding.message, finding.help, finding.location,
                               finding.code, notes)
        d = col.default
        return Explanation(
            error, True, headline, obj,
            f"{obj} is NOT NULL and its only default is Python-side (default={d.describe()}): a writer that "
            "bypasses the model's client defaults and omits the column fails",
            "add a server default that gives the same value (`server_default=`), or make the column nullable",
            d.location or col.location, None, notes)
    if col.server_default is not None:
        return Explanation(error, False, f"not a default problem: {obj} has a server default "
                           f"({col.server_default.describe()}), which fills it when it is left out; the writer "
                           "gave it NULL", obj, notes=notes)
    return Explanation(error, False, f"not a default problem: {obj} is NOT NULL and has no default at all; the "
                       "writer must give it a value", obj, notes=notes)


def render(explanation: Explanation, root: object) -> str:
    """The text ``explain-error`` prints."""
    e = explanation
    lines = [e.headline]
    lines.extend(f"  {n}" for n in e.notes)
    if e.default_problem:
        code = f" [{e.code}]" if e.code else ""
        lines.append(f"  cause: {e.cause}{code}")
        lines.append("  fix: " + _located(e.fix or "", e.location, root))
    return "\n".join(lines) + "\n"
