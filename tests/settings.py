"""The tests run the demo: its published keys, plain-HTTP cookies (the browser tests' live server speaks HTTP)."""

import os

os.environ.setdefault("TONGBAN_DEMO", "1")

from tongban.settings import *  # noqa: E402,F403

# Background tasks run in the process that enqueues them, right after the enqueuing transaction commits (documents
# are issued before the response returns); tests of the queue itself switch to the database backend.
TASKS = {"default": {"BACKEND": "tests.tasks_backend.TestBackend", "QUEUES": ["default"]}}
DB_TASKS = {"default": {"BACKEND": "django_tasks_db.DatabaseBackend", "QUEUES": ["default"]}}

PASSWORD_HASHERS = ["tests.hashers.QuickArgon2PasswordHasher", "django.contrib.auth.hashers.PBKDF2PasswordHasher"]
