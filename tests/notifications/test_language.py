"""A notification is written in its recipient's language (``User.locale``; none: English),
whoever caused it: the sweep with no request at all, or a person speaking another language."""

from __future__ import annotations

from email import message_from_bytes, policy

import sqlalchemy as sa
from flask import has_request_context
from flask_babel import force_locale, get_locale

from engage.escalations import service as escalations
from engage.extensions import db
from engage.notifications import messages
from engage.notifications import service as notifications
from engage.notifications.models import Notification, NotificationKind
from engage.organisations.models import User
from engage.tenancy import system_scope
from tests import factories as f
from tests.conftest import login_as
from tests.escalations.conftest import NOW
from tests.initiatives.test_views import GOOD
from tests.oidc_support import csrf_token


def _speaks(db_session, user, locale):
    with system_scope("test", db_session):
        db_session.execute(sa.update(User).where(User.id == user.id).values(locale=locale))
        db_session.commit()


def _notes(db_session, kind):
    with system_scope("test", db_session):
        return {n.user_id: (n.subject, n.body) for n in db_session.scalars(
            sa.select(Notification).where(Notification.kind == kind))}


def test_the_sweep_writes_each_review_notice_in_its_readers_language(app, world, db_session):
    _speaks(db_session, world.lead_user, "nl")
    _speaks(db_session, world.co_lead_user, None)
    assert not has_request_context()  # as from the CLI or a Prefect flow

    assert escalations.open_overdue_reviews(NOW)

    notes = _notes(db_session, NotificationKind.REVIEW_OPENED)
    title = world.engagement.title
    subject, body = notes[world.lead_user.id]
    assert subject == f"Escalatiebeoordeling: {title}"
    assert body.startswith(f"Mijlpaal „{world.milestone.title}” moest op 12 nov 2026 zijn gehaald")
    assert "Besluit: escaleer naar de volgende stap" in body
    subject, body = notes[world.co_lead_user.id]
    assert subject == f"Escalation review: {title}"
    assert body.startswith(f"Milestone “{world.milestone.title}” was due on Nov 12, 2026")
    assert "Decide: escalate to the next step" in body
    # The forced language does not outlive the notification.
    assert get_locale() is None or str(get_locale()) == "en"


def test_reminders_too(app, world, db_session):
    from datetime import timedelta

    from engage.engagements.models import Milestone

    _speaks(db_session, world.lead_user, "nl")
    with system_scope("test", db_session):
        db_session.execute(sa.update(Milestone).where(Milestone.id == world.milestone.id)
                           .values(due_on=NOW.date() + timedelta(days=3)))
        db_session.commit()
    assert escalations.send_reminders(NOW)
    notes = _notes(db_session, NotificationKind.REMINDER)
    company = world.company.name
    assert notes[world.lead_user.id][0] == (
        f"{company}: over 3 dagen te halen: {world.milestone.title}")
    assert notes[world.co_lead_user.id][0] == f"{company}: due in 3 days: {world.milestone.title}"
    assert "25 nov 2026" in notes[world.lead_user.id][1]
    assert "Nov 25, 2026" in notes[world.co_lead_user.id][1]


def test_the_readers_languages_are_read_in_one_query(app, world, db_session, count_queries,
                                                     monkeypatch):
    _speaks(db_session, world.lead_user, "nl")
    with system_scope("test", db_session):
        people = notifications.recipients(world.engagement.id, notifications.EVERYONE)
    assert len(people) == 3
    calls = []

    def spoken(params):
        calls.append(str(get_locale()))
        return str(get_locale()), params["text"]

    monkeypatch.setitem(messages.MESSAGES, "language_test", spoken)
    with system_scope("test", db_session), count_queries() as q:
        created = notifications.notify(
            people, kind=NotificationKind.REMINDER, key="language-test",
            message="language_test", params={"text": "the same for everyone"}, link="",
            engagement_id=None, now=NOW)
        db_session.commit()
    assert created == 3
    assert sorted(calls) == ["en", "nl"]  # once per language, not once per person
    assert sum("user_account" in s and s.lstrip().upper().startswith("SELECT")
               for s in q.statements) == 1
    notes = _notes(db_session, NotificationKind.REMINDER)
    assert notes[world.lead_user.id] == ("nl", "the same for everyone")
    assert notes[world.supporter_user.id] == ("en", "the same for everyone")


