//! Tables of one instrument's market data (CSV files, Arrow tables): their columns, and the
//! event each row makes, checked the same way whatever the table's source.

use super::{candle, l1, Event, Kind, Level};
use crate::bind::enums;
use crate::market::Role;
use barter_instrument::{exchange::ExchangeId, Side};

#[derive(Clone, Copy, Debug, PartialEq)]
pub enum Layout {
    /// `time,price,amount,side`: barter-data's `PublicTrade`.
    Trades,
    /// `time,bid_price,bid_amount,ask_price,ask_amount`: barter-data's `OrderBookL1`.
    L1,
    /// `time,open,high,low,close,volume`: barter-data's `Candle`, `time` its close time (no
    /// trade count: 0).
    Candles,
}

impl Layout {
    pub fn parse(kind: &str) -> Result<Self, String> {
        match kind {
            "trades" => Ok(Layout::Trades),
            "l1" => Ok(Layout::L1),
            "candles" => Ok(Layout::Candles),
            other => Err(format!(
                "kind must be 'trades', 'l1' or 'candles', got {other:?}"
            )),
        }
    }

    pub fn columns(self) -> &'static [&'static str] {
        match self {
            Layout::Trades => &["time", "price", "amount", "side"],
            Layout::L1 => &["time", "bid_price", "bid_amount", "ask_price", "ask_amount"],
            Layout::Candles => &["time", "open", "high", "low", "close", "volume"],
        }
    }

    /// The event of one row, or every problem of the row, each `column: problem`.
    pub fn event(
        self,
        row: &impl Cells,
        exchange: ExchangeId,
        instrument: u32,
    ) -> Result<Event, Vec<String>> {
        let columns = self.columns();
        let mut problems = Vec::new();
        let mut note = |at: usize, result: Result<f64, String>| {
            result
                .map_err(|problem| problems.push(format!("{}: {problem}", columns[at])))
                .unwrap_or(f64::NAN)
        };
        let time = row.time(0);
        let kind = match self {
            Layout::Trades => {
                let price = note(1, row.number(1, Role::TradePrice));
                let amount = note(2, row.number(2, Role::Amount));
                let side = row.side(3);
                side.map(|side| Kind::Trade {
                    price,
                    amount,
                    side,
                })
                .map_err(|problem| problems.push(format!("{}: {problem}", columns[3])))
                .ok()
            }
            Layout::L1 => {
                let bid = Level {
                    price: note(1, row.number(1, Role::Price)),
                    amount: note(2, row.number(2, Role::Amount)),
                };
                let ask = Level {
                    price: note(3, row.number(3, Role::Price)),
                    amount: note(4, row.number(4, Role::Amount)),
                };
                l1(bid, ask)
                    .map_err(|problem| problems.push(format!("bid_amount, ask_amount: {problem}")))
                    .ok()
            }
            Layout::Candles => {
                let [open, high, low, close] =
                    [1, 2, 3, 4].map(|at| note(at, row.number(at, Role::Price)));
                let volume = note(5, row.number(5, Role::Amount));
                candle([open, high, low, close], volume, 0)
                    .map_err(|found| problems.extend(found))
                    .ok()
            }
        };
        let time = time
            .map_err(|problem| problems.push(format!("{}: {problem}", columns[0])))
            .ok();
        match (time, kind) {
            (Some(time), Some(kind)) if problems.is_empty() => Ok(Event {
                time_exchange: time,
                time_received: time,
                exchange,
                instrument,
                kind,
            }),
            _ => Err(problems),
        }
    }
}

/// One row's cells, by column position in the layout; a problem ends with `got <value>`.
pub trait Cells {
    /// Nanoseconds since the Unix epoch, UTC.
    fn time(&self, at: usize) -> Result<i64, String>;
    fn number(&self, at: usize, role: Role) -> Result<f64, String>;
    /// A trade's aggressor side, `None` for an empty cell (a trade without one).
    fn side(&self, at: usize) -> Result<Option<Side>, String>;
}

/// barter's `Side` from text: barter's serde names and aliases (`Buy`, `buy`, `BUY`, `b`);
/// empty text is a trade without an aggressor side.
pub fn side(text: &str) -> Result<Option<Side>, String> {
    if text.is_empty() {
        return Ok(None);
    }
    enums::parse_serde::<Side>(text).map(Some).ok_or_else(|| {
        format!("must be Buy or Sell (or barter's aliases), or empty for none, got {text:?}")
    })
}
