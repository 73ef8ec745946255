//! Exact conversion of Python numbers into `rust_decimal::Decimal`: the SDK's one rule for
//! every money argument, in Rust and (through `to_decimal`) in the Pydantic models alike.
//!
//! A value is a `decimal.Decimal`, `int`, `float` (through its shortest round-trip repr:
//! `0.1` -> `0.1`) or numeric `str`; NaN, infinities and `bool` are refused, as is anything
//! barter's decimal cannot hold exactly (more than 28 digits after the point once trailing
//! zeros are dropped, magnitude of 2^96 or more). Nothing is ever rounded. PyO3's own
//! conversion fails with an unhelpful message on all of these; here each refusal names the
//! field.

use pyo3::exceptions::{PyTypeError, PyValueError};
use pyo3::prelude::*;
use pyo3::sync::PyOnceLock;
use pyo3::types::{PyBool, PyFloat, PyInt, PyString, PyType};
use rust_decimal::Decimal;

static DECIMAL: PyOnceLock<Py<PyType>> = PyOnceLock::new();

/// `field` as a message prefix (`"price "`), or nothing where the caller names the field.
fn prefix(field: Option<&str>) -> String {
    field.map_or_else(String::new, |field| format!("{field} "))
}

/// `value` as an exact `Decimal`; errors name `field`.
pub fn extract(obj: &Bound<'_, PyAny>, field: &str) -> PyResult<Decimal> {
    extract_named(obj, Some(field))
}

fn extract_named(obj: &Bound<'_, PyAny>, field: Option<&str>) -> PyResult<Decimal> {
    let py = obj.py();
    let decimal = DECIMAL.import(py, "decimal", "Decimal")?;
    // For messages only: formatting the field's name on every call costs more than the parse.
    let name = || prefix(field);
    // Checked in this order so that no attempt fails: a failed extraction builds an exception
    // object, and on a large book those temporaries cost more than the conversion itself.
    let text = if obj.get_type().is(decimal) || obj.is_instance(decimal)? {
        obj.str()?
    } else if obj.is_instance_of::<PyBool>() {
        return Err(PyTypeError::new_err(format!(
            "{}must be a Decimal, int, float or numeric str, got bool {}",
            name(),
            obj.str()?
        )));
    } else if let Ok(int) = obj.cast::<PyInt>() {
        match int.extract::<i64>() {
            Ok(value) => return Ok(Decimal::from(value)),
            Err(_) => int.str()?,
        }
    } else if let Ok(float) = obj.cast::<PyFloat>() {
        let value = float.value();
        if !value.is_finite() {
            return Err(PyValueError::new_err(format!(
                "{}must be finite, got {}",
                name(),
                obj.repr()?
            )));
        }
        // Rust's Display prints the shortest round-trip representation, without exponent.
        return parse(&value.to_string()).map_err(|problem| problem.error(&name(), obj));
    } else if let Ok(text) = obj.cast::<PyString>() {
        let text = text.to_cow()?;
        if let Some(value) = plain(&text) {
            return value.map_err(|problem| problem.error(&name(), obj));
        }
        // Python's own reading of any other numeric text (`" 7 "`, `"1_000"`, `"1E-7"`).
        match decimal.call1((text.trim(),)) {
            Ok(number) => number.str()?,
            Err(_) => {
                return Err(PyValueError::new_err(format!(
                    "{}must be a number, got {}",
                    name(),
                    obj.repr()?
                )))
            }
        }
    } else {
        return Err(PyTypeError::new_err(format!(
            "{}must be a Decimal, int, float or numeric str, got {}",
            name(),
            obj.get_type().name()?
        )));
    };
    parse(&text.to_cow()?).map_err(|problem| problem.error(&name(), obj))
}

/// `value` as the exact `decimal.Decimal` barter would hold: the rule of every money field,
/// for the Pydantic models. Errors leave the field out when `field` is `None`.
#[pyfunction]
#[pyo3(signature = (value, field=None))]
pub fn to_decimal(value: &Bound<'_, PyAny>, field: Option<&str>) -> PyResult<Decimal> {
    extract_named(value, field)
}

