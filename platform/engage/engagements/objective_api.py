"""``/api/v1/engagements/{id}/objectives``: what an engagement asks of the company."""

from __future__ import annotations

import sqlalchemy as sa

from engage import clock
from engage.api.errors import commit_unit
from engage.api.routing import operation, paginate
from engage.engagements.api import load_engagement
from engage.engagements.models import Objective
from engage.engagements.schemas import (
    ObjectiveCreateSchema,
    ObjectiveSchema,
    ObjectiveUpdateSchema,
)
from engage.security import Permission, acting, one_or_404, require


def load_objective(engagement_id: int, objective_id: int) -> Objective:
    return one_or_404(sa.select(Objective).where(Objective.id == objective_id,
                                                 Objective.engagement_id == engagement_id))


@operation("GET", "/engagements/<id:engagement_id>/objectives", tag="engagements",
           summary="List an engagement's objectives", response=ObjectiveSchema, paginated=True)
def list_objectives(engagement_id, args):
    """In the order they were set; each open, met or abandoned (with the reason)."""
    engagement = load_engagement(engagement_id)
    stmt = (sa.select(Objective).where(Objective.engagement_id == engagement.id)
            .order_by(Objective.id))
    return paginate(stmt, args)


@operation("POST", "/engagements/<id:engagement_id>/objectives", tag="engagements",
           summary="Add an objective (leads)", body=ObjectiveCreateSchema,
           response=ObjectiveSchema, status=201)
def create_objective(engagement_id, data):
    from engage.engagements.objectives import add_objective

    engagement = load_engagement(engagement_id)
    require(Permission.LEAD_ENGAGEMENT, engagement)
    return commit_unit(lambda: add_objective(engagement, **acting(), **data))


@operation("GET", "/engagements/<id:engagement_id>/objectives/<id:objective_id>",
           tag="engagements", summary="Get an objective", response=ObjectiveSchema)
def get_objective(engagement_id, objective_id):
    return load_objective(engagement_id, objective_id)


@operation("PATCH", "/engagements/<id:engagement_id>/objectives/<id:objective_id>",
           tag="engagements", summary="Change, close or reopen an objective (leads)",
           body=ObjectiveUpdateSchema, response=ObjectiveSchema, partial=True)
def update_objective(engagement_id, objective_id, data):
    from engage.engagements.objectives import update_objective as update

    objective = load_objective(engagement_id, objective_id)
    require(Permission.LEAD_ENGAGEMENT, objective)
    return commit_unit(lambda: update(objective, **acting(), now=clock.now(), **data))
