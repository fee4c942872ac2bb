"""``/api/v1/reviews`` (and their decisions) and ``/api/v1/letters`` (and their signatures)."""

from __future__ import annotations

import sqlalchemy as sa
from sqlalchemy.orm import selectinload

from engage.api.errors import ApiError, commit_unit, service_error
from engage.api.routing import operation, paginate
from engage.db import utcnow
from engage.engagements.models import Letter, LetterDecline, Signature
from engage.engagements.schemas import DialogueSchema
from engage.escalations.models import (
    Decision,
    DivestmentReview,
    EscalationReview,
    EscalationTask,
)
from engage.escalations.schemas import (
    DecisionCreateSchema,
    DecisionSchema,
    DivestmentAnswerSchema,
    DivestmentReviewListArgs,
    DivestmentReviewSchema,
    LetterListArgs,
    LetterAnswerSchema,
    LetterDeclineCreateSchema,
    LetterDeclineSchema,
    LetterEditSchema,
    LetterReturnSchema,
    LetterSchema,
    LetterSendSchema,
    ReviewListArgs,
    ReviewSchema,
    SignatureCreateSchema,
    SignatureSchema,
    TaskListArgs,
    TaskSchema,
)
from engage.security import (
    Permission,
    acting,
    current_org,
    current_user,
    load_or_404,
    one_or_404,
    require,
)

_DECISION_LOADS = (selectinload(Decision.decided_by),
                   selectinload(Decision.decided_by_organisation))
_SIGNATURE_LOADS = (selectinload(Signature.organisation), selectinload(Signature.signed_by))
_DECLINE_LOADS = (selectinload(LetterDecline.organisation),
                  selectinload(LetterDecline.declined_by))


def load_review(review_id: int) -> EscalationReview:
    return load_or_404(EscalationReview, review_id)


@operation("GET", "/reviews", tag="reviews", summary="List escalation reviews",
           query=ReviewListArgs, response=ReviewSchema, paginated=True)
def list_reviews(args):
    """Reviews of the engagements your organisation sees, oldest first."""
    stmt = sa.select(EscalationReview).order_by(EscalationReview.opened_at, EscalationReview.id)
    if args["status"] is not None:
        stmt = stmt.where(EscalationReview.status == args["status"])
    if args["engagement_id"] is not None:
        stmt = stmt.where(EscalationReview.engagement_id == args["engagement_id"])
    return paginate(stmt, args, selectinload(EscalationReview.decision).options(*[
        selectinload(Decision.decided_by), selectinload(Decision.decided_by_organisation)]))


@operation("GET", "/reviews/<id:review_id>", tag="reviews", summary="Get a review",
           response=ReviewSchema)
def get_review(review_id):
    return load_review(review_id)


@operation("GET", "/reviews/<id:review_id>/decision", tag="reviews",
           summary="Get a review's decision", response=DecisionSchema)
def get_decision(review_id):
    review = load_review(review_id)
    return one_or_404(sa.select(Decision).where(Decision.review_id == review.id)
                      .options(*_DECISION_LOADS))


@operation("POST", "/reviews/<id:review_id>/decision", tag="reviews",
           summary="Decide a review (leads)", body=DecisionCreateSchema,
           response=DecisionSchema, status=201, errors=(409,))
def create_decision(review_id, data):
    """Escalate, extend or close, with the reason; recorded with who and when, then carried
    out by the apply-decision workflow (``apply_status`` follows it)."""
    from engage.escalations.decisions import (
        DecisionError,
        NotALead,
        ReviewNotOpen,
        record_decision,
    )

    review = load_review(review_id)
    require(Permission.LEAD_ENGAGEMENT, review)
    try:
        decision = record_decision(review.id, data["kind"],
                                   actor=current_user._get_current_object(),
                                   organisation_id=current_org.id, reason=data["reason"],
                                   now=utcnow(), ladder_step_id=data["ladder_step_id"],
                                   new_due_on=data["new_due_on"],
                                   close_outcome=data["close_outcome"],
                                   skip_reason=data["skip_reason"] or "")
    except NotALead as exc:
        raise ApiError(403, str(exc)) from None
    except ReviewNotOpen as exc:
        raise ApiError(409, str(exc)) from None
    except DecisionError as exc:
        raise service_error(exc) from None
    return decision


# --- divestment reviews --------------------------------------------------------------------------


