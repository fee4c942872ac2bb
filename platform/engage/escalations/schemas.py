"""Escalation reviews, decisions, letters and signatures in the API."""

from __future__ import annotations

from marshmallow import Schema, fields, validate

from engage.api.fields import Id, Money, QueryInt, Str
from engage.api.routing import PageArgs
from engage.api.schemas import OrganisationRefSchema, UserRefSchema
from engage.engagements.models import (
    AumBasis,
    LetterChannel,
    LetterKind,
    LetterLanguage,
    LetterStatus,
)
from engage.escalations.documents import AskedHow, PublishedIn
from engage.escalations.models import (
    ApplyStatus,
    CloseOutcome,
    DecisionKind,
    DivestmentConclusion,
    ReviewReason,
    ReviewStatus,
    StepKind,
    TaskStatus,
)


DOCUMENT_CHANNELS = {c.value for enum in (LetterChannel, PublishedIn, AskedHow) for c in enum}


class EarlierStepSchema(Schema):
    decision_id = fields.Integer(required=True)
    step_id = fields.Integer(required=True)
    position = fields.Integer(required=True)
    kind = fields.Enum(StepKind, by_value=True, required=True)
    description = fields.String(required=True)
    decided_on = fields.Date(required=True)
    applied = fields.Boolean(required=True, metadata={
        "description": "Whether the step had been carried out when the decision was made."})


class DecisionSchema(Schema):
    id = fields.Integer(required=True)
    review_id = fields.Integer(required=True)
    engagement_id = fields.Integer(required=True)
    kind = fields.Enum(DecisionKind, by_value=True, required=True)
    ladder_step_id = fields.Integer(allow_none=True)
    new_due_on = fields.Date(allow_none=True)
    close_outcome = fields.Enum(CloseOutcome, by_value=True, allow_none=True)
    reason = fields.String(required=True)
    skip_reason = fields.String(required=True, metadata={
        "description": "Why the leads went past the next step of the ladder, or to a "
                       "last-resort step (reduce exposure, divestment review); empty otherwise."})
    earlier_steps = fields.List(fields.Nested(EarlierStepSchema), attribute="tried_before",
                                required=True, metadata={
        "description": "The escalation steps taken on the engagement before this decision, "
                       "oldest first, as they stood when it was made."})
    decided_by = fields.Nested(UserRefSchema, allow_none=True)
    decided_by_organisation = fields.Nested(OrganisationRefSchema, required=True)
    decided_at = fields.DateTime(required=True)
    apply_status = fields.Enum(ApplyStatus, by_value=True, required=True, metadata={
        "description": "Where the workflow that carries the decision out stands."})
    apply_error = fields.String()
    applied_at = fields.DateTime(allow_none=True)


class ReviewSchema(Schema):
    id = fields.Integer(required=True)
    engagement_id = fields.Integer(required=True)
    milestone_id = fields.Integer(allow_none=True)
    ladder_step_id = fields.Integer(allow_none=True)
    reason = fields.Enum(ReviewReason, by_value=True, required=True)
    due_at = fields.DateTime(required=True)
    opened_at = fields.DateTime(required=True)
    status = fields.Enum(ReviewStatus, by_value=True, required=True)
    decision = fields.Nested(DecisionSchema, allow_none=True)


class ReviewListArgs(PageArgs):
    status = fields.Enum(ReviewStatus, by_value=True, load_default=None)
    engagement_id = QueryInt(minimum=1, load_default=None)


class DecisionCreateSchema(Schema):
    """escalate (optionally naming the ladder step), extend (with a new date after today)
    or close (with an outcome). Every decision gives its reason; escalating past the next
    step of the ladder, or to reduce exposure or the divestment review, also gives
    ``skip_reason`` (a 400 names the field otherwise)."""

    kind = fields.Enum(DecisionKind, by_value=True, required=True)
    reason = Str(min_length=1, required=True)
    ladder_step_id = Id(load_default=None, allow_none=True)
    new_due_on = fields.Date(load_default=None, allow_none=True)
    close_outcome = fields.Enum(CloseOutcome, by_value=True, load_default=None, allow_none=True)
    skip_reason = Str(load_default="", allow_none=True)



