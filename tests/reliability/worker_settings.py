"""Settings of a Celery worker that must pick up, within seconds, a task whose worker died.

With the Redis transport a task taken by a worker stays "unacked" until the worker acknowledges
it (acks_late); when the whole worker is killed, the message goes back to its queue only after
the visibility timeout (an hour by default). Here it is a few seconds, swept every second.
"""

import os

from tests.settings import *  # noqa: F403

CELERY_BROKER_TRANSPORT_OPTIONS = {
    "visibility_timeout": int(os.environ.get("TEST_VISIBILITY_TIMEOUT", "3")),
    "unacked_restore_interval": 1,
    "unacked_restore_throttle": 1,
}
