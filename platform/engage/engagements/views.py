"""Engagements: the list (by severity to people), one engagement's page, and starting one.

The page's actions (milestones, dialogue, signing on, co-signing, tasks, divestment
review) are in :mod:`engage.engagements.actions`; both share this blueprint.
"""

from __future__ import annotations

import functools
from datetime import date
from typing import Any

import sqlalchemy as sa
from flask import Blueprint, abort, redirect, render_template, request, url_for
from sqlalchemy.orm import joinedload, selectinload

from engage.bounds import ID_MAX, whole_number
from engage.companies.models import Company
from engage.companies.service import search
from engage.core.forms import run_unit
from engage.core.paging import current_page
from engage.core.sections import Section, load_sections
from engage.engagements import labels, timeline
from engage.engagements.models import (
    Engagement,
    EngagementParticipant,
    EngagementStatus,
    Letter,
    Milestone,
    Objective,
    Signature,
)
from engage.engagements.service import create_engagement, sign_on_role
from engage.escalations import followup
from engage.escalations.models import (
    Decision,
    DivestmentReview,
    EscalationLadder,
    EscalationReview,
    EscalationTask,
)
from engage.extensions import db, htmx
from engage.security import (
    Permission,
    acting,
    can,
    current_org,
    requires,
)
from engage.votes.models import Vote

bp = Blueprint("engagements", __name__, url_prefix="/engagements")
COMPANY_CHOICES = 50


@bp.context_processor
def _labels() -> dict[str, Any]:
    return labels.context()


def load_engagement(engagement_id: int) -> Engagement:
    """The engagement with what its page heads with: the company and the escalation ladder."""
    engagement = db.session.execute(
        sa.select(Engagement).where(Engagement.id == engagement_id)
        .options(joinedload(Engagement.company),
                 joinedload(Engagement.ladder).joinedload(EscalationLadder.steps))
    ).unique().scalar_one_or_none()
    if engagement is None:
        abort(404)
    return engagement


@bp.get("")
@requires(Permission.READ)
def index():
    """Every engagement the organisation can see, most severe for people first."""
    page = current_page()
    next_due = (
        sa.select(sa.func.min(Milestone.due_on))
        .where(Milestone.engagement_id == Engagement.id, Milestone.met_on.is_(None))
        .correlate(Engagement)
        .scalar_subquery()
    )
    query = (
        sa.select(Engagement, Company.name, next_due.label("next_due_on"))
        .join(Company, Company.id == Engagement.company_id)
        .order_by(Engagement.status != EngagementStatus.ACTIVE, Engagement.severity.desc(),
                  Engagement.id)
    )
    total = db.session.scalar(sa.select(sa.func.count()).select_from(Engagement))
    rows = db.session.execute(query.limit(page.size).offset(page.offset)).all()
    return render_template("engagements/index.html", rows=rows, page=page.number, total=total,
                           pages=page.count(total))


# --- one engagement's page ------------------------------------------------------------------


def timeline_context(engagement: Engagement) -> dict[str, Any]:
    page = current_page()
    items, total = timeline.page(engagement.id, limit=page.size, offset=page.offset)
    return {"timeline": items, "timeline_page": page.number, "timeline_pages": page.count(total),
            "timeline_total": total}


def letters_of(engagement_id: int, letter_id: int | None = None) -> list[Letter]:
    query = (sa.select(Letter).where(Letter.engagement_id == engagement_id)
             .options(selectinload(Letter.signatures).selectinload(Signature.organisation))
             .order_by(Letter.id.desc()))
    if letter_id is not None:
        query = query.where(Letter.id == letter_id)
    return db.session.scalars(query).all()


def _sections(engagement_id: int) -> dict[str, list[Any]]:
    """The page's lists, in one statement (engage.core.sections); tenancy applies to each,
    so the votes are this organisation's own and private rows stay private."""
    def of(model: type, *order_by: Any, options: tuple = (), collections: bool = False):
        return Section(model, model.engagement_id == engagement_id, order_by, options,
                       collections)

    return load_sections({
        "participants": of(EngagementParticipant, EngagementParticipant.role,
                           EngagementParticipant.id,
                           options=(joinedload(EngagementParticipant.organisation),)),
        "objectives": of(Objective, Objective.id),
        "milestones": of(Milestone, Milestone.due_on, Milestone.id),
        "reviews": of(EscalationReview, EscalationReview.opened_at.desc(), EscalationReview.id,
                      options=(joinedload(EscalationReview.decision)
                               .joinedload(Decision.ladder_step),
                               joinedload(EscalationReview.milestone))),
        "letters": of(Letter, Letter.id.desc(),
                      options=(joinedload(Letter.signatures).joinedload(Signature.organisation),),
                      collections=True),
        "tasks": of(EscalationTask, EscalationTask.due_on, EscalationTask.id),
        "votes": of(Vote, Vote.agm_on, Vote.id),
        "divestment_reviews": of(DivestmentReview, DivestmentReview.id),
    })


