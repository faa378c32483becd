"""Keys that distribute (brygga/core/tenant_keys.py) for area layers: the primary key
(municipality_id, id) and the composite foreign key from an area to its layer."""

from django.db import migrations

from brygga.core.tenant_keys import CompositeForeignKey, TenantPrimaryKey


class Migration(migrations.Migration):
    dependencies = [
        ("core", "0008_area_layers"),
    ]

    operations = [
        TenantPrimaryKey("core_arealayer"),
        CompositeForeignKey("core_area", "layer_id", "core_arealayer"),
    ]
