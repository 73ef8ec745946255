"""The market-data catalog (spec §11): Parquet day files written whole or not at all, read back
exactly, and replayed streaming with the same result as in memory."""

from __future__ import annotations

import pickle
from concurrent.futures import ProcessPoolExecutor, ThreadPoolExecutor
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from pathlib import Path

import pytest
from catalog_files import SYMBOLS, tardis_files
from market_rows import rows

import barter_python
from barter_python import ExchangeId, MarketDataError
from barter_python.backtest import (
    BacktestConfig,
    WalkWindow,
    backtest,
    grid,
    run_backtests,
    walk_forward,
)
from barter_python.backtest.sample import sample_config, sample_data
from barter_python.market import Catalog, CatalogEntry, MarketData, MarketQuery

EVERY = "sweep_test_strategies:Every"


@pytest.fixture
def files(tmp_path: Path) -> tuple[Path, Path]:
    return tardis_files(tmp_path)


@pytest.fixture
def data(files: tuple[Path, Path]) -> MarketData:
    trades, quotes = files
    return MarketData.from_tardis(trades, instruments=SYMBOLS).merge(
        MarketData.from_tardis(quotes, instruments=SYMBOLS)
    )


# --- writing and reading back -------------------------------------------------------------------


def test_write_then_load_is_exact_with_both_clocks(tmp_path: Path, data: MarketData) -> None:
    catalog = Catalog(tmp_path / "catalog")
    entries = catalog.write(data)
    assert [(e.instrument, e.kind, e.date) for e in entries] == [
        ("btc_usdt", "l1", date(2024, 3, 1)),
        ("btc_usdt", "l1", date(2024, 3, 2)),
        ("btc_usdt", "trades", date(2024, 3, 1)),
        ("btc_usdt", "trades", date(2024, 3, 2)),
        ("eth_usdt", "l1", date(2024, 3, 1)),
        ("eth_usdt", "l1", date(2024, 3, 2)),
        ("eth_usdt", "trades", date(2024, 3, 1)),
        ("eth_usdt", "trades", date(2024, 3, 2)),
    ]
    assert sum(entry.events for entry in entries) == len(data) == 24
    assert entries == catalog.entries()
    loaded = catalog.query().load()
    assert loaded == data
    assert rows(loaded) == rows(data)
    first = rows(loaded)[0]
    assert first["price"] == Decimal("65120.12345670")
    exchange, received = first["time_exchange"], first["time_received"]
    assert isinstance(exchange, datetime) and isinstance(received, datetime)
    assert received - exchange == timedelta(microseconds=1500)


def test_entries_tell_the_footer(tmp_path: Path, data: MarketData) -> None:
    catalog = Catalog(tmp_path)
    catalog.write(data)
    entry = catalog.entries()[2]
    assert isinstance(entry, CatalogEntry)
    assert (entry.exchange, entry.instrument, entry.kind) == (
        ExchangeId.BINANCE_SPOT,
        "btc_usdt",
        "trades",
    )
    assert entry.events == 3
    assert entry.first == datetime(2024, 3, 1, 23, 59, 58, tzinfo=UTC)
    assert entry.last == datetime(2024, 3, 1, 23, 59, 59, 600000, tzinfo=UTC)
    assert entry.bytes == Path(entry.path).stat().st_size > 0
    assert entry.path.endswith("binance_spot/btc_usdt/trades/2024-03-01.parquet")
    assert "btc_usdt" in repr(entry)
    with pytest.raises(AttributeError):
        entry.events = 4  # type: ignore[misc]


def test_the_files_open_in_pyarrow_with_decimal_and_utc_types(
    tmp_path: Path, data: MarketData
) -> None:
    pa = pytest.importorskip("pyarrow")
    pq = pytest.importorskip("pyarrow.parquet")
    entries = Catalog(tmp_path).write(data)
    trades = pq.read_table(entries[2].path)
    assert trades.schema.field("time_exchange").type == pa.timestamp("ns", "UTC")
    assert trades.schema.field("time_received").type == pa.timestamp("ns", "UTC")
    assert trades.schema.field("price").type == pa.decimal128(18, 8)
    assert trades.column("price")[0].as_py() == Decimal("65120.12345670")
    assert trades.column("side").to_pylist() == ["Sell", "Buy", "Buy"]
    books = pq.read_table(entries[0].path)
    assert books.column("bid_amount")[0].as_py() == Decimal("1E-8")
    assert pq.ParquetFile(entries[0].path).metadata.row_group(0).num_rows == 3


