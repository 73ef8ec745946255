//! barter-data's market events: the rules shared by engine events (`engine::event`) and
//! market data held natively (`data`: `MarketData`, its loaders and tables).
//!
//! barter-data holds trade prices and amounts as `f64` and L1 levels as `Decimal`; the engine
//! turns a trade price into a `Decimal` with `Decimal::from_f64`. The SDK's money is exact, so
//! a number is accepted only if it survives those conversions unchanged.

pub mod data;
pub mod json;
pub mod problems;

use crate::bind::decimal;
use barter_data::books::Level;
use barter_data::event::{DataKind, MarketEvent};
use barter_data::subscription::book::OrderBookL1;
use barter_instrument::instrument::name::InstrumentNameInternal;
use pyo3::prelude::*;
use rust_decimal::prelude::FromPrimitive;
use rust_decimal::Decimal;
use serde::Deserialize;
use std::fmt::{self, Display, Write};

/// An instrument as barter's market-data files name it: an index into barter's
/// `IndexedInstruments` (barter's own files), or an instrument name.
#[derive(Debug, Clone, Deserialize)]
#[serde(untagged)]
pub enum InstrumentRef {
    Index(usize),
    Name(InstrumentNameInternal),
}

/// What a number is, for the checks it gets.
#[derive(Clone, Copy, PartialEq, Eq)]
pub enum Role {
    /// A trade price: `> 0`, and barter's `Decimal::from_f64` must give it back.
    TradePrice,
    /// An L1 price: `> 0`.
    Price,
    /// An amount: `>= 0`.
    Amount,
}

impl Role {
    fn check_sign(self, value: Decimal) -> Result<(), String> {
        match self {
            Role::Amount if value.is_sign_negative() && !value.is_zero() => {
                Err("must be >= 0".into())
            }
            Role::TradePrice | Role::Price if value <= Decimal::ZERO => Err("must be > 0".into()),
            _ => Ok(()),
        }
    }
}

/// Room for the text of any number barter's `Decimal` holds (at most 29 digits, 28 of them
/// after the point, a sign and a point), written without a heap allocation.
struct Text {
    bytes: [u8; 64],
    len: usize,
}

impl Text {
    fn of(value: impl Display) -> Option<Text> {
        let mut text = Text {
            bytes: [0; 64],
            len: 0,
        };
        write!(text, "{value}").ok()?;
        Some(text)
    }

    fn as_str(&self) -> &str {
        std::str::from_utf8(&self.bytes[..self.len]).expect("written from str")
    }
}

impl fmt::Write for Text {
    fn write_str(&mut self, part: &str) -> fmt::Result {
        let end = self.len + part.len();
        self.bytes
            .get_mut(self.len..end)
            .ok_or(fmt::Error)?
            .copy_from_slice(part.as_bytes());
        self.len = end;
        Ok(())
    }
}

/// The exact decimal an `f64` stands for: its shortest round-trip representation (`0.1`).
pub fn exact(value: f64) -> Result<Decimal, String> {
    if !value.is_finite() {
        return Err("must be finite".into());
    }
    // Rust's Display prints the shortest round-trip representation, without exponent.
    match Text::of(value) {
        Some(text) => decimal::parse(text.as_str()).map_err(|problem| problem.to_string()),
        None => Err(format!("{value} is beyond barter's decimal range")),
    }
}

/// barter-data's `f64` for an exact decimal, refused unless it reads back as the same decimal.
pub fn float(value: Decimal, role: Role) -> Result<f64, String> {
    role.check_sign(value)?;
    // The nearest f64, read from the decimal's text as serde_json reads a number from
    // barter's files.
    let float: f64 = Text::of(value)
        .and_then(|text| text.as_str().parse().ok())
        .ok_or_else(|| "does not fit barter-data's f64".to_string())?;
    let back = exact(float)?;
    if back != value {
        return Err(format!(
            "does not survive barter-data's f64 (reads back as {back})"
        ));
    }
    check_trade_price(float, back, role)?;
    Ok(float + 0.0) // -0.0 becomes 0.0: one representation per value
}

