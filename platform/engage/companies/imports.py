"""All-or-nothing imports of the company register (companies, exclusions, ratings) and of an
organisation's holdings.

The file is read as a stream (:mod:`engage.companies.csvfile`). Every line is validated
first, against one pre-load of the identifiers already known; any bad line stops the import
with the list of its bad lines (the first hundred and a count), before anything is written. Then the rows are written with Core INSERT / UPDATE executemany in chunks (no ORM
object per row) and one audit event records who imported which file and the counts: the
flush listener never sees these rows, so the import writes its event itself.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from datetime import date
from typing import Any

import sqlalchemy as sa
from flask_babel import gettext as _
from sqlalchemy.dialects.postgresql import ARRAY

from engage import clock
from engage.audit import service as audit
from engage.companies import csvfile
from engage.companies.csvfile import CellError
from engage.common.search import fold
from engage.companies.models import Company, EsgRating, ExclusionCategory, Holding
from engage.db import utcnow
from engage.extensions import db
from engage.tenancy import TenancyError, current_scope

CHUNK = 5000
IDENTIFIERS = ("isin", "lei", "company")
KINDS = ("companies", "exclusions", "ratings", "holdings")
Progress = Callable[[int], None]

_COMPANY = Company.__table__
_HOLDING = Holding.__table__


@dataclass
class ImportResult:
    kind: str
    filename: str
    lines: int = 0
    created: int = 0
    updated: int = 0
    seconds: float = 0.0
    encoding: str = ""
    separator: str = ""
    organisation_id: int | None = None

    def audit_values(self) -> dict[str, Any]:
        return {"file": self.filename, "lines": self.lines, "created": self.created,
                "updated": self.updated, "encoding": self.encoding,
                "separator": self.separator, "seconds": round(self.seconds, 3)}


Finish = Callable[[ImportResult], None]


@dataclass
class _Register:
    """The companies already known, by each identifier: one query, before any line is read."""

    by_isin: dict[str, int] = field(default_factory=dict)
    by_lei: dict[str, int] = field(default_factory=dict)
    by_name: dict[str, list[tuple[int, str | None]]] = field(default_factory=dict)
    identified: set[int] = field(default_factory=set)  # companies with an ISIN or a LEI

    @classmethod
    def load(cls, end_read: bool = False) -> _Register:
        """``end_read``: a background run ends its read transaction here, before the long
        check of every line, so the progress it writes meanwhile through another connection
        is not blocked by it (SQLite locks the file), and its writes start afresh."""
        reg = cls()
        rows = db.session.execute(
            sa.select(_COMPANY.c.id, _COMPANY.c.isin, _COMPANY.c.lei, _COMPANY.c.name,
                      _COMPANY.c.country)
        )
        for cid, isin, lei, name, country in rows:
            if isin:
                reg.by_isin[isin] = cid
            if lei:
                reg.by_lei[lei] = cid
            if isin or lei:
                reg.identified.add(cid)
            reg.by_name.setdefault(name.strip().lower(), []).append((cid, country))
        if end_read:
            db.session.commit()  # nothing is pending: the job's claim was committed before
        return reg

    def by_name_country(self, name: str, country: str | None) -> list[int]:
        found = self.by_name.get(name.strip().lower(), [])
        if country:
            found = [c for c in found if c[1] == country]
        return [cid for cid, _country in found]

    def find(self, row: dict[str, str]) -> int:
        """The known company a line names (ISIN, else LEI, else name and country)."""
        if row.get("isin"):
            code = csvfile.isin(row["isin"])
            if code not in self.by_isin:
                raise CellError(_("no company with ISIN %(code)s in the register", code=code))
            return self.by_isin[code]
        if row.get("lei"):
            code = csvfile.lei(row["lei"])
            if code not in self.by_lei:
                raise CellError(_("no company with LEI %(code)s in the register", code=code))
            return self.by_lei[code]
        name = row.get("company", "")
        if not name:
            raise CellError(_("the line names no company (isin, lei or company)"))
        country = csvfile.country(row["country"]) if row.get("country") else None
        ids = self.by_name_country(name, country)
        if not ids:
            raise CellError(_("no company named “%(name)s” in the register", name=name))
        if len(ids) > 1:
            raise CellError(_("%(count)d companies are named “%(name)s”; give the ISIN or LEI",
                              count=len(ids), name=name))
        return ids[0]


class _Lines:
    """Collects the bad lines (with the reader's own), and the first line of each key (to
    name duplicates)."""

    def __init__(self, errors: csvfile.Errors) -> None:
        self.errors = errors
        self.seen: dict[Any, int] = {}

    def fail(self, line: int, reason: str) -> None:
        self.errors.add(line, reason)

    def first(self, key: Any, line: int) -> bool:
        """True if ``key`` is new; otherwise records the line as a duplicate."""
        earlier = self.seen.setdefault(key, line)
        if earlier != line:
            self.fail(line, _("duplicate of line %(line)d", line=earlier))
            return False
        return True

    def check(self) -> None:
        self.errors.check()


def _chunks(rows: list[dict], progress: Progress | None) -> Iterable[list[dict]]:
    for start in range(0, len(rows), CHUNK):
        chunk = rows[start:start + CHUNK]
        yield chunk
        if progress:
            progress(len(chunk))


def _write(table: sa.Table, inserts: list, update: sa.Update | None, updates: list,
           progress: Progress | None, shape: Callable[[Any], dict] | None = None,
           shape_update: Callable[[Any], dict] | None = None) -> None:
    """Rows as dicts, or as tuples that ``shape`` / ``shape_update`` turn into dicts a chunk
    at a time (a dict per row of a 20 MB file held at once was most of an import's memory)."""
    # One creation time for the whole import, written into the statement once: binding it
    # per row would run the UTC type's conversion a hundred thousand times.
    now = utcnow().replace(tzinfo=None).isoformat(sep=" ")
    insert = sa.insert(table).values(created_at=sa.literal_column(f"'{now}'"))
    for chunk in _chunks(inserts, progress):
        db.session.execute(insert, [shape(r) for r in chunk] if shape else chunk)
    if update is not None:
        for chunk in _chunks(updates, progress):
            db.session.execute(update, [shape_update(r) for r in chunk] if shape_update
                               else chunk)


def _finish(result: ImportResult, started: float, table: csvfile.Table,
            before_commit: Finish | None) -> ImportResult:
    result.lines = table.lines
    result.encoding, result.separator = table.encoding, table.separator
    result.seconds = time.perf_counter() - started
    audit.record(f"import.{result.kind}", object_type="import", object_id=result.kind,
                 after=result.audit_values(), organisation_id=result.organisation_id)
    if before_commit:
        before_commit(result)  # e.g. the background job's "done", in the same transaction
    db.session.commit()
    return result


def _scope_required() -> None:
    if current_scope() is None:
        raise TenancyError("an import runs in a tenancy scope (who imported is audited)")


# --- companies ------------------------------------------------------------------------------------

def import_companies(source: csvfile.Source, filename: str, *, progress: Progress | None = None,
                     checking: csvfile.Checking | None = None,
                     before_commit: Finish | None = None) -> ImportResult:
    """Add or update companies: name, isin, lei, country, sector, next_agm_on."""
    _scope_required()
    started = time.perf_counter()
    table = csvfile.read_table(source, required=("name",),
                               aliases={"company": "name", "company_name": "name",
                                        "next_agm": "next_agm_on", "agm_on": "next_agm_on"},
                               checking=checking)
    reg = _Register.load(end_read=checking is not None)
    lines = _Lines(table.errors)
    inserts, updates = [], []
    for line, row in table:
        try:
            name = csvfile.required(row, "name")
            if len(name) > 200:
                raise CellError(_("the name is longer than 200 characters"))
            isin = csvfile.isin(row["isin"]) if row.get("isin") else None
            lei = csvfile.lei(row["lei"]) if row.get("lei") else None
            country = csvfile.country(row["country"]) if row.get("country") else None
            agm = csvfile.a_date(row["next_agm_on"]) if row.get("next_agm_on") else None
            sector = row.get("sector") or None
            if sector and len(sector) > 100:
                raise CellError(_("the sector is longer than 100 characters"))
        except CellError as exc:
            lines.fail(line, str(exc))
            continue
        by_isin = reg.by_isin.get(isin) if isin else None
        by_lei = reg.by_lei.get(lei) if lei else None
        if by_isin and by_lei and by_isin != by_lei:
            lines.fail(line, _("ISIN %(isin)s and LEI %(lei)s belong to two different companies",
                               isin=isin, lei=lei))
            continue
        existing = by_isin or by_lei
        if existing is None:
            # A company known by name only (as the exclusion list brings them) gets its
            # identifiers; one that has other identifiers is a different company.
            same = [cid for cid in reg.by_name_country(name, country)
                    if not ((isin or lei) and cid in reg.identified)]
            existing = same[0] if len(same) == 1 else None
        key = isin or lei or (name.lower(), country)
        if not lines.first(key, line) or (lei and isin and not lines.first(lei, line)):
            continue
        values = {"name": name, "name_key": fold(name), "isin": isin, "lei": lei,
                  "country": country, "sector": sector, "next_agm_on": agm}
        if existing is None:
            inserts.append({**values, "controversies": "", "exclusion_reason": ""})
        else:
            updates.append({"_id": existing, **{f"_{k}": v for k, v in values.items()}})
    lines.check()
    if db.session.get_bind().dialect.name == "postgresql":
        _write(_COMPANY, inserts, None, [], progress)
        _update_companies_postgres(updates, progress)
    else:
        c = _COMPANY.c
        update = (sa.update(_COMPANY).where(c.id == sa.bindparam("_id")).values(
            name=sa.bindparam("_name"), name_key=sa.bindparam("_name_key"),
            isin=sa.func.coalesce(sa.bindparam("_isin", type_=sa.String), c.isin),
            lei=sa.func.coalesce(sa.bindparam("_lei", type_=sa.String), c.lei),
            country=sa.func.coalesce(sa.bindparam("_country", type_=sa.String), c.country),
            sector=sa.func.coalesce(sa.bindparam("_sector", type_=sa.String), c.sector),
            next_agm_on=sa.func.coalesce(sa.bindparam("_next_agm_on", type_=sa.Date),
                                         c.next_agm_on),
        ))
        _write(_COMPANY, inserts, update, updates, progress)
    result = ImportResult("companies", filename, created=len(inserts), updated=len(updates))
    return _finish(result, started, table, before_commit)


_UNNEST_UPDATE = sa.text(
    "UPDATE company AS c SET name = v.name, name_key = v.name_key, isin = coalesce(v.isin, c.isin), "
    "lei = coalesce(v.lei, c.lei), country = coalesce(v.country, c.country), "
    "sector = coalesce(v.sector, c.sector), next_agm_on = coalesce(v.next_agm_on, c.next_agm_on) "
    "FROM unnest(:ids, :names, :name_keys, :isins, :leis, :countries, :sectors, :agms) "
    "AS v(id, name, name_key, isin, lei, country, sector, next_agm_on) WHERE c.id = v.id"
).bindparams(
    sa.bindparam("ids", type_=ARRAY(sa.Integer)), sa.bindparam("names", type_=ARRAY(sa.String)),
    sa.bindparam("name_keys", type_=ARRAY(sa.String)),
    sa.bindparam("isins", type_=ARRAY(sa.String)), sa.bindparam("leis", type_=ARRAY(sa.String)),
    sa.bindparam("countries", type_=ARRAY(sa.String)),
    sa.bindparam("sectors", type_=ARRAY(sa.String)), sa.bindparam("agms", type_=ARRAY(sa.Date)),
)


def _update_companies_postgres(updates: list[dict], progress: Progress | None) -> None:
    """One UPDATE … FROM unnest(arrays) per chunk: PostgreSQL runs one statement for 5,000
    rows instead of 5,000 (a 100,000-line re-import took 12.9 s as an executemany)."""
    for chunk in _chunks(updates, progress):
        db.session.execute(_UNNEST_UPDATE, {
            "ids": [r["_id"] for r in chunk], "names": [r["_name"] for r in chunk],
            "name_keys": [r["_name_key"] for r in chunk],
            "isins": [r["_isin"] for r in chunk], "leis": [r["_lei"] for r in chunk],
            "countries": [r["_country"] for r in chunk],
            "sectors": [r["_sector"] for r in chunk],
            "agms": [r["_next_agm_on"] for r in chunk],
        })


# --- exclusions -----------------------------------------------------------------------------------

def _category(value: str) -> ExclusionCategory:
    key = value.strip().lower().replace(" ", "_").replace("-", "_").replace("/", "_")
    try:
        return ExclusionCategory(key)
    except ValueError:
        known = ", ".join(c.value for c in ExclusionCategory)
        raise CellError(_("unknown exclusion category “%(value)s” (known: %(known)s)",
                          value=value, known=known)) from None


def import_exclusions(source: csvfile.Source, filename: str, *, today: date | None = None,
                      progress: Progress | None = None, checking: csvfile.Checking | None = None,
                      before_commit: Finish | None = None) -> ImportResult:
    """The exclusion list (company, country, category[, isin, lei, reason, excluded_on]):
    known companies are marked excluded, unknown ones join the register excluded."""
    _scope_required()
    started = time.perf_counter()
    today = today or clock.today()
    table = csvfile.read_table(source, required=("company", "country", "category"),
                               aliases={"name": "company", "date": "excluded_on"},
                               checking=checking)
    reg = _Register.load(end_read=checking is not None)
    lines = _Lines(table.errors)
    inserts, updates = [], []
    for line, row in table:
        try:
            name = csvfile.required(row, "company")
            if len(name) > 200:
                raise CellError(_("the name is longer than 200 characters"))
            country = csvfile.country(csvfile.required(row, "country"))
            category = _category(csvfile.required(row, "category"))
            isin = csvfile.isin(row["isin"]) if row.get("isin") else None
            lei = csvfile.lei(row["lei"]) if row.get("lei") else None
            excluded_on = csvfile.a_date(row["excluded_on"]) if row.get("excluded_on") else today
        except CellError as exc:
            lines.fail(line, str(exc))
            continue
        existing = (reg.by_isin.get(isin) if isin else None) or (reg.by_lei.get(lei) if lei else None)
        if existing is None:
            same = reg.by_name_country(name, country)
            if len(same) > 1:
                lines.fail(line, _("%(count)d companies are named “%(name)s” in %(country)s; give "
                                   "the ISIN or LEI", count=len(same), name=name, country=country))
                continue
            existing = same[0] if same else None
        if not lines.first(existing or isin or lei or (name.lower(), country), line):
            continue
        values = {"exclusion_category": category.value, "exclusion_reason": row.get("reason", ""),
                  "excluded_on": excluded_on}
        if existing is None:
            inserts.append({"name": name, "country": country, "isin": isin, "lei": lei,
                            "controversies": "", **values})
        else:
            updates.append({"_id": existing, **{f"_{k}": v for k, v in values.items()}})
    lines.check()
    update = sa.update(_COMPANY).where(_COMPANY.c.id == sa.bindparam("_id")).values(
        exclusion_category=sa.bindparam("_exclusion_category"),
        exclusion_reason=sa.bindparam("_exclusion_reason"),
        excluded_on=sa.bindparam("_excluded_on"),
    )
    _write(_COMPANY, inserts, update, updates, progress)
    result = ImportResult("exclusions", filename, created=len(inserts), updated=len(updates))
    return _finish(result, started, table, before_commit)


# --- ratings --------------------------------------------------------------------------------------

def _rating(value: str) -> EsgRating:
    try:
        return EsgRating(value.strip().upper())
    except ValueError:
        raise CellError(_("“%(value)s” is not a rating from AAA to CCC", value=value)) from None


def import_ratings(source: csvfile.Source, filename: str, *, progress: Progress | None = None,
                   checking: csvfile.Checking | None = None,
                   before_commit: Finish | None = None) -> ImportResult:
    """ESG ratings of known companies: (isin | lei | company), rating AAA–CCC, rated_on."""
    _scope_required()
    started = time.perf_counter()
    table = csvfile.read_table(source, required=("rating", "rated_on"), one_of=IDENTIFIERS,
                               aliases={"date": "rated_on", "esg_rating": "rating",
                                        "name": "company"},
                               checking=checking)
    reg = _Register.load(end_read=checking is not None)
    lines = _Lines(table.errors)
    updates = []
    for line, row in table:
        try:
            rating = _rating(csvfile.required(row, "rating"))
            rated_on = csvfile.a_date(csvfile.required(row, "rated_on"))
            company_id = reg.find(row)
        except CellError as exc:
            lines.fail(line, str(exc))
            continue
        if lines.first(company_id, line):
            updates.append({"_id": company_id, "_rating": rating.value, "_rated_on": rated_on})
    lines.check()
    update = sa.update(_COMPANY).where(_COMPANY.c.id == sa.bindparam("_id")).values(
        esg_rating=sa.bindparam("_rating"), rated_on=sa.bindparam("_rated_on"))
    _write(_COMPANY, [], update, updates, progress)
    result = ImportResult("ratings", filename, updated=len(updates))
    return _finish(result, started, table, before_commit)


# --- holdings -------------------------------------------------------------------------------------

def import_holdings(source: csvfile.Source, filename: str, organisation_id: int, *,
                    progress: Progress | None = None, checking: csvfile.Checking | None = None,
                    before_commit: Finish | None = None) -> ImportResult:
    """One organisation's positions: (isin | lei | company), value_eur, valued_on. A position
    already recorded for that company and date takes the new value."""
    scope = current_scope()
    if scope is None or not (scope.is_system or scope.org_id == organisation_id):
        raise TenancyError("holdings are imported in their organisation's scope")
    started = time.perf_counter()
    table = csvfile.read_table(source, required=("value_eur", "valued_on"), one_of=IDENTIFIERS,
                               aliases={"value": "value_eur", "amount": "value_eur",
                                        "date": "valued_on", "name": "company"},
                               checking=checking)
    reg = _Register.load(end_read=checking is not None)
    lines = _Lines(table.errors)
    parsed = []
    for line, row in table:
        try:
            value = csvfile.amount(csvfile.required(row, "value_eur"))
            valued_on = csvfile.a_date(csvfile.required(row, "valued_on"))
            company_id = reg.find(row)
        except CellError as exc:
            lines.fail(line, str(exc))
            continue
        if lines.first((company_id, valued_on), line):
            parsed.append((company_id, valued_on, value))
    lines.check()
    lines.seen.clear()  # the duplicate check is done: free it before the writes
    dates = sorted({p[1] for p in parsed})
    # Through the ORM entity, so the tenancy filter applies to the pre-load as well.
    existing = {
        (cid, on): hid for hid, cid, on in db.session.execute(
            sa.select(Holding.id, Holding.company_id, Holding.valued_on)
            .where(Holding.organisation_id == organisation_id, Holding.valued_on.in_(dates))
        )
    }
    inserts, updates = [], []
    for position in parsed:
        hid = existing.get(position[:2])
        if hid is None:
            inserts.append(position)
        else:
            updates.append((hid, position[2]))
    del parsed, existing
    update = sa.update(_HOLDING).where(_HOLDING.c.id == sa.bindparam("_id")).values(
        value_eur=sa.bindparam("_value"))
    _write(_HOLDING, inserts, update, updates, progress,
           shape=lambda p: {"organisation_id": organisation_id, "company_id": p[0],
                            "valued_on": p[1], "value_eur": p[2]},
           shape_update=lambda u: {"_id": u[0], "_value": u[1]})
    result = ImportResult("holdings", filename, created=len(inserts), updated=len(updates),
                          organisation_id=organisation_id)
    return _finish(result, started, table, before_commit)


IMPORTERS: dict[str, Callable[..., ImportResult]] = {
    "companies": import_companies,
    "exclusions": import_exclusions,
    "ratings": import_ratings,
}


def import_file(kind: str, source: csvfile.Source, filename: str, organisation_id: int,
                **kw: Any) -> ImportResult:
    """Import a file of ``kind`` (one of :data:`KINDS`): holdings into ``organisation_id``'s
    positions, the other kinds into the shared register. ``kw``: progress, checking,
    before_commit."""
    if kind == "holdings":
        return import_holdings(source, filename, organisation_id, **kw)
    return IMPORTERS[kind](source, filename, **kw)
