"""Values of custom elements: what each type accepts, what is stored, what counts as filled.

Run tasks keep their elements as a JSON list of dicts {id, type, label, required,
display_only, options, value}; these helpers work on those dicts and never touch Flask.
"""
import math
import re
from datetime import date
from urllib.parse import urlsplit

from ..client_input import text_fault
from ..ids import format_timestamp, parse_timestamp
from ..models.template import DISPLAY_ELEMENT_TYPES
from .members import member_named

ELEMENT_KEYS = ("id", "type", "label", "required", "display_only", "options", "value")
SHORT_TEXT_MAX = 500
LONG_TEXT_MAX = 20_000
NUMBER_MAX = 10 ** 15  # well inside a double's exact integers and orjson's 64 bits
EMAIL = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")
DATE_ONLY = re.compile(r"^\d{4}-\d{2}-\d{2}$")
TIMESTAMP = re.compile(r"^\d{4}-\d{2}-\d{2}[T ]\d{2}:\d{2}")
NO_ELEMENT = "No element with this id on this task."
SET_TWICE = "This element is already set by an earlier item."
NOT_MEMBER = "Must be the user id or email of an active member of the team."


def run_element(snapshot_element):
    """A template element of a snapshot as a run task holds it: same keys plus `value`."""
    element = {key: snapshot_element.get(key) for key in ELEMENT_KEYS[:-1]}
    element["display_only"] = bool(element["display_only"]
                                   or element["type"] in DISPLAY_ELEMENT_TYPES)
    element["value"] = None
    return element


def ordered(element):
    """The element dict in the API's key order (jsonb does not keep key order)."""
    return {key: element.get(key) for key in ELEMENT_KEYS}


class Unmatched(Exception):
    """An item that names no element: which of its fields, and the message."""

    def __init__(self, field, message):
        super().__init__(message)
        self.field = field
        self.message = message


def pair_items(items, find):
    """Pair each item `{..., "value"}` with the element `find(item)` names.

    `find` returns (a key for the element, the element dict) or raises Unmatched. Returns
    ([(index, element, value)], errors keyed `custom_elements.<index>.<field>`); a second
    item for one element is an error, never a silent overwrite.
    """
    pairs, errors, seen = [], {}, set()
    for index, item in enumerate(items or []):
        try:
            key, element = find(item)
        except Unmatched as miss:
            errors[f"custom_elements.{index}.{miss.field}"] = [miss.message]
            continue
        if key in seen:
            errors[f"custom_elements.{index}.element_id"] = [SET_TWICE]
            continue
        seen.add(key)
        pairs.append((index, element, item["value"]))
    return pairs, errors


def by_element_id(elements_by_id):
    """A `find` for pair_items over one task's elements."""
    def find(item):
        element = elements_by_id.get(item["element_id"])
        if element is None:
            raise Unmatched("element_id", NO_ELEMENT)
        return item["element_id"], element
    return find


def pair_refs(pairs):
    """The member references the paired values need looked up (members.lookup_members)."""
    return [ref for _index, element, value in pairs for ref in member_refs(element, value)]


def set_values(pairs, members):
    """Store each paired value, cleaned, on its element dict (the caller's own copies);
    returns errors keyed `custom_elements.<index>.value`."""
    errors = {}
    for index, element, value in pairs:
        try:
            element["value"] = clean_value(element, value, members)
        except ValueError as error:
            errors[f"custom_elements.{index}.value"] = [str(error)]
    return errors


def member_refs(element, value):
    """The member references a value for `element` needs looked up."""
    return [value] if element.get("type") == "member" and isinstance(value, str) else []


def _text(limit):
    def check(value, element, members):
        if not isinstance(value, str):
            raise ValueError("Must be a string.")
        if len(value) > limit:
            raise ValueError(f"Must be at most {limit} characters long.")
        return value
    return check


