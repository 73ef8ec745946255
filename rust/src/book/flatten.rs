//! `barter-python flatten` natively: barter's `close_open_positions_with_market_orders` on a
//! book read into rows (`book_file`), its orders written as barter's serde JSON, a table or a
//! summary without a Python object per order.

use crate::book::close;
use crate::book::file::PyBookRows;
use crate::book::filter;
use crate::order::{Open, PyStrategyId};
use barter_execution::order::id::ClientOrderId;
use barter_instrument::Side;
use num_bigint::{BigInt, Sign};
use num_traits::Zero;
use pyo3::prelude::*;
use pyo3::types::PyBytes;
use rust_decimal::Decimal;
use smol_str::SmolStr;
use std::collections::BTreeMap;

/// The orders that close a book's open positions, and what the filter selected.
#[pyclass(module = "barter_python._native", name = "Flattened", frozen)]
pub struct PyFlattened {
    opens: Vec<Open>,
    /// The quote asset of each order's instrument.
    quotes: Vec<SmolStr>,
    /// Instruments the filter selected.
    #[pyo3(get)]
    selected: usize,
    /// Of those, the ones with an open position.
    #[pyo3(get)]
    open_positions: usize,
    /// Of those, the ones left open for want of a price.
    #[pyo3(get)]
    unpriced: usize,
}

/// barter's close of every open position of `rows` (§2's contract: a position without a price
/// is refused unless `skip_missing_price`); cids are barter's random ones, or `PREFIX-0001`,
/// `PREFIX-0002`, ... in output order with `cid_prefix`.
#[pyfunction]
#[pyo3(signature = (rows, strategy_id, filter=None, cid_prefix=None, skip_missing_price=false))]
pub fn flatten(
    py: Python<'_>,
    rows: &Bound<'_, PyBookRows>,
    strategy_id: &Bound<'_, PyAny>,
    filter: Option<&Bound<'_, PyAny>>,
    cid_prefix: Option<&str>,
    skip_missing_price: bool,
) -> PyResult<PyFlattened> {
    let strategy = PyStrategyId::extract(strategy_id, "strategy_id")?;
    let inputs = &rows.get().inputs;
    let filter = filter::extract(filter)?;
    let closed = close::close_in_parts(py, inputs, &strategy, &filter, cid_prefix.is_none())?;
    if !skip_missing_price && !closed.unpriced.is_empty() {
        return Err(close::missing_price(py, inputs, closed.unpriced));
    }
    let open_positions = closed.selected.iter().filter(|i| {
        let position = inputs[**i].position.as_ref();
        position.is_some_and(|p| p.quantity > Decimal::ZERO)
    });
    let open_positions = open_positions.count();
    let unpriced = closed.unpriced.len();
    let selected = closed.selected.len();
    let (quotes, mut opens): (Vec<SmolStr>, Vec<Open>) = closed
        .opens
        .into_iter()
        .map(|(input, open)| (inputs[input].quote.clone(), open))
        .unzip();
    if let Some(prefix) = cid_prefix {
        for (number, open) in opens.iter_mut().enumerate() {
            open.key.cid = ClientOrderId::new(format!("{prefix}-{:04}", number + 1));
        }
    }
    Ok(PyFlattened {
        opens,
        quotes,
        selected,
        open_positions,
        unpriced,
    })
}

/// A decimal of any size, `mantissa × 10^-scale`: a notional or a sum of notionals, which
/// barter's 96-bit decimal would round (`1E-14 × 1E-15` has 29 decimals).
#[derive(Clone, Debug, PartialEq)]
struct Exact {
    mantissa: BigInt,
    scale: u32,
}

impl Exact {
    fn zero() -> Self {
        Self {
            mantissa: BigInt::zero(),
            scale: 0,
        }
    }

    /// An order's price × quantity, exactly.
    fn notional(open: &Open) -> Self {
        let (price, quantity) = (open.state.price, open.state.quantity);
        Self {
            mantissa: BigInt::from(price.mantissa()) * BigInt::from(quantity.mantissa()),
            scale: price.scale() + quantity.scale(),
        }
    }

    /// The mantissa at a scale at least `self.scale`.
    fn at(&self, scale: u32) -> BigInt {
        &self.mantissa * BigInt::from(10u32).pow(scale - self.scale)
    }

    fn plus(&self, other: &Exact) -> Exact {
        let scale = self.scale.max(other.scale);
        Exact {
            mantissa: self.at(scale) + other.at(scale),
            scale,
        }
    }

    /// Digits after the point once trailing zeros are dropped.
    fn places(&self) -> u32 {
        let digits = self.mantissa.magnitude().to_string();
        let zeros = digits.bytes().rev().take_while(|b| *b == b'0').count() as u32;
        if self.mantissa.is_zero() {
            0
        } else {
            self.scale.saturating_sub(zeros)
        }
    }

    /// With `places` decimals, at least `self.places()`: zeros padded or dropped, never a
    /// digit rounded.
    fn format(&self, places: u32) -> String {
        let mantissa = if places >= self.scale {
            self.at(places)
        } else {
            &self.mantissa / BigInt::from(10u32).pow(self.scale - places)
        };
        let sign = if mantissa.sign() == Sign::Minus {
            "-"
        } else {
            ""
        };
        let digits = mantissa.magnitude().to_string();
        if places == 0 {
            return format!("{sign}{digits}");
        }
        let padded = format!("{digits:0>width$}", width = places as usize + 1);
        let (whole, fraction) = padded.split_at(padded.len() - places as usize);
        format!("{sign}{whole}.{fraction}")
    }
}

