import base64
import binascii
import ipaddress
import re
import uuid
from typing import Any

from django.utils.translation import gettext_lazy as _
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import PolymorphicProxySerializer, extend_schema_field
from rest_framework import serializers

from auth_gateway.policy import Decision, Method, Reason
from gfms_portal.digits import ascii_digits
from schedule.policy import Phase

SERIAL_REGEX = r"^[A-Za-z0-9][A-Za-z0-9-]{2,63}$"
_ASCII_DIGITS = frozenset("0123456789")


class StrictCharField(serializers.CharField):
    """A string, and only a string: DRF's CharField would turn 123 or true into "123" or
    "True", which a login API should refuse instead of guessing."""

    default_error_messages = {"invalid": _("Must be a string.")}

    def to_internal_value(self, data: object) -> str:
        if not isinstance(data, str):
            self.fail("invalid")
        return super().to_internal_value(data)


class StrictRegexField(StrictCharField, serializers.RegexField):
    pass


class StrictUUIDField(serializers.UUIDField):
    """A UUID written as a JSON string: DRF's UUIDField also takes an integer (12345, or
    false, which is 0) as the UUID's 128-bit value."""

    default_error_messages = {"not_a_string": _("Must be a string.")}

    def to_internal_value(self, data: object) -> uuid.UUID:
        if not isinstance(data, str):
            self.fail("not_a_string")
        return super().to_internal_value(data)


class StrictChoiceField(serializers.ChoiceField):
    """One of the choices, as a JSON string: ChoiceField compares str(data), so a choice
    named "1" or "True" would also match 1 or true."""

    default_error_messages = {"not_a_string": _("Must be a string.")}

    def to_internal_value(self, data: object) -> str:
        if not isinstance(data, str):
            self.fail("not_a_string")
        return super().to_internal_value(data)


# Six digits, ASCII or Thai (๐–๙), with spaces or dashes between them ignored: what an officer
# types from an authenticator app that shows "123 456" (the portal's code fields take the same).
OTP_PATTERN = r"^[ -]*(?:[0-9๐-๙][ -]*){6}$"


@extend_schema_field({"type": "string", "pattern": OTP_PATTERN, "example": "123456"})
class OneTimeCodeField(StrictCharField):
    """The code as typed, to its six ASCII digits: "๑๒๓ ๔๕๖" and "123-456" are "123456"."""

    default_error_messages = {"code": _("The one-time code is 6 digits.")}

    def to_internal_value(self, data: object) -> str:
        typed = super().to_internal_value(data)
        if not re.fullmatch(OTP_PATTERN, typed):
            self.fail("code")
        return ascii_digits(typed).replace(" ", "").replace("-", "")


@extend_schema_field(OpenApiTypes.BYTE)
class Base64Field(StrictCharField):
    """Standard base64 (RFC 4648 §4), decoded to bytes."""

    def to_internal_value(self, data: object) -> bytes:  # type: ignore[override]  # text in, decoded to bytes
        text = super().to_internal_value(data)
        try:
            return base64.b64decode(text, validate=True)
        except (binascii.Error, ValueError):
            raise serializers.ValidationError(_("The signature must be base64.")) from None


@extend_schema_field({"type": "string", "anyOf": [{"format": "ipv4"}, {"format": "ipv6"}]})
class StrictIPAddressField(serializers.IPAddressField):
    def to_internal_value(self, data: object) -> str:
        if not isinstance(data, str):
            self.fail("invalid")
        return super().to_internal_value(data)


