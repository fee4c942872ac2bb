"""The audit trail as an organisation's administrators read it: the filters of the page and
its CSV export, one page of entries with who acted, and the links to the records that still
exist and that the organisation may open.

What an organisation sees is what ``/api/v1/audit-events`` shows it: the events recorded in
its name (the tenancy filter on :class:`AuditEvent`, ``organisation_id``), never another's.
"""

from __future__ import annotations

import json
from collections.abc import Iterator, Mapping
from dataclasses import asdict, dataclass
from datetime import date, datetime, time, timedelta, timezone
from typing import Any

import sqlalchemy as sa
from flask_babel import gettext as _

from engage import clock
from engage.audit.models import AuditEvent
from engage.common.bounds import ID_MAX
from engage.common.forms import parse_date, parse_text
from engage.common.labels import LABELS, audit_action, object_type_words
from engage.extensions import db
from engage.organisations.models import User

# The verbs every record change is stored with ("milestone.update"): one choice each.
VERBS = ("create", "update", "delete")
ACTOR_MAX = 200
OBJECT_ID_MAX = 50  # AuditEvent.object_id


@dataclass(frozen=True)
class TrailFilter:
    """The filters as given in the query string (kept as text, to redraw the form)."""

    actor: str = ""  # part of a person's name or e-mail address
    object_type: str = ""
    object_id: str = ""
    action: str = ""  # a verb (any record created/changed/deleted) or an event's code
    since: str = ""  # YYYY-MM-DD, the first day, in the platform's time zone
    until: str = ""  # YYYY-MM-DD, the last day (inclusive)

    def params(self) -> dict[str, str]:
        """The filters that are set, for links (the pager, the export)."""
        return {key: value for key, value in asdict(self).items() if value}


def action_choices() -> list[tuple[str, str]]:
    """The action filter's options: any record created / changed / deleted, then each event."""
    verbs = [("create", _("Any record created")), ("update", _("Any record changed")),
             ("delete", _("Any record deleted"))]
    events = sorted(((code, str(words)) for code, words in LABELS["audit_action"].items()),
                    key=lambda item: item[1].casefold())
    return verbs + events


def object_type_choices() -> list[tuple[str, str]]:
    return sorted(((code, str(words)) for code, words in LABELS["object_type"].items()),
                  key=lambda item: item[1].casefold())


def parse_filter(args: Mapping[str, str]) -> tuple[TrailFilter, list[sa.ColumnElement[bool]],
                                                   dict[str, str]]:
    """The filters from ``args``, the conditions they put on :class:`AuditEvent`, and a
    message per field that is wrong (then the conditions are not to be used)."""
    errors: dict[str, str] = {}
    given = TrailFilter(**{key: str(args.get(key, ""))[:400].strip()
                           for key in TrailFilter.__dataclass_fields__})
    conditions: list[sa.ColumnElement[bool]] = []

    actor = parse_text(given.actor, "actor", errors, max_length=ACTOR_MAX)
    if actor and "actor" not in errors:
        needle = actor.casefold()
        people = sa.select(User.id).where(sa.or_(
            sa.func.lower(User.name).contains(needle, autoescape=True),
            sa.func.lower(User.email).contains(needle, autoescape=True)))
        conditions.append(AuditEvent.actor_id.in_(people))

    if given.object_type:
        if given.object_type not in LABELS["object_type"]:
            errors["object_type"] = _("“%(value)s” is not one of the options.",
                                      value=given.object_type[:40])
        else:
            conditions.append(AuditEvent.object_type == given.object_type)
    object_id = parse_text(given.object_id, "object_id", errors, max_length=OBJECT_ID_MAX)
    if object_id and "object_id" not in errors:
        if not given.object_type:
            errors["object_id"] = _("Choose the kind of record too: a number names a "
                                    "record of one kind.")
        else:
            conditions.append(AuditEvent.object_id == object_id)

    if given.action:
        if given.action in VERBS:
            conditions.append(AuditEvent.action.endswith("." + given.action, autoescape=True))
        elif given.action in LABELS["audit_action"]:
            conditions.append(AuditEvent.action == given.action)
        else:
            errors["action"] = _("“%(value)s” is not one of the options.", value=given.action[:40])

    since = parse_date(given.since, "since", errors, required=False)
    until = parse_date(given.until, "until", errors, required=False)
    if since and until and since > until:
        errors["until"] = _("The last day comes before the first.")
    if since and "since" not in errors:
        conditions.append(AuditEvent.at >= _start_of(since))
    if until and "until" not in errors:
        conditions.append(AuditEvent.at < _start_of(until + timedelta(days=1)))
    return given, conditions, errors


def _start_of(day: date) -> datetime:
    """Midnight at the start of ``day`` where the platform runs (its deadlines' zone)."""
    return datetime.combine(day, time.min, tzinfo=clock.zone())


@dataclass(frozen=True)
class Entry:
    event: AuditEvent
    actor_name: str | None
    actor_email: str | None
    link: tuple[str, dict[str, int]] | None  # (endpoint, values) of the record's page

    @property
    def action_words(self) -> str:
        return audit_action(self.event.action)

    @property
    def object_words(self) -> str:
        return object_type_words(self.event.object_type)

    def changes(self) -> list[tuple[str, str, str]]:
        """(field, before, after) for every field the entry records, as text."""
        before, after = self.event.before or {}, self.event.after or {}
        return [(key, _text(before.get(key)) if key in before else "",
                 _text(after.get(key)) if key in after else "")
                for key in list(dict.fromkeys([*before, *after]))]


