"""`flex` waste and compliance findings (issue 10 item 5), each on a small hand-computed case."""

from __future__ import annotations

from datetime import datetime, timedelta
from decimal import Decimal
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import polars as pl
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from licaudit.contract import parse_contract_text
from licaudit.errors import ConfigError
from licaudit.models.flex import FlexOptions
from licaudit.models.flex.findings import sorted_by
from tests.conftest import utc
from tests.models.flex.support import HOUR, MINUTE, PARIS, T0, flex_contract, run, use

DAY = timedelta(hours=24)
SECOND = timedelta(seconds=1)
TABLE = {"acad": 6, "revit": 10, "vault": 2}


def findings(events: list[dict[str, Any]], **options: Any) -> list[tuple[Any, ...]]:
    """(finding, user, product, tokens, evidence) rows."""
    result = run(events, flex_contract(table=TABLE, **options))
    frame = result.details["findings"]
    return list(frame.select("finding", "user", "product", "tokens", "evidence").iter_rows())


def kinds(events: list[dict[str, Any]], **options: Any) -> list[tuple[str, str, str | None]]:
    """(finding, user, product) rows."""
    return [row[:3] for row in findings(events, **options)]


def startups(events: list[dict[str, Any]], *pairs: str) -> list[tuple[str, str, str | None]]:
    """(finding, user, product) of the plug-ins found opened at start-up."""
    return [row for row in kinds(events, plugins=pairs) if row[0] == "plugin-at-startup"]


# --- A plug-in opened with its host -------------------------------------------------------


def host_and_plugin(lags: list[timedelta | None], user: str = "u") -> list[dict[str, Any]]:
    """Revit at 09:00 Paris on one day per lag, vault opened ``lag`` after it (None: no vault)."""
    events = []
    for n, lag in enumerate(lags):
        events.append(use(T0 + n * DAY, HOUR, user, "revit"))
        if lag is not None:
            events.append(use(T0 + n * DAY + lag, HOUR, user, "vault"))
    return events


def test_flex_finding_a_plugin_charged_within_a_minute_of_its_host_on_most_days() -> None:
    # Vault 30 s after revit on 2 days, 30 s before on 1, absent on the 4th: 3 of 4 days.
    events = host_and_plugin([30 * SECOND, -30 * SECOND, 30 * SECOND, None])
    assert findings(events, plugins=("vault:revit",))[0] == (
        "plugin-at-startup",
        "u",
        "vault",
        6,
        "vault charged within a minute of revit on 3 of the 4 days revit was charged "
        "(2025-01-06 to 2025-01-08): it opens at start-up; configure it not to open "
        "with its host",
    )


def test_flex_finding_a_plugin_needs_more_than_half_of_its_hosts_days() -> None:
    # 2 of 4 days: half is not most. Vault opened later on the other days changes nothing.
    events = host_and_plugin([30 * SECOND, 30 * SECOND, 2 * HOUR, None])
    assert startups(events, "vault:revit") == []


def test_flex_finding_a_plugin_a_minute_after_its_host_counts_a_minute_and_a_second_not() -> None:
    assert startups(host_and_plugin([MINUTE] * 3), "vault:revit") == [
        ("plugin-at-startup", "u", "vault")
    ]
    assert startups(host_and_plugin([MINUTE + SECOND] * 3), "vault:revit") == []


def test_flex_finding_a_plugin_is_one_only_through_the_plugins_option() -> None:
    events = host_and_plugin([30 * SECOND] * 3)
    assert startups(events) == []
    # The pair is plug-in first: revit is not a plug-in of vault.
    assert startups(events, "revit:vault") == [("plugin-at-startup", "u", "revit")]


def test_flex_finding_a_plugin_is_matched_with_its_own_users_host() -> None:
    # Vault by "u" at the very moment "w" opens revit: not a start-up of u's revit.
    events = [use(T0 + n * DAY, HOUR, "w", "revit") for n in range(3)]
    events += [use(T0 + n * DAY, HOUR, "u", "vault") for n in range(3)]
    assert startups(events, "vault:revit") == []


@pytest.mark.parametrize("pair", ["vault", "vault:", ":revit", "vault:revit:x", "revit:revit"])
def test_flex_plugins_option_entries_are_plugin_colon_host(pair: str) -> None:
    with pytest.raises(ConfigError, match="plugin:host"):
        FlexOptions(plugins=(pair,))