def test_the_files_open_in_pandas_and_polars(tmp_path: Path, data: MarketData) -> None:
    pd = pytest.importorskip("pandas")
    pl = pytest.importorskip("polars")
    path = Catalog(tmp_path).write(data)[2].path
    frame = pd.read_parquet(path)
    assert str(frame["time_exchange"].dtype) == "datetime64[ns, UTC]"
    assert frame["price"].iloc[0] == Decimal("65120.12345670")
    polars = pl.read_parquet(path)
    assert polars.schema["price"] == pl.Decimal(18, 8)
    assert polars.schema["time_received"] == pl.Datetime("ns", "UTC")


def test_the_files_open_in_duckdb(tmp_path: Path, data: MarketData) -> None:
    duckdb = pytest.importorskip("duckdb")
    path = Catalog(tmp_path).write(data)[2].path
    price, kind = duckdb.sql(f"SELECT price, typeof(price) FROM '{path}' LIMIT 1").fetchone()
    assert (price, kind) == (Decimal("65120.12345670"), "DECIMAL(18,8)")


# --- the same day twice ---------------------------------------------------------------------


def test_the_same_content_is_a_no_op_other_content_is_refused_unless_replaced(
    tmp_path: Path, data: MarketData
) -> None:
    catalog = Catalog(tmp_path)
    catalog.write(data)
    before = {entry.path: Path(entry.path).stat().st_mtime_ns for entry in catalog.entries()}
    assert catalog.write(data) == catalog.entries()
    assert {e.path: Path(e.path).stat().st_mtime_ns for e in catalog.entries()} == before
    later = data.slice(data.time_first_event + timedelta(seconds=1))
    with pytest.raises(MarketDataError, match="already in the catalog with other content") as err:
        catalog.write(later)
    assert "2024-03-01.parquet" in str(err.value)
    assert "replace=True" in str(err.value)
    assert catalog.query().load() == data  # nothing changed
    catalog.write(later, replace=True)
    assert catalog.query().load() == later
    assert not list(tmp_path.rglob("*.tmp"))


def test_a_failed_import_writes_none_of_its_files(tmp_path: Path, files: tuple[Path, Path]) -> None:
    trades, _ = files
    bad = tmp_path / "bad.csv"
    lines = trades.read_text().splitlines()
    bad.write_text("\n".join([*lines[:-1], lines[-1].replace(",0.0", ",x0.0")]) + "\n")
    catalog = Catalog(tmp_path / "catalog")
    with pytest.raises(MarketDataError, match=r"bad\.csv:13: amount"):
        catalog.import_tardis([trades, bad], instruments=SYMBOLS, exchange="binance_spot")
    assert catalog.entries() == []
    assert not [path for path in (tmp_path / "catalog").rglob("*") if path.is_file()]


def test_import_streams_into_the_same_files_as_write(
    tmp_path: Path, files: tuple[Path, Path], data: MarketData
) -> None:
    imported = Catalog(tmp_path / "imported")
    trades, quotes = files
    imported.import_tardis(trades, instruments=SYMBOLS)
    entries = imported.import_tardis([quotes], instruments=SYMBOLS)
    assert [entry.kind for entry in entries] == ["l1"] * 4
    assert imported.query().load() == data
    written = Catalog(tmp_path / "written")
    written.write(data)
    # the same content: importing again is a no-op
    assert imported.import_tardis(trades, instruments=SYMBOLS)[0].events == 3
    assert [e.events for e in imported.entries()] == [e.events for e in written.entries()]


def test_import_binance_checks_its_arguments_as_from_binance(tmp_path: Path) -> None:
    path = tmp_path / "BTCUSDT-aggTrades.csv"
    path.write_text("1,65000.10000000,0.5,1,1,1709337600000,true,true\n")
    catalog = Catalog(tmp_path / "c")
    with pytest.raises(ValueError, match="exchange must be one of Binance's"):
        catalog.import_binance(path, kind="agg_trades", instrument="btc_usdt", exchange="okx")
    with pytest.raises(ValueError, match="kind must be"):
        catalog.import_binance(path, kind="nope", instrument="btc_usdt")  # type: ignore[arg-type]
    with pytest.raises(ValueError, match="no file given"):
        catalog.import_binance([], kind="agg_trades", instrument="btc_usdt")
    (entry,) = catalog.import_binance(path, kind="agg_trades", instrument="btc_usdt")
    assert (entry.kind, entry.events, entry.date) == ("trades", 1, date(2024, 3, 2))
    loaded = catalog.query().load()
    assert loaded == MarketData.from_binance(path, kind="agg_trades", instrument="btc_usdt")


