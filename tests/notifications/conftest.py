"""The escalation world, the initiative coalition and the loopback SMTP server, for the notifications' language tests."""

from tests.escalations.conftest import world  # noqa: F401
from tests.escalations.test_email import smtp  # noqa: F401
from tests.initiatives.conftest import coalition  # noqa: F401
