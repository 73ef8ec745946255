"""`barter-python paper --config system_config.json --strategy MODULE:CLASS`: paper-trades a
strategy on live market streams (spec §9), with a status line on a terminal; Ctrl-C or
`--duration` ends it and prints the session's result."""

from __future__ import annotations

import re
import sys
import time
from datetime import timedelta

import click

from barter_python.cli.common import fail, load_strategy, parse_params
from barter_python.errors import BarterPythonError
from barter_python.instrument import ExchangeId
from barter_python.live import LiveConfig, LiveSystem

__all__ = ["paper"]

_DURATION = re.compile(r"^(\d+(?:\.\d+)?)(s|m|h|d)?$")
_UNITS = {"s": 1, "m": 60, "h": 3600, "d": 86400}


def _duration(_ctx: click.Context, _param: click.Parameter, value: str | None) -> timedelta | None:
    if value is None:
        return None
    found = _DURATION.match(value.strip())
    if not found or float(found[1]) <= 0:
        raise click.BadParameter(f"{value!r} is not a duration such as 30s, 10m, 2h or 1d")
    return timedelta(seconds=float(found[1]) * _UNITS[found[2] or "s"])


def _endpoints(
    _ctx: click.Context, _param: click.Parameter, values: tuple[str, ...]
) -> dict[ExchangeId, str]:
    endpoints = {}
    for value in values:
        exchange, equals, url = value.partition("=")
        if not (equals and exchange and url):
            raise click.BadParameter(f"{value!r} is not EXCHANGE=URL (binance_spot=ws://...)")
        try:
            endpoints[ExchangeId(exchange)] = url
        except ValueError:
            raise click.BadParameter(f"{value!r}: unknown exchange {exchange!r}") from None
    return endpoints


@click.command()
@click.option(
    "--config",
    "config_file",
    required=True,
    type=click.Path(dir_okay=False, exists=True),
    help="barter's system_config.json: instruments, the mock executions' balances, fees and "
    "latency (they configure the simulated exchange).",
)
@click.option("--strategy", "strategy_spec", required=True, metavar="MODULE:CLASS",
              help="The strategy class: MODULE importable or path/to/file.py:CLASS.")  # fmt: skip
@click.option("--param", "params", multiple=True, metavar="NAME=VALUE", callback=parse_params,
              help="A keyword argument of the strategy class (repeatable).")  # fmt: skip
@click.option(
    "--endpoint",
    "endpoints",
    multiple=True,
    metavar="EXCHANGE=URL",
    callback=_endpoints,
    help="A ws:// or wss:// URL in place of the exchange's own (Binance, Bybit; repeatable).",
)
@click.option("--duration", callback=_duration, metavar="DURATION",
              help="Stop after this long (30s, 10m, 2h); default: until Ctrl-C.")  # fmt: skip
@click.option("--connect-timeout", default=15.0, show_default=True, metavar="SECONDS",
              help="How long the streams may take to connect and subscribe.")  # fmt: skip
def paper(
    config_file: str,
    strategy_spec: str,
    params: dict[str, object],
    endpoints: dict[ExchangeId, str],
    duration: timedelta | None,
    connect_timeout: float,
) -> None:
    """Paper-trade a strategy on live market data: barter-data's streams feed barter's engine
    and the simulated exchange, which fills at the streamed touch. Trading is on from the
    start; the result is printed at the end (Ctrl-C or --duration)."""
    try:
        config = LiveConfig.from_barter_json(config_file, endpoints=endpoints, trading_enabled=True)
        strategy = load_strategy(strategy_spec, params)
        system = LiveSystem.start(config, strategy, connect_timeout=connect_timeout)
    except (BarterPythonError, ValueError, TypeError, ImportError, OSError) as error:
        fail(str(error))
    status = sys.stderr.isatty()
    deadline = None if duration is None else time.monotonic() + duration.total_seconds()
    fills = 0
    interrupted = False
    try:
        while deadline is None or time.monotonic() < deadline:
            for event in system.events(timeout=0.5):
                if event.kind == "fill":
                    fills += 1
                elif event.kind != "stopped":
                    click.echo(f"{event.time:%H:%M:%S} {event}", err=True)
                if deadline is not None and time.monotonic() >= deadline:
                    break
            if status:
                _status_line(system, fills)
    except KeyboardInterrupt:
        interrupted = True  # stop now: what is still queued is skipped (and counted)
    finally:
        if status:
            sys.stderr.write("\n")
        result = system.shutdown(drain=not interrupted)
    click.echo(str(result))


def _status_line(system: LiveSystem, fills: int) -> None:
    snapshot = system.snapshot()
    equity = ", ".join(f"{asset} {amount}" for (_, asset), amount in snapshot.balances.items())
    sys.stderr.write(
        f"\r{snapshot.time:%H:%M:%S} events {snapshot.events}  orders "
        f"{len(snapshot.open_orders)} open  fills {fills}  balances {equity}\x1b[K"
    )
    sys.stderr.flush()
