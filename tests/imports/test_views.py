"""/imports in the browser, `engage import`, and the screening on the dashboard fragment."""

from __future__ import annotations

import io
from datetime import date

import sqlalchemy as sa
from engage.companies.cli import import_cli
from engage.companies.models import Company, EsgRating, ExclusionCategory
from engage.companies.screening import flagged_holdings
from engage.extensions import db
from engage.tenancy import as_organisation, system_scope
from flask import render_template

from tests.conftest import login_as
from tests.imports.conftest import APPLE, INDITEX, counts
from tests.oidc_support import csrf_token


def _upload(client, kind, text, name="file.csv"):
    data = {"csrf_token": csrf_token(client), "file": (io.BytesIO(text.encode()), name)}
    return client.post(f"/imports/{kind}", data=data, content_type="multipart/form-data")


def test_holdings_upload_and_the_screening(client, iworld):
    with system_scope("test"):
        db.session.get(Company, iworld.inditex).exclusion_category = ExclusionCategory.HUMAN_RIGHTS
        apple = db.session.get(Company, iworld.apple)
        apple.esg_rating, apple.rated_on = EsgRating.CCC, date(2026, 6, 1)
        db.session.commit()
    login_as(client, iworld.investor_admin, iworld.investor)
    page = client.get("/imports").get_data(as_text=True)
    assert 'id="import-holdings"' in page and 'id="import-ratings"' not in page
    assert "No position is on the exclusion list" in page
    response = _upload(client, "holdings", f"isin,value_eur,valued_on\n{INDITEX},100,2026-09-30\n"
                                           f"{APPLE},200,2026-09-30\n")
    assert response.status_code == 303
    page = client.get("/imports").get_data(as_text=True)
    assert f'data-flag="{iworld.inditex}"' in page and f'data-flag="{iworld.apple}"' in page
    home = client.get("/").get_data(as_text=True)  # the dashboard shows the same flags
    assert 'id="screening"' in home
    assert f'data-flag="{iworld.inditex}"' in home and f'data-flag="{iworld.apple}"' in home
    with as_organisation(iworld.investor.id):
        screening = flagged_holdings(iworld.investor.id)
    assert [f.company_id for f in screening.flags] == [iworld.inditex, iworld.apple]  # excluded first
    assert screening.total == 2 and screening.as_of == date(2026, 9, 30)
    # The registrar holds nothing: its screening is empty, and nobody signed in sees none.
    with as_organisation(iworld.registrar.id):
        assert flagged_holdings(iworld.registrar.id).total == 0
    with client.application.test_request_context():
        from flask import g

        g.pop("principal", None)  # the test's app context outlives the requests above
        assert render_template("companies/_screening.html").strip() == ""


def test_screening_is_one_query_and_limited(client, iworld, count_queries):
    with system_scope("test"):
        from engage.organisations.models import Organisation

        from tests import factories as f

        org = db.session.get(Organisation, iworld.investor.id)
        for i in range(8):
            f.holding(org, f.rated_company(EsgRating.B if i % 2 else EsgRating.CCC))
        f.holding(org, f.rated_company(EsgRating.AA))
    with as_organisation(iworld.investor.id), count_queries() as q:
        screening = flagged_holdings(iworld.investor.id, limit=5)
    assert q.count == 1 and len(screening.flags) == 5 and screening.total == 8


def test_upload_errors_are_listed_with_400_and_nothing_written(client, iworld):
    login_as(client, iworld.investor_admin, iworld.investor)
    before = counts()
    response = _upload(client, "holdings", "isin,value_eur,valued_on\nNL0000009166,1,2026-09-30\n"
                                           f"{INDITEX},x,2026-09-30\n", name="bad.csv")
    html = response.get_data(as_text=True)
    assert response.status_code == 400 and 'role="alert"' in html
    assert "line 2:" in html and "line 3:" in html and "bad.csv" in html
    assert counts() == before
    assert _upload(client, "holdings", "", name="").status_code == 400


def test_register_uploads_need_a_register_organisation(client, iworld):
    login_as(client, iworld.investor_admin, iworld.investor)
    assert _upload(client, "ratings", f"isin,rating,rated_on\n{INDITEX},B,2026-01-31\n").status_code == 403
    login_as(client, iworld.investor_member, iworld.investor)
    assert _upload(client, "holdings", f"isin,value_eur,valued_on\n{INDITEX},1,2026-01-31\n").status_code == 403
    page = client.get("/imports").get_data(as_text=True)
    assert "Only your organisation’s administrators" in page
    login_as(client, iworld.registrar_admin, iworld.registrar)
    assert 'id="import-ratings"' in client.get("/imports").get_data(as_text=True)
    response = _upload(client, "ratings", f"isin,rating,rated_on\n{INDITEX},B,2026-01-31\n")
    assert response.status_code == 303
    assert client.get("/imports/nothing").status_code == 405
    with system_scope("test"):
        assert db.session.get(Company, iworld.inditex).esg_rating is EsgRating.B


def test_engage_import_commands(app, iworld, tmp_path):
    runner = app.test_cli_runner()
    good = tmp_path / "holdings.csv"
    good.write_text(f"isin;value_eur;valued_on\n{INDITEX};10,50;2026-09-30\n")
    result = runner.invoke(import_cli, ["holdings", "--org", "investor", str(good)])
    assert result.exit_code == 0, result.output
    assert "1 lines, 1 new, 0 updated" in result.output
    bad = tmp_path / "ratings.csv"
    bad.write_text(f"isin,rating,rated_on\n{INDITEX},ZZZ,2026-01-31\n{APPLE},A,someday\n")
    before = counts()
    result = runner.invoke(import_cli, ["ratings", str(bad)])
    assert result.exit_code == 1
    assert "line 2:" in result.output and "line 3:" in result.output
    assert "nothing was imported" in result.output
    assert counts() == before
    result = runner.invoke(import_cli, ["holdings", "--org", "nobody", str(good)])
    assert result.exit_code == 2
    exclusions = tmp_path.parent / "x.csv"
    from engage import config

    exclusions.write_bytes((config.PROJECT_ROOT / "data" / "exclusion-list-2020.csv").read_bytes())
    result = runner.invoke(import_cli, ["exclusions", str(exclusions)])
    assert result.exit_code == 0 and "90 lines, 90 new" in result.output
    with system_scope("test"):
        assert db.session.scalar(sa.select(sa.func.count()).select_from(Company)
                                 .where(Company.exclusion_category.is_not(None))) == 90
