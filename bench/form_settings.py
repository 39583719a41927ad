"""Settings for ``bench/form.py``: Tandem's production settings on a scratch database, served over plain HTTP.

The production branch of ``config.settings`` is taken (``DEBUG=0``), with these changes:

* a scratch database: PostgreSQL's ``tandem_bench_form`` when ``DATABASE_URL`` points at PostgreSQL
  (whatever database the URL names), otherwise SQLite under ``TANDEM_VAR_DIR``, which must be set
  (``bench/form.py`` makes a temporary folder) so the checkout's own ``var/`` is never used;
* no HTTPS redirect (the benchmark talks plain HTTP on loopback) and ``ALLOWED_HOSTS = ["127.0.0.1"]``;
* no rate limit on the link pages (every request comes from one address);
* ``bench.form_urls``: the project's URLs plus a minimal view, the baseline.
"""

from __future__ import annotations

import os
import secrets

from django.core.exceptions import ImproperlyConfigured

BENCH_DATABASE = "tandem_bench_form"

if not os.environ.get("TANDEM_VAR_DIR"):
    raise ImproperlyConfigured("bench.form_settings needs TANDEM_VAR_DIR (a scratch folder); run bench/form.py.")
os.environ["DEBUG"] = "0"
os.environ["ALLOWED_HOSTS"] = "127.0.0.1"
os.environ["SECURE_SSL_REDIRECT"] = "0"
os.environ.setdefault("SECRET_KEY", secrets.token_urlsafe(50))
if not os.environ.get("DATABASE_URL", "").startswith("postgres"):
    os.environ.pop("DATABASE_URL", None)  # SQLite under TANDEM_VAR_DIR

from config.settings import *  # noqa: E402, F403
from config.settings import DATABASES  # noqa: E402

if DATABASES["default"]["ENGINE"] == "django.db.backends.postgresql":
    DATABASES["default"]["NAME"] = BENCH_DATABASE

DEBUG = False
ALLOWED_HOSTS = ["127.0.0.1"]
SECURE_SSL_REDIRECT = False
ASSESSMENTS_LINK_RATE_LIMIT = (0, 60)
ROOT_URLCONF = "bench.form_urls"
