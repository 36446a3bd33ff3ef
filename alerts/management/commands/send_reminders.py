"""``python manage.py send_reminders [--date YYYY-MM-DD]``: the daily reminders and digests."""

import datetime

from django.core.management.base import BaseCommand, CommandError

from alerts.reminders import reminders_send


def _day(value: str) -> datetime.date:
    try:
        return datetime.date.fromisoformat(value)
    except ValueError as exc:
        raise CommandError(f"--date: give a date as YYYY-MM-DD, not {value!r}.") from exc


class Command(BaseCommand):
    help = (
        "Send the reminders of a day (deadlines coming and due, overdue changes of control "
        "escalated, daily digests). Each is sent once: running it again sends nothing twice."
    )

    def add_arguments(self, parser) -> None:
        parser.add_argument(
            "--date",
            help="The day to send them for, as YYYY-MM-DD (default: today), e.g. to try the "
            "reminders of a coming deadline.",
        )

    def handle(self, *args, **options) -> None:
        day = _day(options["date"]) if options["date"] else None
        run = reminders_send(day=day)
        self.stdout.write(str(run))
