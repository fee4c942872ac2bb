"""``/api/v1/engagements/{id}/ladder`` (the leads tailor it, or go back to the shared one)
and ``/api/v1/ladder-templates`` (installed templates, read-only; an organisation's own,
written by its admins). Steps in use are retired, never changed; every change is audited."""

from __future__ import annotations

import sqlalchemy as sa
from flask import Response

from engage import clock
from engage.api.errors import ApiError, commit_unit
from engage.api.routing import operation, paginate
from engage.engagements.models import Engagement
from engage.escalations import ladder_writes
from engage.escalations.ladder_schemas import (
    LadderSchema,
    LadderWriteSchema,
    TemplateListArgs,
    TemplateWriteSchema,
)
from engage.escalations.models import EscalationLadder
from engage.security import Permission, acting, current_org, load_or_404, require


def _steps(data) -> list | None:
    if data.get("steps") is None:
        return None
    return [dict(step, kind=step["kind"].value) for step in data["steps"]]


# --- an engagement's ladder ------------------------------------------------------------------------

@operation("GET", "/engagements/<id:engagement_id>/ladder", tag="ladders",
           summary="Get the ladder an engagement climbs", response=LadderSchema)
def get_engagement_ladder(engagement_id):
    """The ladder the engagement climbs: its initiative's shared ladder, a template, or one
    tailored to it (``tailored``). Any organisation that sees the engagement reads it; 404
    while the engagement has no ladder."""
    engagement = load_or_404(Engagement, engagement_id)
    if engagement.ladder is None:
        raise ApiError(404, "The engagement has no escalation ladder.")
    return engagement.ladder


@operation("PUT", "/engagements/<id:engagement_id>/ladder", tag="ladders",
           summary="Tailor an engagement's ladder (lead, co-lead)", body=LadderWriteSchema,
           response=LadderSchema)
def put_engagement_ladder(engagement_id, data):
    """The engagement's lead and co-lead organisations write its ladder whole: ``steps`` in
    order, or ``copy_from`` a template or another ladder you see. The first write makes the
    engagement's own copy (``tailored``); the shared ladder does not change. While the
    engagement climbs the shared ladder, step ``id``s name that ladder's steps and the copy
    gets new ones. A step a review, decision or engagement uses is retired, never changed."""
    engagement = load_or_404(Engagement, engagement_id)
    require(Permission.LEAD_ENGAGEMENT, engagement)
    if (data["steps"] is None) == (data["copy_from"] is None):
        raise ApiError(400, "Give either steps or copy_from.")
    return commit_unit(lambda: ladder_writes.tailor(
        engagement, **acting(), now=clock.now(), steps=_steps(data),
        copy_from=data["copy_from"]))


@operation("DELETE", "/engagements/<id:engagement_id>/ladder", tag="ladders",
           summary="Go back to the shared ladder (lead, co-lead)", response=LadderSchema,
           errors=(409,))
def revert_engagement_ladder(engagement_id):
    """The engagement climbs its initiative's shared ladder again (for a direct engagement:
    the first installed template), which is answered. The tailored copy is deleted unless a
    review or decision used one of its steps (then it stays, for the record). 409 when the
    engagement climbs the shared ladder already."""
    engagement = load_or_404(Engagement, engagement_id)
    require(Permission.LEAD_ENGAGEMENT, engagement)
    shared = commit_unit(lambda: ladder_writes.revert(engagement, **acting(), now=clock.now()),
                         conflicts=(ladder_writes.LadderConflict,))
    if shared is None:
        raise ApiError(404, "There is no shared ladder to go back to.")
    return shared


# --- templates ---------------------------------------------------------------------------------

def load_template(ladder_id: int) -> EscalationLadder:
    ladder = load_or_404(EscalationLadder, ladder_id)
    if not ladder.is_template:
        raise ApiError(404, "No such template.")
    return ladder


def _own(template: EscalationLadder) -> None:
    require(Permission.ADMIN)
    if template.organisation_id != current_org.id:
        raise ApiError(403, "Installed templates are read-only; copy one into a template of "
                            "your own.")


@operation("GET", "/ladder-templates", tag="ladders", summary="List ladder templates",
           query=TemplateListArgs, response=LadderSchema, paginated=True)
def list_templates(args):
    """The templates installed with Engage (read-only) and your organisation's own."""
    stmt = (sa.select(EscalationLadder).where(EscalationLadder.is_template.is_(True))
            .order_by(EscalationLadder.organisation_id.is_not(None), EscalationLadder.name,
                      EscalationLadder.id))
    if args["own"]:
        stmt = stmt.where(EscalationLadder.organisation_id == current_org.id)
    return paginate(stmt, args)


@operation("POST", "/ladder-templates", tag="ladders",
           summary="Create a template of your organisation (admin)", body=TemplateWriteSchema,
           response=LadderSchema, status=201)
def create_template(data):
    """An organisation admin keeps a template of its own: ``steps``, or ``copy_from`` a
    template or ladder you see. Only your organisation sees it; its coordinators and leads
    can copy it into an initiative's or an engagement's ladder."""
    require(Permission.ADMIN)
    if (data["steps"] is None) == (data["copy_from"] is None):
        raise ApiError(400, "Give either steps or copy_from.")
    return commit_unit(lambda: ladder_writes.create_template(
        **acting(), now=clock.now(), data=data, steps=_steps(data),
        copy_from=data["copy_from"]))


@operation("GET", "/ladder-templates/<id:ladder_id>", tag="ladders", summary="Get a template",
           response=LadderSchema)
def get_template(ladder_id):
    return load_template(ladder_id)


@operation("PUT", "/ladder-templates/<id:ladder_id>", tag="ladders",
           summary="Write your organisation's template (admin)", body=TemplateWriteSchema,
           response=LadderSchema)
def put_template(ladder_id, data):
    """Names, descriptions and (when given) the steps of your organisation's template.
    Installed templates are read-only (403)."""
    template = load_template(ladder_id)
    _own(template)
    if data["copy_from"] is not None:
        raise ApiError(400, "copy_from only starts a new template.")
    return commit_unit(lambda: ladder_writes.update_template(
        template, **acting(), now=clock.now(), data=data, steps=_steps(data)))


@operation("DELETE", "/ladder-templates/<id:ladder_id>", tag="ladders",
           summary="Delete your organisation's template (admin)", status=204, errors=(409,))
def delete_template(ladder_id):
    """Deleted while no engagement climbs it (409 otherwise); ladders copied from it stay."""
    template = load_template(ladder_id)
    _own(template)
    commit_unit(lambda: ladder_writes.delete_template(template, **acting()),
                conflicts=(ladder_writes.LadderConflict,))
    return Response(status=204)