def test_a_root_that_is_a_file_and_unknown_names_are_refused(
    tmp_path: Path, data: MarketData
) -> None:
    (tmp_path / "file").write_text("")
    with pytest.raises(MarketDataError, match="the catalog root is a file"):
        Catalog(tmp_path / "file")
    catalog = Catalog(tmp_path / "c")
    with pytest.raises(MarketDataError, match="holds no files"):
        catalog.query()
    catalog.write(data.slice(end=data.time_first_event + timedelta(seconds=1)))
    with pytest.raises(MarketDataError, match="'sol_usdt' is not in the catalog, which holds "):
        catalog.query(instruments=["sol_usdt"])
    with pytest.raises(MarketDataError, match=r"kinds: candles not in the catalog .* trades"):
        catalog.query(kinds=["candles"])
    with pytest.raises(ValueError, match="needs a time zone"):
        catalog.query(start=datetime(2024, 3, 1))
    (tmp_path / "c" / "binance_spot" / "btc_usdt" / "l1").mkdir(exist_ok=True)
    (tmp_path / "c" / "binance_spot" / "btc_usdt" / "l1" / "today.parquet").write_text("")
    with pytest.raises(MarketDataError, match=r"today\.parquet: not a catalog file"):
        catalog.entries()


def test_disconnections_are_refused_candles_kept(tmp_path: Path) -> None:
    from barter_python._native import EngineEvent

    at = datetime(2024, 3, 1, tzinfo=UTC)
    events = [
        EngineEvent.trade("binance_spot", "btc_usdt", "1", "1", "Buy", at),
        EngineEvent.market_disconnected("binance_spot"),
    ]
    with pytest.raises(MarketDataError, match="a market disconnection of binance_spot"):
        Catalog(tmp_path).write(MarketData.from_events(events))
    assert Catalog(tmp_path).entries() == []
    # A candle: exact decimals, its trade count, in the `candles` folder.
    candle = EngineEvent.candle(
        "binance_spot", "btc_usdt", "93500.1", "93600", "93400.12345678", "93550.25", "12.5",
        at, trades=420,
    )  # fmt: skip
    data = MarketData.from_events([candle])
    [entry] = Catalog(tmp_path).write(data)
    assert (entry.kind, entry.events) == ("candles", 1)
    assert Catalog(tmp_path).query(kinds=["candles"]).load() == data
    pq = pytest.importorskip("pyarrow.parquet")
    table = pq.read_table(tmp_path / "binance_spot" / "btc_usdt" / "candles" / "2024-03-01.parquet")
    assert str(table.schema.field("low").type) == "decimal128(18, 8)"
    assert table.column("trades").to_pylist() == [420]


# --- queries --------------------------------------------------------------------------------


def test_a_query_selects_and_bounds_and_counts(tmp_path: Path, data: MarketData) -> None:
    catalog = Catalog(tmp_path)
    catalog.write(data)
    query = catalog.query()
    assert len(query) == 24
    assert query.time_first_event == data.time_first_event
    assert query.time_last_event == data.time_last_event
    eth = catalog.query(instruments=[("binance_spot", "eth_usdt")], kinds=["trades"])
    assert eth.instruments == [(ExchangeId.BINANCE_SPOT, "eth_usdt")]
    assert len(eth) == 6
    midnight = datetime(2024, 3, 2, tzinfo=UTC)
    day2 = catalog.query(start=date(2024, 3, 2))
    assert all(len(part[3]) == 1 for part in day2.parts)
    assert day2.load() == data.slice(midnight)
    cut = catalog.query(start=midnight - timedelta(seconds=1), end=midnight + timedelta(seconds=1))
    assert len(cut) == len(
        data.slice(midnight - timedelta(seconds=1), midnight + timedelta(seconds=1))
    )
    assert cut.load() == data.slice(
        midnight - timedelta(seconds=1), midnight + timedelta(seconds=1)
    )
    assert query.slice(midnight).load() == day2.load()
    assert query.slice(midnight).slice(end=midnight) == query.slice(midnight, midnight)
    assert "MarketQuery: 8 files of 2 instruments" in repr(query)


def test_a_query_pickles_as_paths_and_bounds(tmp_path: Path, data: MarketData) -> None:
    catalog = Catalog(tmp_path)
    catalog.write(data)
    query = catalog.query(start=date(2024, 3, 2))
    for protocol in range(pickle.HIGHEST_PROTOCOL + 1):
        shipped = pickle.dumps(query, protocol=protocol)
        assert len(shipped) < 2000
        back = pickle.loads(shipped)
        assert type(back) is MarketQuery
        assert back == query
        assert back.load() == query.load()


def test_the_catalog_names_are_exported() -> None:
    assert barter_python.Catalog is Catalog
    assert barter_python.MarketQuery is MarketQuery
    assert barter_python.CatalogEntry is CatalogEntry


# --- streaming replay -----------------------------------------------------------------------


