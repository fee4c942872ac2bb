"""Notifications are e-mailed through SMTP, each at most once (a real SMTP server on loopback)."""

from __future__ import annotations

import pytest
from aiosmtpd.controller import Controller

from engage.escalations import service
from workflows.runtime import free_port
from tests.escalations.conftest import NOW


class Inbox:
    def __init__(self) -> None:
        self.messages = []

    async def handle_DATA(self, server, session, envelope):
        self.messages.append(envelope)
        return "250 OK"


@pytest.fixture
def smtp(app, monkeypatch):
    inbox = Inbox()
    controller = Controller(inbox, hostname="127.0.0.1", port=free_port())
    controller.start()
    for key, value in {"ENGAGE_SMTP_HOST": "127.0.0.1", "ENGAGE_SMTP_PORT": controller.port,
                       "ENGAGE_SMTP_FROM": "engage@engage.example"}.items():
        monkeypatch.setitem(app.config, key, value)
    yield inbox
    controller.stop()


def test_a_notification_is_emailed_once(app, world, db_session, smtp):
    service.open_overdue_reviews(NOW)
    assert service.deliver_emails(NOW) == 2
    assert service.deliver_emails(NOW) == 0
    assert service.sweep(NOW).emails_sent == 0
    assert sorted(m.rcpt_tos[0] for m in smtp.messages) == sorted(
        [world.lead_user.email, world.co_lead_user.email])
    body = smtp.messages[0].content.decode()
    assert "Subject: Escalation review:" in body and "/reviews/" in body


def test_without_smtp_nothing_is_emailed_and_nothing_is_marked(app, world, db_session):
    service.open_overdue_reviews(NOW)
    assert service.deliver_emails(NOW) == 0
