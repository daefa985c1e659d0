"""Process-wide test environment."""

import os

# Playwright's sync API runs an event loop in the test thread; Django's ORM calls from that thread are
# safe here (one thread per test), so the async-safety guard is lifted for the test process only.
os.environ.setdefault("DJANGO_ALLOW_ASYNC_UNSAFE", "true")
