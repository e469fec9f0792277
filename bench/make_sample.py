"""Regenerate ``sample_logs/``: one realistic month (October 2025, Europe/Paris) of licence logs.

The README runs ``licaudit report sample_logs/`` on what this script writes, so the output
is deterministic (one seeded ``random.Random``, no set iteration, ``\\n`` line endings)
and small enough to commit. Run it from the project root::

    .venv/bin/python bench/make_sample.py            # writes sample_logs/
    .venv/bin/python bench/make_sample.py --out /tmp/sample --seed 7

What the month holds, and why:

* ``netexplorer_access_2025-10.csv`` -- the NetExplorer access log: ~25 named users with
  office hours (weekdays heavy, weekends light), methods among web, webdav, outlook,
  mobile, api, sync and netsync, two products (netexplorer, lms), addresses written with
  other capitalisation or stray spaces, anonymous share-link visitors (user empty,
  ``anonymous``, ``guest`` or ``-``, or an outside e-mail with ``authenticated=false``,
  session = their IP), power users reaching 6 or 7 methods on a day, an empty method
  (``unknown`` counts as a method), a late worker whose 00:15 event belongs to the next
  local day, a night sync burst and events in both 02:xx hours of the DST fall-back.
* ``sync_agent_2025-10.jsonl`` -- a sync agent's own log, with other column names
  (``event_time`` in epoch milliseconds, ``login``, ``channel``, ``app``, ``host``): part
  of the users' sync traffic lives only here, so the daily counts need both files read
  as one stream. It holds a Saturday-night sync burst.
* ``autodesk_usage_2025-10.csv`` -- Autodesk Flex sessions (``start_time``/``end_time`` in
  UTC) for the flex model: short free opens, idle gaps, a session forgotten over a
  weekend, a user on four devices and one on two devices at once.
* about 0.3 % deliberately bad rows (``not a date``, an impossible date, an empty or
  absent timestamp, one session ending before it starts), under the 1 % reject limit.
* ``licences/roster.csv``, ``licences/flex_rates.csv``, ``licences/flex_packs.csv`` --
  inputs of the roster and flex models, kept in a subfolder because every supported
  file at the top of ``sample_logs/`` is read as events.
* ``licences/groups.csv`` -- each employee's department, for the chargeback; the new
  hire, the intern and the Autodesk partner are not in it (they go to ``unassigned``).
* ``licaudit.toml`` -- the daily-active contract for the folder.
"""

from __future__ import annotations

import argparse
import csv
import json
import random
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

PARIS = ZoneInfo("Europe/Paris")
DAYS = [date(2025, 10, d) for d in range(1, 32)]
SYNC_METHODS = ("sync", "netsync")
ALL_METHODS = ("web", "webdav", "outlook", "mobile", "api", "sync", "netsync")
# Month-end closing and the file-server migration day: everybody is in, power users use
# every client they have. These are the days that go over the contract's capacity.
PEAK_DAYS = (date(2025, 10, 15), date(2025, 10, 30))
CAPACITY = 24
PRICE = "1500.00"
EXCESS_PRICE = "60.00"
CSV_HEADER = (
    "timestamp",
    "user",
    "access_method",
    "product",
    "session_id",
    "device",
    "authenticated",
)


@dataclass(frozen=True)
class Person:
    """A named user of the sample company and their habits."""

    email: str
    methods: tuple[str, ...]  # habitual access methods, the first used every day
    weekday_presence: float = 0.88
    weekend_presence: float = 0.06
    power: bool = False
    lms: bool = False
    first_day: date = DAYS[0]
    last_day: date = DAYS[-1]
    leave: tuple[date, date] | None = None  # holidays, inclusive
    spellings: tuple[str, ...] = ()  # how some log lines write the address instead

    @property
    def tag(self) -> str:
        first, _, rest = self.email.partition("@")[0].partition(".")
        return (first[0] + rest).upper()

    def present_on(self, day: date) -> bool:
        if not self.first_day <= day <= self.last_day:
            return False
        return self.leave is None or not self.leave[0] <= day <= self.leave[1]


