"""Writes of the lägesbild app, one module per part, everything importable from here:

* :mod:`.reports` — the lägesbild document: drafts, comments, publication, versions;
* :mod:`.weekly` — the EST weekly picture: area assessments and the digest opt-in.
"""

from .reports import (
    TEXT_MAX,
    comment_add,
    comment_resolve,
    report_create,
    report_delete,
    report_new_version,
    report_publish,
    report_update,
    snapshot_digest,
)
from .weekly import assessments_set, digest_mark_sent, digest_subscribe

__all__ = [
    "TEXT_MAX",
    "assessments_set",
    "comment_add",
    "comment_resolve",
    "digest_mark_sent",
    "digest_subscribe",
    "report_create",
    "report_delete",
    "report_new_version",
    "report_publish",
    "report_update",
    "snapshot_digest",
]
