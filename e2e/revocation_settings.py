"""The demo's settings with the embed revocation window the test gives, for e2e/test_embed_revocation.py."""

import os

from dashboard.settings import *  # noqa: F403

WIDGETS_EMBED_REVOCATION_SECONDS = float(os.environ["WIDGETS_EMBED_REVOCATION_SECONDS"])
