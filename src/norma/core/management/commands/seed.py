import time
from pathlib import Path

from django.conf import settings
from django.core.management.base import BaseCommand

from norma.core.seeding import SCALES, seed_scale


class Command(BaseCommand):
    help = "Build a deterministic synthetic organisation for benchmarks."

    def add_arguments(self, parser):
        parser.add_argument("--scale", choices=list(SCALES), default="small")
        parser.add_argument("--seed", type=int, default=1)

    def handle(self, scale, seed, **options):
        started = time.monotonic()
        counts = seed_scale(scale, seed, progress=self.stdout.write)
        for name, count in counts.items():
            self.stdout.write(f"{name}: {count}")
        self.stdout.write(f"Seeded scale '{scale}' in {time.monotonic() - started:.1f} s.")
        database = settings.DATABASES["default"]
        if database["ENGINE"].endswith("sqlite3") and Path(str(database["NAME"])).is_file():
            size = Path(database["NAME"]).stat().st_size / 2**20
            self.stdout.write(f"Database file: {database['NAME']} ({size:.1f} MB)")