/// barter-data's `f64` for a number written in a vendor's file, checked as `float` checks
/// it. Plain decimal text of at most 15 significant digits (Binance's, Tardis's) takes the fast
/// path: the nearest `f64` of such a text always reads back as the same decimal (15 digits is
/// `f64`'s guaranteed decimal precision), so only the sign and, for a trade price, barter's own
/// reading are checked. Anything else goes through the exact decimal.
pub fn float_of_text(text: &str, role: Role) -> Result<f64, String> {
    if plain(text) {
        if let Ok(float) = text.parse::<f64>() {
            let sign_ok = match role {
                Role::Amount => float >= 0.0,
                Role::TradePrice | Role::Price => float > 0.0,
            };
            if sign_ok && role != Role::TradePrice {
                return Ok(float + 0.0);
            }
            if sign_ok && LAST_TRADE_PRICE.with(|last| last.get()) == Some(float.to_bits()) {
                return Ok(float + 0.0); // the price of the trade before: checked
            }
            if let (true, Ok(exact)) = (sign_ok, Decimal::from_str_exact(text)) {
                check_trade_price(float, exact, role)?;
                LAST_TRADE_PRICE.with(|last| last.set(Some(float.to_bits())));
                return Ok(float + 0.0);
            }
        }
    }
    let value = decimal::parse(text).map_err(|_| "must be a decimal number".to_string())?;
    float(value, role)
}

thread_local! {
    /// The last trade price `float_of_text` checked against barter's reading: trades come in
    /// runs at one price, and barter's `Decimal::from_f64` is the costly part of the check.
    static LAST_TRADE_PRICE: std::cell::Cell<Option<u64>> = const { std::cell::Cell::new(None) };
}

/// Digits with at most one point and an optional leading minus, at most 15 of them
/// significant (leading zeros are not).
fn plain(text: &str) -> bool {
    let digits = text.strip_prefix('-').unwrap_or(text).as_bytes();
    let (mut significant, mut points, mut leading) = (0, 0, true);
    for &byte in digits {
        match byte {
            b'.' => points += 1,
            b'0' if leading => {}
            b'0'..=b'9' => {
                leading = false;
                significant += 1;
            }
            _ => return false,
        }
    }
    !digits.is_empty() && points <= 1 && significant <= 15 && digits.len() <= 40
}

/// An `f64` checked as `float` checks a decimal: the decimal it stands for must be one barter
/// can hold and, for a trade price, the one the engine will see.
pub fn checked(value: f64, role: Role) -> Result<f64, String> {
    let decimal = exact(value)?;
    role.check_sign(decimal)?;
    check_trade_price(value, decimal, role)?;
    Ok(value + 0.0)
}

fn check_trade_price(float: f64, exact: Decimal, role: Role) -> Result<(), String> {
    if role != Role::TradePrice {
        return Ok(());
    }
    // barter's `DefaultInstrumentMarketData` prices a trade with `Decimal::from_f64`, which
    // is not always the shortest representation (4182.19040206 -> 4182.190402060001).
    match Decimal::from_f64(float) {
        Some(seen) if seen == exact => Ok(()),
        Some(seen) => Err(format!(
            "barter's engine would read it as {seen} (Decimal::from_f64 of barter-data's f64)"
        )),
        None => Err("barter's engine cannot read it as a decimal".into()),
    }
}

/// barter's price of a book is the volume-weighted mid, which divides by the two amounts'
/// sum: such a book would panic.
pub const ZERO_BOOK: &str = "l1 book with zero amounts on both sides has no volume-weighted price";

/// Refuse books barter would panic on, or price wrongly: barter takes a book's mid as the
/// instrument's price, so its prices must be `> 0`.
pub fn check_l1(book: &OrderBookL1) -> Result<(), String> {
    let levels = [book.best_bid, book.best_ask];
    if let Some(level) = levels.iter().flatten().find(|l| l.price <= Decimal::ZERO) {
        return Err(format!("l1 book prices must be > 0, got {}", level.price));
    }
    if levels.iter().flatten().any(|l| l.amount.is_sign_negative()) {
        return Err("l1 book amounts must be >= 0".into());
    }
    if let [Some(bid), Some(ask)] = levels {
        check_mid(bid, ask)?;
    }
    Ok(())
}

/// A book that is not crossed, and barter's volume-weighted mid of it, `(bid × ask amount + ask
/// × bid amount) / (amounts)`
/// (barter-data's `volume_weighted_mid_price`), computed with checked arithmetic: refused where
/// barter's own unchecked arithmetic would panic (a zero or overflowing sum, a product beyond
/// barter's decimal range).
pub fn check_mid(bid: Level, ask: Level) -> Result<(), String> {
    // A crossed book would let a round trip buy at the ask and sell above it at the bid.
    if bid.price > ask.price {
        return Err(format!(
            "l1 book is crossed: bid {} above ask {}",
            bid.price, ask.price
        ));
    }
    let amounts = bid.amount.checked_add(ask.amount);
    if amounts.is_some_and(|sum| sum.is_zero()) {
        return Err(ZERO_BOOK.into());
    }
    let weighted = bid
        .price
        .checked_mul(ask.amount)
        .zip(ask.price.checked_mul(bid.amount))
        .and_then(|(a, b)| a.checked_add(b));
    match weighted
        .zip(amounts)
        .and_then(|(weighted, sum)| weighted.checked_div(sum))
    {
        Some(_) => Ok(()),
        None => Err(format!(
            "l1 book {} x {} / {} x {}: its volume-weighted price is beyond barter's decimal range",
            bid.amount, bid.price, ask.price, ask.amount
        )),
    }
}