OFFICE = ("web", "outlook", "sync")
MOBILE = ("web", "mobile", "outlook")
DESIGN = ("netsync", "web", "webdav")
DEV = ("api", "web", "webdav")
POWER = ("web", "sync", "netsync", "outlook", "mobile")
TOUSSAINT_1 = (date(2025, 10, 20), date(2025, 10, 24))
TOUSSAINT_2 = (date(2025, 10, 27), date(2025, 10, 31))

PEOPLE = (
    Person(
        "alice.martin@acme.fr", OFFICE, spellings=("Alice.Martin@acme.fr", " alice.martin@acme.fr")
    ),
    Person("bruno.bernard@acme.fr", MOBILE, weekend_presence=0.2),
    Person("chloe.dubois@acme.fr", DESIGN, lms=True),
    Person("david.thomas@acme.fr", OFFICE, spellings=("DAVID.THOMAS@ACME.FR",)),
    Person("emma.robert@acme.fr", MOBILE, lms=True, leave=TOUSSAINT_1),
    Person("francois.richard@acme.fr", OFFICE, weekday_presence=0.8),
    Person("gabrielle.petit@acme.fr", OFFICE, lms=True),
    Person("hugo.durand@acme.fr", DESIGN, spellings=("Hugo.Durand@Acme.fr",)),
    Person("ines.leroy@acme.fr", MOBILE, leave=TOUSSAINT_2),
    Person(
        "julien.moreau@acme.fr",
        POWER,
        power=True,
        weekend_presence=0.3,
        spellings=("Julien.Moreau@acme.fr ",),
    ),
    Person("karine.simon@acme.fr", POWER, power=True),
    Person("louis.laurent@acme.fr", DEV, weekday_presence=0.92),
    Person("manon.lefebvre@acme.fr", DESIGN, leave=TOUSSAINT_1),
    Person("nicolas.michel@acme.fr", POWER, power=True, weekend_presence=0.15),
    Person("oceane.garcia@acme.fr", MOBILE, lms=True),
    Person("pierre.david@acme.fr", DESIGN),
    Person("quentin.bertrand@acme.fr", DEV, weekday_presence=0.75),
    Person("rose.roux@acme.fr", DESIGN, lms=True, spellings=("ROSE.ROUX@acme.fr",)),
    Person("samuel.vincent@acme.fr", OFFICE, leave=TOUSSAINT_2),
    Person("tiphaine.fournier@acme.fr", OFFICE, lms=True),
    Person("ugo.morel@acme.fr", MOBILE, weekday_presence=0.7),
    Person("valerie.girard@acme.fr", OFFICE),
    Person("william.andre@acme.fr", OFFICE, weekday_presence=0.82),
    Person("xavier.lefevre@acme.fr", OFFICE, last_day=date(2025, 10, 17)),  # leaves the company
    Person("yasmine.mercier@acme.fr", MOBILE, lms=True),
    Person("zoe.dupont@acme.fr", OFFICE, first_day=date(2025, 10, 13)),  # new hire
)
BY_EMAIL = {person.email: person for person in PEOPLE}
DEVICE_KIND = {
    "web": "LAPTOP",
    "webdav": "LAPTOP",
    "outlook": "LAPTOP",
    "sync": "LAPTOP",
    "netsync": "WS",
    "mobile": "IPHONE",
    "api": "SRV",
}
SHOWN_METHOD = {
    "web": "Web",
    "webdav": "WebDAV",
    "outlook": "Outlook",
    "mobile": "Mobile",
    "api": "API",
    "sync": "Sync",
    "netsync": "NetSync",
}


@dataclass
class Event:
    """One access-log line before it is written to one of the two sources."""

    instant: datetime  # aware
    user: str
    method: str
    product: str = "netexplorer"
    session: str = ""
    device: str = ""
    authenticated: str = "true"
    source: str = "csv"  # or "jsonl" (the sync agent)


def local(day: date, hour: int, minute: int, second: int = 0, fold: int = 0) -> datetime:
    """The Paris wall-clock time, ``fold=1`` for the second 02:xx of the DST fall-back."""
    return datetime.combine(day, time(hour, minute, second, fold=fold), tzinfo=PARIS)