def test_flex_findings_options_are_read_from_the_contract_file(tmp_path: Path) -> None:
    (tmp_path / "rates.csv").write_text("product,tokens_per_day\nautocad,7\n")
    text = (
        '[[contract]]\nmodel = "flex"\nrates = "rates.csv"\nplugins = [" Vault:AutoCAD "]\n'
        'named_user_price = 2450\ntoken_price = "3.05"\n'
    )
    options = parse_contract_text(text, tmp_path / "licaudit.toml").contracts[0].options
    assert options.plugin_hosts == (("vault", "autocad"),)
    assert (options.named_user_price, options.token_price) == (Decimal(2450), Decimal("3.05"))


# --- Devices ------------------------------------------------------------------------------


def on(device: str, start: timedelta, length: timedelta | None = HOUR, **kw: Any) -> dict[str, Any]:
    return use(T0 + start, length, device=device, **kw)


def test_flex_finding_one_product_on_two_devices_at_overlapping_times() -> None:
    # A 09:00-10:00, B 09:30-09:45 Paris; the next day again at 09:30.
    events = [on("A", 0 * HOUR), on("B", 30 * MINUTE, 15 * MINUTE)]
    events += [on("A", DAY), on("B", DAY + 30 * MINUTE)]
    assert findings(events) == [
        (
            "device-overlap",
            "u",
            "acad",
            None,
            "used on two devices at overlapping times 2 time(s) on 2 day(s), first on "
            "2025-01-06 at 09:30 (devices A, B): the licence allows one device at a time",
        ),
        (
            "occasional-user",
            "u",
            None,
            None,
            "charged on 2 day(s) (2025-01-06, 2025-01-07) for 12 tokens: occasional use, "
            "which Flex suits",
        ),
    ]


def test_flex_finding_two_devices_one_after_the_other_do_not_overlap() -> None:
    # Half-open spans: B starting when A ends is not at the same time.
    events = [on("A", 0 * HOUR), on("B", HOUR), on("A", 2 * HOUR)]
    assert ("device-overlap", "u", "acad") not in kinds(events)


def test_flex_finding_one_device_overlapping_itself_is_one_device() -> None:
    events = [on("A", 0 * HOUR), on("A", 30 * MINUTE), on("B", 2 * HOUR)]
    assert ("device-overlap", "u", "acad") not in kinds(events)


def test_flex_finding_touching_spans_of_one_device_overlap_another_once() -> None:
    # A 09:00-09:30 and 09:30-10:00 is one use of A; B 09:15-09:45 overlaps it once.
    events = [on("A", 0 * HOUR, 30 * MINUTE), on("A", 30 * MINUTE, 30 * MINUTE)]
    events.append(on("B", 15 * MINUTE, 30 * MINUTE))
    assert "overlapping times 1 time(s)" in findings(events)[0][4]


def test_flex_finding_a_point_event_inside_another_devices_span_overlaps() -> None:
    events = [on("A", 0 * HOUR), on("B", 30 * MINUTE, None)]
    assert ("device-overlap", "u", "acad") in kinds(events)
    # At the span's end it does not.
    assert ("device-overlap", "u", "acad") not in kinds([on("A", 0 * HOUR), on("B", HOUR, None)])


def test_flex_finding_overlaps_are_per_user_and_product_and_need_devices() -> None:
    events = [
        on("A", 0 * HOUR),
        on("B", 30 * MINUTE, user="w"),  # another user
        on("C", 30 * MINUTE, product="revit"),  # another product
        use(T0 + 40 * MINUTE, HOUR),  # no device
    ]
    assert [kind for kind in kinds(events) if kind[0] == "device-overlap"] == []


def test_flex_finding_more_than_three_devices_per_user_and_product() -> None:
    four = [on(device, n * DAY) for n, device in enumerate("ABCD")]
    assert findings(four)[0] == (
        "too-many-devices",
        "u",
        "acad",
        None,
        "4 devices over the range (A, B, C, D): the licence allows installing on 3",
    )
    assert ("too-many-devices", "u", "acad") not in kinds(four[:3])
    # Three devices on each of two products are not four.
    mixed = [*four[:3], on("D", 3 * DAY, product="revit")]
    assert ("too-many-devices", "u", "acad") not in kinds(mixed)


