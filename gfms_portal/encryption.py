"""Encrypted columns owned by their models, and key rotation over every one of them.

A model declares the column and its plaintext accessor side by side:

    secret_encrypted = EncryptedTextField(editable=False)
    secret = Decrypted("secret_encrypted")

The column keeps the Fernet ciphertext (gfms_portal.crypto) under its old name and type, so
queries, `update(secret_encrypted="")` and F() expressions work on it as before. The accessor
decrypts on read and encrypts on write; "" means nothing is stored, either way. It is also a
keyword of the model's constructor (`SoftToken(secret=...)`), and on the class it offers the
helpers for code that writes raw rows (`SoftToken.secret.encrypt(...)`, e.g. a COPY).

A column matched by a keyed hash names the hash column (`lookup_hash_field`) and the hash's
purpose: writing through the accessor sets both, and rotation re-hashes it.

`rotate_encryption_key` re-encrypts every EncryptedTextField of every installed model, found at
run time (apps.get_models()), so a new encrypted column is covered without being listed here.
gfms_portal is the lowest layer: this module imports no app.
"""

from dataclasses import dataclass, field
from typing import Any, Self, overload

from django.apps import apps
from django.core import checks
from django.db import models, router, transaction

from gfms_portal import crypto


class EncryptedTextField(models.TextField):
    """A text column holding Fernet ciphertext; read and write it through `Decrypted`."""

    description = "Fernet ciphertext (gfms_portal.crypto)"

    def __init__(
        self, *args: Any, lookup_hash_field: str = "", lookup_purpose: str = "", **kwargs: Any
    ) -> None:
        self.lookup_hash_field = lookup_hash_field
        self.lookup_purpose = lookup_purpose
        super().__init__(*args, **kwargs)

    def deconstruct(self) -> Any:
        name, path, args, kwargs = super().deconstruct()
        if self.lookup_hash_field:
            kwargs["lookup_hash_field"] = self.lookup_hash_field
        if self.lookup_purpose:
            kwargs["lookup_purpose"] = self.lookup_purpose
        return name, path, args, kwargs

    def check(self, **kwargs: Any) -> list[checks.CheckMessage]:
        errors = super().check(**kwargs)
        if bool(self.lookup_hash_field) != bool(self.lookup_purpose):
            errors.append(
                checks.Error(
                    "lookup_hash_field and lookup_purpose go together.", obj=self, id="gfms.E101"
                )
            )
        elif self.lookup_hash_field:
            names = {f.name for f in self.model._meta.get_fields()}
            if self.lookup_hash_field not in names:
                errors.append(
                    checks.Error(
                        f"lookup_hash_field {self.lookup_hash_field!r} is not a field of "
                        f"{self.model._meta.label}.",
                        obj=self,
                        id="gfms.E102",
                    )
                )
        return errors

    @property
    def label(self) -> str:
        """ "app_label.Model.field", as rotation reports count it."""
        return f"{self.model._meta.label}.{self.name}"


class Decrypted(property):
    """The plaintext of an EncryptedTextField of the same model (named by `field_name`).

    A property (so Django accepts it as a constructor keyword); reading decrypts, writing
    encrypts, and also sets the field's lookup hash if it has one.
    """

    def __init__(self, field_name: str, doc: str | None = None) -> None:
        super().__init__(doc=doc)
        self.field_name = field_name
        self.name = ""
        self.model: type[models.Model] | None = None

    def __set_name__(self, owner: type[models.Model], name: str) -> None:
        self.model, self.name = owner, name

    @overload
    def __get__(self, instance: None, owner: type | None = None, /) -> Self: ...
    @overload
    def __get__(self, instance: models.Model, owner: type | None = None, /) -> str: ...
    def __get__(self, instance: models.Model | None, owner: type | None = None, /) -> Any:
        if instance is None:
            return self
        return self.decrypt(getattr(instance, self.field_name))

    def __set__(self, instance: models.Model, value: str, /) -> None:
        for name, stored in self.column_values(value).items():
            setattr(instance, name, stored)

    @property
    def field(self) -> EncryptedTextField:
        if self.model is None:
            raise TypeError(f"Decrypted({self.field_name!r}) is not an attribute of a model")
        found = self.model._meta.get_field(self.field_name)
        if not isinstance(found, EncryptedTextField):
            raise TypeError(f"{self.model._meta.label}.{self.field_name} is not encrypted")
        return found

    # For code that writes or reads rows itself (a COPY, values for an update, a raw read):
    # what would be stored, and what a stored value holds.

    def encrypt(self, value: str) -> str:
        return crypto.encrypt(value) if value else ""

    def decrypt(self, ciphertext: str) -> str:
        return crypto.decrypt(ciphertext) if ciphertext else ""

    def lookup_hash(self, value: str) -> str:
        """The keyed hash of `value` for the field's hash column, with the newest key."""
        return crypto.lookup_hash(value, purpose=self.field.lookup_purpose) if value else ""

    def lookup_hash_candidates(self, value: str) -> list[str]:
        """The keyed hash of `value` under every configured key (to match a stored one)."""
        return crypto.lookup_hash_candidates(value, purpose=self.field.lookup_purpose)

    def column_values(self, value: str) -> dict[str, str]:
        """{column attribute: stored value} for `value`: the ciphertext, and the hash if any."""
        field = self.field
        values = {field.attname: self.encrypt(value)}
        if field.lookup_hash_field:
            values[field.lookup_hash_field] = self.lookup_hash(value)
        return values


