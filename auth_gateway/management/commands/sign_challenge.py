"""python manage.py sign_challenge --serial DEMO-… --challenge B64

Signs a gateway challenge with a demo Token Key's private key (derived from its serial; see
tokens.demo), so people can try the token_key flow without hardware.
"""

import base64
import binascii

from django.core.management.base import BaseCommand, CommandError, CommandParser

from tokens.demo import sign_with_demo_key


class Command(BaseCommand):
    help = "Sign a Token Key challenge with a demo device key (demo serials only)."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--serial", required=True)
        parser.add_argument("--challenge", required=True, help="base64, as the gateway gave it")

    def handle(self, *args: object, **options: object) -> None:
        try:
            challenge = base64.b64decode(str(options["challenge"]), validate=True)
        except (binascii.Error, ValueError):
            raise CommandError(
                "--challenge must be base64, as /api/v1/auth/challenge returns it"
            ) from None
        try:
            self.stdout.write(sign_with_demo_key(str(options["serial"]), challenge))
        except ValueError as error:
            raise CommandError(str(error)) from None
