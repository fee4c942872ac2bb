"""The earlier versions of a private dialogue entry are as private as the entry: row-level
security on PostgreSQL refuses them to another organisation even in raw SQL."""

from __future__ import annotations

from datetime import datetime, timezone

import pytest

from engage.engagements.models import DialogueRevision, Visibility
from engage.tenancy import system_scope
from tests import factories as f
from tests.conftest import is_postgres


@pytest.mark.skipif(not is_postgres(), reason="row-level security is a PostgreSQL feature")
def test_a_private_entrys_revisions_are_refused_to_others_in_raw_sql(db_session):
    with system_scope("test", db_session):
        a, b = f.organisation("rev-a"), f.organisation("rev-b")
        e = f.engagement(f.company(), a, supporters=(b,))
        ids = {}
        for visibility in (Visibility.PRIVATE, Visibility.COALITION):
            entry = f.dialogue(e, a, visibility)
            revision = DialogueRevision(
                dialogue_entry_id=entry.id, engagement_id=e.id, organisation_id=a.id,
                visibility=visibility, kind=entry.kind, occurred_on=entry.occurred_on,
                participants="", summary="before", outcome="", follow_up="",
                replaced_at=datetime(2026, 11, 1, tzinfo=timezone.utc), reason="typo")
            db_session.add(revision)
            db_session.flush()
            ids[visibility.value] = revision.id
        a_id, b_id = a.id, b.id
        db_session.commit()
    conn = db_session.connection()
    conn.exec_driver_sql("CREATE ROLE engage_rev_probe NOLOGIN")
    conn.exec_driver_sql("GRANT USAGE ON SCHEMA public TO engage_rev_probe")
    conn.exec_driver_sql("GRANT SELECT ON ALL TABLES IN SCHEMA public TO engage_rev_probe")
    conn.exec_driver_sql("SET LOCAL ROLE engage_rev_probe")

    def visible(org: int) -> set[int]:
        conn.exec_driver_sql("SELECT set_config('engage.org_id', %s, true), "
                             "set_config('engage.bypass', 'off', true)", (str(org),))
        return {r[0] for r in conn.exec_driver_sql("SELECT id FROM dialogue_revision")}

    assert visible(a_id) >= {ids["private"], ids["coalition"]}
    seen_by_b = visible(b_id)
    assert ids["coalition"] in seen_by_b and ids["private"] not in seen_by_b