/// Plain decimal text (`-12.50`: ASCII digits, a sign and a point) read without Python: the
/// value and scale Python's `Decimal` gives it. Anything else is `None`, left to Python.
pub fn plain(text: &str) -> Option<Result<Decimal, Problem>> {
    let digits = text.strip_prefix(['+', '-']).unwrap_or(text);
    let (whole, fraction) = digits.split_once('.').unwrap_or((digits, "1"));
    let is_digits = |part: &str| !part.is_empty() && part.bytes().all(|b| b.is_ascii_digit());
    (is_digits(whole) && is_digits(fraction)).then(|| parse(text))
}

/// The bound a money field of a snapshot must meet.
#[derive(Clone, Copy, Debug, PartialEq)]
pub enum Sign {
    /// `>= 0`: quantities and entry prices.
    NonNegative,
    /// `> 0`: prices.
    Positive,
}

impl Sign {
    /// `value` if it meets the bound, else why (the field left out: `must be > 0, got -5`).
    pub fn check(self, value: Decimal) -> Result<Decimal, String> {
        let (meets, relation) = match self {
            Sign::NonNegative => (value >= Decimal::ZERO, ">="),
            Sign::Positive => (value > Decimal::ZERO, ">"),
        };
        if meets {
            Ok(value)
        } else {
            Err(format!("must be {relation} 0, got {value}"))
        }
    }

    /// A snapshot's money field from any value `to_decimal` takes; every refusal is a
    /// `ValueError` (what Pydantic reports as a validation error), the field left out.
    pub fn extract(self, value: &Bound<'_, PyAny>) -> PyResult<Decimal> {
        let number = extract_named(value, None).map_err(|err| {
            if err.is_instance_of::<PyTypeError>(value.py()) {
                PyValueError::new_err(err.value(value.py()).to_string())
            } else {
                err
            }
        })?;
        self.check(number).map_err(PyValueError::new_err)
    }
}

/// The rule of a snapshot's quantity and entry price (`>= 0`), for the Pydantic models.
#[pyfunction]
pub fn non_negative(value: &Bound<'_, PyAny>) -> PyResult<Decimal> {
    Sign::NonNegative.extract(value)
}

/// The rule of a snapshot's price (`> 0`), for the Pydantic models.
#[pyfunction]
pub fn positive(value: &Bound<'_, PyAny>) -> PyResult<Decimal> {
    Sign::Positive.extract(value)
}

/// Why a number's text is not a `Decimal` barter can hold.
#[derive(Debug, PartialEq)]
pub enum Problem {
    NotFinite,
    NotANumber,
    TooManyDecimals,
    OutOfRange,
}

impl std::fmt::Display for Problem {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(match self {
            Problem::NotFinite => "must be finite",
            Problem::NotANumber => "must be a number",
            Problem::TooManyDecimals => "must have at most 28 digits after the point",
            Problem::OutOfRange => "must be within barter's decimal range (|x| < 2^96)",
        })
    }
}

impl Problem {
    fn error(&self, name: &str, value: &Bound<'_, PyAny>) -> PyErr {
        let value = value.repr().map(|r| r.to_string()).unwrap_or_default();
        PyValueError::new_err(match self {
            Problem::NotFinite => format!("{name}must be finite, got {value}"),
            Problem::NotANumber => format!("{name}must be a number, got {value}"),
            Problem::TooManyDecimals => format!(
                "{name}must have at most {} digits after the point (barter's decimal cannot \
                 hold {value} exactly)",
                Decimal::MAX_SCALE
            ),
            Problem::OutOfRange => {
                format!("{name}must be within barter's decimal range (|x| < 2^96), got {value}")
            }
        })
    }
}

