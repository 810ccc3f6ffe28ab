"""Settings for the replay fixture: the database comes from DATABASE_URL, as twelve-factor apps do."""
import os
from urllib.parse import urlsplit

SECRET_KEY = "fixture-not-a-secret"
INSTALLED_APPS = ["notes"]
USE_TZ = True
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"


def _database(url):
    parts = urlsplit(url)
    if parts.scheme == "sqlite":
        return {"ENGINE": "django.db.backends.sqlite3", "NAME": url.split("sqlite:///", 1)[1]}
    return {"ENGINE": "django.db.backends.postgresql", "NAME": parts.path.lstrip("/"), "USER": parts.username or "",
            "PASSWORD": parts.password or "", "HOST": parts.hostname or "", "PORT": str(parts.port or "")}


DATABASES = {"default": _database(os.environ["DATABASE_URL"])}
