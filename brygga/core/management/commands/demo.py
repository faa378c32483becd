"""`brygga demo [--no-serve]` — load the demo municipality (idempotent) and serve it."""

from django.conf import settings
from django.core.management import call_command
from django.core.management.base import BaseCommand, CommandError
from rich.console import Console
from rich.table import Table

from brygga.core.demo import load_demo
from brygga.core.hooks import app_hooks

PRODUCTION_REFUSAL = (
    "brygga {command} vägrar köra med produktionsinställningarna "
    "(DJANGO_SETTINGS_MODULE={module}): demon skapar konton med ett publicerat lösenord och "
    "kända tvåfaktorsnycklar. Kör demon i en utvecklingsmiljö med en egen databas, t.ex. med "
    "DJANGO_SETTINGS_MODULE=brygga.config.settings.base och en egen BRYGGA_VAR_DIR."
)


def refuse_in_production(command: str) -> None:
    """Stop a demo command under the production settings, before it touches the database."""
    if getattr(settings, "BRYGGA_PRODUCTION", False):
        raise CommandError(
            PRODUCTION_REFUSAL.format(command=command, module=settings.SETTINGS_MODULE)
        )


class Command(BaseCommand):
    help = "Load the demo municipality Sundsvall (idempotent) and serve it on 127.0.0.1:8000."

    def add_arguments(self, parser):
        parser.add_argument(
            "--no-serve",
            action="store_true",
            help="Only load the data; do not start the web server.",
        )
        parser.add_argument("--addrport", default="127.0.0.1:8000")

    def handle(self, *args, **options):
        refuse_in_production("demo")
        console = Console(file=self.stdout._out, highlight=False, width=140)
        call_command("migrate", interactive=False, verbosity=0)
        with console.status("Laddar demokommunen Sundsvall …"):
            summary = load_demo()
        # each app's demo data, in INSTALLED_APPS order (AppConfig.load_demo, core.hooks)
        app_lines = [
            line for hook in app_hooks("load_demo") for line in hook(status=console.status)
        ]
        m = summary["municipality"]
        console.print(
            f"[bold]Demokommun:[/] {m.name} ({m.code}) – {summary['areas']} områden, "
            f"{summary['organisations']} organisationer, {summary['forums']} forum."
        )
        for line in app_lines:
            console.print(line)
        table = Table(title="Demoinloggningar (fiktiva personer)")
        for col in ("Användarnamn", "Roll", "Organisation", "TOTP-nyckel (base32)"):
            table.add_column(col, overflow="fold")
        for login in summary["logins"]:
            table.add_row(
                login["username"], login["role"], login["organisation"], login["totp_secret"] or "–"
            )
        console.print(table)
        console.print(f"Lösenord för alla demoanvändare: [bold]{summary['password']}[/]")
        console.print(
            "Roller med tvåfaktorsinloggning: lägg TOTP-nyckeln i en autentiseringsapp, "
            "eller visa aktuell kod med [bold]brygga demo-totp ANVÄNDARNAMN[/]."
        )
        if not options["no_serve"]:
            console.print(f"Startar Brygga på http://{options['addrport']}/ (avsluta med Ctrl+C)")
            call_command("runserver", options["addrport"], use_reloader=False)
