"""Entry point for `flask --app wsgi` and for gunicorn (`gunicorn wsgi:app`)."""
import os
import sys

from app import create_app
from config import ConfigurationError, config_for

try:
    app = create_app(config_for(os.environ.get("APP_ENV")))
except ConfigurationError as error:
    sys.stderr.write(f"Configuration error: {error}\n")
    raise SystemExit(2) from None