# --- A named-user subscription ------------------------------------------------------------

PRICES = {"named_user_price": Decimal("3000"), "token_price": Decimal("1.50")}


def test_flex_finding_a_user_whose_tokens_cost_more_than_a_named_user_subscription() -> None:
    # "u": revit on 10 days, 100 tokens = 150.00 > 3000 × 10 / 365 = 82.19; saving 67.81.
    # "w": one charge, 10 tokens = 15.00: cheaper on Flex.
    events = [use(T0 + n * DAY, HOUR, "u", "revit") for n in range(10)]
    events.append(use(T0, HOUR, "w", "revit"))
    rows = [row for row in findings(events, **PRICES) if row[0] == "named-user-cheaper"]
    assert rows == [
        (
            "named-user-cheaper",
            "u",
            None,
            100,
            "100 tokens cost 150.00 at 1.50 a token; a named-user subscription at 3000.00 a "
            "year costs 82.19 for these 10 days: 67.81 less",
        )
    ]


def test_flex_finding_tokens_costing_exactly_the_subscription_are_not_more() -> None:
    # 5475 × 10 / 365 = 150.00 exactly, the cost of 100 tokens at 1.50.
    events = [use(T0 + n * DAY, HOUR, "u", "revit") for n in range(10)]
    prices = {"named_user_price": Decimal("5475"), "token_price": Decimal("1.50")}
    assert ("named-user-cheaper", "u", None) not in kinds(events, **prices)
    prices["named_user_price"] = Decimal("5474.99")
    assert ("named-user-cheaper", "u", None) in kinds(events, **prices)


def test_flex_finding_a_token_price_finer_than_cents_is_shown_and_costed_exactly() -> None:
    # 100 tokens at 0.875 = 87.50 > 3000 × 10 / 365 = 82.19: saving 5.31.
    events = [use(T0 + n * DAY, HOUR, "u", "revit") for n in range(10)]
    prices = {"named_user_price": Decimal("3000"), "token_price": Decimal("0.875")}
    evidence = [row[4] for row in findings(events, **prices) if row[0] == "named-user-cheaper"]
    assert evidence == [
        "100 tokens cost 87.50 at 0.875 a token; a named-user subscription at 3000.00 a year "
        "costs 82.19 for these 10 days: 5.31 less"
    ]


def test_flex_finding_the_subscription_comparison_needs_both_prices() -> None:
    events = [use(T0 + n * DAY, HOUR, "u", "revit") for n in range(10)]
    for price in ({"named_user_price": Decimal("3000")}, {"token_price": Decimal("1.50")}):
        assert [kind for kind in kinds(events, **price) if kind[0] == "named-user-cheaper"] == []


# --- Occasional users ---------------------------------------------------------------------


def test_flex_finding_users_charged_on_three_days_or_fewer_are_occasional() -> None:
    # "u" charged on 3 days (two products on the first), "w" on 4; "x" only within grace.
    events = [use(T0, HOUR, "u", "revit"), use(T0, HOUR, "u"), use(T0 + 2 * DAY, HOUR, "u")]
    events.append(use(T0 + 9 * DAY, HOUR, "u", "revit"))
    events += [use(T0 + n * DAY, HOUR, "w") for n in range(4)]
    events.append(use(T0, 5 * MINUTE, "x"))
    assert findings(events) == [
        (
            "occasional-user",
            "u",
            None,
            None,
            "charged on 3 day(s) (2025-01-06, 2025-01-08, 2025-01-15) for 32 tokens: "
            "occasional use, which Flex suits",
        )
    ]


def test_flex_findings_are_ordered_by_finding_then_most_tokens_first() -> None:
    # "u" and "w" both open vault with revit: w's 3 days before u's 2 of 3.
    events = host_and_plugin([0 * SECOND, 0 * SECOND, None]) + host_and_plugin(
        [0 * SECOND] * 3, "w"
    )
    events.append(on("A", 20 * DAY, user="z"))
    events.append(on("B", 20 * DAY, user="z"))
    assert kinds(events, plugins=("vault:revit",)) == [
        ("plugin-at-startup", "w", "vault"),
        ("plugin-at-startup", "u", "vault"),
        ("device-overlap", "z", "acad"),
        ("occasional-user", "u", None),
        ("occasional-user", "w", None),
        ("occasional-user", "z", None),
    ]