/// A quote asset's notionals formatted with the decimals of the most precise one: aligned,
/// padded, never rounded.
struct Notionals {
    places: BTreeMap<SmolStr, u32>,
}

impl Notionals {
    fn of(flattened: &PyFlattened) -> Self {
        let mut places: BTreeMap<SmolStr, u32> = BTreeMap::new();
        for (open, quote) in flattened.orders() {
            let entry = places.entry(quote.clone()).or_default();
            *entry = (*entry).max(Exact::notional(open).places());
        }
        Self { places }
    }

    fn format(&self, quote: &str, amount: &Exact) -> String {
        let places = self.places.get(quote).copied().unwrap_or(0);
        format!("{} {quote}", amount.format(places))
    }
}

impl PyFlattened {
    fn orders(&self) -> impl Iterator<Item = (&Open, &SmolStr)> {
        self.opens.iter().zip(&self.quotes)
    }

    /// barter's serde JSON of each order, written to `stream` in chunks of about 1 MiB.
    fn write_each(
        &self,
        stream: &Bound<'_, PyAny>,
        separator: u8,
        first: &[u8],
        last: &[u8],
    ) -> PyResult<()> {
        let py = stream.py();
        let mut chunk = first.to_vec();
        for (at, open) in self.opens.iter().enumerate() {
            if at > 0 {
                chunk.push(separator);
            }
            serde_json::to_writer(&mut chunk, open)
                .map_err(|err| pyo3::exceptions::PyValueError::new_err(err.to_string()))?;
            if chunk.len() >= CHUNK {
                stream.call_method1("write", (PyBytes::new(py, &chunk),))?;
                chunk.clear();
            }
        }
        chunk.extend_from_slice(last);
        stream.call_method1("write", (PyBytes::new(py, &chunk),))?;
        Ok(())
    }
}

/// Output goes out in chunks of this many bytes: the orders' JSON is never whole in memory.
const CHUNK: usize = 1 << 20;

#[pymethods]
impl PyFlattened {
    fn __len__(&self) -> usize {
        self.opens.len()
    }

    /// Write barter's serde JSON of the orders to the binary `stream`: one per line
    /// (`"jsonl"`) or as one array (`"json"`).
    fn write(&self, stream: &Bound<'_, PyAny>, format: &str) -> PyResult<()> {
        match format {
            "jsonl" if self.opens.is_empty() => Ok(()),
            "jsonl" => self.write_each(stream, b'\n', b"", b"\n"),
            "json" => self.write_each(stream, b',', b"[", b"]\n"),
            _ => Err(pyo3::exceptions::PyValueError::new_err(format!(
                "format must be 'jsonl' or 'json', got {format:?}"
            ))),
        }
    }

    /// One row per order: exchange, instrument, side, quantity, price, notional (with its
    /// quote asset) and cid, as text.
    fn table_rows(&self) -> Vec<[String; 7]> {
        let notionals = Notionals::of(self);
        let rows = self.orders().map(|(open, quote)| {
            let side = match open.state.side {
                Side::Buy => "Buy",
                Side::Sell => "Sell",
            };
            [
                open.key.exchange.as_str().to_string(),
                open.key.instrument.to_string(),
                side.to_string(),
                open.state.quantity.to_string(),
                open.state.price.to_string(),
                notionals.format(quote, &Exact::notional(open)),
                open.key.cid.0.to_string(),
            ]
        });
        rows.collect()
    }

    /// The total notional per quote asset, in the table's format, by quote asset.
    fn totals(&self) -> Vec<String> {
        let notionals = Notionals::of(self);
        let mut totals: BTreeMap<&SmolStr, Exact> = BTreeMap::new();
        for (open, quote) in self.orders() {
            let total = totals.entry(quote).or_insert_with(Exact::zero);
            *total = total.plus(&Exact::notional(open));
        }
        let formatted = totals.into_iter();
        formatted
            .map(|(quote, total)| notionals.format(quote, &total))
            .collect()
    }
}

#[cfg(test)]
mod tests {
    use super::Exact;
    use num_bigint::BigInt;

    fn exact(mantissa: i64, scale: u32) -> Exact {
        Exact {
            mantissa: BigInt::from(mantissa),
            scale,
        }
    }

    #[test]
    fn notionals_are_exact_beyond_barters_28_decimals() {
        // 1E-14 × 1E-15: barter's decimal would round it to 0.
        let tiny = Exact {
            mantissa: BigInt::from(1) * BigInt::from(1),
            scale: 14 + 15,
        };
        assert_eq!(tiny.places(), 29);
        assert_eq!(tiny.format(29), format!("0.{}1", "0".repeat(28)));
        let big = exact(10, 0).at(24); // 1E25 at scale 24
        let sum = Exact {
            mantissa: big,
            scale: 0,
        }
        .plus(&exact(1, 4));
        assert_eq!(sum.format(4), format!("1{}.0001", "0".repeat(25)));
    }

    #[test]
    fn formatting_pads_or_drops_zeros_only() {
        let value = exact(1500, 3); // 1.500
        assert_eq!(value.places(), 1);
        assert_eq!(value.format(1), "1.5");
        assert_eq!(value.format(3), "1.500");
        assert_eq!(value.format(4), "1.5000");
        assert_eq!(exact(0, 5).places(), 0);
        assert_eq!(exact(0, 5).format(0), "0");
        assert_eq!(exact(25, 0).format(2), "25.00");
        assert_eq!(exact(5, 3).format(3), "0.005");
    }
}