def office_time(rng: random.Random, day: date, start: float, end: float) -> datetime:
    """A time between ``start`` and ``end`` hours, with a lunch dip."""
    while True:
        hour = rng.uniform(start, end)
        if not 12.25 <= hour < 13.5 or rng.random() < 0.3:
            break
    seconds = int(hour * 3600)
    return local(day, seconds // 3600, seconds // 60 % 60, seconds % 60)


def session_id(rng: random.Random) -> str:
    return f"{rng.getrandbits(48):012x}"


def written_user(rng: random.Random, person: Person) -> str:
    if person.spellings and rng.random() < 0.2:
        return rng.choice(person.spellings)
    return person.email


def written_method(rng: random.Random, method: str) -> str:
    roll = rng.random()
    if roll < 0.03:
        return SHOWN_METHOD[method]
    if roll < 0.04:
        return f" {method}"
    return method


def day_methods(rng: random.Random, person: Person, day: date) -> list[str]:
    """The distinct methods a present user touches on a day."""
    if person.power and day in PEAK_DAYS:
        # Karine stops at six clients; Julien and Nicolas use all seven.
        return [*POWER, "webdav"] if person.email == "karine.simon@acme.fr" else list(ALL_METHODS)
    if day.weekday() >= 5:
        return [rng.choice(person.methods)]
    methods = [person.methods[0]] + [m for m in person.methods[1:] if rng.random() < 0.6]
    if person.power and rng.random() < 0.05:  # an odd day with a sixth client
        methods = [*POWER, rng.choice(("webdav", "api"))]
    return methods


def person_day(rng: random.Random, person: Person, day: date) -> Iterator[Event]:
    """The events of one present user on one day, across both sources."""
    weekend = day.weekday() >= 5
    start = rng.uniform(7.5, 9.5) if not weekend else rng.uniform(9, 15)
    end = rng.uniform(16.5, 19.5) if not weekend else start + rng.uniform(0.3, 2)
    for method in day_methods(rng, person, day):
        sync = method in SYNC_METHODS
        count = rng.randint(2, 7) if sync else rng.randint(1, 4 if weekend else 6)
        session = session_id(rng)
        for _ in range(count):
            yield Event(
                office_time(rng, day, start, end),
                written_user(rng, person),
                written_method(rng, method),
                "NetExplorer" if rng.random() < 0.02 else "netexplorer",
                session,
                f"{DEVICE_KIND[method]}-{person.tag}",
                "" if rng.random() < 0.02 else "true",
                "jsonl" if sync and rng.random() < 0.35 else "csv",
            )
    if person.lms and not weekend and rng.random() < 0.3:
        session = session_id(rng)
        for _ in range(rng.randint(1, 4)):
            yield Event(
                office_time(rng, day, start, end),
                written_user(rng, person),
                rng.choice(("web", "web", "mobile")),
                rng.choice(("lms", "lms", "LMS")),
                session,
                f"LAPTOP-{person.tag}",
            )


def anonymous_visits(rng: random.Random, day: date) -> Iterator[Event]:
    """Share-link and deposit-link visitors: no account, known by their IP."""
    visitors = rng.randint(2, 6) if day.weekday() < 5 else rng.randint(0, 2)
    for _ in range(visitors):
        ip = rng.choice(("203.0.113", "198.51.100", "192.0.2")) + f".{rng.randint(2, 254)}"
        user = rng.choices(
            ("", "anonymous", "guest", "-", "contact@batiplus.fr"), weights=(55, 30, 6, 5, 4)
        )[0]
        for _ in range(rng.randint(1, 5)):
            yield Event(
                office_time(rng, day, 8, 20), user, "web", session=ip, authenticated="false"
            )


def scripted_events(rng: random.Random) -> Iterator[Event]:
    """Situations placed on purpose, each exercising one rule of the SPEC."""
    # Zoe's first day: she sets up every client she is offered -> 6 methods, 2 seats.
    zoe = BY_EMAIL["zoe.dupont@acme.fr"]
    for method in ("web", "outlook", "mobile", "sync", "netsync", "webdav"):
        yield Event(
            office_time(rng, date(2025, 10, 13), 9, 17),
            zoe.email,
            method,
            session=session_id(rng),
            device=f"{DEVICE_KIND[method]}-{zoe.tag}",
        )
    # An old Outlook plug-in sends no method: `unknown` is Karine's sixth method that day.
    karine = BY_EMAIL["karine.simon@acme.fr"]
    for method in (*POWER, "", ""):
        yield Event(
            office_time(rng, date(2025, 10, 8), 9, 18),
            karine.email,
            method,
            session=session_id(rng),
            device=f"LAPTOP-{karine.tag}",
        )
    # David works late on Friday: 00:15 on Saturday is 22:15 UTC on Friday, and it
    # makes him active on Saturday 18 (local day), not on Friday twice.
    david = BY_EMAIL["david.thomas@acme.fr"]
    for when in (local(date(2025, 10, 17), 23, 41, 12), local(date(2025, 10, 18), 0, 15, 3)):
        yield Event(when, david.email, "web", session="9c01e3d2b7aa", device=f"LAPTOP-{david.tag}")
    # DST fall-back on Sunday 26: 02:00-03:00 happens twice (+02:00, then +01:00). Julien's
    # maintenance and a share-link visitor straddle it; the day has 25 hours.
    julien = BY_EMAIL["julien.moreau@acme.fr"]
    dst_day = date(2025, 10, 26)
    for hour, minute, fold, method in (
        (1, 55, 0, "web"),
        (2, 20, 0, "api"),
        (2, 41, 0, "webdav"),
        (2, 5, 1, "api"),
        (2, 36, 1, "web"),
        (3, 14, 0, "web"),
    ):
        yield Event(
            local(dst_day, hour, minute, rng.randint(0, 59), fold),
            julien.email,
            method,
            session="5be0a11f03c2",
            device=f"{DEVICE_KIND[method]}-{julien.tag}",
        )
    for hour, minute, fold in ((2, 48, 0), (2, 12, 1)):
        yield Event(
            local(dst_day, hour, minute, 30, fold),
            "",
            "web",
            session="198.51.100.77",
            authenticated="false",
        )
    # Tuesday 21, 00:20-00:50: the file server comes back after maintenance and every
    # sync client left running catches up.
    for email in (
        "alice.martin@acme.fr",
        "david.thomas@acme.fr",
        "valerie.girard@acme.fr",
        "william.andre@acme.fr",
        "julien.moreau@acme.fr",
        "karine.simon@acme.fr",
    ):
        person = BY_EMAIL[email]
        for _ in range(rng.randint(2, 5)):
            yield Event(
                local(date(2025, 10, 21), 0, rng.randint(20, 50), rng.randint(0, 59)),
                person.email,
                "sync",
                session=session_id(rng),
                device=f"LAPTOP-{person.tag}",
            )


def night_burst_jsonl(rng: random.Random) -> Iterator[Event]:
    """Saturday 11, 01:40-02:30: the sync agent re-indexes, for users who are otherwise off."""
    for email in (
        "chloe.dubois@acme.fr",
        "hugo.durand@acme.fr",
        "manon.lefebvre@acme.fr",
        "pierre.david@acme.fr",
        "rose.roux@acme.fr",
        "nicolas.michel@acme.fr",
        "karine.simon@acme.fr",
        "samuel.vincent@acme.fr",
    ):
        person = BY_EMAIL[email]
        method = "netsync" if "netsync" in person.methods else "sync"
        for _ in range(rng.randint(3, 6)):
            minute = rng.randint(100, 150)
            yield Event(
                local(date(2025, 10, 11), minute // 60, minute % 60, rng.randint(0, 59)),
                person.email,
                method,
                device=f"{DEVICE_KIND[method]}-{person.tag}",
                source="jsonl",
            )


def month_events(rng: random.Random) -> list[Event]:
    events: list[Event] = []
    for day in DAYS:
        weekend = day.weekday() >= 5
        for person in PEOPLE:
            if not person.present_on(day):
                continue
            presence = person.weekend_presence if weekend else person.weekday_presence
            if day in PEAK_DAYS:
                presence = 1.0
            if rng.random() < presence:
                events.extend(person_day(rng, person, day))
        events.extend(anonymous_visits(rng, day))
    events.extend(scripted_events(rng))
    events.extend(night_burst_jsonl(rng))
    events.sort(key=lambda event: (event.instant.astimezone(UTC), event.user, event.method))
    return events


def with_bad_rows(
    rng: random.Random, rows: list[list[str]], bad_stamps: list[str]
) -> list[list[str]]:
    """Copies of real rows whose timestamp is broken, put at random places."""
    rows = list(rows)
    for stamp in bad_stamps:
        at = rng.randrange(1, len(rows))
        rows.insert(at, [stamp, *rows[at][1:]])
    return rows


def write_access_csv(rng: random.Random, events: list[Event], path: Path) -> int:
    rows = [
        [e.instant.isoformat(), e.user, e.method, e.product, e.session, e.device, e.authenticated]
        for e in events
        if e.source == "csv"
    ]
    rows = with_bad_rows(
        rng,
        rows,
        [
            "not a date",
            "not a date",
            "not a date",
            "",
            "",
            "",
            "2025-10-32T10:15:00+02:00",
            "2025-10-09T24:00:00+02:00",
            "n/a",
            "31/10/2025 25:00",
            "2025-13-01T09:00:00+01:00",
        ],
    )
    with path.open("w", newline="", encoding="utf-8") as out:
        writer = csv.writer(out, lineterminator="\n")
        writer.writerow(CSV_HEADER)
        writer.writerows(rows)
    return len(rows)


def write_agent_jsonl(rng: random.Random, events: list[Event], path: Path) -> int:
    lines: list[dict[str, object]] = []
    for event in events:
        if event.source != "jsonl":
            continue
        millis = int(event.instant.timestamp()) * 1000 + rng.randint(0, 999)
        lines.append(
            {
                "event_time": millis,
                "login": event.user,
                "channel": event.method,
                "app": event.product,
                "host": event.device,
                "agent_version": "4.2.1",
            }
        )
    for broken in ({"event_time": None}, {}, {"event_time": "not a date"}):
        at = rng.randrange(1, len(lines))
        record = {key: value for key, value in lines[at].items() if key != "event_time"}
        lines.insert(at, {**broken, **record})
    with path.open("w", newline="", encoding="utf-8") as out:
        for line in lines:
            out.write(json.dumps(line, ensure_ascii=False) + "\n")
    return len(lines)


DESIGNERS = {  # user -> (products, devices)
    "chloe.dubois@acme.fr": (("autocad",), ("WS-CAD-03",)),
    "hugo.durand@acme.fr": (
        ("revit", "autocad"),
        ("WS-BIM-01", "WS-BIM-02", "LAPTOP-HDURAND", "WS-CAD-03"),
    ),
    "manon.lefebvre@acme.fr": (("revit",), ("WS-BIM-04",)),
    "pierre.david@acme.fr": (("autocad",), ("WS-CAD-05", "LAPTOP-PDAVID")),
    "rose.roux@acme.fr": (("revit", "autocad"), ("WS-BIM-06",)),
    "b.nguyen@archi-partenaires.fr": (("revit",), ("EXT-NGUYEN",)),  # outside contractor
}


def flex_sessions(rng: random.Random) -> list[tuple[str, str, datetime, datetime, str]]:
    """Design-software sessions: (user, product, start, end, device)."""
    sessions: list[tuple[str, str, datetime, datetime, str]] = []
    for day in DAYS:
        if day.weekday() >= 5:
            continue
        for user, (products, devices) in DESIGNERS.items():
            person = BY_EMAIL.get(user)
            if person is not None and not person.present_on(day):
                continue
            for product in products:
                if rng.random() > 0.55:
                    continue
                for _ in range(rng.randint(1, 3)):
                    start = office_time(rng, day, 8, 17)
                    if rng.random() < 0.15:  # opened by mistake: free under the 5-minute grace
                        length = timedelta(seconds=rng.randint(40, 280))
                    else:
                        length = timedelta(minutes=rng.randint(20, 200))
                    sessions.append((user, product, start, start + length, devices[0]))
    # Hugo runs Revit on four machines this month; Pierre on two at once.
    hugo = "hugo.durand@acme.fr"
    for day, device in (
        (date(2025, 10, 7), "WS-BIM-02"),
        (date(2025, 10, 14), "LAPTOP-HDURAND"),
        (date(2025, 10, 22), "WS-CAD-03"),
    ):
        start = local(day, 14, 5)
        sessions.append((hugo, "revit", start, start + timedelta(minutes=95), device))
    pierre = "pierre.david@acme.fr"
    sessions.append(
        (
            pierre,
            "autocad",
            local(date(2025, 10, 9), 10, 0),
            local(date(2025, 10, 9), 12, 30),
            "WS-CAD-05",
        )
    )
    sessions.append(
        (
            pierre,
            "autocad",
            local(date(2025, 10, 9), 11, 10),
            local(date(2025, 10, 9), 11, 55),
            "LAPTOP-PDAVID",
        )
    )
    # Rose leaves Revit open from Friday afternoon to Monday morning.
    sessions.append(
        (
            "rose.roux@acme.fr",
            "revit",
            local(date(2025, 10, 10), 16, 20),
            local(date(2025, 10, 13), 9, 5),
            "WS-BIM-06",
        )
    )
    # Chloé's Vault plug-in opens with AutoCAD, 20 s after it, on 4 of her AutoCAD days:
    # configured to open at start-up, which the Flex FAQ advises against.
    chloe = "chloe.dubois@acme.fr"
    vault_days = (date(2025, 10, 6), date(2025, 10, 8), date(2025, 10, 14), date(2025, 10, 29))
    for user, product, start, end, device in list(sessions):
        if user == chloe and product == "autocad" and start.date() in vault_days:
            sessions.append((chloe, "vault", start + timedelta(seconds=20), end, device))
    sessions.sort(key=lambda row: (row[2], row[0], row[1]))
    return sessions


def write_autodesk_csv(rng: random.Random, path: Path) -> int:
    def utc(instant: datetime) -> str:
        return instant.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")

    rows = [
        [user, product, utc(start), utc(end), device]
        for user, product, start, end, device in flex_sessions(rng)
    ]
    # A clock-skewed workstation: the session "ends" before it starts.
    at = rng.randrange(1, len(rows))
    user, product, start, end, device = rows[at]
    rows.insert(at, [user, product, end, start, device])
    with path.open("w", newline="", encoding="utf-8") as out:
        writer = csv.writer(out, lineterminator="\n")
        writer.writerow(("user", "product", "start_time", "end_time", "device"))
        writer.writerows(rows)
    return len(rows)


def roster_rows() -> list[tuple[str, str, str, str]]:
    """Account activations: everybody since September, a training wave, a hire, a leaver."""
    statuses = ("active", "activated", "Enabled", "oui", "1")
    rows = [
        ("2025-09-01T09:00:00+02:00", p.email, statuses[i % len(statuses)], "netexplorer")
        for i, p in enumerate(PEOPLE)
        if p.first_day == DAYS[0]
    ]
    rows += [("2025-09-15T10:30:00+02:00", p.email, "active", "lms") for p in PEOPLE if p.lms]
    rows += [
        ("2025-10-06T08:45:00+02:00", "stagiaire.temp@acme.fr", "inactive", "netexplorer"),
        ("2025-10-06T09:00:00+02:00", "louis.laurent@acme.fr", "active", "lms"),
        ("2025-10-06T09:00:00+02:00", "quentin.bertrand@acme.fr", "active", "lms"),
        ("2025-10-06T09:00:00+02:00", "ugo.morel@acme.fr", "active", "LMS"),
        ("2025-10-10T16:00:00+02:00", "zoe.dupont@acme.fr", "activated", "netexplorer"),
        ("2025-10-10T16:00:00+02:00", "zoe.dupont@acme.fr", "active", "lms"),
        ("2025-10-17T20:00:00+02:00", "xavier.lefevre@acme.fr", "deactivated", "netexplorer"),
        # a swap within one day: one training seat handed from Emma to Ines
        ("2025-10-20T10:00:00+02:00", "emma.robert@acme.fr", "inactive", "lms"),
        ("2025-10-20T10:05:00+02:00", "ines.leroy@acme.fr", "active", "lms"),
        ("2025-10-24T18:00:00+02:00", "quentin.bertrand@acme.fr", "disabled", "lms"),
        ("2025-10-24T18:00:00+02:00", "ugo.morel@acme.fr", "non", "lms"),
        ("2025-10-31T17:00:00+01:00", "stagiaire.temp@acme.fr", "deleted", "netexplorer"),
    ]
    return rows


# The HR export of departments (user,group) for the chargeback: written as HR writes it
# (one address capitalised); the new hire and the intern are not in it yet.
GROUPS = {
    "Sales": ("alice.martin@acme.fr", "bruno.bernard@acme.fr", "emma.robert@acme.fr",
              "ines.leroy@acme.fr", "oceane.garcia@acme.fr", "ugo.morel@acme.fr",
              "yasmine.mercier@acme.fr"),
    "Design": ("chloe.dubois@acme.fr", "Hugo.Durand@acme.fr", "manon.lefebvre@acme.fr",
               "pierre.david@acme.fr", "rose.roux@acme.fr"),
    "IT": ("julien.moreau@acme.fr", "karine.simon@acme.fr", "louis.laurent@acme.fr",
           "nicolas.michel@acme.fr", "quentin.bertrand@acme.fr"),
    "Finance": ("david.thomas@acme.fr", "francois.richard@acme.fr", "gabrielle.petit@acme.fr",
                "samuel.vincent@acme.fr", "tiphaine.fournier@acme.fr", "valerie.girard@acme.fr",
                "william.andre@acme.fr", "xavier.lefevre@acme.fr"),
}  # fmt: skip


def write_licences(folder: Path) -> int:
    folder.mkdir(parents=True, exist_ok=True)
    roster = roster_rows()
    with (folder / "roster.csv").open("w", newline="", encoding="utf-8") as out:
        writer = csv.writer(out, lineterminator="\n")
        writer.writerow(("ts", "user", "status", "product"))
        writer.writerows(roster)
    with (folder / "groups.csv").open("w", newline="", encoding="utf-8") as out:
        writer = csv.writer(out, lineterminator="\n")
        writer.writerow(("user", "group"))
        writer.writerows((user, group) for group, users in GROUPS.items() for user in users)
    (folder / "flex_rates.csv").write_text(
        "product,tokens_per_day\nautocad,7\nrevit,10\ncivil3d,9\nvault,3\n", encoding="utf-8"
    )
    # The 2024 pack expires on 21 October with tokens left; the April pack runs dry near
    # the end of the month, so a few charges are denied until the pack bought on the 28th.
    (folder / "flex_packs.csv").write_text(
        "pack_id,purchased_at,tokens,price\n"
        "FLEX-2024-10,2024-10-21T10:00:00+02:00,600,1800.00\n"
        "FLEX-2025-04,2025-04-07T14:30:00+02:00,150,450.00\n"
        "FLEX-2025-10,2025-10-28T11:00:00+01:00,1000,2900.00\n",
        encoding="utf-8",
    )
    return len(roster)


CONTRACT = f"""\
# Contract file for the sample month: `licaudit report sample_logs/` reads it.
timezone = "Europe/Paris"
currency = "EUR"
# Account states for the roster models (accounts, nominal): status changes, one per row.
roster = "licences/roster.csv"
# Each user's department (user,group): `report` splits units and costs per department
# in the chargeback table.
groups = "licences/groups.csv"

# Offers `licaudit whatif` compares with the contracts below: per model, a price per
# licence a month and a price per licence above those bought (NetExplorer 2K17 here).
[offers.concurrent]
price = 90.00
excess_price = 140.00

# NetExplorer 2K21: daily active users, with the default overflow = "per-method"
# (max_methods = 5, max_sync_methods = 2, sync_methods = ["sync", "netsync"]).
# The scope keeps the LMS and Autodesk events of this folder out of the NetExplorer count.
[[contract]]
name = "netexplorer-2k21"
model = "daily-active"
scope = "netexplorer"
capacity = {CAPACITY}
price = {PRICE}
excess_price = {EXCESS_PRICE}

# NetExplorer 2K17: (user, access method) slots busy 10 minutes after each event; the
# units of a day are its busiest instant.
[[contract]]
name = "netexplorer-2k17"
model = "concurrent"
scope = "netexplorer"
capacity = 12
# window = "10m", window_mode = "sliding"

# NetExplorer Share Enterprise: a floating licence per user, freed after 30 idle days.
[[contract]]
name = "share-enterprise"
model = "floating"
scope = "netexplorer"
capacity = 25
# inactivity = "30d"

# NetExplorer 2K22 / Workspace: accounts marked active in the roster.
[[contract]]
name = "workspace-2k22"
model = "accounts"
scope = "netexplorer"
capacity = 25

# Netex Cloud nominal licences: the month is billed on its peak day of active accounts.
[[contract]]
name = "lms-nominal"
model = "nominal"
scope = "lms"
capacity = 10
price = 400.00
excess_price = 45.00

# Netex Cloud real active users: distinct users of the month.
[[contract]]
name = "lms-rau"
model = "rau"
scope = "lms"
capacity = 6
price = 300.00
excess_price = 50.00

# Autodesk Flex: tokens per named user, product and 24-hour window, drawn on the packs.
[[contract]]
name = "autodesk-flex"
model = "flex"
scope = ["autocad", "revit", "vault"]     # leaves the NetExplorer and LMS events out
rates = "licences/flex_rates.csv"         # product,tokens_per_day
packs = "licences/flex_packs.csv"         # pack_id,purchased_at,tokens[,price][,expires_at]
plugins = ["vault:autocad"]               # plug-in:host, for the start-up finding
token_price = 3.00                        # per token, and a named-user subscription per
named_user_price = 2450.00                # user and year: who would cost less on one
# window = "24h", idle_timeout = "15m", grace = "5m", alert_days = 30
"""


# Autodesk's token usage export for 1-3 October, as its Title Case report writes it: it
# agrees with the logs but on 2 October, where hugo.durand's 1 min 41 s Revit session (free:
# under the 5-minute grace) is billed 10 tokens more. `licaudit reconcile` finds it.
VENDOR_EXPORT = """\
Day used,Email,Product,Tokens used
2025-10-01,b.nguyen@archi-partenaires.fr,Revit,10
2025-10-01,hugo.durand@acme.fr,AutoCAD,7
2025-10-01,hugo.durand@acme.fr,Revit,10
2025-10-01,manon.lefebvre@acme.fr,Revit,10
2025-10-01,rose.roux@acme.fr,AutoCAD,7
2025-10-02,hugo.durand@acme.fr,Revit,20
2025-10-02,manon.lefebvre@acme.fr,Revit,10
2025-10-02,pierre.david@acme.fr,AutoCAD,7
2025-10-02,rose.roux@acme.fr,AutoCAD,7
2025-10-02,rose.roux@acme.fr,Revit,10
2025-10-03,hugo.durand@acme.fr,AutoCAD,7
"""


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", type=Path, default=Path(__file__).parent.parent / "sample_logs")
    parser.add_argument("--seed", type=int, default=2025)
    args = parser.parse_args()
    out: Path = args.out
    out.mkdir(parents=True, exist_ok=True)
    rng = random.Random(args.seed)
    events = month_events(rng)
    counts = {
        "netexplorer_access_2025-10.csv": write_access_csv(
            rng, events, out / "netexplorer_access_2025-10.csv"
        ),
        "sync_agent_2025-10.jsonl": write_agent_jsonl(
            rng, events, out / "sync_agent_2025-10.jsonl"
        ),
        "autodesk_usage_2025-10.csv": write_autodesk_csv(rng, out / "autodesk_usage_2025-10.csv"),
        "licences/roster.csv": write_licences(out / "licences"),
    }
    (out / "licences" / "autodesk_vendor_export_2025-10.csv").write_text(
        VENDOR_EXPORT, encoding="utf-8"
    )
    (out / "licaudit.toml").write_text(CONTRACT, encoding="utf-8")
    for name, rows in counts.items():
        print(f"{rows:6d} rows  {out / name}")


if __name__ == "__main__":
    main()
