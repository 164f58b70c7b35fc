"""Settings for the test suite: the real settings, with cheap hashing and uploads in a temp folder."""

import os
import tempfile

os.environ.setdefault("JIESU_DEMO", "1")
os.environ.setdefault("JIESU_FAST_PASSWORD_HASHER", "1")

from jiesu.settings import *  # noqa: E402,F403

MEDIA_ROOT = tempfile.mkdtemp(prefix="jiesu-test-media-")
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"},
}
