"""``/api/v1/votes``: your organisation's voting instructions and records."""

from __future__ import annotations


import sqlalchemy as sa
from sqlalchemy.orm import selectinload

from engage.api.errors import commit_unit
from engage.api.routing import operation, paginate
from engage.security import Permission, acting, load_or_404, require
from engage.votes.models import Vote
from engage.votes.schemas import (
    VoteCreateSchema,
    VoteListArgs,
    VoteSchema,
    VoteUpdateSchema,
)


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



@operation("POST", "/votes", tag="votes", summary="Record a vote", body=VoteCreateSchema,
           response=VoteSchema, status=201)
def create_vote(data):
    """Your organisation's own instruction (or vote cast) on one AGM item. Each organisation
    decides and votes independently; an engagement only asks."""
    from engage.votes.service import record_vote

    require(Permission.WRITE)
    return commit_unit(lambda: record_vote(**acting(), **data))


@operation("PATCH", "/votes/<id:vote_id>", tag="votes", summary="Change a vote",
           body=VoteUpdateSchema, response=VoteSchema, partial=True, errors=(409,))
def update_vote(vote_id, data):
    """Set the final instruction, the rationale or the status (forward only)."""
    from engage.votes.service import VoteFinal
    from engage.votes.service import update_vote as update

    vote = load_or_404(Vote, vote_id)
    require(Permission.WRITE)
    return commit_unit(lambda: update(vote, **acting(), **data), conflicts=(VoteFinal,))
