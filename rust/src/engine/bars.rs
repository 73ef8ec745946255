//! Bars built natively from trades, for a `BarStrategy` (spec §10): per instrument, aligned to
//! UTC multiples of the interval, handed over once their interval has ended (the first event of
//! a later interval, or the end of the data), never before. Candles join the bar they end in,
//! and the candle that ends a bar hands it over at once, at its close.
//! Python is called per bar, not per event.

use super::keys::Keys;
use crate::bind::enums::Enum;
use crate::market;
use barter_data::event::{DataKind, MarketEvent};
use barter_instrument::{exchange::ExchangeId, instrument::InstrumentIndex};
use chrono::{DateTime, TimeDelta, Utc};
use pyo3::prelude::*;
use rust_decimal::Decimal;

/// A bar being built, or built: prices as barter-data's trades carry them (`f64`, made exact
/// when read).
#[derive(Debug, Clone, Copy)]
struct Building {
    instrument: InstrumentIndex,
    start: i64,
    open: f64,
    high: f64,
    low: f64,
    close: f64,
    volume: f64,
    trades: u64,
}

/// The bars of every instrument of one engine.
pub struct Bars {
    /// The interval, in nanoseconds.
    every: i64,
    open: Vec<Option<Building>>,
    ready: Vec<Building>,
}

fn nanos(time: DateTime<Utc>) -> i64 {
    time.timestamp_nanos_opt().unwrap_or(i64::MAX)
}

impl Bars {
    pub fn new(every: TimeDelta, instruments: usize) -> Self {
        Self {
            every: every.num_nanoseconds().unwrap_or(i64::MAX).max(1),
            open: vec![None; instruments],
            ready: Vec::new(),
        }
    }

    /// A market event: a trade or a candle goes into its instrument's bar (closing the bar
    /// before it if it falls in a later interval); a candle that ends its bar hands it over.
    pub fn market(&mut self, event: &MarketEvent<InstrumentIndex, DataKind>) {
        let Some(slot) = self.open.get_mut(event.instrument.index()) else {
            return;
        };
        let every = self.every;
        let align = |time: i64| time - time.rem_euclid(every);
        // What the event adds: a trade is a bar of one price.
        let (piece, ends_bar) = match &event.kind {
            DataKind::Trade(trade) => {
                let piece = Building {
                    instrument: event.instrument,
                    start: align(nanos(event.time_exchange)),
                    open: trade.price,
                    high: trade.price,
                    low: trade.price,
                    close: trade.price,
                    volume: trade.amount,
                    trades: 1,
                };
                (piece, false)
            }
            DataKind::Candle(candle) => {
                // The bar the candle ends in: a close time is the interval's last instant
                // (Binance's: its last millisecond) or its end.
                let close = nanos(candle.close_time).saturating_sub(1);
                let piece = Building {
                    instrument: event.instrument,
                    start: align(close),
                    open: candle.open,
                    high: candle.high,
                    low: candle.low,
                    close: candle.close,
                    volume: candle.volume,
                    trades: candle.trade_count,
                };
                // A candle closing within a millisecond of its bar's end completes the bar:
                // handed over at the candle's close, not at the next event.
                (piece, piece.start + every - close <= 1_000_000)
            }
            _ => return,
        };
        match slot {
            Some(bar) if bar.start == piece.start => {
                bar.high = bar.high.max(piece.high);
                bar.low = bar.low.min(piece.low);
                bar.close = piece.close;
                bar.volume += piece.volume;
                bar.trades += piece.trades;
            }
            // A late trade (recordings are not always in order) joins the open bar.
            Some(bar) if piece.start < bar.start => {
                bar.volume += piece.volume;
                bar.trades += piece.trades;
            }
            _ => {
                self.ready.extend(slot.take());
                *slot = Some(piece);
            }
        }
        if ends_bar {
            self.ready.extend(slot.take());
        }
    }

    /// The data ended: every open bar is handed over.
    pub fn end(&mut self) {
        let open = self.open.iter_mut().filter_map(Option::take);
        self.ready.extend(open);
    }

