"""The database cache table(s) named in CACHES (the default cache is ``brygga_cache``).

Django creates a database cache's table with ``createcachetable``, not with a migration; running
it here means ``brygga migrate`` is the only install and upgrade step. It skips tables that
exist and caches that are not database caches, so it is safe on every database. A cache table
named later (a changed CACHE_URL) needs ``brygga createcachetable``.
"""

from django.core.management import call_command
from django.db import migrations


def create_cache_tables(apps, schema_editor):
    call_command("createcachetable", database=schema_editor.connection.alias, verbosity=0)


class Migration(migrations.Migration):
    dependencies = [("core", "0002_reference_geography")]

    operations = [
        migrations.RunPython(create_cache_tables, migrations.RunPython.noop, elidable=False)
    ]
