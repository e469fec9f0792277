"""One request in, the inputs read and every contract run out: what each command shares.

The command line builds a frozen ``Request`` by keyword and calls ``read_inputs``
(``inspect``) or ``run`` (``report``, ``check``, and the commands to come); the
rules that do not depend on how the result is shown live here: which contract
file applies, the report range of ``--from/--to``, the reject-ratio limit.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from datetime import date
from pathlib import Path
from typing import TYPE_CHECKING, Literal

import polars as pl

from licaudit.audit import AuditResult, Period, run_audit
from licaudit.chargeback import chargeback
from licaudit.contract import (
    CONTRACT_FILE_NAME,
    Settings,
    check_timezone,
    command_line_contract,
    load_contract_file,
)
from licaudit.errors import ConfigError, DataError
from licaudit.ingest.discover import discover
from licaudit.ingest.events import Ingested, IngestOptions, OnProgress, ingest
from licaudit.ingest.groups import read_groups
from licaudit.ingest.remote import Source, local_paths
from licaudit.ingest.roster import Roster, RosterMode, read_roster
from licaudit.ingest.timeparse import DateOrder
from licaudit.models import MODELS
from licaudit.models.base import Contract
from licaudit.reconcile import differing_rows, export_days, read_vendor_export, reconcile
from licaudit.report.check import overage_lines
from licaudit.scale import PartStore, estimated_rows, parts_for

if TYPE_CHECKING:
    from licaudit.spark import SparkEvents

Engine = Literal["local", "spark"]


@dataclass(frozen=True)
class Request:
    """Everything a command was asked: inputs, contracts, how to read, what to report."""

    # Local files and folders; with ``engine`` spark, object-store URLs too.
    paths: tuple[Source, ...]
    contract: Path | None = None
    model: str | None = None
    capacity: int | None = None
    timezone: str | None = None
    input_tz: str | None = None
    date_order: DateOrder | None = None
    column_map: Mapping[str, str] = field(default_factory=dict)
    encoding: str | None = None
    recursive: bool = False
    roster: Path | None = None
    roster_mode: RosterMode | None = None
    # The chargeback's groups file (user,group); else the contract file's `groups`.
    groups: Path | None = None
    # Files that are never events besides those the contract file names (a vendor export).
    not_events: tuple[Path, ...] = ()
    sheet: str | None = None
    date_from: str | None = None
    date_to: str | None = None
    max_reject_ratio: float = 0.01
    # Parts by identity for large inputs (``licaudit.scale``); None: chosen from the size.
    parts: int | None = None
    # Where files are read and models run: this machine, or Spark tasks (``licaudit.spark``)
    # at ``spark_master`` (None: local[*]).
    engine: Engine = "local"
    spark_master: str | None = None

    def __post_init__(self) -> None:
        """Only Spark reads object-store URLs: one with the local engine is a ConfigError,
        raised before any contract or file is read."""
        if self.engine == "local":
            local_paths(self.paths)


@dataclass(frozen=True)
class Inputs:
    """What every command reads: the events, the contracts and the roster."""

    ingested: Ingested
    settings: Settings
    roster: Roster | None
    input_timezone: str
    # user, group: who pays for what (the chargeback, issue 13), when a groups file is given.
    groups: pl.DataFrame | None = None
    # The used events in parts by identity, when the input was read that way (large
    # inputs, ``licaudit.scale``); ``ingested.events`` is then empty.
    store: PartStore | None = None
    # The used events in Spark's cache (``--engine spark``); ``ingested.events`` is empty.
    spark: SparkEvents | None = None


def _contract_file(request: Request) -> Settings | None:
    if request.contract is not None:
        return load_contract_file(request.contract)
    for path in request.paths:
        if not isinstance(path, Path):
            continue  # a URL's licaudit.toml is not looked for: give --contract
        candidate = path / CONTRACT_FILE_NAME
        if path.is_dir() and candidate.is_file():
            return load_contract_file(candidate)
    return None


def resolve_settings(request: Request, need_contract: bool) -> Settings:
    """The contract file given or found in a folder, or the ``--model`` contract on top of it."""
    settings = _contract_file(request)
    if request.model is not None:
        cli_contract = command_line_contract(
            request.model, request.capacity, request.timezone, settings
        )
        # The file's top-level settings still apply; its [[contract]] tables do not.
        return replace(settings or Settings(contracts=()), contracts=(cli_contract,))
    if request.capacity is not None or request.timezone is not None:
        raise ConfigError(
            "`--capacity` and `--timezone` describe a --model contract, and no --model was given.",
            f"add e.g. --model daily-active (models: {', '.join(MODELS)}).",
        )
    if settings is None:
        if need_contract:
            raise ConfigError(
                "No contract: no --contract file, no --model, and no licaudit.toml "
                "in the folders given.",
                "give --contract licaudit.toml, or --model daily-active --capacity 40.",
            )
        return Settings(contracts=())
    return settings


def can_check(contract: Contract) -> bool:
    """Whether ``check`` can find anything wrong: a capacity, or Flex packs (SPEC 3.7, 5)."""
    return contract.capacity is not None or getattr(contract.options, "packs", None) is not None


def check_warnings(settings: Settings) -> list[str]:
    """A warning per contract ``check`` cannot check; a ConfigError when it can check none."""
    unchecked = [contract for contract in settings.contracts if not can_check(contract)]
    if unchecked and len(unchecked) == len(settings.contracts):
        names = ", ".join(f"`{contract.name}`" for contract in unchecked)
        raise ConfigError(
            f"Nothing to check: no contract has a capacity ({names}), so no period can be "
            "over it and `licaudit check` would always succeed.",
            "add capacity = N to the contract (or --capacity N with --model), or use "
            "`licaudit report` to see the usage.",
        )
    return [
        f"contract `{contract.name}` has no capacity: `check` cannot find it over capacity."
        for contract in unchecked
    ]


def report_range(request: Request) -> tuple[date | None, date | None]:
    """``--from`` and ``--to`` as dates (inclusive); from after to is a ConfigError."""

    def parse(value: str | None, option: str) -> date | None:
        if value is None:
            return None
        try:
            return date.fromisoformat(value.strip())
        except ValueError:
            raise ConfigError(
                f"`{option}` = {value!r} is not a date.", "write it as YYYY-MM-DD."
            ) from None

    first, last = parse(request.date_from, "--from"), parse(request.date_to, "--to")
    if first and last and first > last:
        raise ConfigError(f"`--from` {first} is after `--to` {last}.", "swap them.")
    return first, last


def _contract_timezone(request: Request, settings: Settings) -> str:
    """Where naive times were written: the business's timezone (SPEC 1.2).

    The ``--timezone`` of a command-line contract, else the contract file's top-level
    ``timezone`` (Europe/Paris when none).
    """
    if request.model is not None and request.timezone is not None:
        return check_timezone(request.timezone, "--timezone", None)
    return settings.timezone


def read_inputs(
    request: Request,
    need_contract: bool,
    on_progress: OnProgress | None = None,
    settings: Settings | None = None,
    parts: bool = False,
) -> Inputs:
    """Resolve the contracts (unless ``settings`` are given), then read events and roster.

    ``parts``: the events may be kept in parts by identity as they are read — when
    ``--parts`` asks for more than one, or, without it, when the input is estimated
    above ``licaudit.scale.AUTO_ROWS`` events.
    """
    if settings is None:
        settings = resolve_settings(request, need_contract)
    explicit = (
        check_timezone(request.input_tz, "--input-tz", None)
        if request.input_tz
        else settings.input_timezone
    )
    naive_tz = explicit or _contract_timezone(request, settings)
    options = IngestOptions(
        input_timezone=naive_tz,
        w3c_timezone=explicit or "UTC",
        date_order=request.date_order,
        case_sensitive_users=settings.case_sensitive_users,
        column_map=request.column_map,
        encoding=request.encoding,
        recursive=request.recursive,
        sheet=request.sheet,
        exclude=settings.named_files
        | ({request.roster} if request.roster else set())
        | ({request.groups} if request.groups else set())
        | set(request.not_events),
    )
    store = None
    spark = _spark_events(request, options, parts)
    if spark is not None:
        ingested = spark.ingested
    else:
        paths = local_paths(request.paths)
        if parts:
            count = request.parts
            if count is None:
                files, _ = discover(paths, options.recursive, options.exclude)
                count = parts_for(estimated_rows(files))
            store = PartStore(count) if count > 1 else None
        sink = None if store is None else store.add
        ingested = ingest(paths, options, on_progress, sink)
    roster_path = request.roster or settings.roster
    roster_mode = request.roster_mode or settings.roster_mode
    roster = read_roster(roster_path, options, roster_mode) if roster_path else None
    groups_path = request.groups or settings.groups
    groups = read_groups(groups_path, settings.case_sensitive_users) if groups_path else None
    return Inputs(
        ingested=ingested,
        settings=settings,
        roster=roster,
        input_timezone=naive_tz,
        groups=groups,
        store=store,
        spark=spark,
    )


def _spark_events(request: Request, options: IngestOptions, parts: bool) -> SparkEvents | None:
    """With ``--engine spark`` (``report`` and ``check``), the events read in Spark tasks."""
    if request.engine == "local":
        if request.spark_master is not None:
            raise ConfigError(
                "`--spark-master` says where Spark runs, and the engine is local.",
                "add --engine spark, or leave --spark-master out.",
            )
        return None
    if not parts:
        raise ConfigError(
            "`--engine spark` runs the models of `report` and `check` only.",
            "leave --engine out for this command.",
        )
    # PySpark is imported here only, when asked for (an optional extra).
    from licaudit.spark import read_in_spark

    master = request.spark_master or "local[*]"
    return read_in_spark(list(request.paths), options, master, request.parts)


def check_usable(ingested: Ingested, reconciliation: str) -> None:
    """No used row at all is a data error (exit 3), with what was found."""
    if ingested.rows_used == 0:
        raise DataError(
            " ".join([f"No usable rows: {reconciliation}.", *ingested.warnings]),
            "run `licaudit inspect` on the same files to see the columns found and why rows were "
            "rejected; name the timestamp column with --map ts=COLUMN if it was not recognized.",
        )


def check_reject_ratio(ingested: Ingested, limit: float) -> None:
    """More rejected rows than ``--max-reject-ratio`` allows is a data error (exit 3)."""
    if ingested.rows_read and ingested.rows_rejected / ingested.rows_read > limit:
        raise DataError(
            f"{ingested.rows_rejected:,} of {ingested.rows_read:,} rows were rejected "
            f"({ingested.rows_rejected / ingested.rows_read:.2%}), "
            f"more than --max-reject-ratio {limit}.",
            "see why with --rejects rejects.csv, or raise --max-reject-ratio.",
        )


def check_user_columns(inputs: Inputs) -> None:
    """Named users need a user column (SPEC 1.3).

    When no file has one, every row is anonymous and a named-user model would count
    0 with no word: a data error (exit 3). Files without one among files with one
    get a warning each.
    """
    files = [report for report in inputs.ingested.files if report.rows_read > 0]
    without = [report for report in files if "user" not in report.mapping.chosen]
    if not without:
        return
    named = [c for c in inputs.settings.contracts if MODELS[c.model].named_users]
    if len(without) == len(files) and named:
        listed = ", ".join(str(report.path) for report in without)
        contracts = ", ".join(f"`{c.name}` ({c.model})" for c in named)
        raise DataError(
            f"No input file has a user column ({listed}), so every row is anonymous and "
            f"{contracts} would count no user.",
            "name the column that holds users with --map user=COLUMN "
            "(`licaudit inspect` lists the columns found).",
        )
    if len(without) < len(files):
        for report in without:
            inputs.ingested.warnings.append(
                f"{report.path} has no user column: its rows are anonymous and count for no "
                "named user. Hint: name it with --map user=COLUMN."
            )


def check_lines(audit: AuditResult, period: Period) -> list[str]:
    """What ``licaudit check`` prints: periods over capacity, then each model's own findings."""
    lines = overage_lines(audit, period)
    for result in audit.results:
        check = MODELS[result.contract.model].check
        days = result.day_rows["period"]
        if check is None or days.is_empty():
            continue
        first, last = date.fromisoformat(days.min()), date.fromisoformat(days.max())  # type: ignore[arg-type]
        lines.extend(check(result.contract, result.details, first, last))
    return lines


