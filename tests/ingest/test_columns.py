"""Which source column becomes which canonical column (SPEC 1.2, "Column ties" in 1.4)."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from licaudit.errors import ConfigError
from licaudit.ingest.columns import ALIASES, CANONICAL, Match, fold, map_columns, parse_map_option

# The SPEC's table, written out again so that a change to the code's table shows here.
SPEC_ALIASES = {
    "ts": ["timestamp", "time", "datetime", "date", "event_time", "eventtime", "@timestamp",
           "start", "start_time", "login_time", "usage_date"],
    "end": ["end_time", "stop", "logout_time", "duration", "duration_s", "duration_min"],
    "user": ["username", "user_id", "userid", "login", "email", "account", "user_name",
             "named_user"],
    "method": ["access_method", "channel", "client", "protocol", "access_type", "app_type"],
    "product": ["platform", "app", "application", "feature", "product_name", "software"],
    "session": ["session_id", "ip", "client_ip", "remote_addr", "link", "share_token"],
    "device": ["device_id", "host", "hostname", "machine", "machine_name", "computer"],
    "authenticated": ["authenticated", "is_authenticated", "internal", "external", "is_external"],
}  # fmt: skip

EVERY_ALIAS = [
    (canonical, alias) for canonical, aliases in SPEC_ALIASES.items() for alias in aliases
]


def chosen(columns: list[str], overrides: dict[str, str] | None = None) -> dict[str, str]:
    mapping = map_columns(columns, overrides or {})
    return {canonical: match.name for canonical, match in mapping.chosen.items()}


@pytest.mark.parametrize(("canonical", "alias"), EVERY_ALIAS)
def test_every_alias_of_the_spec_table_maps_to_its_canonical_column(
    canonical: str, alias: str
) -> None:
    assert chosen(["unrelated", alias]) == {canonical: alias}


@pytest.mark.parametrize("canonical", CANONICAL)
def test_canonical_name_itself_is_accepted(canonical: str) -> None:
    assert chosen([canonical]) == {canonical: canonical}


def test_code_alias_table_is_the_spec_table_in_the_same_order() -> None:
    # Order decides ties, so it is part of the rule.
    for canonical, aliases in SPEC_ALIASES.items():
        names = [name for name, _ in ALIASES[canonical]]
        assert names == [canonical, *(alias for alias in aliases if alias != canonical)]


@pytest.mark.parametrize(
    "spelling",
    ["Event_Time", "EVENT-TIME", "event time", " EventTime ", "event_-_time", "E_v_e_n_t_T_i_m_e"],
)
def test_aliases_ignore_case_underscores_dashes_and_spaces(spelling: str) -> None:
    assert chosen([spelling]) == {"ts": spelling}


def test_fold_lowercases_and_drops_underscore_dash_space() -> None:
    assert fold(" Logout_Time-2 x ") == "logouttime2x"
    assert fold("@Timestamp") == "@timestamp"


@pytest.mark.parametrize(
    ("name", "reading"),
    [
        ("duration", "seconds"),
        ("Duration_S", "seconds"),
        ("duration-min", "minutes"),
        ("end_time", "value"),
        ("External", "inverted"),
        ("is_external", "inverted"),
        ("internal", "value"),
    ],
)
def test_duration_columns_are_read_as_durations_and_external_as_inverted(
    name: str, reading: str
) -> None:
    mapping = map_columns(["ts", name], {})
    assert [match.reading for match in mapping.chosen.values()][1] == reading


def test_unrelated_columns_map_to_nothing() -> None:
    assert chosen(["when", "who", "usr", "sessions", "timestamps"]) == {}


def test_tie_takes_the_alias_earliest_in_the_table_not_the_earliest_column() -> None:
    mapping = map_columns(["login", "email", "user"], {})
    assert mapping.chosen["user"] == Match(2, "user")
    assert mapping.ignored["user"] == ["login", "email"]


@pytest.mark.parametrize(
    ("columns", "canonical", "winner"),
    [
        (["time", "timestamp"], "ts", "timestamp"),
        (["usage_date", "start", "date"], "ts", "date"),
        (["duration", "end_time"], "end", "end_time"),
        (["duration_min", "duration_s", "duration"], "end", "duration"),
        (["is_external", "authenticated"], "authenticated", "authenticated"),
        (["computer", "host"], "device", "host"),
        (["share_token", "ip"], "session", "ip"),
        (["software", "app"], "product", "app"),
        (["app_type", "client"], "method", "client"),
    ],
)
def test_tie_winner_is_the_earliest_alias(columns: list[str], canonical: str, winner: str) -> None:
    assert chosen(columns)[canonical] == winner


def test_exact_duplicate_names_take_the_first() -> None:
    mapping = map_columns(["user", "ts", "user"], {})
    assert mapping.chosen["user"] == Match(0, "user")
    assert mapping.ignored["user"] == ["user"]


def test_names_equal_once_folded_take_the_first_column() -> None:
    mapping = map_columns(["Event-Time", "event_time"], {})
    assert mapping.chosen["ts"] == Match(0, "Event-Time")
    assert mapping.ignored["ts"] == ["event_time"]


def test_map_option_overrides_the_aliases_and_the_alias_is_ignored() -> None:
    mapping = map_columns(["timestamp", "EventTime", "user", "Login"], {"ts": "EventTime"})
    assert mapping.chosen["ts"] == Match(1, "EventTime")
    assert mapping.ignored["ts"] == ["timestamp"]
    assert mapping.chosen["user"] == Match(2, "user")


def test_map_option_takes_a_column_away_from_its_alias() -> None:
    # `host` is a device alias; mapped to user, it is no longer the device.
    mapping = map_columns(["ts", "host", "machine"], {"user": "host"})
    assert mapping.chosen["user"] == Match(1, "host")
    assert mapping.chosen["device"] == Match(2, "machine")


def test_map_option_prefers_the_exact_name_then_any_case() -> None:
    assert map_columns(["LOGIN", "Login"], {"user": "Login"}).chosen["user"].index == 1
    assert map_columns(["LOGIN", "x"], {"user": "login"}).chosen["user"].index == 0


def test_map_option_disables_the_w3c_date_time_pair() -> None:
    assert map_columns(["date", "time"], {}).date_time_pair is not None
    assert map_columns(["date", "time", "When"], {"ts": "When"}).date_time_pair is None


def test_w3c_date_and_time_columns_are_offered_as_a_pair() -> None:
    mapping = map_columns(["Date", "Time", "cs-username"], {})
    assert mapping.date_time_pair == (Match(0, "Date"), Match(1, "Time"))


def test_parse_map_option_reads_comma_lists_and_repeats() -> None:
    assert parse_map_option(["ts=EventTime, user = Login", "method=Channel,"]) == {
        "ts": "EventTime",
        "user": "Login",
        "method": "Channel",
    }


@pytest.mark.parametrize("item", ["ts", "ts=", "=EventTime", "who=Login"])
def test_parse_map_option_rejects_what_is_not_canonical_equals_column(item: str) -> None:
    with pytest.raises(ConfigError) as raised:
        parse_map_option([item])
    assert raised.value.exit_code == 2
    assert "--map" in str(raised.value)


@given(
    st.permutations(["user_name", "login", "email", "user", "named_user"]),
)
def test_user_tie_is_won_by_the_same_alias_in_any_column_order(order: list[str]) -> None:
    assert chosen(order)["user"] == "user"


def test_an_earlier_ts_alias_wins_over_the_w3c_date_time_pair() -> None:
    mapping = map_columns(["timestamp", "date", "time"], {})
    assert mapping.date_time_pair is None
    assert mapping.chosen["ts"] == Match(0, "timestamp")
