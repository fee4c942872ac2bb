"""Bare extension instances; ``create_app`` binds them to an application."""

from flask_babel import Babel
from flask_limiter import Limiter
from flask_htmx import HTMX
from flask_migrate import Migrate
from flask_sqlalchemy import SQLAlchemy
from flask_wtf.csrf import CSRFProtect

from engage.db import Base
from engage.ratelimits import client_address

db = SQLAlchemy(model_class=Base)
migrate = Migrate()
csrf = CSRFProtect()
babel = Babel()
htmx = HTMX()
# Storage, headers and fallback come from the app's config (engage.config, RATELIMIT_*).
limiter = Limiter(key_func=client_address)
