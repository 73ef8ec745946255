"""`barter-python backtest DATA`: replays market data through barter's Engine with a Python
strategy and prints barter's statistics beside the textbook ones (one run, or a sweep)."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path
from typing import Literal

import click
from pydantic import ValidationError

from barter_python.backtest import BacktestConfig, BacktestResult, MarketData
from barter_python.backtest import backtest as run_backtest
from barter_python.backtest.sample import sample_config, sample_data
from barter_python.cli.common import (
    fail,
    find_strategy_class,
    load_strategy,
    open_output,
    parse_params,
    read_book_argument,
)
from barter_python.cli.sweep import (
    check_sort,
    csv_text,
    every_run_failed,
    parse_axes,
    render_batch,
    sweep,
)
from barter_python.errors import BarterPythonError, CommandLineError
from barter_python.instrument import ExchangeId
from barter_python.market import Catalog, MarketQuery
from barter_python.session.config import IntervalName
from barter_python.session.tables import optional

__all__ = ["backtest"]


BACKTEST_FORMATS = ("table", "json", "csv")
SAMPLE_STRATEGY = "barter_python.backtest.sample:SmaCross"


def _balances(
    _ctx: click.Context, _param: click.Parameter, values: tuple[str, ...]
) -> dict[tuple[ExchangeId, str], str]:
    balances = {}
    for value in values:
        key, equals, amount = value.partition("=")
        exchange, colon, asset = key.partition(":")
        if not (equals and colon and exchange and asset and amount):
            raise click.BadParameter(f"{value!r} is not EXCHANGE:ASSET=AMOUNT (e.g. okx:usdt=1000)")
        try:
            balances[(ExchangeId(exchange), asset.lower())] = amount
        except ValueError:
            raise click.BadParameter(f"{value!r}: unknown exchange {exchange!r}") from None
    return balances


@click.command()
@click.argument("data", required=False, type=click.Path(dir_okay=False))
@click.option(
    "--config",
    "config_file",
    type=click.Path(dir_okay=False),
    help="barter's backtest_config.json (or a SystemConfig): instruments, the mock exchanges' "
    "balances, fees and latency.",
)
@click.option(
    "--book",
    "book_file",
    type=click.Path(dir_okay=False),
    help="The instruments to trade, as a book (JSON array of InstrumentSnapshot, or CSV) that "
    "`flatten` reads; balances from --balance.",
)
@click.option(
    "--strategy",
    "strategy_spec",
    metavar="MODULE:CLASS",
    help="The strategy class: MODULE importable from the current directory or installed, or "
    "path/to/file.py:CLASS. With --sample: barter_python.backtest.sample:SmaCross.",
)
@click.option(
    "--param",
    "params",
    multiple=True,
    metavar="NAME=VALUE",
    callback=parse_params,
    help="A keyword argument of the strategy class; VALUE is JSON if it parses, else a string "
    "(repeatable).",
)
@click.option(
    "--sample",
    is_flag=True,
    help="The bundled market data (4,000 events over btc_usdt, eth_usdt and sol_usdt on "
    "binance_spot), its config and the example strategy.",
)
@click.option(
    "--csv-kind",
    type=click.Choice(["trades", "l1", "candles"]),
    default=None,
    help="DATA is one instrument's CSV of this kind (see MarketData.from_csv).",
)
@click.option(
    "--exchange",
    default=None,
    metavar="EXCHANGE",
    help="The exchange of a CSV's instrument (default: the config's, if it has only one).",
)
@click.option(
    "--instrument",
    "instruments",
    multiple=True,
    metavar="NAME",
    help="The instrument of a CSV (default: the config's, if it has only one); with --catalog, "
    "an instrument to replay, EXCHANGE:NAME or NAME (repeatable; default: the config's).",
)
@click.option(
    "--catalog",
    "catalog_root",
    default=None,
    metavar="DIR",
    help="Replay the files of this market-data catalog (`data import`), streaming, instead of "
    "DATA.",
)
@click.option(
    "--start",
    default=None,
    metavar="TIME",
    help="With --catalog: the first exchange time to replay (RFC 3339 or a date; UTC).",
)
@click.option(
    "--end",
    default=None,
    metavar="TIME",
    help="With --catalog: replay the events before this exchange time (RFC 3339 or a date).",
)
@click.option(
    "--balance",
    "balances",
    multiple=True,
    metavar="EXCHANGE:ASSET=AMOUNT",
    callback=_balances,
    help="A starting balance of a mock exchange (repeatable; replaces the config's).",
)
@click.option(
    "--fees",
    default=None,
    metavar="FRACTION",
    help="barter's fees_percent, a fraction (0.001 = 0.1 %); replaces the config's.",
)
@click.option(
    "--slippage",
    default=None,
    metavar="BPS",
    help="The simulated exchange's slippage_bps: basis points against a taker (2 = 0.02 %); "
    "replaces the config's.",
)
@click.option(
    "--execution",
    type=click.Choice(["simulated", "barter_mock"]),
    default=None,
    help="Where orders go: the simulated exchange (the default: fills at the touch) or "
    "barter-execution's mock (fills at the named price, as barter's own backtests); the "
    "config's fees and latency carry over.",
)
@click.option(
    "--interval",
    type=click.Choice(["daily", "annual_252", "annual_365"]),
    default=None,
    help="The period barter scales returns and ratios to (default: daily).",
)
@click.option(
    "--format",
    "output_format",
    type=click.Choice(BACKTEST_FORMATS),
    default="table",
    show_default=True,
    help="The summary table, the whole result as JSON, or the summary as CSV.",
)
@click.option(
    "--output",
    type=click.Path(dir_okay=False, allow_dash=True),
    default="-",
    help="Write the output here instead of stdout.",
)
@click.option(
    "--plot",
    "plot_file",
    type=click.Path(dir_okay=False),
    default=None,
    help="Draw the equity curve and its drawdown to this file (PNG, SVG, PDF; extra 'plot').",
)
@click.option("--id", "run_id", default="backtest", show_default=True, help="The result's id.")
@click.option(
    "--grid",
    "grid_axes",
    multiple=True,
    metavar="NAME=V1,V2",
    help="Sweep: one backtest per combination of the values (repeatable, one axis each).",
)
@click.option(
    "--workers",
    type=click.IntRange(min=1),
    default=1,
    show_default=True,
    help="Sweep: run on a pool of this many processes.",
)
@click.option(
    "--sort",
    "sort_by",
    default="net_pnl",
    show_default=True,
    help="Sweep: the column the table of runs is sorted by (descending).",
)
def backtest(
    data: str | None,
    config_file: str | None,
    book_file: str | None,
    strategy_spec: str | None,
    params: dict[str, object],
    sample: bool,
    csv_kind: Literal["trades", "l1", "candles"] | None,
    exchange: str | None,
    instruments: tuple[str, ...],
    catalog_root: str | None,
    start: str | None,
    end: str | None,
    balances: dict[tuple[ExchangeId, str], str],
    fees: str | None,
    slippage: str | None,
    execution: Literal["simulated", "barter_mock"] | None,
    interval: IntervalName | None,
    output_format: Literal["table", "json", "csv"],
    output: str,
    plot_file: str | None,
    run_id: str,
    grid_axes: tuple[str, ...],
    workers: int,
    sort_by: str,
) -> None:
    """Replay market DATA through barter's Engine with a Python strategy and print barter's
    statistics beside the textbook ones.

    DATA is barter's market-data JSON or NDJSON (instruments by name, or by index into the
    config's instruments, as barter's own files) or, with --csv-kind, one instrument's CSV;
    or --catalog DIR replays a catalog's files, streaming. The instruments come from barter's
    config file (--config) or a book (--book). Examples:

    \b
        barter-python backtest --sample
        barter-python backtest --catalog data/ --config backtest_config.json \\
            --strategy examples/backtest_sma.py:SmaCross --start 2024-03-01 --end 2024-03-08
        barter-python backtest trades.ndjson --config backtest_config.json \\
            --strategy examples/backtest_sma.py:SmaCross --param instrument=btc_usdt
    """
    market: MarketData | MarketQuery
    try:
        if plot_file is not None:
            optional("matplotlib", "plot")  # before the run: say now which extra is missing
        if sample:
            if catalog_root is not None:
                raise CommandLineError("--sample brings its own data: no --catalog")
            if data is not None or config_file is not None or book_file is not None:
                raise CommandLineError(
                    "--sample brings its own data and config: no DATA, --config or --book"
                )
            config, market = sample_config(), sample_data()
        else:
            config = _backtest_config(data, config_file, book_file, catalog_root)
            if strategy_spec is None:
                raise CommandLineError("give --strategy MODULE:CLASS (or --sample)")
        config = _override(config, balances, fees, interval, execution, slippage)
        if grid_axes:
            axes = parse_axes(grid_axes)
            check_sort(sort_by, params, axes)  # before the runs, not after them
            # The class by the name its module was imported under, for the workers; each run
            # builds it with its own params.
            found = find_strategy_class(strategy_spec or SAMPLE_STRATEGY)
            path = f"{found.__module__}:{found.__qualname__}"
        else:
            strategy = load_strategy(strategy_spec or SAMPLE_STRATEGY, params)
        if catalog_root is not None:
            market = _catalog_query(catalog_root, config, instruments, start, end)
        elif not sample:
            if len(instruments) > 1:
                raise CommandLineError("a CSV holds one instrument: give --instrument once")
            market = _market_data(
                _existing(data, "DATA"), config, csv_kind, exchange, next(iter(instruments), None)
            )
        if grid_axes:
            batch = sweep(path, params, axes, market, config, workers)
            if not batch.results:
                fail(every_run_failed(batch))
            text = render_batch(batch, output_format, sort_by)
            stream = open_output(output)
            with stream:
                stream.write(text)
            return
        result = run_backtest(strategy, market, config, id=run_id, progress=True)
        if plot_file is not None:
            try:
                result.plot(plot_file)
            except OSError as error:
                raise CommandLineError(
                    f"--plot {plot_file}: cannot write: {error.strerror or error}"
                ) from None
        text = _render(result, output_format)
        stream = open_output(output)
    except (BarterPythonError, ValueError, TypeError, ImportError, OSError) as error:
        fail(str(error))
    with stream:
        stream.write(text)


def _existing(path: str | None, what: str) -> str:
    if path is None:
        raise CommandLineError(f"give {what}")
    if not Path(path).is_file():
        raise CommandLineError(f"{path}: no such file")
    return path


def _backtest_config(
    data: str | None, config_file: str | None, book_file: str | None, catalog: str | None = None
) -> BacktestConfig:
    if (data is None) == (catalog is None):
        raise CommandLineError("give the market DATA file (or --sample), or --catalog DIR")
    if (config_file is None) == (book_file is None):
        raise CommandLineError("give either --config (barter's config file) or --book")
    if config_file is not None:
        return BacktestConfig.from_barter_json(_existing(config_file, "--config"))
    book = read_book_argument(_existing(book_file, "--book"), False, None)
    return BacktestConfig(instruments=book.snapshots)


def _catalog_query(
    root: str,
    config: BacktestConfig,
    instruments: tuple[str, ...],
    start: str | None,
    end: str | None,
) -> MarketQuery:
    """The catalog's files of `instruments` (default: the config's that it holds)."""
    if not Path(root).is_dir():
        raise CommandLineError(f"--catalog {root}: no such folder")
    catalog = Catalog(root)
    chosen: list[str | tuple[ExchangeId | str, str]] = []
    for item in instruments:
        exchange, colon, name = item.rpartition(":")
        chosen.append((exchange, name) if colon else name)
    if not chosen:
        held = {(entry.exchange, entry.instrument) for entry in catalog.entries()}
        wanted = [(i.exchange, i.instrument) for i in config.instruments]
        chosen = [pair for pair in wanted if pair in held]
        if not chosen:
            raise CommandLineError(
                f"--catalog {root}: holds none of the config's instruments; give --instrument"
            )
    return catalog.query(instruments=chosen, start=_time(start, "--start"), end=_time(end, "--end"))


def _time(text: str | None, option: str) -> datetime | None:
    """RFC 3339 or a date; without a zone, UTC."""
    if text is None:
        return None
    try:
        time = datetime.fromisoformat(text)
    except ValueError:
        raise CommandLineError(
            f"{option} {text!r}: not a time (2024-03-01T12:00:00Z or 2024-03-01)"
        ) from None
    return time if time.tzinfo is not None else time.replace(tzinfo=UTC)


def _market_data(
    data: str,
    config: BacktestConfig,
    csv_kind: Literal["trades", "l1", "candles"] | None,
    exchange: str | None,
    instrument: str | None,
) -> MarketData:
    if csv_kind is None:
        if Path(data).suffix.lower() == ".csv":
            raise CommandLineError(f"{data}: a CSV needs --csv-kind trades|l1|candles")
        return MarketData.from_barter_json(data, instruments=config)
    if exchange is None or instrument is None:
        if len(config.instruments) != 1:
            raise CommandLineError(
                f"{data}: a CSV holds one instrument: give --exchange and --instrument"
            )
        only = config.instruments[0]
        exchange = exchange or only.exchange.value
        instrument = instrument or only.instrument
    return MarketData.from_csv(data, kind=csv_kind, exchange=exchange, instrument=instrument)


def _override(
    config: BacktestConfig,
    balances: dict[tuple[ExchangeId, str], str],
    fees: str | None,
    interval: IntervalName | None,
    execution: Literal["simulated", "barter_mock"] | None = None,
    slippage: str | None = None,
) -> BacktestConfig:
    changes: dict[str, object] = {}
    exchange: dict[str, object] = config.exchange.model_dump()
    if execution is not None and execution != config.exchange.kind:
        carried = config.exchange.model_dump(include={"fees_percent", "latency_ms"})
        exchange = changes["exchange"] = {"kind": execution, **carried}
    if slippage is not None:
        if exchange["kind"] != "simulated":
            raise CommandLineError("--slippage is the simulated exchange's: not with barter_mock")
        changes["exchange"] = {**exchange, "slippage_bps": slippage}
    if balances:
        changes["balances"] = {**config.balances, **balances}
    if fees is not None:
        changes["fees_percent"] = fees
    if interval is not None:
        changes["interval"] = interval
    if not changes:
        return config
    try:
        return BacktestConfig.model_validate(config.model_dump() | changes)
    except ValidationError as error:
        problems = "; ".join(f"{'.'.join(map(str, e['loc']))}: {e['msg']}" for e in error.errors())
        raise CommandLineError(f"invalid option: {problems}") from None


def _render(result: BacktestResult, output_format: Literal["table", "json", "csv"]) -> str:
    if output_format == "json":
        return result.to_json() + "\n"
    if output_format == "csv":
        return csv_text(result.rows("summary"))
    return f"{result}\n"