class SignatureSchema(Schema):
    id = fields.Integer(required=True)
    letter_id = fields.Integer(required=True)
    organisation = fields.Nested(OrganisationRefSchema, required=True)
    signed_by = fields.Nested(UserRefSchema, allow_none=True)
    signed_at = fields.DateTime(required=True)
    # What the letter states for this signatory: committed to the initiative, or declared
    # (a direct engagement); null when the organisation stated none.
    aum_eur = Money(allow_none=True, dump_only=True)
    aum_basis = fields.Enum(AumBasis, by_value=True, required=True)


class LetterDeclineSchema(Schema):
    """An organisation's recorded decision not to sign; it is no signatory."""

    id = fields.Integer(required=True)
    letter_id = fields.Integer(required=True)
    organisation = fields.Nested(OrganisationRefSchema, required=True)
    declined_by = fields.Nested(UserRefSchema, allow_none=True)
    declined_at = fields.DateTime(required=True)
    reason = fields.String(required=True)


class LetterSchema(Schema):
    id = fields.Integer(required=True)
    engagement_id = fields.Integer(required=True)
    decision_id = fields.Integer(allow_none=True)
    kind = fields.Enum(LetterKind, by_value=True, required=True)
    title = fields.String(required=True)
    body_html = fields.String(required=True, metadata={
        "description": "the body as the company reads it, derived from body_text (escaped)"})
    body_text = fields.String(allow_none=True, metadata={
        "description": "the draft as the leads write it: plain text, a blank line between "
                       "paragraphs, '- ' starting a list item (null: drafted before)"})
    language = fields.Enum(LetterLanguage, by_value=True, required=True)
    contact_name = fields.String(required=True)
    contact_email = fields.String(required=True)
    edited_at = fields.DateTime(allow_none=True)
    opened_at = fields.DateTime(allow_none=True)
    status = fields.Enum(LetterStatus, by_value=True, required=True)
    sent_on = fields.Date(allow_none=True)
    # How it reached the company: a letter's or resolution's channel, where a statement was
    # published, how a question was asked (see ``made_public``).
    sent_channel = fields.String(allow_none=True,
                                 validate=validate.OneOf(sorted(DOCUMENT_CHANNELS)))
    made_public = fields.Method("_made_public", allow_none=True, dump_only=True, metadata={
        "description": "once it reached the company: sent (a letter), published (a "
                       "statement), asked (an AGM question) or filed (a resolution)"})
    response_milestone_id = fields.Integer(allow_none=True)
    created_at = fields.DateTime(required=True)
    signatures = fields.List(fields.Nested(SignatureSchema), required=True)
    declines = fields.List(fields.Nested(LetterDeclineSchema), required=True)
    # The letter's claim, from the actual signatures only.
    signatory_count = fields.Integer(required=True, dump_only=True)
    aum_eur = Money(attribute="signed_aum_eur", required=True, dump_only=True)
    signing_version = fields.String(required=True, dump_only=True, metadata={
        "description": "which opening for signing this text is (empty for a draft); send it "
                       "back when co-signing so the signature goes under the text you read"})


    def _made_public(self, letter):
        from engage.escalations.documents import DONE

        return DONE[letter.kind] if letter.status is LetterStatus.SENT else None


class LetterSendSchema(Schema):
    sent_on = fields.Date(load_default=None, allow_none=True,
                          metadata={"description": "default: today; never in the future"})
    channel = fields.Enum(LetterChannel, by_value=True, required=True)
    response_days = fields.Integer(load_default=None, allow_none=True,
                                   validate=validate.Range(min=1, max=365),
                                   metadata={"description": "the company's time to answer "
                                                            "(default 30 days)"})


class LetterAnswerSchema(Schema):
    """The company's answer to a sent letter: it meets the letter's response milestone."""

    answered_on = fields.Date(load_default=None, allow_none=True,
                              metadata={"description": "default: today; never in the future"})
    summary = Str(min_length=1, required=True)