# --- Devices against a naive reading, on small random inputs ------------------------------

# 23:30 in Paris on the eve of the 25-hour day: spans cross midnight and the DST switch.
BASE = utc("2025-10-25 21:30")
MICRO = timedelta(microseconds=1)
Span = tuple[datetime, datetime, str]


def naive_overlaps(events: list[dict[str, Any]]) -> dict[tuple[str, str], tuple[Any, ...]]:
    """(user, product) -> (times, days, first, devices), pair by pair of device blocks.

    Each device's spans (a point: its microsecond) merge where they overlap or touch into
    blocks; a block overlaps when another device's block holds its start (half-open), or
    starts with it and comes first in the order (start, device).
    """
    spans: dict[tuple[str, str], list[Span]] = {}
    for event in events:
        if event["device"] is None:
            continue
        stop = max(event["end"] or event["ts"], event["ts"] + MICRO)
        spans.setdefault((event["user"], event["product"]), []).append(
            (event["ts"], stop, event["device"])
        )
    found = {}
    for key, key_spans in spans.items():
        blocks: list[list[Any]] = []
        for start, stop, device in sorted(key_spans, key=lambda s: (s[2], s[0])):
            if blocks and blocks[-1][2] == device and start <= blocks[-1][1]:
                blocks[-1][1] = max(blocks[-1][1], stop)
            else:
                blocks.append([start, stop, device])
        hits = [
            (b, c)
            for b in blocks
            for c in blocks
            if c[2] != b[2] and c[0] <= b[0] < c[1] and (c[0] < b[0] or c[2] < b[2])
        ]
        overlapping = {id(b): b for b, _ in hits}
        if overlapping:
            starts = [b[0] for b in overlapping.values()]
            days = {s.astimezone(ZoneInfo(PARIS)).date() for s in starts}
            devices = {b[2] for b, _ in hits} | {c[2] for _, c in hits}
            found[key] = (len(starts), len(days), min(starts), ", ".join(sorted(devices)))
    return found


device_event = st.builds(
    lambda minute, length, user, product, device: use(
        BASE + timedelta(minutes=10 * minute),
        None if length is None else timedelta(minutes=10 * length),
        user,
        product,
        device=device,
    ),
    st.integers(0, 20),
    st.one_of(st.none(), st.integers(0, 6)),
    st.sampled_from(["u", "u", "w"]),
    st.sampled_from(["acad", "acad", "revit"]),
    st.sampled_from(["A", "B", "C", None]),
)


@settings(max_examples=150)
@given(st.lists(device_event, min_size=1, max_size=12))
def test_flex_finding_device_overlaps_match_a_naive_reading(events: list[dict[str, Any]]) -> None:
    expected = naive_overlaps(events)
    rows = [row for row in findings(events) if row[0] == "device-overlap"]
    assert {(row[1], row[2]) for row in rows} == set(expected)
    for _, user, product, _, evidence in rows:
        times, days, first, devices = expected[(user, product)]
        local = first.astimezone(ZoneInfo(PARIS))
        assert evidence == (
            f"used on two devices at overlapping times {times} time(s) on {days} day(s), "
            f"first on {local:%Y-%m-%d at %H:%M} (devices {devices}): the licence allows "
            "one device at a time"
        )


def test_flex_findings_sort_through_one_packed_key_or_the_columns() -> None:
    frame = pl.DataFrame(
        {"a": [2, 1, 1, 0], "b": [0, 5, 3, 9]}, schema={"a": pl.UInt32(), "b": pl.Int64()}
    )
    assert sorted_by(frame, "a", "b").rows() == [(0, 9), (1, 3), (1, 5), (2, 0)]
    # Two columns of 64 bits each are too wide for one key: sorted column by column.
    big = 2**62
    wide = pl.DataFrame({"a": [big, -big, big, -big], "b": [-big, big, big, -big]})
    assert sorted_by(wide, "a", "b").rows() == [(-big, -big), (-big, big), (big, -big), (big, big)]
    assert sorted_by(frame.clear(), "a", "b").height == 0
