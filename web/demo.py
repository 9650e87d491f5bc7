"""`hah demo --serve`: the sample day, its rota and demo accounts, loaded into the web app.

A newcomer should be able to click through the app at once: the day's files are imported as
a coordinator would import them, the demo's rota is stored as a draft and published (only if
the independent checker finds it clean, like any publication), and three accounts are made —
a coordinator, a nurse who has visits on the published rota, and an ops lead — with fresh
random passwords printed once. When the data folder holds an e-roster export
(``eroster.csv``: the sample service's week) it is imported too, so the caseload's roster page
and "plan a day" without a file have staff from the first click; and when it holds the
caseload's files (``patients.csv``, ``careplans.csv``) and the caseload is still empty, those
patients are admitted on the demo day, so "plan tomorrow" from the caseload works at once.
Running it again re-imports the day (and the roster) and re-publishes; accounts that already
exist are left as they are (their passwords are not changed or printed).
"""

from __future__ import annotations

import secrets
from dataclasses import dataclass
from datetime import date
from pathlib import Path

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from scheduler.domain.model import Rota
from web.db import Database, upgrade
from web.models import Admission
from web.services import audit
from web.services.caseload_import import import_caseload
from web.services.days import Upload, get_day, import_day
from web.services.roster import import_roster
from web.services.rotas import PublishRefused, latest_published, publish, save_draft
from web.services.users import UserError, create_user, password_problems


@dataclass(frozen=True)
class DemoAccount:
    username: str
    role: str
    password: str | None  # None: the account existed already
    clinician_id: str | None = None


@dataclass(frozen=True)
class DemoLoad:
    day: date
    published_number: int | None
    refused: tuple[str, ...]
    accounts: tuple[DemoAccount, ...]
    #: The e-roster export imported (its duties), 0 when the data has none.
    roster_duties: int = 0
    #: Patients admitted to the caseload from the data's patients.csv (0: none, or the
    #: caseload already held patients).
    caseload_patients: int = 0


def _fresh_password(username: str) -> str:
    """A random 16-character password the policy accepts (a random one could, rarely, hold
    the username)."""
    while True:
        password = secrets.token_urlsafe(12)
        if not password_problems(password, username):
            return password

def _admit_sample_caseload(session: Session, data: Path, day: date) -> int:
    """The data's patients and care plans admitted on ``day`` (as the caseload's bulk import
    admits them, audited), unless the caseload holds patients already: a demo loaded again
    leaves a caseload someone has been working on as it is."""
    files = data / "patients.csv", data / "careplans.csv"
    if not all(f.exists() for f in files) or session.scalar(select(func.count(Admission.id))):
        return 0
    patients, careplans = (Upload(f.name, f.read_bytes()) for f in files)
    return len(import_caseload(session, patients, careplans, day, None, "demo"))


def load_demo(database_url: str, data: Path, day: date, rota: Rota) -> DemoLoad:
    """Import the day from ``data`` (visits.csv, clinicians.csv), publish ``rota``, make the
    demo accounts; everything in one transaction."""
    upgrade(database_url)
    db = Database(database_url)
    try:
        with db.session() as s:
            imp = import_day(
                s,
                day,
                Upload("visits.csv", (data / "visits.csv").read_bytes()),
                Upload("clinicians.csv", (data / "clinicians.csv").read_bytes()),
                None,
                "demo",
            )
            version = save_draft(s, imp, rota)
            number: int | None = None
            refused: tuple[str, ...] = ()
            day_row = get_day(s, day)
            before = latest_published(s, day_row) if day_row is not None else None
            try:  # a demo loaded again replaces the day's rota: it says so explicitly
                number = publish(s, version, None, "demo",
                                 confirm_replace=before.number if before else None)  # fmt: skip
            except PublishRefused as exc:
                refused = tuple(exc.reasons)
            busiest = max(rota.routes, key=lambda r: len(r.visit_ids), default=None)
            wanted: list[tuple[str, str, str | None]] = [
                ("coordinator", "coordinator", None),
                ("ops", "ops", None),
            ]
            if busiest is not None:
                wanted.insert(1, ("nurse", "nurse", busiest.clinician_id))
            accounts = []
            for username, role, cid in wanted:
                password = _fresh_password(username)
                try:
                    create_user(s, username, password, role, clinician_id=cid)
                    audit.record(s, None, "user_add", f"{username} ({role}) for the demo", "demo")
                    accounts.append(DemoAccount(username, role, password, cid))
                except UserError:
                    accounts.append(DemoAccount(username, role, None, cid))
            duties = 0
            if (data / "eroster.csv").exists():
                roster = Upload("eroster.csv", (data / "eroster.csv").read_bytes())
                duties = import_roster(s, roster, None, "demo").row.duties_count
            admitted = _admit_sample_caseload(s, data, day)
            s.commit()
            return DemoLoad(day, number, refused, tuple(accounts), duties, admitted)
    finally:
        db.dispose()
