"""Test settings: fast hashing, locmem e-mail; the database and broker come from the environment."""

import tempfile
from pathlib import Path

from .base import *  # noqa: F403
from .base import env

SECRET_KEY = env("DJANGO_SECRET_KEY", default="test-key-not-for-production")
DEBUG = False
PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"},
}
# Uploads of the tests go to a scratch directory, not into the project.
MEDIA_ROOT = Path(tempfile.gettempdir()) / "vendor-registry-test-media"
WEBHOOK_ALLOW_PRIVATE_ADDRESSES = True
# Tasks run in-process unless a test starts a real worker (tests/pipeline/worker.py), so the
# suite behaves the same with or without REDIS_URL. A worker a test starts may be told to send
# the tasks it queues through the broker, as in production (CELERY_TASK_ALWAYS_EAGER=false).
CELERY_TASK_ALWAYS_EAGER = env.bool("CELERY_TASK_ALWAYS_EAGER", default=True)
# Each test starts with an empty, private cache (sign-in throttle counters included).
CACHES = {"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}}