def reconcile_vendor(
    audit: AuditResult, request: Request, vendor: Path, contract_name: str | None
) -> tuple[pl.DataFrame, str]:
    """A flex contract's tokens next to the vendor's bill, and a line saying what was compared.

    The comparison covers the export's days unless ``--from/--to`` say otherwise: logs
    that run longer than the export would otherwise differ on every extra day.
    """
    flex = [r for r in audit.results if r.contract.model == "flex"]
    if contract_name is not None:
        flex = [r for r in flex if r.contract.name == contract_name]
    if len(flex) != 1:
        names = ", ".join(r.contract.name for r in audit.results if r.contract.model == "flex")
        raise ConfigError(
            "`licaudit reconcile` compares one flex contract with the vendor's bill, and "
            + (f"{len(flex)} match" if flex else "none matches")
            + (f" `--name {contract_name}`." if contract_name else "."),
            f"flex contracts: {names}; pick one with --name NAME."
            if names
            else 'add a [[contract]] with model = "flex" and its rates to the contract file.',
        )
    result = flex[0]
    exported = read_vendor_export(vendor)
    first, last = report_range(request)
    span = export_days(exported)
    days = None if span is None else (first or span[0], last or span[1])
    rows = reconcile(exported, result.details["charges"], result.contract.timezone, days)
    compared = "no day" if days is None else f"{days[0]} to {days[1]}"
    line = (
        f"{result.contract.name}: {differing_rows(rows):,} (user, product, day) rows differ "
        f"between {vendor} and the logs, {compared}"
    )
    return rows, line


def run(inputs: Inputs, request: Request) -> AuditResult:
    """Every contract of the inputs over the report range."""
    check_user_columns(inputs)
    first, last = report_range(request)
    settings = inputs.settings
    if inputs.spark is not None:
        audit = inputs.spark.audit(
            settings.contracts,
            settings.currency,
            first,
            last,
            inputs.roster,
            inputs.input_timezone,
            contributions=inputs.groups is not None,
        )
    else:
        audit = run_audit(
            inputs.ingested,
            settings.contracts,
            settings.currency,
            first,
            last,
            inputs.roster,
            inputs.input_timezone,
            store=inputs.store,
            release=True,
            contributions=inputs.groups is not None,
        )
    if inputs.groups is not None:
        # With a groups file: the `chargeback` and `ungrouped` tables (issue 13).
        by_period, ungrouped = chargeback(audit.results, inputs.groups, settings.currency)
        audit.add_table("chargeback", by_period)
        audit.add_table("ungrouped", ungrouped)
        for result in audit.results:
            # What each user contributed (seats, peak holders): the chargeback's evidence.
            result.details.update(result.contributions)
    return audit
