"""Settings for the test suite: the real settings, with cheap hashing and uploads in a temp folder."""

import os
import tempfile

os.environ.setdefault("JIESU_DEMO", "1")
os.environ.setdefault("JIESU_FAST_PASSWORD_HASHER", "1")

from jiesu.settings import *  # noqa: E402,F403

MEDIA_ROOT = tempfile.mkdtemp(prefix="jiesu-test-media-")

# Each test rolls its data back: check the in-memory caches' stamps on every read (the query-count tests set
# the production interval).
JIESU_STAMP_RECHECK_SECONDS = 0

if os.environ.get("JIESU_TEST_NOW"):
    # With the suite's clock pinned in the past, a dated session cookie would already have expired for the
    # browser (which keeps the real clock); a cookie without an expiry is kept until the browser closes.
    SESSION_EXPIRE_AT_BROWSER_CLOSE = True

# Messages the tests send go to a file of their own (the demo's outbox is var/sms-outbox.jsonl).
JIESU_SMS_BACKEND = "file"
JIESU_SMS_FILE = os.path.join(tempfile.mkdtemp(prefix="jiesu-test-sms-"), "sms.jsonl")