def page_context(engagement: Engagement) -> dict[str, Any]:
    """Everything the engagement page shows: the same few statements whatever the data —
    the engagement with its company and ladder (load_engagement), the lists in one, the
    timeline page in one, and (for an organisation not taking part) what it may sign on as."""
    sections = _sections(engagement.id)
    org_id = current_org.id
    role = next((p.role for p in sections["participants"] if p.organisation_id == org_id), None)
    may_lead = can(Permission.LEAD_ENGAGEMENT, engagement, role=role)
    return {
        "engagement": engagement,
        **sections,
        "ladder": engagement.ladder,
        "my_role": role,
        "may_decide": may_lead,
        "may_lead": may_lead,
        "may_participate": can(Permission.PARTICIPATE_ENGAGEMENT, engagement, role=role),
        "may_sign_on": (role is None and can(Permission.WRITE)
                        and engagement.status == EngagementStatus.ACTIVE
                        and sign_on_role(engagement, org_id) is not None),
        "may_complete": functools.partial(followup.may_complete, role=role),
        "errors": {},
        "values": {},
        **timeline_context(engagement),
    }


def render_page(engagement: Engagement, status: int = 200, **overrides: Any):
    context = page_context(engagement)
    context.update(overrides)
    return render_template("engagements/show.html", **context), status


@bp.get("/<int:engagement_id>")
@requires(Permission.READ, load=load_engagement)
def show(engagement: Engagement):
    return render_page(engagement)


@bp.get("/<int:engagement_id>/timeline")
@requires(Permission.READ, load=load_engagement)
def timeline_view(engagement: Engagement):
    """The timeline, one page: the fragment for htmx, else the engagement page at that page."""
    if not htmx:
        return render_page(engagement)
    return render_template("engagements/_timeline.html", engagement=engagement,
                           **timeline_context(engagement))


# --- starting an engagement -------------------------------------------------------------------


def _company_choices(query: str, selected: Any = None) -> list[Company]:
    companies = list(db.session.scalars(search(query).limit(COMPANY_CHOICES)).all())
    selected_id = whole_number(selected)
    if selected_id and 1 <= selected_id <= ID_MAX and all(c.id != selected_id for c in companies):
        chosen = db.session.get(Company, selected_id)
        if chosen is not None:
            companies.insert(0, chosen)
    return companies


def _initiative_choices() -> list[Any]:
    """Initiatives this organisation may start an engagement in."""
    from engage.initiatives.models import (
        Initiative,
        InitiativeMember,
        MemberRole,
        MemberStatus,
    )

    leads = (sa.select(InitiativeMember.initiative_id)
             .where(InitiativeMember.organisation_id == current_org.id,
                    InitiativeMember.status == MemberStatus.ADMITTED,
                    InitiativeMember.role.in_([MemberRole.LEAD, MemberRole.CO_LEAD])))
    return db.session.scalars(
        sa.select(Initiative)
        .where(sa.or_(Initiative.coordinator_organisation_id == current_org.id,
                      Initiative.id.in_(leads)))
        .order_by(Initiative.title)
    ).all()


FIELDS = ("company_id", "initiative_id", "level", "title", "issue", "rights_holders", "trigger",
          "severity_scale", "severity_scope", "severity_irremediability", "started_on",
          "objective_kind", "objective", "milestone_title", "milestone_due_on")


@bp.route("/new", methods=["GET", "POST"])
@requires(Permission.WRITE)
def new():
    values = {k: request.values.get(k, "") for k in FIELDS}
    values["initiative_id"] = request.values.get("initiative_id") or request.args.get("initiative", "")
    query = request.values.get("q", "")
    if request.method == "GET" and not values["started_on"]:
        values["started_on"] = date.today().isoformat()
    if request.method == "GET" and htmx and request.headers.get("HX-Target") == "company-choices":
        return render_template("engagements/_company_options.html",
                               companies=_company_choices(query, values["company_id"]),
                               values=values)
    errors: dict[str, str] = {}
    if request.method == "POST":
        engagement_id, errors = run_unit(lambda: create_engagement(**acting(), data=values).id)
        if not errors:
            target = url_for("engagements.show", engagement_id=engagement_id)
            if htmx:
                return "", 204, {"HX-Redirect": target}
            return redirect(target, 303)
    status = 400 if errors else 200
    return render_template(
        "engagements/new.html", values=values, errors=errors, q=query,
        companies=_company_choices(query, values["company_id"]),
        initiatives=_initiative_choices(), company_limit=COMPANY_CHOICES,
    ), status


from engage.engagements import actions  # noqa: F401  (registers the page's actions)
