import base64
import binascii

from rest_framework import serializers

from auth_gateway.policy import Decision, Method, Reason
from registration.policy import Phase

SERIAL_REGEX = r"^[A-Za-z0-9][A-Za-z0-9-]{2,63}$"


class CheckRequestSerializer(serializers.Serializer):
    username = serializers.CharField(max_length=150, help_text="GFMS user id")
    password = serializers.CharField(max_length=1024, trim_whitespace=False)
    method = serializers.ChoiceField(choices=Method.choices)
    otp = serializers.RegexField(
        r"^\d{6}$",
        required=False,
        help_text="6-digit code from the authenticator app (method soft_token)",
        error_messages={"invalid": "The one-time code is 6 digits."},
    )
    challenge_id = serializers.UUIDField(
        required=False, help_text="from /api/v1/auth/challenge (method token_key)"
    )
    signature = serializers.CharField(
        required=False,
        max_length=4096,
        help_text="base64 signature over the challenge bytes (method token_key)",
    )
    client_ip = serializers.IPAddressField(required=False, allow_null=True)
    request_id = serializers.CharField(required=False, max_length=100, allow_blank=True)

    def validate_signature(self, value: str) -> bytes:
        try:
            return base64.b64decode(value, validate=True)
        except (binascii.Error, ValueError):
            raise serializers.ValidationError("The signature must be base64.") from None

    def validate(self, attrs: dict) -> dict:  # type: ignore[type-arg]
        method = attrs["method"]
        if method == Method.SOFT_TOKEN and not attrs.get("otp"):
            raise serializers.ValidationError({"otp": "Required for method soft_token."})
        if method == Method.TOKEN_KEY:
            missing = {
                name: "Required for method token_key."
                for name in ("challenge_id", "signature")
                if not attrs.get(name)
            }
            if missing:
                raise serializers.ValidationError(missing)
        return attrs


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
    username = serializers.CharField(max_length=150)
    serial = serializers.RegexField(
        SERIAL_REGEX, error_messages={"invalid": "A serial is 3–64 letters, digits or dashes."}
    )


class ChallengeResponseSerializer(serializers.Serializer):
    challenge_id = serializers.UUIDField()
    challenge = serializers.CharField(help_text="base64 of 32 random bytes: sign these bytes")
    expires_at = serializers.DateTimeField()


class MethodsQuerySerializer(serializers.Serializer):
    username = serializers.CharField(max_length=150)


class MethodsResponseSerializer(serializers.Serializer):
    phase = serializers.ChoiceField(choices=Phase.choices)
    allowed_methods = serializers.ListField(child=serializers.ChoiceField(choices=Method.choices))
    registered = serializers.BooleanField()


class HealthSerializer(serializers.Serializer):
    status = serializers.CharField()
    database = serializers.CharField()


class ErrorSerializer(serializers.Serializer):
    detail = serializers.CharField()
