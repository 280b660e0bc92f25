"""Identifiers and timestamps in the shapes the public API uses."""
import secrets
import string
from datetime import UTC, datetime

_ALPHABET = string.ascii_letters + string.digits


_UNBIASED = 248  # 4 * 62: bytes at or above it are dropped so every character is equally likely
# bytes.translate maps each kept byte to its character and drops the rest, in C.
_TO_CHARACTER = bytes(ord(_ALPHABET[b % 62]) for b in range(256))
_DROPPED = bytes(range(_UNBIASED, 256))


def new_id(length=20):
    """A random id over [A-Za-z0-9], as the public API's ids are.

    One draw of CSPRNG bytes per id, mapped with bytes.translate, rather than a
    `secrets.choice` call per character (starting a 50-task run makes over fifty ids;
    a Python loop over the bytes was 4 us an id).
    """
    drawn = b""
    while len(drawn) < length:
        drawn += secrets.token_bytes(length + 4).translate(_TO_CHARACTER, _DROPPED)
    return drawn[:length].decode("ascii")


def utcnow():
    """Naive UTC, truncated to milliseconds so what we store is what we print."""
    now = datetime.now(UTC).replace(tzinfo=None)
    return now.replace(microsecond=now.microsecond // 1000 * 1000)


def format_timestamp(value):
    """ISO 8601 in UTC with milliseconds and a Z, or None."""
    if value is None:
        return None
    if value.tzinfo is not None:
        value = value.astimezone(UTC).replace(tzinfo=None)
    return value.isoformat(timespec="milliseconds") + "Z"


def parse_timestamp(text):
    """Parse ISO 8601 into naive UTC; a date or a naive time is taken as UTC."""
    value = datetime.fromisoformat(text)
    if value.tzinfo is not None:
        value = value.astimezone(UTC).replace(tzinfo=None)
    return value.replace(microsecond=value.microsecond // 1000 * 1000)
