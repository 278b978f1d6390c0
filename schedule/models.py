"""The migration schedule: one row, the four dates of the circular as an administrator set them."""

import datetime as dt

from django.db import models
from django.utils.translation import gettext_lazy as _

from gfms_portal.clock import bangkok_date, bangkok_midnight
from schedule.policy import CIRCULAR_SCHEDULE, MigrationSchedule, Phase, phase_at


class Schedule(models.Model):
    """The migration schedule: one row (pk=1), changed only through
    schedule.services.change_schedule, which audits every change.

    Each date is stored as the aware datetime of its first instant in Asia/Bangkok.
    """

    SINGLETON_PK = 1

    opens = models.DateTimeField(_("registration opens"))
    closes = models.DateTimeField(_("registration closes (inclusive)"))
    soft_token_only_from = models.DateTimeField(_("soft token only from"))
    return_due = models.DateTimeField(_("Token Key return due (inclusive)"))
    is_demo = models.BooleanField(
        _("demo schedule"),
        default=False,
        help_text=_("Set by seed_demo: the dates were shifted so that today is in the window."),
    )
    updated_at = models.DateTimeField(_("last changed"), null=True, blank=True)

    class Meta:
        db_table = "registration_schedule"  # the table predates the schedule app
        verbose_name = _("migration schedule")
        verbose_name_plural = _("migration schedule")

    def __str__(self) -> str:
        return str(_("Migration schedule"))

    @classmethod
    def load(cls) -> "Schedule":
        """The schedule row; the circular's dates until someone changes them."""
        schedule, _created = cls.objects.get_or_create(
            pk=cls.SINGLETON_PK,
            defaults={
                name: bangkok_midnight(getattr(CIRCULAR_SCHEDULE, name))
                for name in ("opens", "closes", "soft_token_only_from", "return_due")
            },
        )
        return schedule

    @property
    def dates(self) -> MigrationSchedule:
        return MigrationSchedule(
            opens=bangkok_date(self.opens),
            closes=bangkok_date(self.closes),
            soft_token_only_from=bangkok_date(self.soft_token_only_from),
            return_due=bangkok_date(self.return_due),
        )

    def phase_at(self, moment: dt.datetime) -> Phase:
        return phase_at(moment, self.dates)
