//! The L2 books strategy calls see (`state.book`, spec §12): barter-data's `OrderBook` per
//! instrument, updated as the engine processes each L2 event (`PyStrategy::before`), so a
//! strategy sees the book as of its own clock, never ahead of it (under two clocks the
//! exchange's book runs on exchange time). barter's own market-data state ignores L2.

use barter_data::books::{Level, OrderBook};
use barter_data::subscription::book::OrderBookEvent;
use barter_instrument::instrument::InstrumentIndex;
use chrono::{DateTime, Utc};
use pyo3::prelude::*;
use pyo3::types::PyTuple;
use rust_decimal::Decimal;

/// Every instrument's L2 book as the engine last processed it (`None` before its first).
#[derive(Debug, Default)]
pub struct Books(Vec<Option<OrderBook>>);

impl Books {
    /// Take in one L2 event of `instrument`, as barter's `OrderBook::update` does.
    pub fn update(&mut self, instrument: InstrumentIndex, event: &OrderBookEvent) {
        let at = instrument.index();
        if self.0.len() <= at {
            self.0.resize(at + 1, None);
        }
        self.0[at]
            .get_or_insert_with(OrderBook::default)
            .update(event);
    }

    /// The `depth` best levels of each side, `None` before the instrument's first L2 event.
    pub fn view(&self, instrument: InstrumentIndex, depth: usize) -> Option<PyBookView> {
        let book = self.0.get(instrument.index())?.as_ref()?;
        let best = |levels: &[Level]| -> Vec<(Decimal, Decimal)> {
            levels
                .iter()
                .take(depth)
                .map(|level| (level.price, level.amount))
                .collect()
        };
        Some(PyBookView {
            bids: best(book.bids().levels()),
            asks: best(book.asks().levels()),
            time: book.time_engine(),
            sequence: book.sequence(),
        })
    }
}

/// An instrument's L2 book as a strategy call sees it (`state.book`): `(price, amount)` levels
/// best first, the book's time and sequence.
#[derive(Debug, Clone, PartialEq)]
#[pyclass(frozen, eq, module = "barter_python._native", name = "BookView")]
pub struct PyBookView {
    bids: Vec<(Decimal, Decimal)>,
    asks: Vec<(Decimal, Decimal)>,
    time: Option<DateTime<Utc>>,
    sequence: u64,
}

#[pymethods]
impl PyBookView {
    #[new]
    #[pyo3(signature = (bids, asks, time=None, sequence=0))]
    fn py_new(
        bids: Vec<(Decimal, Decimal)>,
        asks: Vec<(Decimal, Decimal)>,
        time: Option<DateTime<Utc>>,
        sequence: u64,
    ) -> Self {
        Self {
            bids,
            asks,
            time,
            sequence,
        }
    }

    /// The bids, best (highest) first.
    #[getter]
    fn bids<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyTuple>> {
        PyTuple::new(py, &self.bids)
    }

    /// The asks, best (lowest) first.
    #[getter]
    fn asks<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyTuple>> {
        PyTuple::new(py, &self.asks)
    }

    /// The exchange's time of the book's last event.
    #[getter]
    fn time(&self) -> Option<DateTime<Utc>> {
        self.time
    }

    /// The book's sequence number, as its feed gave it.
    #[getter]
    fn sequence(&self) -> u64 {
        self.sequence
    }

    #[allow(clippy::type_complexity)]
    fn __reduce__<'py>(
        slf: &Bound<'py, Self>,
    ) -> PyResult<(
        Bound<'py, PyAny>,
        (
            Bound<'py, PyTuple>,
            Bound<'py, PyTuple>,
            Option<DateTime<Utc>>,
            u64,
        ),
    )> {
        let py = slf.py();
        let this = slf.get();
        Ok((
            slf.get_type().into_any(),
            (this.bids(py)?, this.asks(py)?, this.time, this.sequence),
        ))
    }

    fn __repr__(&self) -> String {
        let side = |levels: &[(Decimal, Decimal)]| {
            let shown: Vec<String> = levels
                .iter()
                .map(|(price, amount)| format!("(Decimal('{price}'), Decimal('{amount}'))"))
                .collect();
            match shown.len() {
                1 => format!("({},)", shown[0]),
                _ => format!("({})", shown.join(", ")),
            }
        };
        let time = self.time.map_or("None".to_string(), |time| {
            format!("'{}'", time.to_rfc3339())
        });
        format!(
            "BookView(bids={}, asks={}, time={time}, sequence={})",
            side(&self.bids),
            side(&self.asks),
            self.sequence
        )
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn d(text: &str) -> Decimal {
        text.parse().expect("a decimal")
    }

    #[test]
    fn the_view_is_the_books_best_levels_after_each_event() {
        let mut books = Books::default();
        let instrument = InstrumentIndex(1);
        assert_eq!(books.view(instrument, 10), None);
        let level = |price: &str, amount: &str| Level::new(d(price), d(amount));
        let snapshot = OrderBook::new(
            7,
            None,
            vec![level("99", "1"), level("98", "2"), level("97", "3")],
            vec![level("101", "4")],
        );
        books.update(instrument, &OrderBookEvent::Snapshot(snapshot));
        let update = OrderBook::new(8, None, vec![level("99", "0")], Vec::<Level>::new());
        books.update(instrument, &OrderBookEvent::Update(update));
        let view = books.view(instrument, 1).expect("a book");
        assert_eq!(view.bids, [(d("98"), d("2"))]);
        assert_eq!(view.asks, [(d("101"), d("4"))]);
        assert_eq!(view.sequence, 8);
        assert_eq!(books.view(InstrumentIndex(0), 10), None);
    }
}
