"""Inviting an organisation to take part in an engagement, answering an invitation, and
leaving: the pages (:mod:`engage.engagements.invitations` decides).

The lead's forms sit in the engagement page's participants section; the invited
organisation answers on its own list of invitations (``/invitations``), which it reaches
from the notification, since it cannot see the engagement before it accepts.
"""

from __future__ import annotations

from flask import Blueprint, abort, render_template, request, url_for
from flask_babel import gettext as _

from engage import clock
from engage.common.answer import answer_write
from engage.engagements import invitations
from engage.engagements.models import Engagement, EngagementInvitation
from engage.engagements.pages import bp as engagements_bp
from engage.engagements.pages import draw_page, load_engagement
from engage.security import Permission, acting, can, current_org, load_or_404, requires

bp = Blueprint("invitations", __name__, url_prefix="/invitations")


def load_invitation(invitation_id: int) -> EngagementInvitation:
    """Tenancy: only the inviting and the invited organisation find it."""
    return load_or_404(EngagementInvitation, invitation_id)


def _index(errors: dict | None = None, status: int = 200):
    return render_template(
        "engagements/invitations.html", invitations=invitations.invitations_for(current_org.id),
        errors=errors or {}, may_write=can(Permission.WRITE),
        status_labels=invitations.STATUS_LABELS, role_labels=invitations.ROLE_LABELS), status


@bp.get("")
@requires(Permission.READ)
def index():
    """The invitations addressed to this organisation, waiting ones first."""
    return _index()


def _answer(invitation: EngagementInvitation, accepted: bool):
    invitation_id, engagement_id = invitation.id, invitation.engagement_id
    write = invitations.accept if accepted else invitations.decline
    return answer_write(
        lambda: write(invitation, **acting(), now=clock.now()),
        page=lambda errors: _index({invitation_id: errors}, 400)[0],
        redirect_to=lambda _done: (
            url_for("engagements.show", engagement_id=engagement_id) if accepted
            else url_for(".index") + f"#invitation-{invitation_id}"),
        message=(_("Your organisation takes part in the engagement now.") if accepted
                 else _("Invitation declined.")))


@bp.post("/<int:invitation_id>/accept")
@requires(Permission.WRITE, load=load_invitation)
def accept(invitation: EngagementInvitation):
    return _answer(invitation, accepted=True)


@bp.post("/<int:invitation_id>/decline")
@requires(Permission.WRITE, load=load_invitation)
def decline(invitation: EngagementInvitation):
    return _answer(invitation, accepted=False)


# --- on the engagement page ----------------------------------------------------------------


def _at_participants(engagement_id: int) -> str:
    return url_for("engagements.show", engagement_id=engagement_id) + "#participants"


@engagements_bp.post("/<int:engagement_id>/invitations")
@requires(Permission.LEAD_ENGAGEMENT, load=load_engagement)
def invite(engagement: Engagement):
    form = request.form
    return answer_write(
        lambda: invitations.invite(
            engagement, **acting(), invitee_id=form.get("organisation_id", ""),
            role=form.get("role", ""), message=form.get("message", ""), now=clock.now()),
        page=lambda errors: draw_page(engagement, errors={"invite": errors},
                                      values={"invite": form.to_dict()}),
        redirect_to=lambda _done: _at_participants(engagement.id),
        message=_("Invitation sent."))


def _engagement_of_invitation(engagement_id: int, invitation_id: int) -> Engagement:
    return load_engagement(engagement_id)


@engagements_bp.post("/<int:engagement_id>/invitations/<int:invitation_id>/withdraw")
@requires(Permission.LEAD_ENGAGEMENT, load=_engagement_of_invitation, arg="engagement")
def withdraw(engagement: Engagement):
    invitation = load_invitation(request.view_args["invitation_id"])
    if invitation.engagement_id != engagement.id:
        abort(404)
    return answer_write(
        lambda: invitations.withdraw(invitation, **acting(), now=clock.now()),
        page=lambda errors: draw_page(engagement, errors={"invite": errors}),
        redirect_to=lambda _done: _at_participants(engagement.id),
        message=_("Invitation withdrawn."))


@engagements_bp.post("/<int:engagement_id>/leave")
@requires(Permission.WRITE, load=load_engagement)
def leave(engagement: Engagement):
    return answer_write(
        lambda: invitations.leave(engagement, **acting(), now=clock.now()),
        page=lambda errors: draw_page(engagement, errors={"leave": errors}),
        redirect_to=lambda _done: url_for("engagements.index"),
        message=_("Your organisation no longer takes part in this engagement."))