class LetterListArgs(PageArgs):
    status = fields.Enum(LetterStatus, by_value=True, load_default=None)
    kind = fields.Enum(LetterKind, by_value=True, load_default=None, metadata={
        "description": "letter_to_board, public_statement, agm_question or resolution"})
    engagement_id = QueryInt(minimum=1, load_default=None)


class DivestmentReviewSchema(Schema):
    id = fields.Integer(required=True)
    engagement_id = fields.Integer(required=True)
    decision_id = fields.Integer(allow_none=True, metadata={
        "description": "The escalation decision that opened it; null for a review the sweep "
                       "opened on an earlier review's date to look again."})
    follows_review_id = fields.Integer(allow_none=True)
    questions = fields.String(required=True)
    responsible_or_harmful = fields.String(required=True)
    leverage_left = fields.String(required=True)
    impact_staying_vs_leaving = fields.String(required=True)
    conclusion = fields.Enum(DivestmentConclusion, by_value=True, required=True)
    re_entry_criteria = fields.String(required=True)
    look_again_on = fields.Date(allow_none=True)
    decided_by = fields.Nested(UserRefSchema, allow_none=True)
    decided_at = fields.DateTime(allow_none=True)
    created_at = fields.DateTime(required=True)


class DivestmentAnswerSchema(Schema):
    """The answers to the OECD questions and, once all are answered, a conclusion (then the
    review is a record). ``divest`` and ``reduce_exposure`` need ``re_entry_criteria`` and
    ``look_again_on`` (after today); each participant holding the company then gets a task.
    ``stay_engaged`` sends the engagement back to its escalation ladder."""

    responsible_or_harmful = Str(load_default="", allow_none=True)
    leverage_left = Str(load_default="", allow_none=True)
    impact_staying_vs_leaving = Str(load_default="", allow_none=True)
    conclusion = fields.Enum(DivestmentConclusion, by_value=True, load_default=None,
                             allow_none=True)
    re_entry_criteria = Str(load_default="", allow_none=True)
    look_again_on = fields.Date(load_default=None, allow_none=True)


class LetterEditSchema(Schema):
    """Any of the fields of a draft (leads; a letter open for signing or sent is 409). A new
    language on a draft no lead has edited writes the draft again in that language."""

    title = Str(300, min_length=1)
    body_text = Str(min_length=1, strip=False)
    language = fields.Enum(LetterLanguage, by_value=True)
    contact_name = Str(200)
    contact_email = Str(254)


class LetterReturnSchema(Schema):
    """Back to draft. With signatures, ``withdraw_signatures`` must be true: they (and any
    declines) are withdrawn, since they were given to the text as it is."""

    withdraw_signatures = fields.Boolean(load_default=False)


class SignatureCreateSchema(Schema):
    """Optional: without ``signing_version`` (or without a body) the signature goes under
    the letter as it is open now."""

    signing_version = Str(40, load_default=None, metadata={
        "description": "the letter's signing_version as you read it; if the letter was "
                       "returned to draft and opened again since, nothing is signed (409)"})


class LetterDeclineCreateSchema(Schema):
    reason = Str(2000, load_default="")


class DivestmentReviewListArgs(PageArgs):
    engagement_id = QueryInt(minimum=1, load_default=None)
    conclusion = fields.Enum(DivestmentConclusion, by_value=True, load_default=None)


class TaskSchema(Schema):
    id = fields.Integer(required=True)
    engagement_id = fields.Integer(required=True)
    decision_id = fields.Integer(allow_none=True)
    kind = fields.Enum(StepKind, by_value=True, required=True)
    title = fields.String(required=True)
    description = fields.String(required=True)
    owner_organisation = fields.Nested(OrganisationRefSchema, required=True)
    owner_user = fields.Nested(UserRefSchema, allow_none=True)
    due_on = fields.Date(required=True)
    status = fields.Enum(TaskStatus, by_value=True, required=True)
    done_at = fields.DateTime(allow_none=True)


class TaskListArgs(PageArgs):
    mine = fields.Boolean(load_default=False, metadata={
        "description": "Only the tasks your organisation owns."})
    engagement_id = QueryInt(minimum=1, load_default=None)
    status = fields.Enum(TaskStatus, by_value=True, load_default=None)