class CheckRequestSerializer(serializers.Serializer):
    # Not trimmed here: "\x1c" would trim to a blank and a 400; the service strips user ids.
    username = StrictCharField(max_length=150, trim_whitespace=False, help_text="GFMS user id")
    password = StrictCharField(max_length=1024, trim_whitespace=False)
    method = StrictChoiceField(choices=Method.choices)
    otp = OneTimeCodeField(
        required=False,
        trim_whitespace=False,
        help_text="6-digit code from the authenticator app (method soft_token)",
    )
    challenge_id = StrictUUIDField(
        required=False, help_text="from /api/v1/auth/challenge (method token_key)"
    )
    signature = Base64Field(
        required=False,
        max_length=4096,
        help_text="base64 signature over the challenge bytes (method token_key)",
    )
    client_ip = StrictIPAddressField(required=False, allow_null=True)
    request_id = StrictCharField(required=False, max_length=100, allow_blank=True)

    def validate(self, attrs: dict[str, Any]) -> dict[str, Any]:
        method = attrs["method"]
        if method == Method.SOFT_TOKEN and not attrs.get("otp"):
            raise serializers.ValidationError({"otp": _("Required for method soft_token.")})
        if method == Method.TOKEN_KEY:
            missing = {
                name: _("Required for method token_key.")
                for name in ("challenge_id", "signature")
                if not attrs.get(name)
            }
            if missing:
                raise serializers.ValidationError(missing)
        return attrs


# The common check — a well-formed soft-token login — without building a serializer: DRF
# deep-copies every declared field on each instantiation, which was a seventh of the check's
# CPU. `plain_soft_token_check` accepts only bodies that CheckRequestSerializer accepts, with
# the same validated values (tests/auth_gateway/test_plain_check.py holds it to that on
# generated bodies); anything else — another method, a missing or malformed field, an IPv6
# address, a key it does not know — goes through the serializer, which gives the errors.
_PLAIN_KEYS = frozenset({"username", "password", "method", "otp", "client_ip", "request_id"})


def plain_soft_token_check(data: object) -> dict[str, Any] | None:
    """The validated data of a plain soft-token check, or None (then validate with
    CheckRequestSerializer)."""
    if not isinstance(data, dict) or not data.keys() <= _PLAIN_KEYS:
        return None
    username, password, otp = data.get("username"), data.get("password"), data.get("otp")
    if (
        data.get("method") != Method.SOFT_TOKEN.value
        or not _plain_text(username, 150)
        or not _plain_text(password, 1024)
        or not isinstance(otp, str)
        or len(otp) != 6
        or not _ASCII_DIGITS.issuperset(otp)
    ):
        return None
    validated: dict[str, Any] = {
        "username": username,
        "password": password,
        "method": Method.SOFT_TOKEN.value,
        "otp": otp,
    }
    if "client_ip" in data:
        client_ip = data["client_ip"]
        if client_ip is not None and not _canonical_ipv4(client_ip):
            return None
        validated["client_ip"] = client_ip
    if "request_id" in data:
        request_id = data["request_id"]
        # Blank allowed; trimmed by the serializer (user ids and passwords are not).
        if (
            not (request_id == "" or _plain_text(request_id, 100))
            or request_id.strip() != request_id
        ):
            return None
        validated["request_id"] = request_id
    return validated


def _plain_text(value: object, most: int) -> bool:
    # StrictCharField: a string, not blank, at most `most` characters, with neither NUL nor
    # a lone surrogate (DRF's ProhibitNullCharacters- and ProhibitSurrogateCharactersValidator;
    # the gateway's parser refuses surrogates already, this does not rely on it).
    if not isinstance(value, str) or not 0 < len(value) <= most or "\x00" in value:
        return False
    if value.isascii():
        return True
    try:
        value.encode()
    except UnicodeEncodeError:
        return False
    return True


def _canonical_ipv4(value: object) -> bool:
    if not isinstance(value, str) or not 7 <= len(value) <= 15:
        return False
    try:
        return str(ipaddress.IPv4Address(value)) == value
    except ValueError:
        return False


class MessageSerializer(serializers.Serializer):
    th = serializers.CharField()
    en = serializers.CharField()


class OfficerSerializer(serializers.Serializer):
    username = serializers.CharField()
    name_th = serializers.CharField()
    name_en = serializers.CharField(allow_blank=True)
    unit_code = serializers.CharField(allow_null=True)
    role = serializers.CharField()