@operation("GET", "/divestment-reviews/<id:divestment_review_id>", tag="reviews",
           summary="Get a divestment review", response=DivestmentReviewSchema)
def get_divestment_review(divestment_review_id):
    return _divestment(divestment_review_id)


def _divestment(review_id: int) -> DivestmentReview:
    return one_or_404(sa.select(DivestmentReview).where(DivestmentReview.id == review_id)
                      .options(selectinload(DivestmentReview.decided_by)))


@operation("POST", "/divestment-reviews/<id:divestment_review_id>/answer", tag="reviews",
           summary="Answer or conclude a divestment review (leads)",
           body=DivestmentAnswerSchema, response=DivestmentReviewSchema, errors=(409,))
def answer_divestment_review(divestment_review_id, data):
    """Save the answers (conclusion ``open`` or none) or conclude; a concluded review is a
    record (409)."""
    from engage import clock
    from engage.escalations.followup import answer_divestment_review as answer

    review = load_or_404(DivestmentReview, divestment_review_id)
    require(Permission.LEAD_ENGAGEMENT, review)
    if review.decided_at is not None:
        raise ApiError(409, "This divestment review has been concluded; it is on record.")
    values = {key: value for key, value in data.items() if value is not None}
    if "conclusion" in values:
        values["conclusion"] = values["conclusion"].value
    commit_unit(lambda: answer(review, **acting(), data=values, now=clock.now()))
    return _divestment(divestment_review_id)


# --- letters ------------------------------------------------------------------------------------


def load_letter(letter_id: int) -> Letter:
    return load_or_404(Letter, letter_id)


@operation("GET", "/letters", tag="letters", summary="List letters",
           query=LetterListArgs, response=LetterSchema, paginated=True)
def list_letters(args):
    """Letters, statements, AGM questions and resolutions of the engagements your organisation
    sees, newest first."""
    stmt = sa.select(Letter).order_by(Letter.created_at.desc(), Letter.id.desc())
    if args["status"] is not None:
        stmt = stmt.where(Letter.status == args["status"])
    if args["kind"] is not None:
        stmt = stmt.where(Letter.kind == args["kind"])
    if args["engagement_id"] is not None:
        stmt = stmt.where(Letter.engagement_id == args["engagement_id"])
    return paginate(stmt, args, selectinload(Letter.signatures).options(*_SIGNATURE_LOADS),
                    selectinload(Letter.declines).options(*_DECLINE_LOADS))


@operation("GET", "/letters/<id:letter_id>", tag="letters", summary="Get a letter",
           response=LetterSchema)
def get_letter(letter_id):
    return load_letter(letter_id)


@operation("GET", "/letters/<id:letter_id>/pdf", tag="letters", summary="Get a letter as PDF",
           binary=("application/pdf",),
           description="Permission: any token of an organisation that takes part in the "
                       "engagement. Rendered from the letter as it is now, as the company "
                       "receives it: its actual signatories with their assets, marked DRAFT "
                       "until sent (the engagement page's PDF).")
def get_letter_pdf(letter_id):
    from flask import Response

    from engage.escalations import letters

    letter = load_letter(letter_id)
    return Response(letters.pdf(letters.with_signatures(letter.id)), mimetype="application/pdf",
                    headers={"Cache-Control": "no-store", "Content-Disposition":
                             f'inline; filename="engage-letter-{letter.id}.pdf"'})


@operation("GET", "/letters/<id:letter_id>/signatures", tag="letters",
           summary="List a letter's signatures", response=SignatureSchema, paginated=True)
def list_signatures(letter_id, args):
    letter = load_letter(letter_id)
    stmt = (sa.select(Signature).where(Signature.letter_id == letter.id)
            .order_by(Signature.signed_at, Signature.id))
    return paginate(stmt, args, *_SIGNATURE_LOADS)


@operation("POST", "/letters/<id:letter_id>/signatures", tag="letters",
           summary="Co-sign a letter", body=SignatureCreateSchema, body_optional=True,
           response=SignatureSchema, status=201, errors=(409,))
def create_signature(letter_id, data):
    """Your organisation co-signs a letter that is open for signing. The body is optional:
    give the ``signing_version`` you read (on the letter) and the signature is refused (409)
    if the letter was returned to draft and opened again since. A sent letter's
    signatories are final (409)."""
    from engage.engagements.service import LetterChanged, LetterSent, co_sign

    letter = load_letter(letter_id)
    require(Permission.PARTICIPATE_ENGAGEMENT, letter)
    return commit_unit(lambda: co_sign(letter, **acting(), seen_version=data["signing_version"]),
                       conflicts=(LetterSent, LetterChanged))


