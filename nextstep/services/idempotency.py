"""Idempotency keys (contract §12), without Flask: claim a key for a request, keep its
answer, replay it. The rules a caller sees are in docs/http.md.

A claim is its own short transaction, committed before the request runs, so that another
thread or process sees the key in use at once. The answer is kept in the same transaction
as the request's own writes (db.commit_with_first_write): a run is never started without
its answer kept, so a claim still in progress after IN_PROGRESS_LEASE is one whose
request wrote nothing and died, and may be taken over.
"""
import hashlib
import json
from dataclasses import dataclass
from datetime import timedelta

import orjson
from peewee import IntegrityError

from ..db import transaction
from ..ids import utcnow
from ..models import IdempotencyKey
from ..statements import execute, prepare

TIME_TO_LIVE = timedelta(hours=24)
IN_PROGRESS_LEASE = timedelta(minutes=2)  # far past the longest request (busy timeouts)
PRUNE_EVERY = timedelta(minutes=1)  # per process: expired rows are deleted at most this often
REPLAYED_HEADERS = ("Content-Type", "Location", "Allow", "ETag")


@dataclass
class Claimed:
    """The key is ours: the request runs, and its answer is kept in row `row_id`."""

    row_id: int


@dataclass
class Replay:
    status: int
    headers: dict
    body: bytes


class KeyReused(Exception):
    """The key was used with another request (method, path or body)."""


class KeyInUse(Exception):
    """The first request with this key is still being processed."""


def fingerprint(api_key_id, method, path, body):
    """SHA-256 of who asks, the method, the path with its query, and the body. A JSON
    body counts by its content (keys sorted, spacing ignored), so a retry that
    re-serialises the same object matches; any other body counts byte for byte."""
    try:
        canonical = orjson.dumps(orjson.loads(body), option=orjson.OPT_SORT_KEYS)
    except orjson.JSONDecodeError:
        canonical = b"raw:" + body
    digest = hashlib.sha256()
    for part in (api_key_id.encode(), method.encode(), path.encode("utf-8", "surrogateescape")):
        digest.update(len(part).to_bytes(8, "big") + part)
    digest.update(canonical)
    return digest.hexdigest()


def claim(api_key_id, key, print_, now=None):
    """Claimed, or a Replay of the kept answer; raises KeyReused or KeyInUse."""
    now = now or utcnow()
    row = {"api_key": api_key_id, "key": key, "fingerprint": print_, "created_at": now}
    for _attempt in range(3):  # a row that expires or is released under us: look again
        try:
            with transaction():
                return Claimed(IdempotencyKey.insert(row).execute())
        except IntegrityError:
            pass
        found = (IdempotencyKey.select()
                 .where(IdempotencyKey.api_key == api_key_id, IdempotencyKey.key == key)
                 .first())
        if found is None:
            continue
        if found.created_at <= now - TIME_TO_LIVE or (
                found.status is None and found.created_at <= now - IN_PROGRESS_LEASE):
            _delete(found.id, found.created_at)
            continue
        if found.fingerprint != print_:
            raise KeyReused()
        if found.status is None:
            raise KeyInUse()
        return Replay(found.status, json.loads(found.headers), found.body.encode())
    raise KeyInUse()


def keep_answer_statement(row_id, status, headers, body):
    """The UPDATE that keeps an answer, prepared; it touches a claim still in progress
    only, never an answer already kept."""
    kept = {name: headers[name] for name in REPLAYED_HEADERS if name in headers}
    return prepare(IdempotencyKey.update(status=status, headers=json.dumps(kept),
                                         body=body.decode())
                   .where(IdempotencyKey.id == row_id, IdempotencyKey.status.is_null()))


def keep_answer(row_id, status, headers, body):
    """For an answer whose request wrote nothing (an error): kept in its own transaction."""
    statement = keep_answer_statement(row_id, status, headers, body)
    with transaction():
        execute(statement)


def release(row_id):
    """The request failed in a way a retry may cure (5xx): the key is free again."""
    with transaction():
        IdempotencyKey.delete().where(IdempotencyKey.id == row_id,
                                      IdempotencyKey.status.is_null()).execute()


def prune(now=None):
    """Delete every expired row (on the created_at index); how many went."""
    cutoff = (now or utcnow()) - TIME_TO_LIVE
    with transaction():
        return IdempotencyKey.delete().where(IdempotencyKey.created_at <= cutoff).execute()


def _delete(row_id, created_at):
    with transaction():
        IdempotencyKey.delete().where(IdempotencyKey.id == row_id,
                                      IdempotencyKey.created_at == created_at).execute()