class CheckResponseSerializer(serializers.Serializer):
    decision = serializers.ChoiceField(choices=Decision.choices)
    reason = serializers.ChoiceField(choices=Reason.choices)
    phase = serializers.ChoiceField(choices=Phase.choices)
    allowed_methods = serializers.ListField(child=serializers.ChoiceField(choices=Method.choices))
    aal = serializers.IntegerField(allow_null=True, help_text="1 or 2 on allow; null on deny")
    officer = OfficerSerializer(allow_null=True, help_text="on allow only")
    message = MessageSerializer()
    request_id = serializers.CharField()


class ChallengeRequestSerializer(serializers.Serializer):
    username = StrictCharField(max_length=150, trim_whitespace=False)
    serial = StrictRegexField(
        SERIAL_REGEX, error_messages={"invalid": _("A serial is 3–64 letters, digits or dashes.")}
    )


class ChallengeResponseSerializer(serializers.Serializer):
    challenge_id = serializers.UUIDField()
    challenge = serializers.CharField(help_text="base64 of 32 random bytes: sign these bytes")
    expires_at = serializers.DateTimeField()


class MethodsQuerySerializer(serializers.Serializer):
    username = StrictCharField(max_length=150, trim_whitespace=False)

    def validate(self, attrs: dict[str, Any]) -> dict[str, Any]:
        unknown = sorted(set(self.initial_data) - set(self.fields))
        if unknown:
            raise serializers.ValidationError({name: _("Unknown parameter.") for name in unknown})
        return attrs


class MethodsResponseSerializer(serializers.Serializer):
    phase = serializers.ChoiceField(choices=Phase.choices)
    allowed_methods = serializers.ListField(child=serializers.ChoiceField(choices=Method.choices))
    registered = serializers.BooleanField(
        allow_null=True,
        help_text=(
            "Deprecated, always null: whether a user id has registered is not revealed before "
            "its password is right. `allowed_methods` is the same for every user id."
        ),
    )


class HealthSerializer(serializers.Serializer):
    status = serializers.CharField()
    database = serializers.CharField()


class ErrorSerializer(serializers.Serializer):
    detail = serializers.CharField()


class LimitErrorSerializer(ErrorSerializer):
    limit_bytes = serializers.IntegerField(help_text="the largest body accepted, in bytes")


# --- the request as documented: one shape per method (the view validates with
# CheckRequestSerializer, which applies the same rules) ----------------------------------------


class _CheckCommon(serializers.Serializer):
    username = StrictCharField(max_length=150, trim_whitespace=False, help_text="GFMS user id")
    password = StrictCharField(max_length=1024, trim_whitespace=False)
    client_ip = StrictIPAddressField(required=False, allow_null=True)
    request_id = StrictCharField(required=False, max_length=100, allow_blank=True)


class SoftTokenCheckSerializer(_CheckCommon):
    method = StrictChoiceField(choices=[Method.SOFT_TOKEN.value])
    otp = OneTimeCodeField(
        trim_whitespace=False, help_text="6-digit code from the authenticator app"
    )


class TokenKeyCheckSerializer(_CheckCommon):
    method = StrictChoiceField(choices=[Method.TOKEN_KEY.value])
    challenge_id = StrictUUIDField(help_text="from /api/v1/auth/challenge")
    signature = Base64Field(max_length=4096, help_text="signature over the challenge bytes")


class PasswordCheckSerializer(_CheckCommon):
    method = StrictChoiceField(choices=[Method.PASSWORD.value])


CHECK_REQUEST_SCHEMA = PolymorphicProxySerializer(
    component_name="CheckRequest",
    serializers={
        Method.SOFT_TOKEN.value: SoftTokenCheckSerializer,
        Method.TOKEN_KEY.value: TokenKeyCheckSerializer,
        Method.PASSWORD.value: PasswordCheckSerializer,
    },
    resource_type_field_name="method",
)