# --- key rotation -----------------------------------------------------------------------------


def encrypted_fields() -> list[EncryptedTextField]:
    """Every EncryptedTextField of every installed model (each table once), by label."""
    found = [
        f
        for model in apps.get_models()
        for f in model._meta.local_concrete_fields
        if isinstance(f, EncryptedTextField)
    ]
    return sorted(found, key=lambda f: f.label)


@dataclass(frozen=True)
class RotationReport:
    key_id: str
    rows: dict[str, int]  # label ("app_label.Model.field") → rows re-encrypted
    # label → primary keys of rows no configured key decrypts (left as they are)
    unreadable: dict[str, list[Any]] = field(default_factory=dict)

    @property
    def complete(self) -> bool:
        """Every stored value is now under the newest key: the old keys may go."""
        return not any(self.unreadable.values())


@dataclass
class _Column:
    done: int = 0
    unreadable: list[Any] = field(default_factory=list)


def rotate_encryption_key(*, batch_size: int = 500) -> RotationReport:
    """Re-encrypt every encrypted column with the newest key (and re-hash the lookup hash
    where the column has one), in small transactions so the system keeps running. Each row is
    written with a conditional UPDATE on the ciphertext it was read with, so a row changed
    meanwhile is left for the next run instead of being overwritten. Empty values (a
    discarded secret, a sent e-mail) have nothing to re-encrypt.

    A row that no configured key decrypts does not stop the others: it is left unchanged and
    named in the report, which is then not `complete` (keep the old keys until it is dealt
    with)."""
    columns = {f.label: rotate_column(f, batch_size=batch_size) for f in encrypted_fields()}
    return RotationReport(
        key_id=crypto.newest_key_id(),
        rows={label: column.done for label, column in columns.items()},
        unreadable={
            label: column.unreadable for label, column in columns.items() if column.unreadable
        },
    )


def rotate_column(field: EncryptedTextField, *, batch_size: int = 500) -> _Column:
    """Re-encrypt one column, `batch_size` rows a transaction."""
    if batch_size < 1:
        raise ValueError("batch_size must be at least 1")
    model = field.model
    using = router.db_for_write(model)
    rows = model._base_manager.db_manager(using).exclude(**{field.attname: ""})
    if field.null:
        rows = rows.exclude(**{f"{field.attname}__isnull": True})
    rows = rows.order_by("pk")
    column = _Column()
    last: Any = None
    while True:
        with transaction.atomic(using=using):
            page = rows if last is None else rows.filter(pk__gt=last)
            batch = list(page.values_list("pk", field.attname)[:batch_size])
            for pk, old in batch:
                values = _rotated(field, old)
                if values is None:
                    column.unreadable.append(pk)
                    continue
                column.done += rows.filter(pk=pk, **{field.attname: old}).update(**values)
        if len(batch) < batch_size:
            return column
        last = batch[-1][0]


def _rotated(field: EncryptedTextField, old: str) -> dict[str, str] | None:
    """The new column values, or None when no configured key decrypts `old`."""
    try:
        values = {field.attname: crypto.rotate(old)}
        if field.lookup_hash_field:
            values[field.lookup_hash_field] = crypto.lookup_hash(
                crypto.decrypt(old), purpose=field.lookup_purpose
            )
    except crypto.DecryptionError:
        return None
    return values