@operation("POST", "/letters/<id:letter_id>/send", tag="letters",
           summary="Mark a letter sent (leads)", body=LetterSendSchema, response=LetterSchema,
           errors=(409,))
def send_letter(letter_id, data):
    """Record that the letter went to the company (date, channel). Refused without a
    signature; from then its text and signatories are final, and the company's answer is
    due by a milestone ``response_days`` (default 30) later."""
    from engage.engagements.service import LetterSent
    from engage.escalations.sending import send_letter as send

    letter = load_letter(letter_id)
    require(Permission.LEAD_ENGAGEMENT, letter)
    from engage import clock

    commit_unit(lambda: send(letter, **acting(), now=clock.now(), sent_on=data["sent_on"],
                             channel=data["channel"].value, response_days=data["response_days"]),
                conflicts=(LetterSent,))
    return _reloaded(letter.id)


@operation("POST", "/letters/<id:letter_id>/answer", tag="letters",
           summary="Log the company's answer to a sent letter (leads)", body=LetterAnswerSchema,
           response=DialogueSchema, status=201)
def answer_letter(letter_id, data):
    """A coalition dialogue entry; the letter's response milestone is met that day."""
    from engage import clock
    from engage.escalations.sending import log_answer

    letter = load_letter(letter_id)
    require(Permission.LEAD_ENGAGEMENT, letter)
    return commit_unit(lambda: log_answer(letter, **acting(), now=clock.now(),
                                          answered_on=data["answered_on"],
                                          summary=data["summary"]))


def _reloaded(letter_id: int) -> Letter:
    """The letter as it is now, with its signatures and declines."""
    from engage.extensions import db

    db.session.expire_all()
    return one_or_404(sa.select(Letter).where(Letter.id == letter_id)
                      .options(selectinload(Letter.signatures).options(*_SIGNATURE_LOADS),
                               selectinload(Letter.declines).options(*_DECLINE_LOADS)))


@operation("PATCH", "/letters/<id:letter_id>", tag="letters", summary="Edit a draft (leads)",
           body=LetterEditSchema, response=LetterSchema, partial=True, errors=(409,))
def edit_letter(letter_id, data):
    """Change a draft's title, text, language or contact. Only a draft changes: a letter
    open for signing is frozen (return it to draft first) and a sent one is final (409)."""
    from engage import clock
    from engage.engagements.service import LetterSent
    from engage.escalations.signing import LetterNotInState, edit_draft

    letter = load_letter(letter_id)
    require(Permission.LEAD_ENGAGEMENT, letter)
    fields = {key: (value.value if hasattr(value, "value") else value)
              for key, value in data.items()}
    commit_unit(lambda: edit_draft(letter, **acting(), now=clock.now(), **fields),
                conflicts=(LetterSent, LetterNotInState))
    return _reloaded(letter.id)


@operation("POST", "/letters/<id:letter_id>/open", tag="letters",
           summary="Open a draft for signing (leads)", response=LetterSchema, errors=(409,))
def open_letter(letter_id):
    """The text is frozen from now; the participants are told to sign or decline."""
    from engage import clock
    from engage.engagements.service import LetterSent
    from engage.escalations.signing import LetterNotInState, open_for_signing

    letter = load_letter(letter_id)
    require(Permission.LEAD_ENGAGEMENT, letter)
    commit_unit(lambda: open_for_signing(letter, **acting(), now=clock.now()),
                conflicts=(LetterSent, LetterNotInState))
    return _reloaded(letter.id)


@operation("POST", "/letters/<id:letter_id>/return-to-draft", tag="letters",
           summary="Return a letter open for signing to draft (leads)", body=LetterReturnSchema,
           response=LetterSchema, errors=(409,))
def return_letter(letter_id, data):
    """To change its text. Its signatures and declines are withdrawn; with any signature,
    ``withdraw_signatures`` must say so (400 otherwise)."""
    from engage import clock
    from engage.engagements.service import LetterSent
    from engage.escalations.signing import LetterNotInState, return_to_draft

    letter = load_letter(letter_id)
    require(Permission.LEAD_ENGAGEMENT, letter)
    commit_unit(lambda: return_to_draft(letter, **acting(), now=clock.now(),
                                        withdraw_signatures=data["withdraw_signatures"]),
                conflicts=(LetterSent, LetterNotInState))
    return _reloaded(letter.id)