def test_an_english_speaker_signs_on_and_the_dutch_coordinator_reads_dutch(client, db_session, coalition):
    with system_scope("test", db_session):
        english_colleague = f.user(db.session.get(type(coalition.coordinator), coalition.coordinator.id))
        db_session.commit()
        colleague_id = english_colleague.id
    _speaks(db_session, coalition.coordinator_user, "nl")
    _speaks(db_session, coalition.applicant_user, "en")
    login_as(client, coalition.applicant_user, coalition.applicant)
    token = csrf_token(client)
    response = client.post(f"/initiatives/{coalition.initiative.id}/sign-on",
                           data={**GOOD, "csrf_token": token},
                           headers={"Accept-Language": "en"})
    assert response.status_code == 303
    notes = _notes(db_session, NotificationKind.INITIATIVE_APPLICATION)
    title = coalition.initiative.title
    assert notes[coalition.coordinator_user.id] == (
        f"Nieuwe aanmelding voor „{title}”",
        f"{coalition.applicant.name} vraagt toe te treden als Ondersteuner.")
    assert notes[colleague_id] == (
        f"New application to “{title}”", f"{coalition.applicant.name} asks to join as Supporter.")


def test_a_dutch_readers_email_is_dutch(app, world, db_session, smtp):
    _speaks(db_session, world.lead_user, "nl")
    with force_locale("en"):  # whatever language the process happens to be in
        escalations.open_overdue_reviews(NOW)
    assert escalations.deliver_emails(NOW) == 2
    mails = {m.rcpt_tos[0]: message_from_bytes(m.content, policy=policy.default)
             for m in smtp.messages}
    dutch, english = mails[world.lead_user.email], mails[world.co_lead_user.email]
    assert dutch["Subject"] == f"Escalatiebeoordeling: {world.engagement.title}"
    assert "Besluit: escaleer naar de volgende stap" in dutch.get_content()
    assert "#review-" in dutch.get_content()
    assert english["Subject"] == f"Escalation review: {world.engagement.title}"
    assert "Decide: escalate to the next step" in english.get_content()


def _switch(client, locale):
    """The reader changes language on the profile page, as a person does."""
    response = client.post("/profile", data={"locale": locale, "csrf_token": csrf_token(client)})
    assert response.status_code == 303


def _api_subjects(app, token) -> list[str]:
    response = app.test_client().get("/api/v1/notifications",
                                     headers={"Authorization": f"Bearer {token}"})
    assert response.status_code == 200, response.get_data(as_text=True)
    return [item["subject"] + " | " + item["body"] for item in response.get_json()["items"]]


def _token(db_session, user, org) -> str:
    from engage.organisations.tokens import create_token

    with system_scope("test", db_session):
        secret = create_token(db_session, organisation=db_session.get(type(org), org.id),
                              name="reader", scope="read",
                              created_by=db_session.get(User, user.id)).secret
        db_session.commit()
    return secret


def test_a_reader_who_switches_language_reads_her_notifications_in_the_new_one(
        app, client, world, db_session):
    """Written in Dutch, read in English after the switch (page and API), and back again."""
    _speaks(db_session, world.lead_user, "nl")
    assert escalations.open_overdue_reviews(NOW)
    title, milestone = world.engagement.title, world.milestone.title
    token = _token(db_session, world.lead_user, world.lead)
    login_as(client, world.lead_user, world.lead)

    page = client.get("/notifications").get_data(as_text=True)
    assert f"Escalatiebeoordeling: {title}" in page
    assert f"Mijlpaal „{milestone}” moest op 12 nov 2026 zijn gehaald" in page
    [dutch] = _api_subjects(app, token)
    assert dutch.startswith(f"Escalatiebeoordeling: {title} | Mijlpaal „{milestone}”")

    _switch(client, "en")
    page = client.get("/notifications").get_data(as_text=True)
    assert f"Escalation review: {title}" in page and "Escalatiebeoordeling" not in page
    assert f"Milestone “{milestone}” was due on Nov 12, 2026 and is unmet." in page
    assert "Decide: escalate to the next step" in page
    [english] = _api_subjects(app, token)
    assert english.startswith(f"Escalation review: {title} | Milestone “{milestone}” was due "
                              "on Nov 12, 2026")

    _switch(client, "nl")
    assert f"Escalatiebeoordeling: {title}" in client.get("/notifications").get_data(as_text=True)
    assert _api_subjects(app, token) == [dutch]


