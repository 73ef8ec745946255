//! barter-instrument's `Side` and `ExchangeId` as the Python enums of
//! `barter_python.instrument`.

use crate::enums::{parse_serde, Mirrored, Table};
use barter_instrument::{exchange::ExchangeId, Side};
use pyo3::sync::PyOnceLock;

impl Mirrored for Side {
    const MODULE: &'static str = "barter_python.instrument";
    const NAME: &'static str = "Side";

    fn table() -> &'static PyOnceLock<Table<Self>> {
        static TABLE: PyOnceLock<Table<Side>> = PyOnceLock::new();
        &TABLE
    }

    fn parse(value: &str) -> Option<Self> {
        parse_serde(value)
    }
}

impl Mirrored for ExchangeId {
    const MODULE: &'static str = "barter_python.instrument";
    const NAME: &'static str = "ExchangeId";

    fn table() -> &'static PyOnceLock<Table<Self>> {
        static TABLE: PyOnceLock<Table<ExchangeId>> = PyOnceLock::new();
        &TABLE
    }

    fn parse(value: &str) -> Option<Self> {
        parse_serde(value)
    }
}