/// Parse the text of a Python Decimal (`"1.5"`, `"-2E+3"`, `"1E-7"`, `"NaN"`) exactly;
/// trailing zeros beyond barter's 28 decimals carry no value and are dropped.
pub fn parse(text: &str) -> Result<Decimal, Problem> {
    if text.contains(['N', 'n', 'I', 'i']) {
        return Err(Problem::NotFinite); // NaN, sNaN, Infinity: Python's spellings
    }
    let (mantissa, exponent) = match text.find(['E', 'e']) {
        Some(at) => {
            let exponent = text[at + 1..]
                .parse::<i64>()
                .map_err(|_| Problem::NotANumber)?;
            (&text[..at], exponent)
        }
        None => (text, 0),
    };
    // Zeros after the last significant decimal change nothing: drop those barter cannot hold.
    let mut mantissa = mantissa;
    if let Some(point) = mantissa.find('.') {
        while mantissa.len() - point - 1 > Decimal::MAX_SCALE as usize && mantissa.ends_with('0') {
            mantissa = &mantissa[..mantissa.len() - 1];
        }
    }
    let mut value = Decimal::from_str_exact(mantissa).map_err(|_| {
        if mantissa
            .chars()
            .any(|c| !(c.is_ascii_digit() || "+-.".contains(c)))
        {
            Problem::NotANumber
        } else if mantissa.contains('.') {
            Problem::TooManyDecimals
        } else {
            Problem::OutOfRange
        }
    })?;
    if value.is_zero() {
        return Ok(Decimal::ZERO); // any exponent: zero, and no loop over a huge exponent
    }
    if exponent >= 0 {
        for _ in 0..exponent {
            value = value.checked_mul(Decimal::TEN).ok_or(Problem::OutOfRange)?;
        }
        return Ok(value);
    }
    let mut shift = u32::try_from(-exponent).map_err(|_| Problem::TooManyDecimals)?;
    if value.scale().saturating_add(shift) > Decimal::MAX_SCALE {
        // Only where the exact value would not fit: its trailing zeros absorb part of a
        // negative exponent (`1.50E-27`, `100E-30`).
        value = value.normalize();
    }
    while shift > 0 && value.scale() == 0 && (value % Decimal::TEN).is_zero() {
        value /= Decimal::TEN;
        shift -= 1;
    }
    let scale = value
        .scale()
        .checked_add(shift)
        .filter(|scale| *scale <= Decimal::MAX_SCALE)
        .ok_or(Problem::TooManyDecimals)?;
    value
        .set_scale(scale)
        .map_err(|_| Problem::TooManyDecimals)?;
    Ok(value)
}

#[cfg(test)]
mod tests {
    use super::{parse, Problem};
    use std::str::FromStr;

    fn dec(text: &str) -> rust_decimal::Decimal {
        rust_decimal::Decimal::from_str(text).unwrap()
    }

    #[test]
    fn parses_plain_and_exponent_forms_exactly() {
        assert_eq!(parse("1.50").unwrap().to_string(), "1.50");
        assert_eq!(parse("1E-7").unwrap(), dec("0.0000001"));
        assert_eq!(parse("-2.5E+3").unwrap(), dec("-2500"));
        assert_eq!(parse("0E-28").unwrap(), dec("0"));
        assert_eq!(parse("0E+999999999999").unwrap(), dec("0"));
        assert_eq!(parse("-0E-999999999999").unwrap(), dec("0"));
    }

    #[test]
    fn refuses_what_it_cannot_represent() {
        assert_eq!(parse("NaN"), Err(Problem::NotFinite));
        assert_eq!(parse("-Infinity"), Err(Problem::NotFinite));
        assert_eq!(parse("1E-29"), Err(Problem::TooManyDecimals));
        assert_eq!(parse("1E+29"), Err(Problem::OutOfRange));
        assert_eq!(
            parse("79228162514264337593543950336"),
            Err(Problem::OutOfRange)
        );
        assert_eq!(
            parse("0.12345678901234567890123456789"),
            Err(Problem::TooManyDecimals)
        );
    }

    #[test]
    fn trailing_zeros_beyond_the_scale_carry_no_value() {
        assert_eq!(
            parse("1.0000000000000000000000000000000").unwrap(),
            dec("1")
        );
        assert_eq!(
            parse("100E-30").unwrap(),
            dec("0.0000000000000000000000000001")
        );
        assert_eq!(
            parse("1.50E-27").unwrap(),
            dec("0.0000000000000000000000000015")
        );
    }
}
