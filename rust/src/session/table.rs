//! A result's tables as Arrow record batches, built from its native rows and handed to
//! pyarrow, polars or pandas through Arrow's C stream interface (`__arrow_c_stream__`), with
//! no Python object per row. Exact numbers are Arrow decimals (the column's scale the largest
//! of its values'); with `numbers="float"` they are float64, each the double nearest the
//! decimal (what Python's `float(Decimal)` gives). Times are UTC microseconds; enums their
//! barter names.

use super::rows::{EquityRow, FillRow, OrderRow, PositionRow, RunOutput};
use crate::bind::enums::{self, Mirrored};
use arrow_array::ffi_stream::FFI_ArrowArrayStream;
use arrow_array::{
    Array, ArrayRef, Decimal128Array, Float64Array, RecordBatch, RecordBatchIterator, StringArray,
    TimestampMicrosecondArray,
};
use arrow_schema::{ArrowError, Field, Schema};
use chrono::{DateTime, Utc};
use pyo3::exceptions::PyValueError;
use pyo3::prelude::*;
use pyo3::types::PyCapsule;
use rust_decimal::Decimal;
use std::sync::Arc;

/// Arrow's widest 128-bit decimal.
const MAX_PRECISION: u32 = 38;

enum Values {
    Text(StringArray),
    Time(Vec<Option<i64>>),
    Number(Vec<Option<Decimal>>),
}

/// A table by column, in the order of its model's fields.
#[derive(Default)]
struct Columns(Vec<(&'static str, Values)>);

impl Columns {
    fn text<'a>(
        mut self,
        name: &'static str,
        values: impl Iterator<Item = Option<&'a str>>,
    ) -> Self {
        self.0.push((name, Values::Text(values.collect())));
        self
    }

    fn named<T: Mirrored>(
        self,
        py: Python<'_>,
        name: &'static str,
        values: impl Iterator<Item = T>,
    ) -> PyResult<Self> {
        // Each value's name looked up once: a column repeats a few values.
        let mut known: Vec<(T, &'static str)> = Vec::new();
        let mut texts = Vec::new();
        for value in values {
            let text = match known.iter().find(|(seen, _)| *seen == value) {
                Some((_, text)) => *text,
                None => {
                    let text = enums::text(py, value)?;
                    known.push((value, text));
                    text
                }
            };
            texts.push(Some(text));
        }
        Ok(self.text(name, texts.into_iter()))
    }

    fn time(self, name: &'static str, values: impl Iterator<Item = DateTime<Utc>>) -> Self {
        self.times(name, values.map(Some))
    }

    /// A time column with gaps (a conditional order's `time_triggered`).
    fn times(
        mut self,
        name: &'static str,
        values: impl Iterator<Item = Option<DateTime<Utc>>>,
    ) -> Self {
        let micros = values
            .map(|time| time.map(|t| t.timestamp_micros()))
            .collect();
        self.0.push((name, Values::Time(micros)));
        self
    }

    fn number(mut self, name: &'static str, values: impl Iterator<Item = Option<Decimal>>) -> Self {
        self.0.push((name, Values::Number(values.collect())));
        self
    }

    /// The record batch, or `None` where an exact column needs more than 38 digits.
    fn batch(self, floats: bool) -> Result<Option<RecordBatch>, ArrowError> {
        let mut fields = Vec::new();
        let mut arrays: Vec<ArrayRef> = Vec::new();
        for (name, values) in self.0 {
            let array: ArrayRef = match values {
                Values::Text(texts) => Arc::new(texts),
                Values::Time(micros) => {
                    Arc::new(TimestampMicrosecondArray::from(micros).with_timezone("UTC"))
                }
                Values::Number(numbers) if floats => Arc::new(
                    numbers
                        .iter()
                        .map(|number| number.map(nearest_f64))
                        .collect::<Float64Array>(),
                ),
                Values::Number(numbers) => match exact(&numbers)? {
                    Some(array) => Arc::new(array),
                    None => return Ok(None),
                },
            };
            let nullable = array.null_count() > 0;
            fields.push(Field::new(name, array.data_type().clone(), nullable));
            arrays.push(array);
        }
        RecordBatch::try_new(Arc::new(Schema::new(fields)), arrays).map(Some)
    }
}

/// The double nearest a decimal, as Python's `float(Decimal)` rounds it: exact when the
/// mantissa and the power of ten are both exact doubles (one correctly rounded division),
/// else through the decimal's text (Rust's parser rounds correctly).
fn nearest_f64(value: Decimal) -> f64 {
    let mantissa = value.mantissa();
    let scale = value.scale();
    if mantissa.unsigned_abs() < 1 << 53 && scale <= 22 {
        return mantissa as f64 / 10f64.powi(scale as i32);
    }
    value.to_string().parse().unwrap_or(f64::NAN)
}

/// A decimal128 column at the largest scale among its values; `None` beyond 38 digits.
fn exact(numbers: &[Option<Decimal>]) -> Result<Option<Decimal128Array>, ArrowError> {
    let scale = numbers
        .iter()
        .flatten()
        .map(Decimal::scale)
        .max()
        .unwrap_or(0);
    let mut digits = scale.max(1);
    let mut scaled = Vec::with_capacity(numbers.len());
    for number in numbers {
        let Some(number) = number else {
            scaled.push(None);
            continue;
        };
        let factor = 10i128.pow(scale - number.scale());
        let Some(value) = number.mantissa().checked_mul(factor) else {
            return Ok(None);
        };
        digits = digits.max(
            value
                .unsigned_abs()
                .checked_ilog10()
                .map_or(1, |log| log + 1),
        );
        scaled.push(Some(value));
    }
    if digits > MAX_PRECISION {
        return Ok(None);
    }
    let precision = MAX_PRECISION as u8;
    Decimal128Array::from(scaled)
        .with_precision_and_scale(precision, scale as i8)
        .map(Some)
}

/// One table of a result, exported through Arrow's C stream interface.
#[pyclass(frozen, module = "barter_python._native", name = "ArrowTable")]
pub struct PyArrowTable {
    batch: RecordBatch,
}

#[pymethods]
impl PyArrowTable {
    /// A new stream of the table (the Arrow PyCapsule interface); `requested_schema` is not
    /// honoured (the table's own schema is given).
    #[pyo3(signature = (requested_schema=None))]
    fn __arrow_c_stream__<'py>(
        &self,
        py: Python<'py>,
        requested_schema: Option<Bound<'py, PyAny>>,
    ) -> PyResult<Bound<'py, PyCapsule>> {
        let _ = requested_schema;
        let schema = self.batch.schema();
        let batches = RecordBatchIterator::new([Ok(self.batch.clone())], schema);
        let stream = FFI_ArrowArrayStream::new(Box::new(batches));
        // The consumer moves the stream out and marks it released; an unconsumed one is
        // released when the capsule is dropped (the stream's own `Drop`).
        PyCapsule::new_with_value(py, stream, c"arrow_array_stream")
    }

    fn __len__(&self) -> usize {
        self.batch.num_rows()
    }
}

