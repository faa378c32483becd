"""`brygga demo-totp USER` — print the current TOTP code of a demo user (demo accounts only)."""

from django.contrib.auth import get_user_model
from django.core.management.base import BaseCommand, CommandError
from django_otp.oath import totp
from django_otp.plugins.otp_totp.models import TOTPDevice

from brygga.core.demo import DEMO_EMAIL_DOMAIN
from brygga.core.management.commands.demo import refuse_in_production


class Command(BaseCommand):
    help = "Print the current second-factor code of a demo user (only for demo accounts)."

    def add_arguments(self, parser):
        parser.add_argument("username")

    def handle(self, *args, username, **options):
        refuse_in_production("demo-totp")
        user = get_user_model().objects.filter(username=username).first()
        if user is None or not user.email.endswith("@" + DEMO_EMAIL_DOMAIN):
            raise CommandError(f"Ingen demoanvändare heter {username!r}.")
        device = TOTPDevice.objects.filter(user=user, confirmed=True).first()
        if device is None:
            raise CommandError(f"{username} har ingen tvåfaktorsnyckel (rollen kräver den inte).")
        code = totp(
            device.bin_key, step=device.step, t0=device.t0, digits=device.digits, drift=device.drift
        )
        self.stdout.write(f"{code:0{device.digits}d}")
