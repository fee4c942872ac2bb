"""marshmallow fields that refuse what the database would choke on, with a reason.

JSON can carry NUL characters, lone surrogates, integers beyond 64 bits and numbers like
1e400; each would reach the database and fail there (a 500). These fields turn them into
validation errors (a 400 that names the field), and their limits appear in the OpenAPI
document, so clients and the fuzzer know them.
"""

from __future__ import annotations

import re
from decimal import Decimal
from typing import Any

from marshmallow import ValidationError, fields, validate

ID_MAX = 2**31 - 1  # PostgreSQL integer
TEXT_MAX = 20_000
_BAD_CHARS = re.compile(r"[\x00\ud800-\udfff]")


class Str(fields.String):
    """A string of at most ``max_length`` characters, without NUL or lone surrogates."""

    def __init__(self, max_length: int = TEXT_MAX, *, min_length: int | None = None,
                 strip: bool = True, **kw: Any):
        kw.setdefault("validate", [])
        self.strip = strip
        validators = list(kw["validate"]) if isinstance(kw["validate"], (list, tuple)) else [kw["validate"]]
        validators.append(validate.Length(min=min_length, max=max_length))
        kw["validate"] = validators
        super().__init__(**kw)

    def _deserialize(self, value: Any, attr: Any, data: Any, **kwargs: Any) -> str:
        text = super()._deserialize(value, attr, data, **kwargs)
        if _BAD_CHARS.search(text):
            raise ValidationError("Contains a character that is not allowed (NUL or an unpaired surrogate).")
        return text.strip() if self.strip else text


class Int(fields.Integer):
    """A JSON integer (not a boolean, not a float, not a string) within PostgreSQL's range."""

    def __init__(self, *, minimum: int = 0, maximum: int = ID_MAX, strict: bool = True, **kw: Any):
        kw.setdefault("validate", validate.Range(min=minimum, max=maximum))
        super().__init__(strict=strict, **kw)

    def _validated(self, value: Any) -> int:
        if isinstance(value, bool):
            raise self.make_error("invalid")
        try:
            return super()._validated(value)
        except OverflowError:
            raise self.make_error("invalid") from None


def Id(**kw: Any) -> Int:
    return Int(minimum=1, **kw)


class QueryInt(Int):
    """An integer given in the query string (so, as text)."""

    def __init__(self, **kw: Any):
        super().__init__(strict=False, **kw)

    def _validated(self, value: Any) -> int:
        if isinstance(value, str) and not re.fullmatch(r"[+-]?[0-9]{1,12}", value.strip()):
            raise self.make_error("invalid")
        return super()._validated(value)


class Money(fields.Decimal):
    """An amount in euros, given and returned as a decimal string (or a JSON number)."""

    def __init__(self, **kw: Any):
        kw.setdefault("validate", validate.Range(min=Decimal(0), max=Decimal(999999999999999999)))
        super().__init__(places=2, as_string=True, allow_nan=False, **kw)

    def _validated(self, value: Any) -> Decimal:
        if isinstance(value, bool):
            raise self.make_error("invalid")
        if isinstance(value, str) and not re.fullmatch(r"\s*[0-9]{1,18}(\.[0-9]{1,2})?\s*", value):
            raise self.make_error("invalid")
        return super()._validated(value)


def register(ma_plugin: Any) -> None:
    """Tell apispec how these fields look in the OpenAPI document."""
    ma_plugin.map_to_openapi_type(Money, "string", "decimal")


def extra_properties(converter: Any, field: Any, **kwargs: Any) -> dict[str, Any]:
    """apispec attribute function: a pattern for amounts, the type of string enums."""
    if isinstance(field, Money):
        return {"pattern": r"^[0-9]{1,18}(\.[0-9]{1,2})?$", "example": "250000000.00",
                "x-minimum": None, "x-maximum": None}
    if isinstance(field, fields.Enum) and field.by_value:
        return {"type": "string"}
    return {}
