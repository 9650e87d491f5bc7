"""The web app's stored state: users, imported days, rota versions, visit statuses, audit, jobs,
the caseload (patients, admissions, care plan items) and the roster (e-roster imports, duties).

Plain SQLAlchemy 2 (no Flask extension) so that the solve-job worker process and the
``hah users add`` command use the very same models without an app. The schema is owned by
Alembic (``migrations/``); a test compares these models with the migrated database so the
two never drift.

Stored stamps (when something was made, published, reported) are naive UTC ``datetime``
values (``utcnow()``), the same on SQLite, which has no time zones, and on PostgreSQL; ``local``
turns one into the wall-clock time people read. Rota times live in the rota's JSON, as local
times with their offset (``web.services.rotas.time_to_json``).
"""

from __future__ import annotations

from datetime import UTC, date, datetime, time

from sqlalchemy import (
    JSON,
    Boolean,
    Date,
    DateTime,
    Float,
    ForeignKey,
    Index,
    Integer,
    LargeBinary,
    String,
    Text,
    Time,
    UniqueConstraint,
    false,
    text,
)
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column, relationship

from scheduler.domain.localtime import ZONE
from scheduler.domain.localtime import local as to_local

ROLES = ("coordinator", "nurse", "ops", "admin")
VISIT_STATES = ("arrived", "done", "not_completed")
JOB_STATES = ("queued", "running", "done", "stopped", "failed", "cancelled")
#: The states of a job or capacity run still to finish: at most one such job per day and one
#: such capacity run at a time, which the database itself enforces (partial unique indexes,
#: migration 0005), so two web processes pressing Generate at once cannot both start one.
ACTIVE_STATES = ("queued", "running")
_ACTIVE_SQL = "state IN ('queued', 'running')"


def utcnow() -> datetime:
    """Naive UTC now: what every timestamp column stores."""
    return datetime.now(UTC).replace(tzinfo=None)


#: The service's clock for display (``scheduler.domain.localtime.ZONE``).
LOCAL_ZONE = ZONE


def local(stamp: datetime) -> datetime:
    """A stored (naive UTC) stamp, or an aware moment, as (aware) local wall-clock time, as
    people on the ward read it; it compares correctly with the domain's UTC moments."""
    return to_local(stamp if stamp.tzinfo is not None else stamp.replace(tzinfo=UTC))


class Base(DeclarativeBase):
    """Declarative base; its metadata is what Alembic's env.py compares against."""


class User(Base):
    """Someone who signs in. A nurse is tied to her ``clinician_id`` in clinicians.csv, which
    is the only thing that decides which route she may see."""

    __tablename__ = "users"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    username: Mapped[str] = mapped_column(String(80), unique=True)
    password_hash: Mapped[str] = mapped_column(String(255))
    role: Mapped[str] = mapped_column(String(20))
    clinician_id: Mapped[str | None] = mapped_column(String(64), nullable=True)
    active: Mapped[bool] = mapped_column(Boolean, default=True)
    created_at: Mapped[datetime] = mapped_column(DateTime, default=utcnow)
    #: Set by an admin's reset (or ``hah users reset``): the next sign-in must choose a new
    #: password before anything else.
    must_change_password: Mapped[bool] = mapped_column(Boolean, default=False)
    password_changed_at: Mapped[datetime | None] = mapped_column(DateTime, nullable=True)
    #: Single sign-on: the OpenID provider (``iss``) and its subject (``sub``) this account is
    #: linked to, if any; the pair is unique, so one person at the provider is one account.
    oidc_issuer: Mapped[str | None] = mapped_column(String(255), nullable=True)
    oidc_subject: Mapped[str | None] = mapped_column(String(255), nullable=True)

    __table_args__ = (
        UniqueConstraint("oidc_issuer", "oidc_subject", name="uq_users_oidc_identity"),
    )


