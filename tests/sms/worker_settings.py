"""Settings of a Celery worker that must pick up, within seconds, a task whose worker died.

With Redis a task taken by a worker stays "unacked" until the worker acknowledges it; when the
worker is killed, the message is restored to its queue after the visibility timeout (an hour
by default). Here it is a few seconds, checked every second.

It restores the unacked tasks of its whole Redis database (kombu keeps them per database): the
run's own (REDIS_URL, tests/redis_databases.py), where no other worker of the run is at work
while it runs (each test stops its workers); another run on the machine, given a database of
its own, is out of its reach.
"""

import os

from tests.settings import *  # noqa: F403

CELERY_BROKER_TRANSPORT_OPTIONS = {
    "visibility_timeout": int(os.environ.get("TEST_VISIBILITY_TIMEOUT", "4")),
    "unacked_restore_interval": 1,
    "unacked_restore_throttle": 1,
}
