"""``/api/v1/votes``: your organisation's voting instructions and records."""

from __future__ import annotations

import sqlalchemy as sa
from sqlalchemy.orm import selectinload

from engage.api.routing import operation, paginate
from engage.security import load_or_404
from engage.votes.models import Vote
from engage.votes.schemas import VoteListArgs, VoteSchema


@operation("GET", "/votes", tag="votes", summary="List your votes", query=VoteListArgs,
           response=VoteSchema, paginated=True)
def list_votes(args):
    """Your organisation's votes by AGM date; each organisation sees only its own."""
    stmt = sa.select(Vote).order_by(Vote.agm_on, Vote.id)
    for key in ("status", "company_id", "engagement_id"):
        if args[key] is not None:
            stmt = stmt.where(getattr(Vote, key) == args[key])
    if args["agm_from"] is not None:
        stmt = stmt.where(Vote.agm_on >= args["agm_from"])
    if args["agm_until"] is not None:
        stmt = stmt.where(Vote.agm_on <= args["agm_until"])
    return paginate(stmt, args, selectinload(Vote.company))


@operation("GET", "/votes/<id:vote_id>", tag="votes", summary="Get a vote",
           response=VoteSchema)
def get_vote(vote_id):
    return load_or_404(Vote, vote_id)