def _email(value, element, members):
    if not isinstance(value, str) or len(value) > 254 or not EMAIL.match(value):
        raise ValueError("Must be a valid email address.")
    return value


def _url(value, element, members):
    message = "Must be an http or https URL."
    if not isinstance(value, str) or len(value) > 2048 or re.search(r"\s", value):
        raise ValueError(message)
    parts = urlsplit(value)
    if parts.scheme.lower() not in ("http", "https") or not parts.hostname:
        raise ValueError(message)
    return value


def _number(value, element, members):
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        raise ValueError("Must be a JSON number.")
    if isinstance(value, float) and not math.isfinite(value):
        raise ValueError("Must be a finite number.")
    if abs(value) > NUMBER_MAX:
        raise ValueError("Must be between -1e15 and 1e15.")
    return value


def _date(value, element, members):
    """A date stays `YYYY-MM-DD`; a timestamp is stored in UTC with milliseconds and Z."""
    message = "Must be a date (YYYY-MM-DD) or an ISO 8601 timestamp."
    try:
        if isinstance(value, str) and DATE_ONLY.match(value):
            date.fromisoformat(value)
            return value
        if isinstance(value, str) and TIMESTAMP.match(value):
            return format_timestamp(parse_timestamp(value))
    except (ValueError, OverflowError):
        pass
    raise ValueError(message)


def _checkbox(value, element, members):
    if not isinstance(value, bool):
        raise ValueError("Must be true or false.")
    return value


def _is_option(value, options):
    """Option match that does not take 1 for true or 1.0 for "1"."""
    return any(type(option) is type(value) and option == value for option in options or [])


def _dropdown(value, element, members):
    if isinstance(value, (list, dict)) or not _is_option(value, element.get("options")):
        raise ValueError("Must be one of the element's options.")
    return value


def _multi_select(value, element, members):
    if not isinstance(value, list):
        raise ValueError("Must be a list of the element's options.")
    seen = []
    for item in value:
        if isinstance(item, (list, dict)) or not _is_option(item, element.get("options")):
            raise ValueError("Must be a list of the element's options.")
        if item in seen:
            raise ValueError("Must not list an option twice.")
        seen.append(item)
    return value


def _member(value, element, members):
    member = member_named(members, value)
    if member is None:
        raise ValueError(NOT_MEMBER)
    return member.id


CHECKS = {"shortText": _text(SHORT_TEXT_MAX), "longText": _text(LONG_TEXT_MAX),
          "email": _email, "url": _url, "number": _number, "date": _date,
          "checkbox": _checkbox, "dropdown": _dropdown, "multiSelect": _multi_select,
          "member": _member}


def clean_value(element, value, members):
    """The value to store for `element`, or ValueError with a message for the client.

    `null` clears any value element; a display-only element takes nothing, not even null.
    `members` comes from members.lookup_members over every `member_refs` of the request.
    """
    check = CHECKS.get(element.get("type"))
    if element.get("display_only") or check is None:
        raise ValueError("Display-only elements hold no value.")
    if value is None:
        return None
    for text in value if isinstance(value, list) else [value]:
        message = isinstance(text, str) and text_fault(text)
        if message:  # the API refuses these with the body; other callers meet it here
            raise ValueError(message)
    return check(value, element, members)


def has_value(element):
    """Whether a required element is filled: not null, not blank, not an empty list; a
    required checkbox must be ticked (true), as an HTML `required` checkbox must."""
    value = element.get("value")
    if element.get("type") == "checkbox":
        return value is True
    if isinstance(value, str):
        return bool(value.strip())
    if isinstance(value, list):
        return bool(value)
    return value is not None


def missing_required(elements):
    """Details for every required element without a value, keyed `custom_elements.<id>`."""
    return {f"custom_elements.{element['id']}":
            [f'Required element "{element.get("label")}" needs a value before the task '
             "can be completed."]
            for element in elements
            if element.get("required") and not element.get("display_only")
            and not has_value(element)}
