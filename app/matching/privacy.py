"""A person's referrals in their rights of access and erasure: the export lists them with their
history; anonymisation erases the comments written about the person and keeps the outcomes
(statuses, reasons, dates) for the statistics."""
from __future__ import annotations

from typing import Any

import sqlalchemy as sa

from app.extensions import db
from app.jobseekers import privacy
from app.jobseekers.models import JobSeeker
from app.matching.models import Referral


def _referrals(seeker: JobSeeker) -> list[Referral]:
    return list(db.session.scalars(sa.select(Referral).where(Referral.jobseeker_id == seeker.id)
                                   .order_by(Referral.id)))


def export(seeker: JobSeeker) -> list[dict[str, Any]]:
    return privacy.export_rows(_referrals(seeker), ("events",))


def erase(seeker: JobSeeker) -> None:
    for referral in _referrals(seeker):
        referral.comment = None
        for event in referral.events:
            event.comment = None


def install() -> None:
    privacy.register("referrals", export, erase)
