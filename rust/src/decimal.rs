//! Exact conversion of Python numbers into `rust_decimal::Decimal`.
//!
//! PyO3's own conversion goes through `str()` and fails with an unhelpful message on NaN,
//! infinities, exponents beyond rust_decimal's scale or values beyond its 96-bit mantissa.
//! Here every refusal names the field, and nothing is ever rounded.

use pyo3::exceptions::{PyTypeError, PyValueError};
use pyo3::prelude::*;
use pyo3::sync::PyOnceLock;
use pyo3::types::{PyBool, PyFloat, PyInt, PyString, PyType};
use rust_decimal::Decimal;

static DECIMAL: PyOnceLock<Py<PyType>> = PyOnceLock::new();

/// Convert a Python `decimal.Decimal`, `int` or `float` into an exact `Decimal`.
///
/// A float converts through its shortest round-trip representation (`0.1` -> `0.1`).
pub fn extract(obj: &Bound<'_, PyAny>, field: &str) -> PyResult<Decimal> {
    let py = obj.py();
    let decimal = DECIMAL.import(py, "decimal", "Decimal")?;
    // Checked in this order so that no attempt fails: a failed extraction builds an exception
    // object, and on a large book those temporaries cost more than the conversion itself.
    let text: PyResult<Bound<'_, PyString>> =
        if obj.get_type().is(decimal) || obj.is_instance(decimal)? {
            obj.str()
        } else if obj.is_instance_of::<PyBool>() {
            return Err(PyTypeError::new_err(format!(
                "{field} must be a Decimal, int or float, not bool"
            )));
        } else if let Ok(int) = obj.cast::<PyInt>() {
            match int.extract::<i64>() {
                Ok(value) => return Ok(Decimal::from(value)),
                Err(_) => int.str(),
            }
        } else if let Ok(float) = obj.cast::<PyFloat>() {
            let value = float.value();
            if !value.is_finite() {
                return Err(PyValueError::new_err(format!(
                    "{field} must be finite, got {value}"
                )));
            }
            // Rust's Display prints the shortest round-trip representation, without exponent.
            return parse_named(&value.to_string(), field);
        } else {
            return Err(PyTypeError::new_err(format!(
                "{field} must be a Decimal, int or float, got {}",
                obj.get_type().name()?
            )));
        };
    parse_named(&text?.to_cow()?, field)
}

fn parse_named(text: &str, field: &str) -> PyResult<Decimal> {
    parse(text).map_err(|problem| PyValueError::new_err(format!("{field}: {problem}")))
}

/// Parse the text of a Python Decimal (`"1.5"`, `"-2E+3"`, `"1E-7"`, `"NaN"`) exactly.
pub fn parse(text: &str) -> Result<Decimal, String> {
    let (mantissa, exponent) = match text.find(['E', 'e']) {
        Some(at) => {
            let exponent = text[at + 1..]
                .parse::<i64>()
                .map_err(|_| format!("{text} is not a finite decimal number"))?;
            (&text[..at], exponent)
        }
        None => (text, 0),
    };
    let out_of_range = || {
        format!(
            "{text} cannot be represented exactly as a 96-bit decimal \
             (at most 28 digits after the point, magnitude below 2^96)"
        )
    };
    let mut value = Decimal::from_str_exact(mantissa).map_err(|_| {
        if mantissa.chars().any(|c| c.is_ascii_alphabetic()) {
            format!("{text} is not a finite decimal number")
        } else {
            out_of_range()
        }
    })?;
    if value.is_zero() {
        return Ok(Decimal::ZERO); // any exponent: zero, and no loop over a huge exponent
    }
    if exponent >= 0 {
        for _ in 0..exponent {
            value = value.checked_mul(Decimal::TEN).ok_or_else(out_of_range)?;
        }
    } else {
        let scale = u32::try_from(-exponent)
            .ok()
            .and_then(|extra| value.scale().checked_add(extra))
            .filter(|scale| *scale <= Decimal::MAX_SCALE)
            .ok_or_else(out_of_range)?;
        value.set_scale(scale).map_err(|_| out_of_range())?;
    }
    Ok(value)
}

#[cfg(test)]
mod tests {
    use super::parse;
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
        assert!(parse("NaN").is_err());
        assert!(parse("Infinity").is_err());
        assert!(parse("1E-29").is_err());
        assert!(parse("1E+29").is_err());
        assert!(parse("0.12345678901234567890123456789").is_err());
    }
}
