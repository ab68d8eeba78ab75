"""Platform administration of background jobs: see what failed, retry it."""
from __future__ import annotations

from flask_babel import lazy_gettext as _l
from sqlalchemy import func, select

from .. import jobs
from ..errors import Conflict
from ..extensions import db
from ..models import OutboxJob, OutboxStatus, User
from ..operations import audit
from ..permissions import require_platform_admin


def job_overview(actor: User, limit: int = 200) -> tuple[dict[str, int], list[OutboxJob]]:
    """Counts per status, and the failed jobs (newest first)."""
    require_platform_admin(actor)
    counts = {status.value: 0 for status in OutboxStatus}
    for status, count in db.session.execute(select(OutboxJob.status, func.count()).group_by(OutboxJob.status)):
        counts[OutboxStatus(status).value] = count
    failed = list(db.session.scalars(select(OutboxJob).where(OutboxJob.status == OutboxStatus.failed)
                                     .order_by(OutboxJob.id.desc()).limit(limit)))
    return counts, failed


def retry_job(actor: User, job_id: int) -> None:
    require_platform_admin(actor)
    audit(None, actor, "job.retry", "outbox_job", job_id)
    if not jobs.retry(job_id):  # commits the audit entry together with the reset
        db.session.rollback()
        raise Conflict(_l("This job has not failed (or no longer exists): there is nothing to retry."))