@operation("GET", "/letters/<id:letter_id>/declines", tag="letters",
           summary="List a letter's declines", response=LetterDeclineSchema, paginated=True)
def list_declines(letter_id, args):
    letter = load_letter(letter_id)
    stmt = (sa.select(LetterDecline).where(LetterDecline.letter_id == letter.id)
            .order_by(LetterDecline.declined_at, LetterDecline.id))
    return paginate(stmt, args, *_DECLINE_LOADS)


@operation("POST", "/letters/<id:letter_id>/declines", tag="letters",
           summary="Decline to sign a letter", body=LetterDeclineCreateSchema,
           response=LetterDeclineSchema, status=201, errors=(409,))
def create_decline(letter_id, data):
    """Your organisation declines to sign a letter open for signing, with an optional reason
    the coalition sees; it may still sign while the letter is open (the decline then goes)."""
    from engage import clock
    from engage.engagements.service import LetterSent
    from engage.escalations.signing import LetterNotInState, decline

    letter = load_letter(letter_id)
    require(Permission.PARTICIPATE_ENGAGEMENT, letter)
    return commit_unit(lambda: decline(letter, **acting(), now=clock.now(),
                                       reason=data["reason"]),
                       conflicts=(LetterSent, LetterNotInState))


# --- after a step: divestment reviews and tasks ---------------------------------------------


@operation("GET", "/divestment-reviews", tag="reviews", summary="List divestment reviews",
           query=DivestmentReviewListArgs, response=DivestmentReviewSchema, paginated=True,
           description="Permission: any token. The divestment reviews of the engagements your "
                       "organisation takes part in, oldest first.")
def list_divestment_reviews(args):
    stmt = sa.select(DivestmentReview).order_by(DivestmentReview.created_at, DivestmentReview.id)
    if args["engagement_id"] is not None:
        stmt = stmt.where(DivestmentReview.engagement_id == args["engagement_id"])
    if args["conclusion"] is not None:
        stmt = stmt.where(DivestmentReview.conclusion == args["conclusion"])
    return paginate(stmt, args, selectinload(DivestmentReview.decided_by))


_TASK_LOADS = (selectinload(EscalationTask.owner_organisation),
               selectinload(EscalationTask.owner_user))


@operation("GET", "/tasks", tag="tasks", summary="List escalation tasks",
           query=TaskListArgs, response=TaskSchema, paginated=True,
           description="Permission: any token. Tasks of the engagements your organisation "
                       "takes part in (``mine=true``: those your organisation owns), by due "
                       "date.")
def list_tasks(args):
    stmt = sa.select(EscalationTask).order_by(EscalationTask.due_on, EscalationTask.id)
    if args["mine"]:
        stmt = stmt.where(EscalationTask.owner_organisation_id == current_org.id)
    if args["engagement_id"] is not None:
        stmt = stmt.where(EscalationTask.engagement_id == args["engagement_id"])
    if args["status"] is not None:
        stmt = stmt.where(EscalationTask.status == args["status"])
    return paginate(stmt, args, *_TASK_LOADS)


@operation("GET", "/tasks/<id:task_id>", tag="tasks", summary="Get a task", response=TaskSchema,
           description="Permission: any token of an organisation that takes part in the "
                       "engagement.")
def get_task(task_id):
    return load_or_404(EscalationTask, task_id)


@operation("POST", "/tasks/<id:task_id>/done", tag="tasks", summary="Mark a task done",
           response=TaskSchema, errors=(409,),
           description=(
               "Permission: the task's owner organisation or the engagement's leads (a write "
               "token), as on the engagement page. A task done already is a 409. Audited."))
def complete_task(task_id):
    from engage.escalations.followup import complete_task as complete
    from engage.escalations.followup import may_complete
    from engage.escalations.models import TaskStatus

    task = load_or_404(EscalationTask, task_id)
    require(Permission.PARTICIPATE_ENGAGEMENT, task)
    if not may_complete(task, current_org.id):
        raise ApiError(403, "Only the task's owner and the engagement's leads can mark it done.")
    if task.status is TaskStatus.DONE:
        raise ApiError(409, "This task is done already.")
    return commit_unit(lambda: complete(task, **acting()))
