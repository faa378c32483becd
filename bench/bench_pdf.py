"""Time and size of the demo lägesbild as PDF (issue #15's "PDF time and size").

In a fresh SQLite database the script loads the demo (``brygga demo --no-serve``: Sundsvall
with its areas, 18 months of partners' reports, two years of police events, the survey), then
writes the lägesbild of the last twelve whole months with ``brygga report lagesbild`` three
times in one process and reports, per run, the time to compute the figures (the snapshot),
the time to render the PDF (WeasyPrint) and the PDF's pages and bytes; the first run is
cold. The same for the public audience (counts under 5 hidden).

Usage::

    python bench/bench_pdf.py            # writes bench/results/pdf.json and the PDF section
                                         # of bench/README.md
"""

from __future__ import annotations

import datetime as dt
import json
import os
import re
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
RESULTS = ROOT / "bench" / "results"
README = ROOT / "bench" / "README.md"
RUNS = 3


def _env(db: Path) -> dict:
    env = dict(os.environ, DATABASE_URL=f"sqlite:///{db}")
    env["DJANGO_SETTINGS_MODULE"] = "brygga.config.settings.base"
    return env


def child(db: str, start: str, end: str) -> None:
    os.environ.update(_env(Path(db)))
    import django

    django.setup()
    import pypdfium2 as pdfium

    from brygga.audit.context import acting_as
    from brygga.core.models import Municipality
    from brygga.situation import pdf
    from brygga.situation.management.commands.report import (
        ACTOR,
        default_layer,
        period_param,
    )
    from brygga.situation.models import SituationReport
    from brygga.situation.snapshot import build_snapshot

    municipality = Municipality.objects.get(code="2281")
    layer = default_layer(municipality)
    first, last = dt.date.fromisoformat(start), dt.date.fromisoformat(end)
    out = {}
    for audience in ("partners", "public"):
        runs = []
        for _ in range(RUNS):
            report = SituationReport(
                municipality=municipality,
                title="Lägesbild",
                period_start=first,
                period_end=last,
                scope={"period": period_param(first, last), "lager": str(layer.pk)},
                audience=audience,
            )
            with acting_as(ACTOR):
                t0 = time.perf_counter()
                snapshot = build_snapshot(ACTOR, report)
                t1 = time.perf_counter()
                data = pdf.render_pdf(snapshot, report=report)
                t2 = time.perf_counter()
            pages = len(pdfium.PdfDocument(data))
            runs.append(
                {"snapshot_s": t1 - t0, "render_s": t2 - t1, "pages": pages, "bytes": len(data)}
            )
        out[audience] = runs
    print(json.dumps(out))


def main() -> None:
    today = dt.date.today()
    end = today.replace(day=1) - dt.timedelta(days=1)
    year, month = end.year, end.month - 11  # the last twelve whole months
    start = dt.date(year - 1, month + 12, 1) if month <= 0 else dt.date(year, month, 1)
    with tempfile.TemporaryDirectory(prefix="brygga-bench-pdf-") as tmp:
        db = Path(tmp) / "demo.sqlite3"
        brygga = [sys.executable, "-m", "brygga.manage"]
        t0 = time.perf_counter()
        subprocess.run([*brygga, "migrate", "-v", "0"], env=_env(db), check=True, cwd=ROOT)
        subprocess.run(
            [*brygga, "demo", "--no-serve"],
            env=_env(db),
            check=True,
            cwd=ROOT,
            stdout=subprocess.DEVNULL,
        )
        setup = time.perf_counter() - t0
        done = subprocess.run(
            [sys.executable, __file__, "--child", str(db), start.isoformat(), end.isoformat()],
            env=_env(db),
            check=True,
            capture_output=True,
            text=True,
            cwd=ROOT,
        )
    result = json.loads(done.stdout.strip().splitlines()[-1])
    result["period"] = [start.isoformat(), end.isoformat()]
    result["demo_setup_s"] = setup
    result["measured"] = dt.datetime.now(dt.UTC).strftime("%Y-%m-%d %H:%M UTC")
    result["load"] = list(os.getloadavg())
    RESULTS.mkdir(exist_ok=True)
    (RESULTS / "pdf.json").write_text(json.dumps(result, indent=2) + "\n")
    _readme(result)
    print(_table(result))


def _table(r: dict) -> str:
    lines = [
        f"Measured {r['measured']} (load average at start "
        f"{', '.join(f'{x:.1f}' for x in r['load'])}); the demo lägesbild of "
        f"{r['period'][0]} – {r['period'][1]} broken down by the demo's areas, {RUNS} runs in "
        "one process (the first cold), `build_snapshot` then `pdf.render_pdf`.",
        "",
        "| Audience | Figures (snapshot) cold / median warm | PDF rendering cold / median warm "
        "| Pages | Size |",
        "| --- | --- | --- | --- | --- |",
    ]
    for audience, runs in (("partners", r["partners"]), ("public", r["public"])):
        warm = runs[1:] or runs
        lines.append(
            f"| {audience} | {runs[0]['snapshot_s']:.2f} s / "
            f"{statistics.median(x['snapshot_s'] for x in warm):.2f} s | "
            f"{runs[0]['render_s']:.2f} s / "
            f"{statistics.median(x['render_s'] for x in warm):.2f} s | {runs[-1]['pages']} | "
            f"{runs[-1]['bytes'] / 1024:.0f} KiB |"
        )
    return "\n".join(lines) + "\n"


def _readme(r: dict) -> None:
    text = README.read_text()
    block = f"<!-- PDF:START -->\n\n{_table(r)}\n<!-- PDF:END -->"
    if "<!-- PDF:START -->" in text:
        text = re.sub(r"<!-- PDF:START -->.*?<!-- PDF:END -->", lambda _m: block, text, flags=re.S)
    else:
        text = text.replace(
            "| PDF of the demo lägesbild | time | size |\n| --- | --- | --- |\n"
            "| PDF: measured by the lead | — | — |\n",
            "**PDF of the demo lägesbild** (`python bench/bench_pdf.py`)\n\n" + block + "\n",
        )
    README.write_text(text)


if __name__ == "__main__":
    if len(sys.argv) > 1 and sys.argv[1] == "--child":
        child(*sys.argv[2:5])
    else:
        main()
