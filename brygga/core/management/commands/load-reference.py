"""`brygga load-reference` — (re)load counties, municipalities and population (idempotent)."""

from django.core.management.base import BaseCommand
from django.db import transaction

from brygga.core.models import County, Municipality
from brygga.core.reference import load_reference_geography


class Command(BaseCommand):
    help = "Load or refresh the shipped Swedish reference geography (idempotent)."

    def handle(self, *args, **options):
        with transaction.atomic():
            counties, municipalities = load_reference_geography(County, Municipality)
        self.stdout.write(f"{counties} län och {municipalities} kommuner inlästa.")
