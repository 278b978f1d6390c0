"""python manage.py set_schedule [--opens D] [--closes D] [--soft-token-only-from D]
[--return-due D] [--show]

Dates are YYYY-MM-DD with a CE or Buddhist-era year (2568-04-11 = 2025-04-11). What it prints
is in the portal's language (Thai) with Buddhist-era dates, like every page.
"""

import datetime as dt
import getpass

from django.core.exceptions import ValidationError
from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.utils.translation import gettext as _

from gfms_portal.clock import now
from gfms_portal.thaidate import format_be_date, parse_date
from schedule.models import Schedule
from schedule.policy import FIELD_LABELS
from schedule.services import SCHEDULE_FIELDS, change_schedule


class Command(BaseCommand):
    help = "Show or change the migration schedule (CE or Buddhist-era years accepted)."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--opens", help="first day of registration")
        parser.add_argument("--closes", help="last day of registration (inclusive)")
        parser.add_argument("--soft-token-only-from", help="first day of soft-token-only logins")
        parser.add_argument("--return-due", help="last day to return Token Keys (inclusive)")
        parser.add_argument("--show", action="store_true", help="print the current schedule")

    def handle(self, *args: object, **options: object) -> None:
        changes: dict[str, dt.date] = {}
        for name in SCHEDULE_FIELDS:
            text = options.get(name)
            if text:
                try:
                    changes[name] = parse_date(str(text))
                except ValueError as error:
                    flag = "--" + name.replace("_", "-")
                    raise CommandError(f"{flag}: {error}") from None
        if changes:
            at = now()
            try:
                _schedule, changed = change_schedule(
                    at=at,
                    actor_label=f"set_schedule ({getpass.getuser()})",
                    opens=changes.get("opens"),
                    closes=changes.get("closes"),
                    soft_token_only_from=changes.get("soft_token_only_from"),
                    return_due=changes.get("return_due"),
                )
            except ValidationError as error:
                lines = [
                    f"--{name.replace('_', '-')}: {'; '.join(messages)}"
                    for name, messages in error.message_dict.items()
                ]
                raise CommandError(
                    _("Schedule not changed:") + "\n  " + "\n  ".join(lines)
                ) from None
            self.stdout.write(_("Schedule changed.") if changed else _("Schedule unchanged."))
        elif not options["show"]:
            raise CommandError(
                _(
                    "Nothing to do: give --show or at least one of --opens, --closes, "
                    "--soft-token-only-from, --return-due."
                )
            )
        self._show()

    def _show(self) -> None:
        schedule = Schedule.load()
        dates = schedule.dates
        phase = schedule.phase_at(now())
        rows = [
            (str(label), format_be_date(getattr(dates, name)))
            for name, label in FIELD_LABELS.items()
        ]
        rows.append((_("phase now"), f"{phase.label} ({phase.value})"))
        width = max(len(label) for label, _value in rows)
        for label, value in rows:
            self.stdout.write(f"{label:<{width}}  {value}")
        if schedule.is_demo:
            self.stdout.write(_("(demo schedule: shifted by seed_demo)"))