@pytest.fixture(scope="module")
def sample_catalog(tmp_path_factory: pytest.TempPathFactory) -> Catalog:
    catalog = Catalog(tmp_path_factory.mktemp("sample"))
    catalog.write(sample_data())
    return catalog


def frozen(result: barter_python.backtest.BacktestResult) -> str:
    return result.model_copy(update={"wall_time_s": 0.0}).to_json()


def test_streaming_replay_is_byte_identical_to_the_loaded_replay(sample_catalog: Catalog) -> None:
    from sweep_test_strategies import Every

    query = sample_catalog.query()
    config = sample_config()
    streamed = backtest(Every(every=5), query, config)
    loaded = backtest(Every(every=5), query.load(), config)
    assert streamed.orders_sent > 10
    assert streamed.events == len(query) == 4000
    assert frozen(streamed) == frozen(loaded)
    assert streamed.to_pandas("orders").equals(loaded.to_pandas("orders"))
    assert str(streamed.model_copy(update={"wall_time_s": 0.0})) == str(
        loaded.model_copy(update={"wall_time_s": 0.0})
    )


def test_streaming_replay_honours_the_bounds_and_warmup(sample_catalog: Catalog) -> None:
    from sweep_test_strategies import Every

    query = sample_catalog.query()
    first = query.time_first_event
    part = query.slice(first + timedelta(seconds=10), first + timedelta(seconds=50))
    config = sample_config().model_copy(update={"warmup_until": first + timedelta(seconds=20)})
    streamed = backtest(Every(every=3), part, config)
    assert 0 < streamed.events < len(part) < 4000  # the warm-up's events are not counted
    assert frozen(streamed) == frozen(backtest(Every(every=3), part.load(), config))
    late = sample_config().model_copy(update={"warmup_until": first + timedelta(days=9)})
    with pytest.raises(ValueError, match="warmup_until is after the data's last event"):
        backtest(Every(every=3), part, late)


@pytest.mark.parametrize("pool", [ThreadPoolExecutor, ProcessPoolExecutor])
def test_run_backtests_on_a_query_in_workers_is_the_same(
    sample_catalog: Catalog, pool: type[ThreadPoolExecutor | ProcessPoolExecutor]
) -> None:
    query = sample_catalog.query(kinds=["trades"])
    config = sample_config()
    specs = grid(EVERY, every=[4, 9])
    with pool(max_workers=2) as executor:
        streamed = run_backtests(specs, query, config, executor=executor)
    loaded = run_backtests(specs, query.load(), config)
    assert not streamed.failures
    assert [frozen(r) for r in streamed.results] == [frozen(r) for r in loaded.results]


def window_json(window: WalkWindow) -> str:
    if window.result is None:
        return window.model_dump_json()
    result = window.result.model_copy(update={"wall_time_s": 0.0})
    return window.model_copy(update={"result": result}).model_dump_json()


def test_walk_forward_on_a_query_is_the_same(sample_catalog: Catalog) -> None:
    query = sample_catalog.query()
    config = sample_config()
    specs = grid(EVERY, every=[4, 9])
    kwargs = {"train": timedelta(seconds=60), "test": timedelta(seconds=30), "metric": "net_pnl"}
    streamed = walk_forward(specs, query, config, **kwargs)  # type: ignore[arg-type]
    loaded = walk_forward(specs, query.load(), config, **kwargs)  # type: ignore[arg-type]
    assert len(streamed.windows) > 1
    assert [window_json(w) for w in streamed.windows] == [window_json(w) for w in loaded.windows]


def test_a_query_of_instruments_outside_the_config_is_refused(sample_catalog: Catalog) -> None:
    from barter_python.engine import DefaultStrategy

    config = BacktestConfig(instruments=sample_config().instruments[:1])
    with pytest.raises(ValueError, match="which is not in the config's instruments"):
        backtest(DefaultStrategy(), sample_catalog.query(), config)


def test_a_file_broken_after_the_query_is_named(tmp_path: Path, data: MarketData) -> None:
    from barter_python.engine import DefaultStrategy

    catalog = Catalog(tmp_path)
    entries = catalog.write(data)
    query = catalog.query()
    Path(entries[3].path).write_bytes(b"PAR1 not parquet")
    with pytest.raises(MarketDataError, match=r"2024-03-02\.parquet: not a catalog file"):
        query.load()
    config = BacktestConfig(
        instruments=[
            {"exchange": "binance_spot", "instrument": name, "base": name[:3], "quote": "usdt"}
            for name in ("btc_usdt", "eth_usdt")
        ]
    )
    with pytest.raises(MarketDataError, match=r"2024-03-02\.parquet"):
        backtest(DefaultStrategy(), query, config)
    with pytest.raises(MarketDataError, match=r"2024-03-02\.parquet: not a catalog file"):
        catalog.entries()