class UserSession(Base):
    """A signed-in session, kept on the server: the cookie holds only a random token, of
    which a SHA-256 is stored here, so a session ends when this row says so (sign-out, a
    password change, an admin, the idle or absolute timeout) whatever copy of the cookie
    someone kept. ``data`` is the session's own values (its CSRF token and the like)."""

    __tablename__ = "user_sessions"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    user_id: Mapped[int | None] = mapped_column(
        ForeignKey("users.id", ondelete="CASCADE"), nullable=True, index=True
    )
    data: Mapped[dict] = mapped_column(JSON, default=dict)
    #: How it was signed in to: "password" or "oidc".
    via: Mapped[str] = mapped_column(String(20), default="password")
    ip: Mapped[str] = mapped_column(String(64), default="")
    created_at: Mapped[datetime] = mapped_column(DateTime, default=utcnow)
    last_seen_at: Mapped[datetime] = mapped_column(DateTime, default=utcnow)
    #: The absolute end, fixed at sign-in: no activity extends a session past it.
    expires_at: Mapped[datetime] = mapped_column(DateTime, index=True)
    revoked_at: Mapped[datetime | None] = mapped_column(DateTime, nullable=True)
    #: Why it ended early: "logout", "password_changed", "admin", "disabled", …
    revoked_reason: Mapped[str] = mapped_column(String(40), default="")


class Day(Base):
    """A service day (the date of its shifts); its inputs and rotas hang off it."""

    __tablename__ = "days"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    date: Mapped[date] = mapped_column(Date, unique=True)
    created_at: Mapped[datetime] = mapped_column(DateTime, default=utcnow)
    imports: Mapped[list[DayImport]] = relationship(
        back_populates="day", order_by="DayImport.id", cascade="all, delete-orphan"
    )


class DayImport(Base):
    """The two uploaded CSV files exactly as received (bytes and names).

    The raw files are kept rather than normalised rows so that the Problem is re-built by the
    same ``scheduler.domain.formats`` readers that validated them, and an audit can see
    what was uploaded.
    Every rota version points at the import it was made from, so a re-import never changes
    what an older version meant.
    """

    __tablename__ = "day_imports"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    day_id: Mapped[int] = mapped_column(ForeignKey("days.id", ondelete="CASCADE"), index=True)
    visits_name: Mapped[str] = mapped_column(String(255))
    visits_csv: Mapped[bytes] = mapped_column(LargeBinary)
    clinicians_name: Mapped[str] = mapped_column(String(255))
    clinicians_csv: Mapped[bytes] = mapped_column(LargeBinary)
    visits_count: Mapped[int] = mapped_column(Integer)
    clinicians_count: Mapped[int] = mapped_column(Integer)
    patients_count: Mapped[int] = mapped_column(Integer)
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"), nullable=True)
    created_at: Mapped[datetime] = mapped_column(DateTime, default=utcnow)
    #: Retention (``web.services.retention``): when the files' personal data was purged, the
    #: bytes above then being a minimised copy (no addresses, access notes, names or
    #: patient preferences; places coarsened), and the drives the import's stored rotas were
    #: timed with (``[[from_lat, from_lon, to_lat, to_lon, minutes], …]`` between the
    #: minimised places), so the day rebuilds and its rotas re-check exactly as before.
    purged_at: Mapped[datetime | None] = mapped_column(DateTime, nullable=True)
    purged_travel: Mapped[list | None] = mapped_column(JSON, nullable=True)
    day: Mapped[Day] = relationship(back_populates="imports")


