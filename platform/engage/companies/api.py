"""``/api/v1/companies``: the investee companies every organisation shares."""

from __future__ import annotations


from engage.api.routing import operation, paginate
from engage.companies.models import Company
from engage.companies.schemas import CompanyListArgs, CompanySchema
from engage.companies.queries import search
from engage.security import load_or_404


@operation("GET", "/companies", tag="companies", summary="List companies",
           query=CompanyListArgs, response=CompanySchema, paginated=True)
def list_companies(args):
    """Companies by name; filter by text, country, sector, ESG rating or exclusion."""
    stmt = search(args["q"])
    if args["country"]:
        stmt = stmt.where(Company.country == args["country"].upper())
    if args["sector"]:
        stmt = stmt.where(Company.sector == args["sector"])
    if args["esg_rating"] is not None:
        stmt = stmt.where(Company.esg_rating == args["esg_rating"])
    if args["excluded"] is not None:
        column = Company.exclusion_category
        stmt = stmt.where(column.is_not(None) if args["excluded"] else column.is_(None))
    return paginate(stmt, args)


@operation("GET", "/companies/<id:company_id>", tag="companies", summary="Get a company",
           response=CompanySchema)
def get_company(company_id):
    return load_or_404(Company, company_id)
