"""Several short lists of different models, read in one statement.

A page such as an engagement's shows a handful of small sections (participants, objectives,
milestones, tasks …), each a list of one model. Read one by one they cost a statement each;
here a derived table of section names is outer-joined to every model, each join matching
only on its own name::

    SELECT section.name, objective.*, escalation_task.*, …
    FROM (SELECT 'objective' AS name UNION ALL SELECT 'task' …) AS section
    LEFT OUTER JOIN objective ON section.name = 'objective' AND objective.engagement_id = :id
    LEFT OUTER JOIN escalation_task ON section.name = 'task' AND …

so every row carries one object of one section: as many rows as the sections hold together
(a UNION ALL that returns ORM objects), never their product. The statement goes through the
session, so the tenancy filter adds its criteria to each join, and eager-loading options
(``joinedload``) work as in any ORM query. The SQL is the same on SQLite and PostgreSQL.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

import sqlalchemy as sa
from sqlalchemy.orm.interfaces import ORMOption

from engage.extensions import db


@dataclass(frozen=True)
class Section:
    model: type
    where: sa.ColumnElement[bool]
    order_by: Sequence[Any] = ()
    options: Sequence[ORMOption] = field(default_factory=tuple)
    # Set when an option loads a collection (joinedload of a one-to-many): the rows then
    # repeat the object and are made unique.
    collections: bool = False


def load_sections(sections: dict[str, Section]) -> dict[str, list[Any]]:
    """The objects of each section, in the section's order. Each model appears once."""
    names = list(sections)
    if len({s.model for s in sections.values()}) != len(names):
        raise ValueError("each section needs a model of its own")
    tag = sa.union_all(
        *(sa.select(sa.literal(name, sa.String).label("name")) for name in names)
    ).subquery("section")
    stmt = sa.select(tag.c.name, *(s.model for s in sections.values())).select_from(tag)
    order: list[Any] = [tag.c.name]
    options: list[ORMOption] = []
    for name, section in sections.items():
        stmt = stmt.outerjoin(section.model, sa.and_(tag.c.name == name, section.where))
        order.extend(section.order_by)
        options.extend(section.options)
    result = db.session.execute(stmt.order_by(*order).options(*options))
    if any(s.collections for s in sections.values()):
        result = result.unique()
    found: dict[str, list[Any]] = {name: [] for name in names}
    for row in result:
        obj = row[1 + names.index(row.name)]
        if obj is not None:
            found[row.name].append(obj)
    return found
