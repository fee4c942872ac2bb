"""The home page (the organisation's dashboard), the profile page and the health check."""

from __future__ import annotations

from flask import Blueprint, current_app, render_template, request, url_for
from flask_babel import force_locale
from flask_babel import gettext as _

from engage import clock, orchestrator, render_cache
from engage.common import health
from engage.common.answer import answer_write
from engage.common.paging import current_page
from engage.extensions import db
from engage.home import dashboard, todo
from engage.home.charts import bar_chart, stacked_chart
from engage.home.service import platform_totals
from engage.organisations import service as organisations
from engage.security import Permission, can, current_org, current_user, public, requires

# The endpoints keep their names (core.home, core.profile): templates, redirects and
# permission lists name them, and a rename would gain nothing a reader sees.
bp = Blueprint("core", __name__)

REVIEWS_SHOWN = 5


@bp.get("/")
@requires(Permission.READ)
def home():
    """The dashboard's sections, from the render cache when nothing they show has been
    written since they were drawn for this organisation, user, role, language and day."""
    page = current_page()
    return render_template("home/home.html", dashboard=render_cache.fragment(
        "home", (page.number,), lambda: _draw_dashboard(page)))


def _draw_dashboard(page) -> str:
    today = clock.today()
    org_id = current_org.id
    engagements, total = dashboard.my_engagements(org_id, limit=page.size, offset=page.offset,
                                                     today=today)
    # Those who may act get one list of what waits for them, reviews to decide among it;
    # a viewer sees the reviews waiting for the organisation's leads, to follow them.
    may_act = can(Permission.WRITE)
    if may_act:
        todos, todos_total = todo.to_do(org_id, today, may_decide=True)
        reviews, reviews_total = [], 0
    else:
        todos, todos_total = [], 0
        reviews, reviews_total = dashboard.reviews_waiting(org_id, REVIEWS_SHOWN)
    deadlines, deadlines_total = dashboard.upcoming_deadlines(org_id, today)
    charts = dashboard.charts(org_id)
    return render_template(
        "home/_dashboard.html",
        today=today, engagements=engagements, engagements_total=total, page=page.number,
        pages=page.count(total),
        reviews=reviews, reviews_total=reviews_total, may_act=may_act,
        todos=todos, todos_total=todos_total,
        deadlines=deadlines, deadlines_total=deadlines_total, deadline_days=dashboard.DEADLINE_DAYS,
        activity=dashboard.recent_activity(),
        stage_chart=bar_chart([(str(s), n) for s, n in charts.stages]),
        step_chart=bar_chart(charts.steps, horizontal=True),
        outcome_chart=stacked_chart(charts.quarters),
        charts=charts,
        totals=platform_totals(today),
    )


@bp.route("/profile", methods=["GET", "POST"])
@requires(Permission.READ)
def profile():
    """The signed-in person's language: English, Dutch, or what the browser asks for."""
    languages = current_app.config["ENGAGE_LANGUAGES"]

    def page(errors: dict[str, str] | None = None) -> str:
        return render_template("home/profile.html",
                               error=" ".join(errors.values()) if errors else None,
                               selected=request.form.get("locale") if errors else
                               (current_user.locale or ""))

    def saved(_done) -> str:
        chosen = (request.form.get("locale", "").strip()
                  or request.accept_languages.best_match(languages)
                  or current_app.config["BABEL_DEFAULT_LOCALE"])
        with force_locale(chosen):  # said in the language just chosen
            return _("Your language is saved.")

    if request.method == "GET":
        return page()
    return answer_write(
        lambda: organisations.set_locale(db.session, current_user.id,
                                         request.form.get("locale", ""), languages),
        page=page, redirect_to=lambda _done: url_for(".profile"), message=saved)


@bp.get("/healthz")
@public
def healthz():
    """503 when the database is unreachable: this process cannot serve anything. Prefect
    down is ``degraded`` (200): pages still work and decisions wait for the next sweep, so
    a proxy must not take the web processes out of rotation for it; monitoring alerts on
    the ``prefect`` field."""
    database = health.database_status()
    prefect = orchestrator.status()
    if database != "ok":
        status, code = "error", 503
    elif prefect not in ("ok", "not configured"):
        status, code = "degraded", 200
    else:
        status, code = "ok", 200
    return {"status": status, "database": database, "prefect": prefect}, code
