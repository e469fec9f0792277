"""The models run part by part give the whole-frame result, row for row (issue 11).

Random small logs around the 25-hour day of 2025-10-26 in Paris, with every kind of
identity the cut has to keep together: named users, a user named ``anon:s1`` (the same
slot as the visitors of session ``s1``, SPEC 3.2), visitors with and without session,
and a user whose rows are sometimes not authenticated. Every contract of every model
(rosters for accounts and nominal, Flex with packs that run short) is run whole and in
2, 3 and 7 parts: every table, every period, must be equal.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import polars as pl
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from licaudit.audit import AuditResult, run_audit
from licaudit.ingest.encode import encode
from licaudit.ingest.events import EVENT_SCHEMA, REJECT_SCHEMA, Ingested
from licaudit.ingest.roster import ROSTER_SCHEMA, Roster
from licaudit.models.base import Contract, NoOptions
from licaudit.models.concurrent import ConcurrentOptions
from licaudit.models.daily_active import DailyActiveOptions
from licaudit.models.flex import FlexOptions
from licaudit.models.flex.files import Packs, Rates
from licaudit.models.floating import FloatingOptions
from licaudit.partition import split_events
from licaudit.scale import PartStore
from tests.models.flex.support import pack

PARIS = "Europe/Paris"
BASE = datetime(2025, 10, 24, 20, tzinfo=UTC)
USERS = ["alice", "bob", "carol", "anon:s1", "dave"]
SESSIONS = [None, "s1", "s2", "s3"]


def contract(name: str, model: str, options: Any = None, **fields: Any) -> Contract:
    return Contract(
        name=name,
        model=model,
        timezone=PARIS,
        capacity=fields.pop("capacity", 2),
        options=options if options is not None else NoOptions(),
        **fields,
    )


PACKS = Packs(
    Path("flex_packs.csv"),
    (pack("p1", BASE - timedelta(days=1), 20), pack("p2", BASE + timedelta(days=1), 12)),
)
CONTRACTS = (
    contract("da", "daily-active", DailyActiveOptions(max_methods=2, max_sync_methods=1)),
    contract("da-lms", "daily-active", DailyActiveOptions(overflow="block"), scope=("lms",)),
    contract("conc", "concurrent", ConcurrentOptions(window=timedelta(minutes=30))),
    contract(
        "conc-fixed",
        "concurrent",
        ConcurrentOptions(window=timedelta(hours=1), window_mode="fixed"),
    ),
    contract("float", "floating", FloatingOptions(inactivity=timedelta(hours=20))),
    contract("rau", "rau", capacity=1),
    contract("acc", "accounts"),
    contract("nom", "nominal", capacity=1),
    contract(
        "flex",
        "flex",
        FlexOptions(
            rates=Rates(Path("flex_rates.csv"), (("crm", 3), ("lms", 5))),
            packs=PACKS,
            window=timedelta(hours=6),
        ),
        capacity=None,
    ),
)


@st.composite
def logs(draw: st.DrawFn) -> list[dict[str, Any]]:
    rows = []
    for _ in range(draw(st.integers(1, 40))):
        user = draw(st.sampled_from([*USERS, None]))
        session = draw(st.sampled_from(SESSIONS))
        start = BASE + timedelta(minutes=10 * draw(st.integers(0, 6 * 24 * 6)))
        length = draw(st.sampled_from([None, timedelta(minutes=4), timedelta(minutes=40)]))
        rows.append(
            {
                "ts": start,
                "end": None if length is None else start + length,
                "user": user,
                # dave's rows are sometimes not authenticated: a visitor by his session.
                "anonymous": user is None or (user == "dave" and draw(st.booleans())),
                "method": draw(st.sampled_from(["web", "sync", "mobile"])),
                "product": draw(st.sampled_from(["crm", "lms"])),
                "session": session,
                "device": draw(st.sampled_from([None, "pc1", "pc2"])),
            }
        )
    return rows


def roster() -> Roster:
    rows = [
        (BASE, "alice", "lms", True),
        (BASE, "bob", "crm", True),
        (BASE + timedelta(hours=30), "carol", "lms", True),
        (BASE + timedelta(hours=40), "alice", "lms", False),
        (BASE + timedelta(hours=40), "dave", "crm", True),
    ]
    states = pl.DataFrame(
        [
            {"ts": ts, "user": user, "product": product, "active": active, "seq": seq}
            for seq, (ts, user, product, active) in enumerate(rows)
        ],
        schema=ROSTER_SCHEMA,
    )
    return Roster(Path("roster.csv"), states, pl.DataFrame())


def audit(rows: list[dict[str, Any]], parts: int) -> AuditResult:
    ingested = Ingested(
        events=pl.DataFrame(rows, schema=EVENT_SCHEMA),
        rejects=pl.DataFrame(schema=REJECT_SCHEMA),
        files=[],
    )
    return run_audit(ingested, CONTRACTS, "EUR", roster=roster(), parts=parts)


def streamed(rows: list[dict[str, Any]], parts: int, files: int) -> AuditResult:
    """The rows read as ``files`` files, kept as codes in ``parts`` parts as each is read."""
    events = pl.DataFrame(rows, schema=EVENT_SCHEMA)
    store = PartStore(parts)
    size = -(-events.height // files)
    for offset in range(0, events.height, size):
        store.add(events.slice(offset, size))
    ingested = Ingested(
        events=events.clear(),
        rejects=pl.DataFrame(schema=REJECT_SCHEMA),
        files=[],
        rows_streamed=events.height,
    )
    return run_audit(ingested, CONTRACTS, "EUR", roster=roster(), store=store)


def tables(result: AuditResult) -> dict[tuple[str, str], pl.DataFrame]:
    found = {}
    for period in ("day", "month"):
        for name in result.table_names():
            found[(name, period)] = result.table(name, period)  # type: ignore[arg-type]
    for contract_result in result.results:
        for name, frame in contract_result.contributions.items():
            found[(f"{contract_result.contract.name}:{name}", "-")] = frame
        found[(f"{contract_result.contract.name}:in-scope", "-")] = pl.DataFrame(
            {"events": [contract_result.events_in_scope]}
        )
    return found


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(logs())
def test_models_run_in_parts_by_identity_give_the_whole_frame_result(
    rows: list[dict[str, Any]],
) -> None:
    whole = tables(audit(rows, 1))
    for parts in (2, 3, 7):
        cut = tables(audit(rows, parts))
        assert cut.keys() == whole.keys()
        for key, frame in whole.items():
            assert cut[key].equals(frame), (parts, key)


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(logs(), st.integers(1, 3))
def test_events_kept_as_codes_in_parts_while_read_give_the_whole_frame_result(
    rows: list[dict[str, Any]], files: int
) -> None:
    whole = tables(audit(rows, 1))
    for parts in (1, 4):
        cut = tables(streamed(rows, parts, files))
        assert cut.keys() == whole.keys()
        for key, frame in whole.items():
            assert cut[key].equals(frame), (parts, files, key)


def test_visitors_of_a_session_share_a_part_with_the_user_named_anon_session() -> None:
    rows = [
        {"ts": BASE, "end": None, "user": "anon:s1", "anonymous": False, "method": "web",
         "product": "crm", "session": None, "device": None},
        {"ts": BASE, "end": None, "user": None, "anonymous": True, "method": "web",
         "product": "crm", "session": "s1", "device": None},
    ]  # fmt: skip
    encoded = encode(pl.DataFrame(rows, schema=EVENT_SCHEMA))
    for parts in (2, 3, 5, 7, 11):
        sizes = [part.height for part in split_events(encoded.events, encoded.names, parts)]
        assert sorted(sizes) == [0] * (parts - 1) + [2]


def test_every_row_lands_in_exactly_one_part() -> None:
    rows = [
        {"ts": BASE + timedelta(minutes=i), "end": None, "user": user, "anonymous": user is None,
         "method": "web", "product": "crm", "session": session, "device": None}
        for i, (user, session) in enumerate(
            [(u, s) for u in [*USERS, None] for s in SESSIONS]
        )
    ]  # fmt: skip
    encoded = encode(pl.DataFrame(rows, schema=EVENT_SCHEMA))
    cut = split_events(encoded.events, encoded.names, 4)
    assert sum(part.height for part in cut) == len(rows)
    assert pl.concat(cut).sort("ts").equals(encoded.events.sort("ts"))


def test_events_released_after_encoding_keep_their_count_and_their_names() -> None:
    rows = [
        {"ts": BASE + timedelta(minutes=i), "end": None, "user": user, "anonymous": user is None,
         "method": "web", "product": product, "session": None, "device": None}
        for i, (user, product) in enumerate([("bob", "lms"), (None, "crm"), ("alice", "crm")])
    ]  # fmt: skip
    events = pl.DataFrame(rows, schema=EVENT_SCHEMA)
    ingested = Ingested(events=events, rejects=pl.DataFrame(schema=REJECT_SCHEMA), files=[])
    result = run_audit(ingested, CONTRACTS[:1], "EUR", release=True)
    assert ingested.events.is_empty()
    assert (ingested.rows_used, ingested.rows_read) == (3, 3)
    assert result.events is not None
    columns = ["ts", "anonymous", "user", "product"]
    assert result.events.collect().equals(events.select(columns))
