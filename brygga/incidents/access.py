"""Registers the incidents rules with the one resolver (brygga.core.access)."""

from brygga.core.access import register_incident_rules

register_incident_rules()
