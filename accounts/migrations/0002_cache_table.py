"""Creates the database cache table, so that ``migrate`` alone readies a portal without Redis.

Lockout counters live in Django's cache; without REDIS_URL that is the database cache, whose
table ``createcachetable`` makes. The command is idempotent and does nothing for other caches.
"""

from django.core.management import call_command
from django.db import migrations


def create_cache_table(apps, schema_editor):
    call_command("createcachetable", database=schema_editor.connection.alias, verbosity=0)


class Migration(migrations.Migration):
    dependencies = [("accounts", "0001_initial")]

    operations = [migrations.RunPython(create_cache_table, migrations.RunPython.noop)]
