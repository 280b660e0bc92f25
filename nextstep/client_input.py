"""JSON and text from outside (request bodies, query strings, template files), checked
before any schema sees them: nesting at most 64 levels, and no string that PostgreSQL
cannot store (NUL) or that orjson cannot write back out (an unpaired surrogate).

Flask-free: the API and the template importer share it. Nothing here recurses, so no
input can exhaust the stack.
"""
import json
import re
import sys
from itertools import accumulate

import orjson

MAX_DEPTH = 64
NUL = "Must not contain the NUL character (\\u0000)."
SURROGATE = "Must not contain an unpaired UTF-16 surrogate (\\ud800 to \\udfff)."
BAD_CHARACTER = re.compile("[\x00\ud800-\udfff]")
# A JSON string (an unterminated one runs to the end), or a run of anything but brackets.
NOT_A_BRACKET = re.compile(r'"[^"\\]*(?:\\.[^"\\]*)*(?:"|\\?\Z)|[^\[\]{}"]+', re.S)
BRACKET_STEP = {"[": 1, "{": 1, "]": -1, "}": -1, '"': 0}
INT64_MIN, UINT64_MAX = -(2 ** 63), 2 ** 64 - 1


class NotJSON(ValueError):
    """Not JSON at all (or not in a Unicode encoding)."""


class TooDeep(ValueError):
    """Arrays and objects nested deeper than MAX_DEPTH."""


def text_fault(text):
    """The message for a string we refuse, or None for a good one."""
    found = BAD_CHARACTER.search(text)
    if found is None:
        return None
    return NUL if found.group() == "\x00" else SURROGATE


def printable(name):
    """`name` with NUL and surrogates spelled as JSON escapes, safe to put in an answer."""
    return BAD_CHARACTER.sub(lambda m: f"\\u{ord(m.group()):04x}", name)


def nesting_depth(text):
    """The deepest nesting of arrays and objects in JSON text, without parsing it.

    For text that is not valid JSON this is an upper bound on how deep a parser gets
    before it stops, which is what makes handing checked text to `json.loads` (recursive)
    safe. Counted with a regex and `accumulate`, not a Python loop over characters.
    """
    brackets = NOT_A_BRACKET.sub("", text)
    return max(accumulate(map(BRACKET_STEP.__getitem__, brackets), initial=0))


def too_deep(value):
    """Whether parsed data nests deeper than MAX_DEPTH: one level at a time, containers
    only. On a body of 50 pre-fills it costs about what orjson's parse does (~25 µs),
    a quarter of nesting_depth over the same bytes."""
    level = [value] if type(value) in (dict, list) else []
    for _ in range(MAX_DEPTH):
        level = [item for node in level
                 for item in (node.values() if type(node) is dict else node)
                 if type(item) in (dict, list)]
        if not level:
            return False
    return True


def _float(text):
    # A literal too large for a double reads as the largest one, so it is refused as too
    # large where a number is wanted, like any other large number (not as "infinite").
    value = float(text)
    if value - value == 0:  # finite
        return value
    return sys.float_info.max if value > 0 else -sys.float_info.max


def _int(text):
    # As orjson: 64-bit integers exactly, larger ones as floats (never a 5,000-digit int).
    if len(text) <= 20:
        value = int(text)
        if INT64_MIN <= value <= UINT64_MAX:
            return value
    return _float(text)


def loads_text(text, **options):
    """json.loads of text whose nesting is checked first (TooDeep); a syntax error is
    json.JSONDecodeError. Numbers read as orjson reads them (_int), never 5,000 digits."""
    if nesting_depth(text) > MAX_DEPTH:
        raise TooDeep()
    return json.loads(text, parse_int=_int, parse_float=_float, **options)


def loads_body(data):
    """A request body (bytes) as (data, [(path, message)] for its refused strings), or
    NotJSON or TooDeep.

    orjson reads almost every body. What it refuses and the standard library reads (an
    unpaired surrogate escape, a number beyond a double, NaN, a byte order mark, UTF-16)
    is read again as the standard library would (as Flask did), after the nesting check,
    so that such values get a field-level 422 rather than a blanket 400.
    """
    try:
        value = orjson.loads(data)
    except orjson.JSONDecodeError:
        try:
            value = loads_text(data.decode(json.detect_encoding(data), "surrogatepass"))
        except (UnicodeDecodeError, json.JSONDecodeError):
            raise NotJSON() from None
        return value, check_data(value)
    if too_deep(value):
        raise TooDeep()
    # orjson refuses unpaired surrogates and raw control characters: a string it read can
    # hold a NUL only through a \u0000 escape, so without one there is nothing to look for.
    return value, check_data(value) if b"\\u0000" in data else []


def check_data(value):
    """[(path, message)] for every refused string, dict keys included, in document order.

    Raises TooDeep past MAX_DEPTH levels. A path is "custom_elements.0.value"; a refused
    key is named by its own path, with its bad characters escaped.
    """
    faults = []
    stack = [(value, (), 1)]
    while stack:
        node, path, depth = stack.pop()
        if isinstance(node, str):
            message = text_fault(node)
            if message is not None:
                faults.append((path, message))
            continue
        if isinstance(node, dict):
            children = []
            for key, item in node.items():
                children.append((key, path + (key,), depth))
                children.append((item, path + (key,), depth + 1))
        elif isinstance(node, list):
            children = [(item, path + (index,), depth + 1) for index, item in enumerate(node)]
        else:
            continue
        if depth > MAX_DEPTH:
            raise TooDeep()
        stack.extend(reversed(children))
    return [(".".join(printable(str(part)) for part in path), message)
            for path, message in faults]
