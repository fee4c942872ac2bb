"""The second lock for attachments: on PostgreSQL, raw SQL as a plain role sees the file
of a private dialogue entry only as the entry's organisation; coalition rows' files as
the engagement's participants do; and writes only as the uploading organisation."""

from __future__ import annotations

import pytest
import sqlalchemy as sa

from engage.engagements.models import Visibility
from engage.tenancy import system_scope
from tests import factories as f
from tests.conftest import is_postgres


@pytest.mark.skipif(not is_postgres(), reason="row-level security is a PostgreSQL feature")
def test_row_level_security_keeps_a_private_entrys_files_private(db_session, app, tmp_path):
    from engage.attachments.storage import EXTENSION, FolderStorage

    app.extensions[EXTENSION] = FolderStorage(tmp_path)
    try:
        with system_scope("test", db_session):
            a, b = f.organisation("att-rls-a"), f.organisation("att-rls-b")
            e = f.engagement(f.company(), a, supporters=(b,))
            private = f.dialogue(e, a, Visibility.PRIVATE)
            coalition = f.dialogue(e, a)
            ids = {"a": a.id, "b": b.id,
                   "private": f.attachment(private, a).id,
                   "coalition": f.attachment(coalition, a, b"plain text").id,
                   "milestone": f.attachment(f.milestone(e), a, b"%PDF-1.7 x").id}
            db_session.commit()
    finally:
        app.extensions.pop(EXTENSION, None)
    conn = db_session.connection()
    conn.exec_driver_sql("CREATE ROLE engage_att_probe NOLOGIN")
    conn.exec_driver_sql("GRANT USAGE ON SCHEMA public TO engage_att_probe")
    conn.exec_driver_sql("GRANT SELECT, INSERT, DELETE ON ALL TABLES IN SCHEMA public "
                         "TO engage_att_probe")
    conn.exec_driver_sql("GRANT USAGE ON ALL SEQUENCES IN SCHEMA public TO engage_att_probe")
    conn.exec_driver_sql("SET LOCAL ROLE engage_att_probe")

    def visible(org):
        conn.exec_driver_sql("SELECT set_config('engage.org_id', %s, true), "
                             "set_config('engage.bypass', 'off', true)", (str(org),))
        return {r[0] for r in conn.exec_driver_sql("SELECT id FROM attachment")}

    assert visible(ids["a"]) >= {ids["private"], ids["coalition"], ids["milestone"]}
    seen_by_b = visible(ids["b"])
    assert ids["private"] not in seen_by_b
    assert {ids["coalition"], ids["milestone"]} <= seen_by_b
    visible(ids["b"])
    with pytest.raises(sa.exc.ProgrammingError, match="row-level security"):
        with conn.begin_nested():
            conn.exec_driver_sql(
                "INSERT INTO attachment (organisation_id, parent_kind, milestone_id, "
                "engagement_id, filename, kind, size, sha256, created_at) "
                "SELECT organisation_id, parent_kind, milestone_id, engagement_id, filename, "
                "kind, size, sha256, created_at FROM attachment WHERE id = %s",
                (ids["milestone"],))
