from django.core.management.base import BaseCommand, CommandError

from catalog.loader import CatalogError, load_catalog


class Command(BaseCommand):
    help = (
        "Validate the YAML catalog and load it in one transaction. With no PATH, loads fixtures/. "
        "The paths together are the whole catalog: resources missing from them are retired."
    )

    def add_arguments(self, parser):
        parser.add_argument("paths", nargs="*", metavar="PATH", help="YAML files or folders")
        parser.add_argument(
            "--prefer-yaml",
            action="store_true",
            help="take the YAML's value even for fields edited in the admin since the last load",
        )
        parser.add_argument(
            "--force",
            action="store_true",
            help="compare every row even when the files are unchanged since the last load",
        )

    def handle(self, *args, paths, prefer_yaml, force, **options):
        try:
            report = load_catalog(paths or None, prefer_yaml=prefer_yaml, force=force)
        except CatalogError as exc:
            for problem in exc.problems:
                self.stderr.write(str(problem))
            count = len(exc.problems)
            raise CommandError(
                f"catalog refused: {count} problem{'s' if count != 1 else ''}; the database was not changed"
            ) from None
        if report.skipped:
            self.stdout.write(
                self.style.SUCCESS(
                    f"{len(report.files)} file(s) unchanged since the last load, and so is the catalog: "
                    "nothing to do (--force compares every row anyway)."
                )
            )
            return
        self.stdout.write(f"Read {len(report.files)} file(s).")
        for kind, counts in report.counts.items():
            self.stdout.write(f"  {kind:<10} {counts}")
        for note in report.notes:
            self.stdout.write(self.style.WARNING(f"  note: {note}"))
        summary = str(report.total)
        if not report.changed:
            summary += " (nothing to do)"
        self.stdout.write(self.style.SUCCESS(summary))
