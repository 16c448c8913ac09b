"""Argon2 with the smallest cost for the tests: every factory user and login hashes a password, and the production
cost (about 0.1 s each) made up seconds of every test. Same algorithm and format; only the cost differs."""

from django.contrib.auth.hashers import Argon2PasswordHasher


class QuickArgon2PasswordHasher(Argon2PasswordHasher):
    time_cost = 1
    memory_cost = 64
    parallelism = 1