#[pymethods]
impl RunOutput {
    /// A table of the rows (`positions`, `fills`, `orders`, `equity`) with exact decimals or,
    /// with `floats`, float64; `None` where an exact column does not fit Arrow's decimal128.
    fn arrow(&self, py: Python<'_>, table: &str, floats: bool) -> PyResult<Option<PyArrowTable>> {
        let columns = match table {
            "positions" => positions(py, &self.positions)?,
            "fills" => fills(py, &self.fills)?,
            "orders" => orders(py, &self.orders)?,
            "equity" => equity(py, &self.equity)?,
            other => return Err(PyValueError::new_err(format!("no native table {other:?}"))),
        };
        let batch = columns
            .batch(floats)
            .map_err(|err| PyValueError::new_err(format!("table {table}: {err}")))?;
        Ok(batch.map(|batch| PyArrowTable { batch }))
    }
}

fn positions(py: Python<'_>, rows: &[PositionRow]) -> PyResult<Columns> {
    Ok(Columns::default()
        .named(py, "exchange", rows.iter().map(|r| r.exchange.0))?
        .text(
            "instrument",
            rows.iter().map(|r| Some(r.instrument.as_str())),
        )
        .named(py, "side", rows.iter().map(|r| r.side.0))?
        .number("quantity", rows.iter().map(|r| Some(r.quantity)))
        .number("price_entry", rows.iter().map(|r| Some(r.price_entry)))
        .number("price_exit", rows.iter().map(|r| r.price_exit))
        .time("time_enter", rows.iter().map(|r| r.time_enter))
        .time("time_exit", rows.iter().map(|r| r.time_exit))
        .number("pnl_realised", rows.iter().map(|r| Some(r.pnl_realised)))
        .number("fees", rows.iter().map(|r| Some(r.fees))))
}

