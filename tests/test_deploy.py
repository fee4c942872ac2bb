"""deploy/: what can be checked without Docker or systemd on the machine (the topology
itself runs for real in deploy/smoke). And the README's table of environment variables
against the code that reads them."""

from __future__ import annotations

import configparser
import re
import runpy
from pathlib import Path

import yaml

from engage.config import PROJECT_ROOT

DEPLOY = PROJECT_ROOT / "deploy"
_READ = re.compile(r"""(?:environ(?:\.get)?\(\s*|environ\[|_bool\(|_days\(|_slugs\(|_megabytes\(|_limit\(|_minutes\(|_positive_float\()"((?:ENGAGE|DATABASE|PREFECT)_?[A-Z_]*)\"""")


def _variables_read_by_the_code() -> set[str]:
    names = set()
    for folder in ("platform/engage", "workflows", "deploy"):
        for path in (PROJECT_ROOT / folder).rglob("*.py"):
            names |= set(_READ.findall(path.read_text()))
    return names


def _readme_rows() -> list[list[str]]:
    text = (PROJECT_ROOT / "README.md").read_text()
    section = text.split("## Configuration", 1)[1].split("\n## ", 1)[0]
    return [[c.strip() for c in line.strip().strip("|").split("|")]
            for line in section.splitlines() if line.startswith(("| `", "| *"))]


def _readme_table() -> set[str]:
    return {name for row in _readme_rows() for name in re.findall(r"`([A-Z_]+)`", row[0])}


def test_the_readme_lists_every_variable_the_code_reads_and_no_other():
    read, listed = _variables_read_by_the_code(), _readme_table()
    assert {"DATABASE_URL", "ENGAGE_SECRET_KEY", "ENGAGE_BIND", "ENGAGE_LOG_FORMAT"} <= read
    assert read - listed == set(), "read by the code, missing from README's table"
    assert listed - read == set(), "in README's table, read by nothing"


def test_the_readme_table_gives_a_default_and_an_example_for_each():
    rows = _readme_rows()
    assert len(rows) > 30
    for row in rows:
        assert len(row) == 3 and all(row), row


def test_the_compose_file_describes_the_whole_stack():
    compose = yaml.safe_load((DEPLOY / "compose.yaml").read_text())
    services = compose["services"]
    assert {"db", "prefect", "migrate", "web", "worker", "proxy"} <= set(services)
    assert services["worker"]["command"][:3] == ["engage", "worker", "--pool"]
    assert "prefect" in " ".join(services["prefect"]["command"])
    assert services["prefect"]["environment"]["PREFECT_API_DATABASE_CONNECTION_URL"].startswith(
        "postgresql+asyncpg://")
    # Web and workers start after the migrations, against the role without superuser.
    for name in ("web", "worker"):
        assert services[name]["depends_on"]["migrate"]["condition"] == "service_completed_successfully"
        assert services[name]["environment"]["DATABASE_URL"].startswith("postgresql://engage_app:")
    listed = _readme_table()
    for name, service in services.items():
        for variable in service.get("environment", {}):
            if variable.startswith("ENGAGE_") and variable != "ENGAGE_APP_DB_PASSWORD":
                assert variable in listed, f"{name}: {variable} is not in README's table"
        for volume in service.get("volumes", []):
            source = volume.split(":")[0]
            if source.startswith("./"):
                assert (DEPLOY / source).is_file(), f"{name} mounts a missing {source}"
    build = services["web"]["build"]
    assert (DEPLOY / build["context"] / build["dockerfile"]).resolve().is_file()


def test_the_image_compiles_the_translations_and_runs_unprivileged():
    dockerfile = (DEPLOY / "Dockerfile").read_text()
    assert "pybabel compile" in dockerfile  # without the .mo files every page is English
    assert re.search(r"^USER engage$", dockerfile, flags=re.MULTILINE)
    for source in re.findall(r"^COPY (\S+) ", dockerfile, flags=re.MULTILINE):
        assert (PROJECT_ROOT / source).exists(), source


def test_the_systemd_units_run_what_the_repository_holds():
    units = {p.name: p for p in (DEPLOY / "systemd").glob("*.service")}
    assert set(units) == {"engage-web.service", "engage-worker@.service", "prefect-server.service"}
    for name, path in units.items():
        unit = configparser.ConfigParser(strict=False, interpolation=None)
        unit.optionxform = str
        unit.read(path)
        service = unit["Service"]
        assert unit["Install"]["WantedBy"] == "multi-user.target"
        assert service["User"] == "engage" and service["NoNewPrivileges"] == "true"
        for file in re.findall(r"/opt/engage/(\S+)", service["ExecStart"]):
            if not file.startswith(".venv/"):
                assert (PROJECT_ROOT / file).exists(), f"{name} runs a missing {file}"
    worker = configparser.ConfigParser(strict=False, interpolation=None)
    worker.read(units["engage-worker@.service"])
    assert worker["Service"]["ExecStart"].endswith("engage worker --pool %i")


def test_gunicorn_settings_come_from_the_environment(monkeypatch):
    monkeypatch.setenv("ENGAGE_BIND", "127.0.0.1:9000,unix:/run/engage.sock")
    monkeypatch.setenv("ENGAGE_WEB_WORKERS", "3")
    settings = runpy.run_path(str(DEPLOY / "gunicorn.conf.py"))
    assert settings["bind"] == ["127.0.0.1:9000", "unix:/run/engage.sock"]
    assert settings["workers"] == 3 and settings["worker_class"] == "gthread"
    assert settings["wsgi_app"] == "engage.wsgi:app"
    assert settings["accesslog"] is None  # the app logs each request itself
    formatter = settings["logconfig_dict"]["formatters"]["json"]["()"]
    module, _, name = formatter.rpartition(".")
    assert getattr(__import__(module, fromlist=[name]), name)


def test_the_smoke_test_is_run_by_ci():
    ci = (PROJECT_ROOT / ".ci" / "run").read_text()
    assert "deploy/smoke" in ci
    assert Path(DEPLOY / "smoke").stat().st_mode & 0o111


def test_the_prefect_server_idles_alike_in_the_demo_compose_and_systemd():
    """The Prefect server loops the demo turns off or slows down (workflows/runtime.py) are
    the production server's too."""
    from workflows.runtime import IDLE_SERVER_SETTINGS

    compose = yaml.safe_load((DEPLOY / "compose.yaml").read_text())
    environment = compose["services"]["prefect"]["environment"]
    unit = (DEPLOY / "systemd" / "prefect-server.service").read_text()
    systemd = dict(re.findall(r"^Environment=(PREFECT_SERVER_SERVICES_\w+)=(\S+)$", unit, re.M))
    assert IDLE_SERVER_SETTINGS
    for name, value in IDLE_SERVER_SETTINGS.items():
        assert environment.get(name) == value, name
        assert systemd.get(name) == value, name
    assert {k for k in environment if k.startswith("PREFECT_SERVER_SERVICES_")} == set(IDLE_SERVER_SETTINGS)
    assert set(systemd) == set(IDLE_SERVER_SETTINGS)
