"""Email each organizer who opted in a weekly digest of their group: who is behind, and who
finished a milestone this past week. Safe to run twice: a week's digest is sent once.

Run it weekly, for example from cron on Monday at 07:00:

    0 7 * * 1  cd /srv/mlpath && .venv/bin/python manage.py send_digests
"""

from datetime import date, timedelta

from django.conf import settings
from django.core.mail import send_mail
from django.core.management.base import BaseCommand, CommandError
from django.db import IntegrityError, transaction
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import timezone

from mlpath.groups import dashboard
from mlpath.groups.models import DigestSent, Membership, StudyGroup
from mlpath.groups.summary import group_summary
from mlpath.progress.activity import week_of


class Command(BaseCommand):
    help = "Email the weekly digest to every organizer who asked for it (once per week)."

    def add_arguments(self, parser):
        parser.add_argument(
            "--today",
            help="The day to write the digest as of, YYYY-MM-DD (default: today). "
            "The digest covers the seven days up to it.",
        )
        parser.add_argument(
            "--base-url",
            default=getattr(settings, "SITE_URL", "") or "http://127.0.0.1:8000",
            help="The site's address, for the links in the email.",
        )

    def handle(self, *args, today=None, base_url="", **options):
        try:
            today = date.fromisoformat(today) if today else timezone.localdate()
        except ValueError as error:
            raise CommandError(f"--today must be a date such as 2027-01-04: {error}") from None
        week = week_of(today)
        sent = skipped = no_email = 0
        wanted = (
            Membership.objects.organizers()
            .filter(digest=True)
            .select_related("group", "user")
            .order_by("group_id", "user_id")
        )
        by_group: dict[int, list[Membership]] = {}
        for membership in wanted:
            by_group.setdefault(membership.group_id, []).append(membership)
        already = set(
            DigestSent.objects.filter(week=week, group_id__in=by_group).values_list("group_id", "user_id")
        )
        for memberships in by_group.values():
            group = memberships[0].group
            waiting = [m for m in memberships if (m.group_id, m.user_id) not in already]
            skipped += len(memberships) - len(waiting)
            if not waiting:
                continue
            body = self.digest(group, today, base_url.rstrip("/"))
            for membership in waiting:
                if not membership.user.email:
                    no_email += 1
                    continue
                if self.send(group, membership.user, week, body):
                    sent += 1
                else:
                    skipped += 1
        self.stdout.write(
            f"Sent {sent} digest{'s' if sent != 1 else ''} for the week of {week:%d %b %Y}; "
            f"{skipped} already sent; "
            f"{no_email} organizer{'s' if no_email != 1 else ''} without an email address."
        )

    def digest(self, group: StudyGroup, today: date, base_url: str) -> tuple[str, str]:
        summary = group_summary(group, today)
        milestones = [(m.title, m.due, m.units) for m in summary.milestones]
        behind, finished = dashboard.behind_and_finished(
            summary.rows, milestones, since=today - timedelta(days=6), until=today
        )
        context = {
            "group": group,
            "today": today,
            "behind": behind,
            "finished": finished,
            "next_milestone": summary.next_milestone,
            "member_count": len(summary.rows),
            "dashboard_url": base_url + reverse("groups:dashboard", args=[group.slug]),
            "settings_url": base_url + group.get_absolute_url(),
        }
        subject = f"{group.name}: the week to {today:%d %b}"
        return subject, render_to_string("groups/digest.txt", context)

    def send(self, group, user, week, message: tuple[str, str]) -> bool:
        """Record and send in one transaction: a failed send records nothing (the next run
        tries again), and a second run, even a concurrent one, finds the record and stops."""
        subject, body = message
        try:
            with transaction.atomic():
                _row, created = DigestSent.objects.get_or_create(group=group, user=user, week=week)
                if not created:
                    return False
                send_mail(subject, body, None, [user.email])
        except IntegrityError:  # another run recorded it between our read and our write
            return False
        return True