/// A market event's data as barter would take it: a trade's numbers as `checked`, a book as
/// `check_l1` (what barter's own files bring in, already as barter-data's types).
pub fn check(kind: &DataKind) -> Result<(), String> {
    match kind {
        DataKind::Trade(trade) => {
            checked(trade.price, Role::TradePrice).map_err(|why| format!("trade price {why}"))?;
            checked(trade.amount, Role::Amount).map_err(|why| format!("trade amount {why}"))?;
            Ok(())
        }
        DataKind::OrderBookL1(book) => check_l1(book),
        DataKind::Candle(candle) => {
            let prices = [
                ("open", candle.open),
                ("high", candle.high),
                ("low", candle.low),
                ("close", candle.close),
            ];
            for (field, value) in prices {
                checked(value, Role::Price).map_err(|why| format!("candle {field} {why}"))?;
            }
            checked(candle.volume, Role::Amount).map_err(|why| format!("candle volume {why}"))?;
            let prices = prices.map(|(_, value)| value);
            data::candle(prices, candle.volume, candle.trade_count)
                .map(drop)
                .map_err(|problems| format!("candle {}", problems.join("; ")))
        }
        _ => Ok(()),
    }
}

/// A market event as a backtest's loaders take it: its times within nanosecond timestamps
/// (`data::nanos`) and its data as `check`.
pub fn check_event<Key>(event: &MarketEvent<Key, DataKind>) -> Result<(), String> {
    data::nanos(event.time_exchange).map_err(|why| format!("time_exchange: {why}"))?;
    data::nanos(event.time_received).map_err(|why| format!("time_received: {why}"))?;
    check(&event.kind)
}

pub fn register(module: &Bound<'_, PyModule>) -> PyResult<()> {
    module.add_class::<data::PyMarketData>()
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::str::FromStr;

    fn dec(text: &str) -> Decimal {
        Decimal::from_str(text).unwrap()
    }

    #[test]
    fn ordinary_prices_survive() {
        assert_eq!(float(dec("87232.01"), Role::TradePrice), Ok(87232.01));
        assert_eq!(float(dec("2059.10000000"), Role::Price), Ok(2059.1));
        assert_eq!(exact(0.1), Ok(dec("0.1")));
    }

    #[test]
    fn refuses_what_f64_or_barter_changes() {
        assert!(float(dec("0.12345678901234567891"), Role::Price).is_err());
        // survives f64, but barter's from_f64 reads it differently
        assert!(float(dec("4182.19040206"), Role::Price).is_ok());
        assert!(float(dec("4182.19040206"), Role::TradePrice).is_err());
        assert!(checked(1e-30, Role::Amount).is_err());
        assert!(checked(f64::NAN, Role::Amount).is_err());
    }

    #[test]
    fn vendor_text_takes_the_fast_path_to_the_same_answer() {
        let texts = [
            "87232.01",
            "0.00012345",
            "93500.12345678",
            "000123.4500",
            "4182.19040206",
            "-5",
            "0",
            "-0.0",
            "123456789012345",
            "1234567890123456",
            "0.12345678901234567891",
            "1E+3",
            "1.2.3",
            "",
            "-",
            "abc",
            "9999999999999999999999999999999",
        ];
        for text in texts {
            for role in [Role::TradePrice, Role::Price, Role::Amount] {
                let slow = decimal::parse(text)
                    .map_err(|_| "must be a decimal number".to_string())
                    .and_then(|value| float(value, role));
                assert_eq!(float_of_text(text, role).ok(), slow.ok(), "{text}");
            }
        }
        assert!(plain("93500.12345678") && plain("0.000000000000001234"));
        assert!(!plain("1234567890123456") && !plain("1e5") && !plain("1.2.3") && !plain(""));
    }

    #[test]
    fn a_crossed_book_is_refused_a_locked_one_passes() {
        let level = |price: &str| Level::new(dec(price), dec("1"));
        let crossed = check_mid(level("105"), level("100")).unwrap_err();
        assert_eq!(crossed, "l1 book is crossed: bid 105 above ask 100");
        assert_eq!(check_mid(level("100"), level("100")), Ok(()));
    }

    #[test]
    fn signs() {
        assert!(float(dec("0"), Role::Price).is_err());
        assert!(float(dec("-1"), Role::Amount).is_err());
        assert_eq!(float(dec("-0"), Role::Amount), Ok(0.0));
        assert_eq!(checked(-0.0, Role::Amount).map(f64::to_bits), Ok(0));
    }
}
