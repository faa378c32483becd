"""Brygga's database backend for PostgreSQL (plain or Citus): Django's, with one difference
(``brygga.core.db.base``)."""
