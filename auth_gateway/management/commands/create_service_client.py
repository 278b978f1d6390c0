"""python manage.py create_service_client NAME | --revoke NAME | --list"""

import getpass

from django.core.management.base import BaseCommand, CommandError, CommandParser

from auth_gateway.models import ServiceClient
from auth_gateway.services import ServiceClientError, create_service_client, revoke_service_client
from gfms_portal.clock import now
from gfms_portal.thaidate import format_be_datetime


class Command(BaseCommand):
    help = "Create a gateway service client (prints its key once), revoke one, or list them."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("name", nargs="?", help="name of the new client, e.g. gfms-frontend")
        parser.add_argument("--revoke", metavar="NAME", help="revoke this client's key")
        parser.add_argument("--list", action="store_true", help="list the clients")

    def handle(self, *args: object, **options: object) -> None:
        actor = f"create_service_client ({getpass.getuser()})"
        try:
            if options["list"]:
                self._list()
            elif options["revoke"]:
                revoke_service_client(str(options["revoke"]), at=now(), actor_label=actor)
                self.stdout.write(f"revoked: {options['revoke']}")
            elif options["name"]:
                client, key = create_service_client(
                    str(options["name"]), at=now(), actor_label=actor
                )
                self.stderr.write(
                    f"service client '{client.name}' created. Its key is shown this once; "
                    "store it in the GFMS front-end's secret store:"
                )
                self.stdout.write(key)
            else:
                raise CommandError("give a NAME to create, --revoke NAME or --list")
        except ServiceClientError as error:
            raise CommandError(str(error)) from None

    def _list(self) -> None:
        clients = ServiceClient.objects.order_by("name")
        if not clients:
            self.stdout.write("no service clients")
        for client in clients:
            state = (
                f"revoked {format_be_datetime(client.revoked_at, lang='en')}"
                if client.revoked_at
                else "active"
            )
            self.stdout.write(
                f"{client.name:<30} {client.key_prefix}…  {client.requests_per_minute}/min  {state}"
            )
