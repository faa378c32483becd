"""Django's PostgreSQL backend for tables whose database key is ``(municipality_id, id)``
(``brygga.core.tenant_keys``).

Django groups a query by the primary key alone when it can (``GROUP BY t.id``), relying on
PostgreSQL accepting the table's other columns as functionally dependent on its key. ``id`` is
no longer the key of a tenant table in the database, so PostgreSQL refuses that; here Django
groups by every selected column, as it does on the databases without the feature. Selected in
settings for every ``postgres://`` ``DATABASE_URL``."""

from django.db.backends.postgresql import base, features


class DatabaseFeatures(features.DatabaseFeatures):
    allows_group_by_selected_pks = False


class DatabaseWrapper(base.DatabaseWrapper):
    features_class = DatabaseFeatures
