"""``/api/v1/companies``: the investee companies every organisation shares, kept by the
register's keepers; ``/api/v1/imports``: holdings and the register from CSV files."""

from __future__ import annotations

import sqlalchemy as sa

from engage.api.errors import ApiError, commit_unit
from engage.api.routing import load_upload, operation, paginate
from engage.companies.models import Company, ImportJob, ImportStatus
from engage.companies.queries import search
from engage.companies.schemas import (
    CompanyListArgs,
    CompanySchema,
    CompanyWriteSchema,
    ImportJobListArgs,
    ImportJobSchema,
    ImportSchema,
    ImportUploadSchema,
)
from engage.companies.service import save_company
from engage.security import Permission, load_or_404, require


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


_KEEPERS = ("Permission: the company register's keepers — a write token created by an "
            "administrator of an organisation in ENGAGE_REGISTER_ORGS (the same people who "
            "import companies, exclusions and ratings on the imports page).")


@operation("POST", "/companies", tag="companies", summary="Add a company to the register (keepers)",
           body=CompanyWriteSchema, response=CompanySchema, status=201, errors=(409,),
           description=_KEEPERS + " An ISIN or LEI another company has is refused (400). "
                                  "Audited.")
def create_company(data):
    require(Permission.KEEP_REGISTER)
    return commit_unit(lambda: save_company(None, data))


@operation("PATCH", "/companies/<id:company_id>", tag="companies",
           summary="Correct a company of the register (keepers)", body=CompanyWriteSchema,
           response=CompanySchema, partial=True, errors=(409,),
           description=_KEEPERS + " Give the fields to change; the others keep their values. "
                                  "Audited.")
def update_company(company_id, data):
    company = load_or_404(Company, company_id)
    require(Permission.KEEP_REGISTER)
    return commit_unit(lambda: save_company(company, data))


# --- imports: holdings, and the register in bulk ------------------------------------------------

_IMPORTS = ("Permission: holdings — a write token created by an administrator of your "
            "organisation (the imports page's admins); companies, exclusions and ratings — the "
            "company register's keepers (such a token of an organisation in "
            "ENGAGE_REGISTER_ORGS). ")


@operation("POST", "/imports/<kind>", tag="imports", summary="Import a CSV file",
           upload=ImportUploadSchema, response=ImportSchema, status=201,
           description=_IMPORTS + (
               "``kind``: holdings (isin | lei | company, value_eur, valued_on), companies "
               "(name, isin, lei, country, sector, next_agm_on), exclusions (company, country, "
               "category, isin, lei, reason, excluded_on) or ratings (isin | lei | company, "
               "rating, rated_on); `;` or `,` separated, UTF-8 or Windows-1252. All lines or "
               "none: a bad file is a 400 whose ``errors.file`` lists its bad lines. A file "
               "larger than ENGAGE_IMPORT_BACKGROUND_KB becomes a background job (``job``; "
               "follow it with ``GET /imports/jobs/{job_id}``). Audited."))
def import_file(kind):
    from engage import clock
    from engage.companies import imports, jobs
    from engage.companies.csvfile import ImportFileError
    from engage.extensions import db
    from engage.security import current_org, current_user

    if kind not in imports.KINDS:
        raise ApiError(404, f"There is no import of kind {kind[:40]!r}; the kinds are "
                            f"{', '.join(imports.KINDS)}.")
    require(Permission.IMPORT_HOLDINGS if kind == "holdings" else Permission.KEEP_REGISTER)
    file = load_upload(ImportUploadSchema)["file"]
    if not file.filename:
        raise ApiError(400, "Attach the file.", {"file": ["Attach a file (with its name)."]})
    if jobs.runs_in_background(jobs.size_of(file.stream)):
        job_id = jobs.start_job(kind, file.filename, file.stream, organisation_id=current_org.id,
                                actor_id=current_user.id, now=clock.now())
        job = load_or_404(ImportJob, job_id)
        db.session.refresh(job)
        return {"kind": kind, "filename": job.filename, "status": job.status,
                "lines": job.lines_total if job.status is ImportStatus.DONE else None,
                "created": job.created, "updated": job.updated, "job": job}
    try:
        result = imports.import_file(kind, file.stream, file.filename, current_org.id)
    except ImportFileError as exc:
        db.session.rollback()
        raise ApiError(400, "The file was not imported (nothing was written); see "
                            "'errors.file' for its bad lines.", {"file": exc.messages()}) from None
    return {"kind": kind, "filename": result.filename, "status": ImportStatus.DONE,
            "lines": result.lines, "created": result.created, "updated": result.updated,
            "job": None}


@operation("GET", "/imports/jobs", tag="imports", summary="List your background imports",
           query=ImportJobListArgs, response=ImportJobSchema, paginated=True,
           description="Permission: as for importing holdings (a token created by an "
                       "administrator). Your organisation's background imports, newest first.")
def list_import_jobs(args):
    require(Permission.IMPORT_HOLDINGS)
    stmt = sa.select(ImportJob).order_by(ImportJob.id.desc())
    if args["status"] is not None:
        stmt = stmt.where(ImportJob.status == args["status"])
    return paginate(stmt, args)


@operation("GET", "/imports/jobs/<id:job_id>", tag="imports", summary="Get a background import",
           response=ImportJobSchema,
           description="Permission: as for importing holdings (a token created by an "
                       "administrator). How far the job is, and its bad lines if it failed "
                       "(nothing was written then).")
def get_import_job(job_id):
    job = load_or_404(ImportJob, job_id)
    require(Permission.IMPORT_HOLDINGS)
    return job
