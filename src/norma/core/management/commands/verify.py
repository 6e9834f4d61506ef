from django.core.management.base import BaseCommand

from norma.core.changelog import verify_chain


def run_verify(out) -> int:
    report = verify_chain()
    if report.intact:
        out.write(f"Change log intact: {report.checked} entries verified.\n")
        return 0
    out.write(
        f"Change log BROKEN: {report.problem}. {report.checked} entries before it verified.\n"
    )
    return 1


class Command(BaseCommand):
    help = "Recompute the change log's hash chain; exit 1 naming the first broken entry."

    def handle(self, **options):
        if code := run_verify(self.stdout):
            raise SystemExit(code)
