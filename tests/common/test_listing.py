"""The lists' shared parts (engage.common.listing): reading filters and orders from the
query string, and every named order of every list, both ways, answering on both databases."""

from __future__ import annotations

import pytest
from werkzeug.datastructures import MultiDict

from engage.common.listing import Filter, Order, read
from engage.companies import queries as company_queries
from engage.engagements import queries as engagement_queries
from engage.escalations import queries as review_queries
from engage.initiatives import queries as initiative_queries
from engage.organisations.models import OrgRole
from engage.tenancy import system_scope
from tests import factories as f
from tests.conftest import login_ids

FILTERS = (Filter("q", "Search", kind="text"), Filter("colour", "Colour", choices=("red", "blue")),
           Filter("n", "Number", kind="id"), Filter("flag", "Flag", kind="flag"),
           Filter("size", "Size", kind="number", low=1, high=5))
ORDERS = {"usual": Order("Usual", lambda: (), reversible=False), "name": Order("Name", lambda: ())}


def test_read_keeps_clean_values_and_names_what_it_ignored(app):
    with app.test_request_context():
        listing = read("engagements.index", MultiDict({
            "q": "  Ærø  ", "colour": "red", "n": "12", "flag": "1", "size": "3",
            "sort": "-name"}), FILTERS, ORDERS, "usual")
        assert listing.values == {"q": "Ærø", "colour": "red", "n": 12, "flag": True, "size": 3}
        assert (listing.sort, listing.descending, listing.errors) == ("name", True, [])
        assert listing.aria_sort("name") == "descending" and listing.aria_sort("usual") == "none"
        assert listing.sort_args("name")["sort"] == "name"  # the other way
        assert "sort" not in listing.sort_args("usual")  # the usual order needs no argument
        assert listing.link_args(page=2)["page"] == 2 and listing.filtered

        bad = read("engagements.index", MultiDict({
            "colour": "green", "n": "٣", "flag": "yes", "size": "6", "sort": "-usual"}),
            FILTERS, ORDERS, "usual")
        assert bad.values == {} and len(bad.errors) == 5
        assert (bad.sort, bad.descending, bad.filtered) == ("usual", False, False)
        assert read("engagements.index", MultiDict({"n": "2147483648"}), FILTERS, ORDERS,
                    "usual").errors


@pytest.fixture
def signed_in(client, db_session):
    with system_scope("test", db_session):
        org = f.organisation()
        user = f.user(org, role=OrgRole.ADMIN)
        initiative = f.initiative(org)
        e = f.engagement(f.company(), org, initiative_=initiative)
        f.review(e, f.milestone(e, due_on=f.TODAY))
        ids = (user.id, org.id, org.slug)
        db_session.commit()
    login_ids(client, *ids)
    return client


LISTS = [("/engagements", engagement_queries.LIST_ORDERS),
         ("/companies", company_queries.LIST_ORDERS),
         ("/initiatives", initiative_queries.LIST_ORDERS),
         ("/reviews", review_queries.LIST_ORDERS)]


@pytest.mark.parametrize("path, key", [(path, key) for path, orders in LISTS for key in orders])
def test_every_order_of_every_list_answers_both_ways(signed_in, path, key):
    for sort in (key, f"-{key}"):
        response = signed_in.get(path, query_string={"sort": sort})
        assert response.status_code == 200, sort
        html = response.get_data(as_text=True)
        reversible = dict(LISTS)[path][key].reversible
        if sort.startswith("-") and not reversible:
            assert "cannot be sorted by" in html
        else:
            assert "data-row" in html or "<tbody>" in html, sort
