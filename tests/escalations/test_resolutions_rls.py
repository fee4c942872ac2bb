"""As a plain PostgreSQL role (row-level security applies): a co-filer cannot read another
organisation's holding, yet the resolution's aggregate counts every co-filer's."""

from __future__ import annotations

from decimal import Decimal

import pytest
import sqlalchemy as sa

from engage.escalations import resolutions
from engage.escalations.models import Resolution
from engage.tenancy import as_organisation, system_scope
from tests import factories as f
from tests.conftest import is_postgres

pytestmark = pytest.mark.skipif(not is_postgres(), reason="row-level security is a PostgreSQL feature")


def test_the_aggregate_counts_holdings_a_co_filer_cannot_read(db_session):
    with system_scope("test", db_session):
        a, b, c, outsider = (f.organisation() for _ in range(4))
        company = f.company()
        engagement = f.engagement(company, a, supporters=(b, c))
        letter = f.resolution(engagement, threshold="600000")
        for org, value in ((a, "100000"), (b, "200000"), (c, "300000"), (outsider, "5000000")):
            f.holding(org, company, value)
        for org in (a, b, c):
            f.signature(letter, org)
        db_session.commit()
        ids = {"a": a.id, "b": b.id, "letter": letter.id}
    conn = db_session.connection()
    conn.exec_driver_sql("CREATE ROLE engage_resolution_probe NOLOGIN")
    conn.exec_driver_sql("GRANT USAGE ON SCHEMA public TO engage_resolution_probe")
    conn.exec_driver_sql(
        "GRANT SELECT, INSERT, UPDATE, DELETE ON ALL TABLES IN SCHEMA public TO engage_resolution_probe")
    conn.exec_driver_sql("SET LOCAL ROLE engage_resolution_probe")
    with as_organisation(ids["b"], db_session):
        # The second lock holds: B's own statement sees B's holding only.
        values = db_session.connection().exec_driver_sql(
            "SELECT value_eur FROM holding").scalars().all()
        assert values == [Decimal("200000.00")]
        terms = db_session.scalar(sa.select(Resolution).where(Resolution.letter_id == ids["letter"]))
        seen = resolutions.support(terms, f.TODAY)
        # The co-filers' 600,000; the outsider's 5 million do not count.
        assert (seen.co_filers, seen.met, seen.total_eur) == (3, True, Decimal("600000.00"))
        # And the lock is back on after the aggregate.
        values = db_session.connection().exec_driver_sql(
            "SELECT value_eur FROM holding").scalars().all()
        assert values == [Decimal("200000.00")]
