"""Keys that distribute, second half for the survey tables (PostgreSQL only; nothing to do on
SQLite): the primary key (municipality_id, id) and composite foreign keys to the other tenant
tables (brygga/core/tenant_keys.py)."""

from django.db import migrations

from brygga.core.tenant_keys import CompositeForeignKey, TenantPrimaryKey


class Migration(migrations.Migration):
    dependencies = [
        ("core", "0009_area_layer_keys"),
        ("surveys", "0001_initial"),
    ]

    operations = [
        TenantPrimaryKey("surveys_surveywave"),
        TenantPrimaryKey("surveys_surveyquestion"),
        TenantPrimaryKey("surveys_surveyindex"),
        TenantPrimaryKey("surveys_surveyimport"),
        TenantPrimaryKey("surveys_surveyresponse"),
        TenantPrimaryKey("surveys_postcodearea"),
        CompositeForeignKey("surveys_surveywave", "layer_id", "core_arealayer"),
        CompositeForeignKey("surveys_surveyquestion", "wave_id", "surveys_surveywave"),
        CompositeForeignKey("surveys_surveyindex", "wave_id", "surveys_surveywave"),
        CompositeForeignKey("surveys_surveyimport", "wave_id", "surveys_surveywave"),
        CompositeForeignKey("surveys_surveyresponse", "wave_id", "surveys_surveywave"),
        CompositeForeignKey("surveys_surveyresponse", "area_id", "core_area"),
        CompositeForeignKey("surveys_postcodearea", "area_id", "core_area"),
        CompositeForeignKey("surveys_postcodearea", "layer_id", "core_arealayer"),
    ]
