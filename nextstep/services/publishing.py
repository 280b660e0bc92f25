"""Publishing: freeze a template's current content as its next version.

Runs start from the latest published snapshot, never from the editable draft, so later
edits to a template change no run and no new run until the template is published again.
What a snapshot holds and how it is stored is models/snapshot.py's.
"""
from functools import lru_cache

from ..db import transaction
from ..ids import utcnow
from ..models import Template, TemplateVersion
from ..models.snapshot import build_snapshot, read_snapshot

# Parsed snapshots kept in-process, by (template id, version). A published version never
# changes, so an entry is never stale. Decoding and reading the stored JSON of a 50-task
# template was the largest single cost of POST /process-runs beyond its writes (bench/);
# a cached one costs a dict lookup. 32 entries of a few hundred KiB at most each.
SNAPSHOT_CACHE_SIZE = 32


def publish_template(template):
    """Take the next snapshot; the template becomes published and visible to the team."""
    now = utcnow()
    with transaction():
        # The increment happens in the UPDATE, which locks the row: two publishes at once
        # take versions n+1 and n+2, never both n+1.
        Template.update(version=Template.version + 1, is_published=True, visibility="team",
                        has_unpublished_changes=False,
                        updated_at=now).where(Template.id == template.id).execute()
        template = Template.get_by_id(template.id)
        snapshot = build_snapshot(template)
        TemplateVersion.create(template=template, version=template.version,
                               snapshot=snapshot, task_count=len(snapshot["tasks"]),
                               created_at=now)
    return template


def published_snapshot(template):
    """The Snapshot (models/snapshot.py) of `template`'s newest published version, or
    None for a template never published.

    `template.version` is that version: publishing raises it and stores its snapshot in
    one transaction. So a cached version is found without a query.
    """
    if not template.is_published or not template.version:
        return None
    try:
        return _snapshot(template.id, template.version)
    except LookupError:
        return None


@lru_cache(maxsize=SNAPSHOT_CACHE_SIZE)
def _snapshot(template_id, version):
    """Raises LookupError when no such version is stored (never cached: it may come)."""
    row = (TemplateVersion.select(TemplateVersion.snapshot)
           .where((TemplateVersion.template == template_id)
                  & (TemplateVersion.version == version))
           .first())
    if row is None:
        raise LookupError(f"no version {version} of template {template_id}")
    return read_snapshot(row.snapshot)
