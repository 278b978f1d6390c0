"""python manage.py bootstrap_admin USER_ID [--create --name-th NAME --email E]

The very first central administrator has nobody to proof their identity: this prints a
one-time registration link, valid 30 minutes, that stands in for the citizen ID and e-mail code.
The account's password is still needed to open it, and the soft token is bound with the usual
QR step and recovery codes. Refused once a central administrator has a soft token.
With --create the account is made first (the password is asked for, never an argument).
"""

import datetime as dt
import getpass
import os
from urllib.parse import urljoin

from django.conf import settings
from django.contrib.auth.password_validation import validate_password
from django.core.exceptions import ValidationError
from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.db import transaction
from django.urls import reverse

from agencies.models import Officer
from agencies.policy import Role
from audit.services import record_event
from gfms_portal.clock import now
from registration.services import BOOTSTRAP_LINK_LIFETIME, RegistrationError, issue_bootstrap_link

ACTOR = "bootstrap_admin"


class Command(BaseCommand):
    help = "Print a one-time registration link for the very first central administrator."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("username", help="GFMS user id of the central administrator")
        parser.add_argument("--create", action="store_true", help="create the account first")
        parser.add_argument("--name-th", default="", help="Thai name (with --create)")
        parser.add_argument("--email", default="", help="official e-mail (with --create)")

    def handle(self, *args: object, **options: object) -> None:
        username = str(options["username"])
        at = now()
        officer = Officer.objects.by_username(username).first()
        if options["create"]:
            if officer is not None:
                raise CommandError(f"'{username}' already exists; leave out --create")
            officer = self._create(username, str(options["name_th"]), str(options["email"]), at)
        elif officer is None:
            raise CommandError(f"no account '{username}' (use --create to make it)")
        try:
            token = issue_bootstrap_link(officer, at=at, actor_label=ACTOR)
        except RegistrationError as error:
            raise CommandError(error.message) from None
        link = urljoin(settings.GFMS_PORTAL_URL, reverse("register_bootstrap", args=[token]))
        minutes = int(BOOTSTRAP_LINK_LIFETIME.total_seconds() // 60)
        self.stdout.write(
            f"Registration link for {officer.username}, valid {minutes} minutes, once:\n{link}\n"
            "Open it, sign in with the account's password, and scan the QR code."
        )

    def _create(self, username: str, name_th: str, email: str, at: dt.datetime) -> Officer:
        if not name_th or not email:
            raise CommandError("--create needs --name-th and --email")
        password = os.environ.get("GFMS_BOOTSTRAP_PASSWORD") or getpass.getpass("Password: ")
        officer = Officer(username=username, name_th=name_th, email=email, role=Role.CENTRAL_ADMIN)
        try:
            validate_password(password, officer)
            officer.set_password(password)
            officer.full_clean(exclude=["password"])
        except ValidationError as error:
            raise CommandError("; ".join(error.messages)) from None
        with transaction.atomic():
            officer.save()
            record_event(
                "officer.created_by_admin", at=at, actor_label=ACTOR, officer=officer, data={}
            )
        return officer