def test_an_english_reader_who_switches_to_dutch_reads_dutch(app, client, world, db_session):
    """The other way round, for a message with a plural and a date: a reminder."""
    from datetime import timedelta

    from engage.engagements.models import Milestone

    _speaks(db_session, world.co_lead_user, "en")
    with system_scope("test", db_session):
        db_session.execute(sa.update(Milestone).where(Milestone.id == world.milestone.id)
                           .values(due_on=NOW.date() + timedelta(days=3)))
        db_session.commit()
    assert escalations.send_reminders(NOW)
    company, milestone = world.company.name, world.milestone.title
    token = _token(db_session, world.co_lead_user, world.co_lead)
    login_as(client, world.co_lead_user, world.co_lead)
    page = client.get("/notifications").get_data(as_text=True)
    assert f"{company}: due in 3 days: {milestone}" in page and "Nov 25, 2026" in page
    _switch(client, "nl")
    page = client.get("/notifications").get_data(as_text=True)
    assert f"{company}: over 3 dagen te halen: {milestone}" in page and "25 nov 2026" in page
    assert "due in 3 days" not in page
    [reminder] = _api_subjects(app, token)
    assert reminder.startswith(f"{company}: over 3 dagen te halen: {milestone} | ")


def test_the_email_goes_in_the_recipients_language_when_it_is_sent(app, world, db_session, smtp):
    """Written while the lead read Dutch; she switched to English before the mailer ran."""
    _speaks(db_session, world.lead_user, "nl")
    _speaks(db_session, world.co_lead_user, None)
    escalations.open_overdue_reviews(NOW)
    _speaks(db_session, world.lead_user, "en")
    _speaks(db_session, world.co_lead_user, "nl")
    assert escalations.deliver_emails(NOW) == 2
    mails = {m.rcpt_tos[0]: message_from_bytes(m.content, policy=policy.default)
             for m in smtp.messages}
    english, dutch = mails[world.lead_user.email], mails[world.co_lead_user.email]
    assert english["Subject"] == f"Escalation review: {world.engagement.title}"
    assert "Decide: escalate to the next step" in english.get_content()
    assert dutch["Subject"] == f"Escalatiebeoordeling: {world.engagement.title}"
    assert "Besluit: escaleer naar de volgende stap" in dutch.get_content()


def test_a_row_without_a_known_message_shows_its_stored_text(app, client, world, db_session):
    """Rows written before messages had keys, or with a key or parameters this version does
    not know, show the text stored with them, on the page and in the API."""
    rows = [("", {}, "Stored before keys"), ("no_such_message", {"title": "x"}, "Unknown key"),
            ("reminder", {"title": "missing the rest"}, "Parameters that do not fit")]
    with system_scope("test", db_session):
        for n, (message, params, subject) in enumerate(rows):
            db_session.add(Notification(
                user_id=world.lead_user.id, organisation_id=world.lead.id,
                kind=NotificationKind.REMINDER, message=message, params=params,
                subject=subject, body=f"body {n}", link="/", dedupe_key=f"old:{n}",
                created_at=NOW))
        db_session.commit()
    _speaks(db_session, world.lead_user, "nl")
    token = _token(db_session, world.lead_user, world.lead)
    login_as(client, world.lead_user, world.lead)
    page = client.get("/notifications")
    assert page.status_code == 200
    text = page.get_data(as_text=True)
    for n, (_message, _params, subject) in enumerate(rows):
        assert subject in text and f"body {n}" in text
    assert sorted(_api_subjects(app, token)) == sorted(
        f"{subject} | body {n}" for n, (_m, _p, subject) in enumerate(rows))


def test_parameters_are_data_never_translated_text(app, world, db_session):
    """What a notification keeps: names, titles, ISO dates and values, in no language."""
    _speaks(db_session, world.lead_user, "nl")
    escalations.open_overdue_reviews(NOW)
    with system_scope("test", db_session):
        note = db_session.scalars(sa.select(Notification).where(
            Notification.user_id == world.lead_user.id)).one()
    assert note.message == "review_opened"
    assert note.params == {"title": world.engagement.title, "reason": "milestone_overdue",
                           "milestone": world.milestone.title,
                           "due_on": world.milestone.due_on.isoformat()}