def _text(value: Any) -> str:
    if value is None:
        return "—"
    if isinstance(value, str):
        return value
    return json.dumps(value, ensure_ascii=False)


def _select(conditions: list[sa.ColumnElement[bool]]) -> sa.Select:
    return (sa.select(AuditEvent, User.name, User.email)
            .outerjoin(User, User.id == AuditEvent.actor_id)
            .where(*conditions)
            .order_by(AuditEvent.at.desc(), AuditEvent.id.desc()))


def page_of(conditions: list[sa.ColumnElement[bool]], org_id: int, *, offset: int,
            limit: int) -> tuple[list[Entry], int]:
    """One page of the organisation's entries, newest first, and how many match."""
    total = count(conditions)
    rows = db.session.execute(_select(conditions).offset(offset).limit(limit)).all()
    links = _links([event for event, _name, _email in rows], org_id)
    return [Entry(event, name, email, links.get(event.id)) for event, name, email in rows], total


def count(conditions: list[sa.ColumnElement[bool]]) -> int:
    return db.session.scalar(sa.select(sa.func.count(AuditEvent.id)).where(*conditions))


def all_of(conditions: list[sa.ColumnElement[bool]]) -> Iterator[tuple[AuditEvent, str | None,
                                                                       str | None]]:
    """Every matching entry, newest first, read in batches."""
    stmt = _select(conditions).execution_options(yield_per=500)
    for event, name, email in db.session.execute(stmt):
        yield event, name, email


# --- links to the records ------------------------------------------------------------------

# The records with a page of their own: kind → (endpoint, its id argument).
PAGES = {
    "engagement": ("engagements.show", "engagement_id"),
    "initiative": ("initiatives.show", "initiative_id"),
    "company": ("companies.show", "company_id"),
    "letter": ("escalations.letter_page", "letter_id"),
}


def _record_id(value: Any) -> int | None:
    text = str(value) if value is not None else ""
    return int(text) if text.isascii() and text.isdigit() and 0 < int(text) <= ID_MAX else None


def _target(event: AuditEvent) -> tuple[str, int] | None:
    """The page an entry is about: its own record's, or, for a record of an engagement (a
    milestone, a dialogue entry…), the engagement's."""
    if event.object_type in PAGES:
        record = _record_id(event.object_id)
        return (event.object_type, record) if record else None
    for values in (event.after, event.before):
        if isinstance(values, dict) and (record := _record_id(values.get("engagement_id"))):
            return "engagement", record
    return None


def _links(events: list[AuditEvent], org_id: int) -> dict[int, tuple[str, dict[str, int]]]:
    """Each entry's link, to a record that exists and that ``org_id`` may see (the models'
    own tenancy rule, ``tenant_criteria``), in one statement."""
    from engage.companies.models import Company
    from engage.engagements.models import Engagement, Letter
    from engage.initiatives.models import Initiative

    targets = {event.id: target for event in events if (target := _target(event))}
    if not targets:
        return {}
    wanted: dict[str, set[int]] = {kind: set() for kind in PAGES}
    for kind, record in targets.values():
        wanted[kind].add(record)
    org = sa.literal(org_id, sa.Integer)
    seen = set(db.session.execute(sa.union_all(
        sa.select(sa.literal("engagement"), Engagement.id)
        .where(Engagement.id.in_(wanted["engagement"]), Engagement.tenant_criteria(org)),
        sa.select(sa.literal("initiative"), Initiative.id)
        .where(Initiative.id.in_(wanted["initiative"]), Initiative.tenant_criteria(org)),
        sa.select(sa.literal("letter"), Letter.id)
        .where(Letter.id.in_(wanted["letter"]), Letter.tenant_criteria(org)),
        sa.select(sa.literal("company"), Company.id).where(Company.id.in_(wanted["company"])),
    )).tuples().all())
    links = {}
    for event_id, (kind, record) in targets.items():
        if (kind, record) in seen:
            endpoint, argument = PAGES[kind]
            links[event_id] = (endpoint, {argument: record})
    return links


# --- the CSV ------------------------------------------------------------------------------


def csv_header() -> list[str]:
    return [_("When (UTC)"), _("Person"), _("E-mail"), _("Action"), _("Action code"),
            _("Kind of record"), _("Record"), _("Before"), _("After"), _("Context")]


def csv_row(event: AuditEvent, name: str | None, email: str | None) -> list[Any]:
    """One entry as CSV cells (they pass through :mod:`engage.spreadsheets`)."""
    def as_json(values: Any) -> str:
        return json.dumps(values, ensure_ascii=False, sort_keys=True) if values else ""

    at = event.at if event.at.tzinfo else event.at.replace(tzinfo=timezone.utc)
    return [at.astimezone(timezone.utc).replace(tzinfo=None, microsecond=0).isoformat(sep=" "),
            name or "", email or "", audit_action(event.action), event.action,
            object_type_words(event.object_type), event.object_id or "",
            as_json(event.before), as_json(event.after), event.context]
