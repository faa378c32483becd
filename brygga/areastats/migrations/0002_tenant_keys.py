"""Keys that distribute, second half for the area statistics tables (PostgreSQL only; nothing
to do on SQLite): the primary key (municipality_id, id) and composite foreign keys to the other
tenant tables (brygga/core/tenant_keys.py)."""

from django.db import migrations

from brygga.core.tenant_keys import CompositeForeignKey, TenantPrimaryKey


class Migration(migrations.Migration):
    dependencies = [
        ("core", "0009_area_layer_keys"),
        ("areastats", "0001_initial"),
    ]

    operations = [
        TenantPrimaryKey("areastats_statimport"),
        TenantPrimaryKey("areastats_statvalue"),
        TenantPrimaryKey("areastats_statfeed"),
        CompositeForeignKey("areastats_statvalue", "area_id", "core_area"),
        CompositeForeignKey("areastats_statvalue", "imported_by_id", "areastats_statimport"),
    ]
