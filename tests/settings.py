"""The tests run the demo: its published keys, plain-HTTP cookies (the browser tests' live server speaks HTTP)."""

import os

os.environ.setdefault("TONGBAN_DEMO", "1")

from tongban.settings import *  # noqa: E402,F403
