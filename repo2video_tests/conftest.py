"""Settings for the whole test session, in place before any test module imports the product."""

import os

# Retried steps wait REPO2VIDEO_RETRY_DELAY_S between attempts (read when the assets are
# imported; 2 s by default): tests of transient faults need the retries, not the sleep.
os.environ.setdefault("REPO2VIDEO_RETRY_DELAY_S", "0.05")
