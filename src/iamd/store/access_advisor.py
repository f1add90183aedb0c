"""Access advisor jobs: what GenerateServiceLastAccessedDetails was asked, by job id."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from sqlalchemy import Connection, delete, insert, select

from iamd.store.db import as_utc
from iamd.store.schema import access_advisor_jobs

KEEP_JOBS = dt.timedelta(days=30)  # older jobs of an account go when it starts a new one


@dataclass(frozen=True, slots=True)
class Job:
    job_id: str
    account_id: str
    arn: str
    granularity: str
    created_at: dt.datetime


def add_job(conn: Connection, job: Job) -> None:
    t = access_advisor_jobs.c
    conn.execute(
        delete(access_advisor_jobs).where(
            t.account_id == job.account_id, t.created_at < job.created_at - KEEP_JOBS
        )
    )
    conn.execute(
        insert(access_advisor_jobs).values(
            job_id=job.job_id,
            account_id=job.account_id,
            arn=job.arn,
            granularity=job.granularity,
            created_at=job.created_at,
        )
    )


def get_job(conn: Connection, account_id: str, job_id: str) -> Job | None:
    t = access_advisor_jobs.c
    row = conn.execute(
        select(access_advisor_jobs).where(t.job_id == job_id, t.account_id == account_id)
    ).first()
    if row is None:
        return None
    return Job(row.job_id, row.account_id, row.arn, row.granularity, as_utc(row.created_at))
