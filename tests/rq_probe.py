"""A task for the RQ test: records each run in a Redis list (the workers are other processes)."""

import os

from django_tasks import task


@task()
def probe(n: int, key: str) -> int:
    import redis

    redis.Redis.from_url(os.environ.get("REDIS_URL", "redis://127.0.0.1:6379/0")).rpush(key, f"{n}:{os.getpid()}")
    return n