    pub fn has_ready(&self) -> bool {
        !self.ready.is_empty()
    }

    /// The bars ready to hand over, oldest first, as Python objects.
    pub fn take(&mut self, keys: &Keys) -> Vec<PyBar> {
        let every = self.every;
        self.ready
            .drain(..)
            .map(|bar| {
                let input = keys.instrument(bar.instrument);
                PyBar {
                    exchange: input.exchange,
                    instrument: input.instrument.to_string(),
                    time_open: DateTime::from_timestamp_nanos(bar.start),
                    time_close: DateTime::from_timestamp_nanos(bar.start + every),
                    prices: [bar.open, bar.high, bar.low, bar.close],
                    volume: bar.volume,
                    trades: bar.trades,
                }
            })
            .collect()
    }
}

/// One bar of an instrument: the trades of `[time_open, time_close)`.
#[pyclass(frozen, module = "barter_python._native", name = "Bar")]
pub struct PyBar {
    exchange: ExchangeId,
    instrument: String,
    time_open: DateTime<Utc>,
    time_close: DateTime<Utc>,
    prices: [f64; 4],
    volume: f64,
    trades: u64,
}

fn exact(value: f64) -> PyResult<Decimal> {
    market::exact(value).map_err(pyo3::exceptions::PyValueError::new_err)
}

#[pymethods]
impl PyBar {
    #[getter]
    fn exchange(&self) -> Enum<ExchangeId> {
        Enum(self.exchange)
    }

    #[getter]
    fn instrument(&self) -> &str {
        &self.instrument
    }

    #[getter]
    fn time_open(&self) -> DateTime<Utc> {
        self.time_open
    }

    #[getter]
    fn time_close(&self) -> DateTime<Utc> {
        self.time_close
    }

    #[getter]
    fn open(&self) -> PyResult<Decimal> {
        exact(self.prices[0])
    }

    #[getter]
    fn high(&self) -> PyResult<Decimal> {
        exact(self.prices[1])
    }

    #[getter]
    fn low(&self) -> PyResult<Decimal> {
        exact(self.prices[2])
    }

    #[getter]
    fn close(&self) -> PyResult<Decimal> {
        exact(self.prices[3])
    }

    /// The trades' amounts summed (in binary floating point, as barter-data carries them).
    #[getter]
    fn volume(&self) -> PyResult<Decimal> {
        exact(self.volume)
    }

    /// How many trades made the bar.
    #[getter]
    fn trades(&self) -> u64 {
        self.trades
    }

    fn __repr__(&self) -> String {
        let [open, high, low, close] = self.prices;
        format!(
            "Bar('{}', '{}', {}, open={open}, high={high}, low={low}, close={close}, \
             volume={}, trades={})",
            self.exchange.as_str(),
            self.instrument,
            self.time_open.format("%Y-%m-%dT%H:%M:%SZ"),
            self.volume,
            self.trades
        )
    }
}

/// What a `BarStrategy` declares: its interval, and whether it also wants every event.
pub struct Declared {
    pub every: TimeDelta,
    pub per_event: bool,
}

impl Declared {
    /// `bar_interval` of a strategy object: a positive whole number of seconds.
    pub fn of(object: &Bound<'_, PyAny>) -> PyResult<Option<Self>> {
        let py = object.py();
        let Ok(interval) = object.getattr(pyo3::intern!(py, "bar_interval")) else {
            return Ok(None);
        };
        if interval.is_none() {
            return Ok(None);
        }
        let every: TimeDelta = interval.extract().map_err(|_| {
            pyo3::exceptions::PyTypeError::new_err("bar_interval must be a timedelta")
        })?;
        if every <= TimeDelta::zero() || every.subsec_nanos() != 0 {
            return Err(pyo3::exceptions::PyValueError::new_err(format!(
                "bar_interval must be a positive whole number of seconds, got {every}"
            )));
        }
        let per_event: bool = object
            .getattr(pyo3::intern!(py, "wants_events"))
            .and_then(|wants| wants.extract())
            .unwrap_or(false);
        Ok(Some(Self { every, per_event }))
    }
}