class RotaVersion(Base):
    """A rota for a day: a draft from a solve, or a published version numbered 1, 2, … per day.

    ``rota`` is the JSON of ``web.services.rotas.rota_to_json``; ``kpis`` and ``violations``
    are what ``scheduler.domain.check`` found when it was stored. Publishing re-checks it.
    """

    __tablename__ = "rota_versions"
    __table_args__ = (UniqueConstraint("day_id", "number", name="uq_rota_versions_day_number"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    day_id: Mapped[int] = mapped_column(ForeignKey("days.id", ondelete="CASCADE"), index=True)
    import_id: Mapped[int] = mapped_column(ForeignKey("day_imports.id", ondelete="CASCADE"))
    status: Mapped[str] = mapped_column(String(20), default="draft")
    number: Mapped[int | None] = mapped_column(Integer, nullable=True)
    rota: Mapped[dict] = mapped_column(JSON)
    kpis: Mapped[dict] = mapped_column(JSON, default=dict)
    violations: Mapped[list] = mapped_column(JSON, default=list)
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"), nullable=True)
    created_at: Mapped[datetime] = mapped_column(DateTime, default=utcnow)
    published_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"), nullable=True)
    published_at: Mapped[datetime | None] = mapped_column(DateTime, nullable=True)
    #: The version this one was made from (a coordinator's edit or a re-optimisation), so a
    #: draft's history and "what changed since the published version" can be shown.
    parent_id: Mapped[int | None] = mapped_column(
        ForeignKey("rota_versions.id", ondelete="SET NULL"), nullable=True
    )
    #: What made it, in words: "generated (60 s)", "moved V0012 to C004", …
    note: Mapped[str] = mapped_column(Text, default="")


class VisitStatus(Base):
    """A nurse's report on one visit (append-only: the latest row per visit and clinician
    is the current status, the earlier ones are its history)."""

    __tablename__ = "visit_statuses"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    day_id: Mapped[int] = mapped_column(ForeignKey("days.id", ondelete="CASCADE"), index=True)
    visit_id: Mapped[str] = mapped_column(String(128))
    clinician_id: Mapped[str] = mapped_column(String(64))
    status: Mapped[str] = mapped_column(String(20))
    reason: Mapped[str] = mapped_column(Text, default="")
    user_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"), nullable=True)
    at: Mapped[datetime] = mapped_column(DateTime, default=utcnow)


class AuditLog(Base):
    """Who did what, when: imports, solves, publications, statuses, sign-ins."""

    __tablename__ = "audit_log"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    at: Mapped[datetime] = mapped_column(DateTime, default=utcnow, index=True)
    user_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"), nullable=True)
    username: Mapped[str] = mapped_column(String(80), default="")
    action: Mapped[str] = mapped_column(String(64))
    detail: Mapped[str] = mapped_column(Text, default="")
    ip: Mapped[str] = mapped_column(String(64), default="")


class SolveJob(Base):
    """A background solve. The worker writes its progress here and reads ``stop_requested``,
    so any web process (and a page polling it) sees the same state."""

    __tablename__ = "solve_jobs"
    __table_args__ = (
        Index("uq_solve_jobs_active_day", "day_id", unique=True,
              sqlite_where=text(_ACTIVE_SQL), postgresql_where=text(_ACTIVE_SQL)),
    )  # fmt: skip

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    day_id: Mapped[int] = mapped_column(ForeignKey("days.id", ondelete="CASCADE"), index=True)
    import_id: Mapped[int] = mapped_column(ForeignKey("day_imports.id", ondelete="CASCADE"))
    state: Mapped[str] = mapped_column(String(20), default="queued")
    time_limit_s: Mapped[float] = mapped_column(Float)
    stop_requested: Mapped[bool] = mapped_column(Boolean, default=False)
    best_cost: Mapped[int | None] = mapped_column(Integer, nullable=True)
    tasks_placed: Mapped[int | None] = mapped_column(Integer, nullable=True)
    tasks_total: Mapped[int | None] = mapped_column(Integer, nullable=True)
    error: Mapped[str] = mapped_column(Text, default="")
    rota_version_id: Mapped[int | None] = mapped_column(
        ForeignKey("rota_versions.id"), nullable=True
    )
    #: A re-optimisation starts from this version (its routes and locks); None solves afresh.
    base_version_id: Mapped[int | None] = mapped_column(
        ForeignKey("rota_versions.id", ondelete="SET NULL"), nullable=True
    )
    #: With a base: move a visit only when that saves at least this many minutes (keep the
    #: plan); None lets the search change anything but the locks.
    keep_plan_min: Mapped[int | None] = mapped_column(Integer, nullable=True)
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"), nullable=True)
    created_at: Mapped[datetime] = mapped_column(DateTime, default=utcnow)
    started_at: Mapped[datetime | None] = mapped_column(DateTime, nullable=True)
    heartbeat_at: Mapped[datetime | None] = mapped_column(DateTime, nullable=True)
    finished_at: Mapped[datetime | None] = mapped_column(DateTime, nullable=True)
    #: How many times the job was handed to a worker: 1 at the first submission, one more at
    #: each re-queue after its worker died. A worker owns the job only for the attempt it
    #: was given (its heartbeats and its result are written ``WHERE attempt = …``), so a
    #: worker presumed dead that comes back can never store a second rota.
    attempt: Mapped[int] = mapped_column(Integer, default=0, server_default="0")


class LoginFailure(Base):
    """One failed sign-in, counted per IP and username to rate-limit password guessing.

    Kept in the database rather than in memory so the limit holds across worker processes
    and restarts.
    """

    __tablename__ = "login_failures"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    ip: Mapped[str] = mapped_column(String(64))
    username: Mapped[str] = mapped_column(String(80))
    at: Mapped[datetime] = mapped_column(DateTime, default=utcnow, index=True)


class CalendarToken(Base):
    """A nurse's private calendar link. Only a SHA-256 of the token is stored, so the link
    cannot be rebuilt from a copy of the database; revoking sets ``revoked_at`` and a new
    link is a new row."""

    __tablename__ = "calendar_tokens"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    created_at: Mapped[datetime] = mapped_column(DateTime, default=utcnow)
    revoked_at: Mapped[datetime | None] = mapped_column(DateTime, nullable=True)


class RouteView(Base):
    """The published version of a day a nurse last opened her route in, and when: what tells
    her that her route changed since she looked."""

    __tablename__ = "route_views"
    __table_args__ = (UniqueConstraint("user_id", "day_id", name="uq_route_views_user_day"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"))
    day_id: Mapped[int] = mapped_column(ForeignKey("days.id", ondelete="CASCADE"), index=True)
    version_number: Mapped[int] = mapped_column(Integer)
    #: The stops she saw (visit id and start), to say what changed, not only that it did.
    seen: Mapped[list] = mapped_column(JSON, default=list)
    at: Mapped[datetime] = mapped_column(DateTime, default=utcnow)


class CapacityRun(Base):
    """A capacity sweep started from the ops page (``web.services.capacity``): its parameters,
    the worker's progress (days solved of days asked for) and, when it ends, the sweep's
    summaries per census. The worker reads ``stop_requested``, as a solve job's does; the day
    results themselves are kept in ``results_dir`` (``results.jsonl``), so a run with the same
    scenario and time limit resumes from them."""

    __tablename__ = "capacity_runs"
    __table_args__ = (
        Index("uq_capacity_runs_active_lane", "lane", unique=True,
              sqlite_where=text(_ACTIVE_SQL), postgresql_where=text(_ACTIVE_SQL)),
    )  # fmt: skip

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    state: Mapped[str] = mapped_column(String(20), default="queued")
    #: scenario ("sample" or TOML text), sizes, seeds, time_limit_s, level, workers, …; a
    #: simulated month has kind "month" and days, census, mean_stay_days instead of sizes, seeds
    params: Mapped[dict] = mapped_column(JSON)
    progress_done: Mapped[int] = mapped_column(Integer, default=0)
    progress_total: Mapped[int] = mapped_column(Integer, default=0)
    #: ``web.services.capacity.serialise`` of the sweep (``serialise_month`` of a month); None
    #: until it ends.
    results: Mapped[dict | None] = mapped_column(JSON, nullable=True)
    error: Mapped[str] = mapped_column(Text, default="")
    stop_requested: Mapped[bool] = mapped_column(Boolean, default=False)
    results_dir: Mapped[str] = mapped_column(String(1000), default="")
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"), nullable=True)
    created_at: Mapped[datetime] = mapped_column(DateTime, default=utcnow)
    started_at: Mapped[datetime | None] = mapped_column(DateTime, nullable=True)
    heartbeat_at: Mapped[datetime | None] = mapped_column(DateTime, nullable=True)
    finished_at: Mapped[datetime | None] = mapped_column(DateTime, nullable=True)
    #: As ``SolveJob.attempt``.
    attempt: Mapped[int] = mapped_column(Integer, default=0, server_default="0")
    #: Every run shares the one lane "capacity": the partial unique index on it allows one
    #: active run (sweep or month) for the whole service, whichever process starts it.
    lane: Mapped[str] = mapped_column(String(20), default="capacity", server_default="capacity")


class DayEvent(Base):
    """Something that happened during the live day (an urgent referral, a nurse off sick or
    running late, a visit cancelled or its window changed, a bank shift added), with the
    proposals the re-planner answered it with and what the coordinator did.

    ``at`` is the service clock's time of the event (``web.services.clock``), stored naive
    UTC like every other timestamp (``clock.from_stamp`` makes it a moment again);
    ``visits_csv`` / ``clinicians_csv`` are the day's files as the event leaves them (None
    when it changes no file: a nurse running late), stored as a new import only when a
    proposal is accepted, so an event nobody accepts changes nothing.
    ``proposals`` is the JSON of ``web.services.events``; ``accepted`` the index taken.

    The proposals are worked out off the request, by a worker (``web.services.event_jobs``),
    as solve jobs are: ``state`` is queued, running, ready or failed; ``attempt``,
    ``heartbeat_at`` and ``stop_requested`` are what ``web.services.runners`` and the reaper
    read; ``inputs`` is what the request took (its form, the visits reported arrived or
    done, the import a re-plan carries over to), so the worker answers the event as taken.
    """

    __tablename__ = "day_events"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    day_id: Mapped[int] = mapped_column(ForeignKey("days.id", ondelete="CASCADE"), index=True)
    state: Mapped[str] = mapped_column(String(20), default="queued", server_default="ready",
                                       index=True)  # fmt: skip
    attempt: Mapped[int] = mapped_column(Integer, default=1, server_default="0")
    stop_requested: Mapped[bool] = mapped_column(Boolean, default=False, server_default=false())
    started_at: Mapped[datetime | None] = mapped_column(DateTime, nullable=True)
    heartbeat_at: Mapped[datetime | None] = mapped_column(DateTime, nullable=True)
    finished_at: Mapped[datetime | None] = mapped_column(DateTime, nullable=True)
    error: Mapped[str] = mapped_column(Text, default="", server_default="")
    inputs: Mapped[dict | None] = mapped_column(JSON, nullable=True)
    kind: Mapped[str] = mapped_column(String(32))
    detail: Mapped[dict] = mapped_column(JSON, default=dict)
    at: Mapped[datetime] = mapped_column(DateTime)
    base_version_id: Mapped[int | None] = mapped_column(
        ForeignKey("rota_versions.id", ondelete="SET NULL"), nullable=True
    )
    visits_csv: Mapped[bytes | None] = mapped_column(LargeBinary, nullable=True)
    clinicians_csv: Mapped[bytes | None] = mapped_column(LargeBinary, nullable=True)
    proposals: Mapped[list] = mapped_column(JSON, default=list)
    accepted: Mapped[int | None] = mapped_column(Integer, nullable=True)
    draft_version_id: Mapped[int | None] = mapped_column(
        ForeignKey("rota_versions.id", ondelete="SET NULL"), nullable=True
    )
    seconds: Mapped[float] = mapped_column(Float, default=0.0)
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"), nullable=True)
    created_at: Mapped[datetime] = mapped_column(DateTime, default=utcnow)
    #: Retention: when the amended files and the form (a referral's address and place) were
    #: minimised as the day's imports are.
    purged_at: Mapped[datetime | None] = mapped_column(DateTime, nullable=True)


class Patient(Base):
    """A patient of the service's caseload (issue 14): who, where, and what every visit of
    theirs carries. ``patient_id`` is the service's own id (what visits, rotas and the
    audit log name them by); ``nhs_number`` (ten digits, its check digit valid) is unique
    when known. ``risk_flags`` and ``excluded_clinicians`` are lists of tags and clinician
    ids; ``carer_gender`` is ``F``, ``M`` or empty. Care plans hang off admissions."""

    __tablename__ = "patients"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    patient_id: Mapped[str] = mapped_column(String(64), unique=True)
    nhs_number: Mapped[str | None] = mapped_column(String(10), unique=True, nullable=True)
    name: Mapped[str] = mapped_column(String(200), default="")
    address: Mapped[str] = mapped_column(Text, default="")
    postcode: Mapped[str] = mapped_column(String(10), default="")
    lat: Mapped[float] = mapped_column(Float)
    lon: Mapped[float] = mapped_column(Float)
    access_notes: Mapped[str] = mapped_column(Text, default="")
    risk_flags: Mapped[list] = mapped_column(JSON, default=list)
    excluded_clinicians: Mapped[list] = mapped_column(JSON, default=list)
    carer_gender: Mapped[str] = mapped_column(String(1), default="")
    preferred_clinician: Mapped[str | None] = mapped_column(String(64), nullable=True)
    created_at: Mapped[datetime] = mapped_column(DateTime, default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(DateTime, default=utcnow, onupdate=utcnow)
    #: Retention: when a discharged patient's personal data (name, NHS number, address,
    #: postcode, access notes, preferences, risk flags, the exact place) was purged; the
    #: service id, the stays and the plan history stay. A new admission clears it.
    purged_at: Mapped[datetime | None] = mapped_column(DateTime, nullable=True)
    admissions: Mapped[list[Admission]] = relationship(
        back_populates="patient", order_by="Admission.id", cascade="all, delete-orphan"
    )


class Admission(Base):
    """One stay on the caseload: admitted on a date, discharged on one (None while on the
    caseload). Its care plan items are the regimens of that stay."""

    __tablename__ = "admissions"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    patient_id: Mapped[int] = mapped_column(
        ForeignKey("patients.id", ondelete="CASCADE"), index=True
    )
    admitted_on: Mapped[date] = mapped_column(Date)
    discharged_on: Mapped[date | None] = mapped_column(Date, nullable=True)
    discharge_note: Mapped[str] = mapped_column(Text, default="")
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"), nullable=True)
    created_at: Mapped[datetime] = mapped_column(DateTime, default=utcnow)
    discharged_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"), nullable=True)
    discharged_at: Mapped[datetime | None] = mapped_column(DateTime, nullable=True)
    patient: Mapped[Patient] = relationship(back_populates="admissions")
    items: Mapped[list[PlanItem]] = relationship(
        back_populates="admission", order_by="PlanItem.id", cascade="all, delete-orphan"
    )


class PlanItem(Base):
    """One regimen of a stay, from ``start_date`` to ``end_date`` (None: until changed,
    stopped or discharged), with the fields of ``scheduler.domain.careplan.CarePlanItem``.

    Rows are never rewritten but for their end: a regimen change from a date ends this item
    the day before and adds its successor, whose ``replaces_id`` points here, so the plan's
    history stays readable. An item ended before it ever started has ``end_date`` the day
    before its ``start_date`` (it is never active); ``end_reason`` says why it ended
    (``changed``, ``stopped``, ``discharged``)."""

    __tablename__ = "care_plan_items"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    admission_id: Mapped[int] = mapped_column(
        ForeignKey("admissions.id", ondelete="CASCADE"), index=True
    )
    patient_id: Mapped[int] = mapped_column(
        ForeignKey("patients.id", ondelete="CASCADE"), index=True
    )
    regimen: Mapped[str] = mapped_column(String(32))
    frequency: Mapped[str] = mapped_column(String(8), default="")
    first_time: Mapped[time | None] = mapped_column(Time, nullable=True)
    tolerance_min: Mapped[int | None] = mapped_column(Integer, nullable=True)
    duration_min: Mapped[int | None] = mapped_column(Integer, nullable=True)
    run_hours: Mapped[float | None] = mapped_column(Float, nullable=True)
    line: Mapped[str] = mapped_column(String(16), default="peripheral")
    start_date: Mapped[date] = mapped_column(Date)
    end_date: Mapped[date | None] = mapped_column(Date, nullable=True)
    priority: Mapped[int | None] = mapped_column(Integer, nullable=True)
    staff: Mapped[int | None] = mapped_column(Integer, nullable=True)
    replaces_id: Mapped[int | None] = mapped_column(
        ForeignKey("care_plan_items.id", ondelete="SET NULL"), nullable=True
    )
    end_reason: Mapped[str] = mapped_column(String(20), default="")
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"), nullable=True)
    created_at: Mapped[datetime] = mapped_column(DateTime, default=utcnow)
    ended_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"), nullable=True)
    ended_at: Mapped[datetime | None] = mapped_column(DateTime, nullable=True)
    admission: Mapped[Admission] = relationship(back_populates="items")


class RosterImport(Base):
    """One e-roster export stored (``web.services.roster.import_roster``): the file's name,
    the period it covered (``first_day`` to ``last_day``, whose duties it replaced) and what
    it held. The duties themselves are ``RosterDuty`` rows; the file is not kept (its rows
    are, normalised, and nothing in it is patient data)."""

    __tablename__ = "roster_imports"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    file_name: Mapped[str] = mapped_column(String(255))
    first_day: Mapped[date] = mapped_column(Date)
    last_day: Mapped[date] = mapped_column(Date)
    duties_count: Mapped[int] = mapped_column(Integer)
    #: Rows of leave, sickness, study… (not working duties), skipped.
    skipped_count: Mapped[int] = mapped_column(Integer, default=0)
    #: Stored duties of the period this import replaced (and of them, entered on the web).
    replaced_count: Mapped[int] = mapped_column(Integer, default=0)
    replaced_entered: Mapped[int] = mapped_column(Integer, default=0)
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"), nullable=True)
    created_at: Mapped[datetime] = mapped_column(DateTime, default=utcnow)


class RosterDuty(Base):
    """One clinician on shift on one planning day (07:00 to 07:00), as the e-roster's export
    gave it (``source`` "import", with its ``import_id``) or a coordinator entered it on the
    web (``source`` "entered": a bank nurse booked today). The fields of a
    ``scheduler.domain.model.Shift``: ``starts_at``, ``ends_at`` and the break window are naive
    UTC like every stamp here (``web.services.roster`` makes them moments again). One duty
    per clinician and day (unique), so a day's staff is a list of shifts ready to plan."""

    __tablename__ = "roster_duties"
    __table_args__ = (
        UniqueConstraint("day", "clinician_id", name="uq_roster_duties_day_clinician"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    day: Mapped[date] = mapped_column(Date, index=True)
    clinician_id: Mapped[str] = mapped_column(String(64))
    name: Mapped[str] = mapped_column(String(200))
    role: Mapped[str] = mapped_column(String(16), default="")
    skills: Mapped[list] = mapped_column(JSON, default=list)
    gender: Mapped[str] = mapped_column(String(1), default="")
    starts_at: Mapped[datetime] = mapped_column(DateTime)
    ends_at: Mapped[datetime] = mapped_column(DateTime)
    break_min: Mapped[int] = mapped_column(Integer, default=0)
    break_earliest: Mapped[datetime | None] = mapped_column(DateTime, nullable=True)
    break_latest: Mapped[datetime | None] = mapped_column(DateTime, nullable=True)
    lat: Mapped[float] = mapped_column(Float)
    lon: Mapped[float] = mapped_column(Float)
    base: Mapped[str] = mapped_column(String(200), default="")
    duty_code: Mapped[str] = mapped_column(String(32), default="")
    source: Mapped[str] = mapped_column(String(16), default="import")
    import_id: Mapped[int | None] = mapped_column(
        ForeignKey("roster_imports.id", ondelete="SET NULL"), nullable=True, index=True
    )
    note: Mapped[str] = mapped_column(Text, default="")
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"), nullable=True)
    created_at: Mapped[datetime] = mapped_column(DateTime, default=utcnow)
    #: Retention, as a day's uploads: when the duty's personal data (the name, its id instead;
    #: the gender; the note; the exact base, coarsened) was minimised.
    purged_at: Mapped[datetime | None] = mapped_column(DateTime, nullable=True)