fn fills(py: Python<'_>, rows: &[FillRow]) -> PyResult<Columns> {
    Ok(Columns::default()
        .time("time", rows.iter().map(|r| r.time))
        .named(py, "exchange", rows.iter().map(|r| r.exchange.0))?
        .text(
            "instrument",
            rows.iter().map(|r| Some(r.instrument.as_str())),
        )
        .named(py, "side", rows.iter().map(|r| r.side.0))?
        .number("price", rows.iter().map(|r| Some(r.price)))
        .number("quantity", rows.iter().map(|r| Some(r.quantity)))
        .number("fees", rows.iter().map(|r| Some(r.fees)))
        .text("order_id", rows.iter().map(|r| Some(r.order_id.as_str()))))
}

fn orders(py: Python<'_>, rows: &[OrderRow]) -> PyResult<Columns> {
    let kinds = rows
        .iter()
        .map(|r| r.kind.text(py))
        .collect::<PyResult<Vec<_>>>()?;
    Ok(Columns::default()
        .time("time", rows.iter().map(|r| r.time))
        .named(py, "exchange", rows.iter().map(|r| r.exchange.0))?
        .text(
            "instrument",
            rows.iter().map(|r| Some(r.instrument.as_str())),
        )
        .text("cid", rows.iter().map(|r| Some(r.cid.as_str())))
        .named(py, "side", rows.iter().map(|r| r.side.0))?
        .text("kind", kinds.into_iter().map(Some))
        .named(py, "time_in_force", rows.iter().map(|r| r.time_in_force.0))?
        .number("price", rows.iter().map(|r| Some(r.price)))
        .number("quantity", rows.iter().map(|r| Some(r.quantity)))
        .number("filled", rows.iter().map(|r| Some(r.filled)))
        .number("average_price", rows.iter().map(|r| r.average_price))
        .number("fees", rows.iter().map(|r| Some(r.fees)))
        .text("status", rows.iter().map(|r| Some(r.status)))
        .text("reason", rows.iter().map(|r| r.reason.as_deref()))
        .number("trigger", rows.iter().map(|r| r.trigger))
        .times("time_triggered", rows.iter().map(|r| r.time_triggered))
        .number("queue_ahead", rows.iter().map(|r| r.queue_ahead)))
}

fn equity(py: Python<'_>, rows: &[EquityRow]) -> PyResult<Columns> {
    Ok(Columns::default()
        .named(py, "exchange", rows.iter().map(|r| r.exchange.0))?
        .text("asset", rows.iter().map(|r| Some(r.asset.as_str())))
        .time("time", rows.iter().map(|r| r.time))
        .number("cash", rows.iter().map(|r| Some(r.cash)))
        .number("holdings", rows.iter().map(|r| Some(r.holdings)))
        .number("equity", rows.iter().map(|r| Some(r.equity)))
        .number("drawdown", rows.iter().map(|r| Some(r.drawdown))))
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::str::FromStr;

    fn dec(text: &str) -> Decimal {
        Decimal::from_str(text).unwrap()
    }

    #[test]
    fn floats_are_the_nearest_double() {
        for text in [
            "0.1",
            "2059.13",
            "-3.3",
            "100000.123456789",
            "1e-28",
            "79228162514264337593543950335",
        ] {
            let value = dec(text);
            assert_eq!(
                nearest_f64(value),
                value.to_string().parse::<f64>().unwrap(),
                "{text}"
            );
        }
    }

    #[test]
    fn exact_columns_take_the_largest_scale() {
        let array = exact(&[Some(dec("1.5")), None, Some(dec("-2.25"))])
            .unwrap()
            .unwrap();
        assert_eq!(array.scale(), 2);
        assert_eq!(array.value_as_string(0), "1.50");
        assert!(array.is_null(1));
        assert_eq!(array.value_as_string(2), "-2.25");
    }

    #[test]
    fn a_column_beyond_38_digits_is_not_exact() {
        let wide = [
            Some(dec("79228162514264337593543950335")),
            Some(dec("0.0000000001")),
        ];
        assert!(exact(&wide).unwrap().is_none());
    }
}
