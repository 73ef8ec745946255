//! CSV files of one instrument's trades, L1 books or candles (`table::Layout`), with a header
//! row, plain, `.gz` or `.zip` (`source`). Every problem of the file is reported at once,
//! each as `file:line: column: problem`.

use super::order::{self, Order};
use super::table::{self, Cells, Layout};
use super::{source, vendor, Builder, Failure, Instrument, MarketData, Problems};
use crate::market::{self, Role};
use barter_instrument::Side;
use chrono::DateTime;

pub fn load(
    path: &str,
    layout: Layout,
    instrument: Instrument,
    order: Order,
) -> Result<MarketData, Failure> {
    // csv strips a leading UTF-8 byte-order mark (a spreadsheet's).
    let mut reader = csv::ReaderBuilder::new()
        .has_headers(false)
        .flexible(true)
        .trim(csv::Trim::All)
        .from_reader(source::open(path)?);
    let columns = layout.columns();
    let mut problems = Problems::new(path);
    let mut builder = Builder::default();
    let exchange = instrument.0;
    let key = builder.key(instrument);
    let mut record = csv::StringRecord::new();
    let mut header = true;
    let mut latest = i64::MIN;
    while vendor::next(&mut reader, &mut record, path, &mut problems)? {
        let line = record.position().map_or(0, |p| p.line());
        if header {
            header = false;
            if !record.iter().eq(columns.iter().copied()) {
                let got: Vec<&str> = record.iter().collect();
                return Err(Failure::Data(format!(
                    "{path}:{line}: header must be {}, got {}",
                    columns.join(","),
                    got.join(",")
                )));
            }
            continue;
        }
        if record.len() != columns.len() {
            problems.add(
                format_args!("{path}:{line}"),
                format_args!(
                    "expected {} fields ({}), got {}",
                    columns.len(),
                    columns.join(","),
                    record.len()
                ),
            );
            continue;
        }
        match layout.event(&Row(&record), exchange, key) {
            Ok(event) => {
                let time = order::clock(&event);
                if let Some(problem) =
                    order::backward(latest, time).filter(|_| order == Order::Check)
                {
                    problems.add(format_args!("{path}:{line}"), problem);
                }
                latest = latest.max(time);
                builder.push(event);
            }
            Err(found) => {
                for problem in found {
                    problems.add(format_args!("{path}:{line}"), problem);
                }
            }
        }
    }
    if header {
        return Err(Failure::Data(format!(
            "{path}: empty file: expected the header {}",
            columns.join(",")
        )));
    }
    problems.check()?;
    if !builder.has_data() {
        return Err(super::no_events(path));
    }
    order::arrange(order, &mut builder);
    Ok(builder.finish())
}

struct Row<'a>(&'a csv::StringRecord);

impl Row<'_> {
    fn cell(&self, at: usize) -> &str {
        &self.0[at]
    }
}

impl Cells for Row<'_> {
    fn time(&self, at: usize) -> Result<i64, String> {
        time(self.cell(at))
    }

    fn number(&self, at: usize, role: Role) -> Result<f64, String> {
        let text = self.cell(at);
        market::float_of_text(text, role).map_err(|problem| format!("{problem}, got {text:?}"))
    }

    fn side(&self, at: usize) -> Result<Option<Side>, String> {
        table::side(self.cell(at))
    }
}

/// RFC 3339 (`2025-03-25T23:07:00.715Z`), or integer milliseconds since the Unix epoch.
fn time(text: &str) -> Result<i64, String> {
    let nanos = if !text.is_empty() && text.bytes().all(|b| b.is_ascii_digit() || b == b'-') {
        text.parse::<i64>()
            .ok()
            .and_then(|millis| millis.checked_mul(1_000_000))
    } else {
        DateTime::parse_from_rfc3339(text)
            .ok()
            .and_then(|time| time.timestamp_nanos_opt())
    };
    nanos.ok_or_else(|| {
        format!(
            "must be an RFC 3339 time or integer epoch milliseconds (years 1677-2262), got {text:?}"
        )
    })
}

#[cfg(test)]
mod tests {
    use super::time;

    #[test]
    fn times() {
        assert_eq!(time("1000"), Ok(1_000_000_000));
        assert_eq!(time("1970-01-01T00:00:01Z"), Ok(1_000_000_000));
        assert_eq!(time("1970-01-01T01:00:01+01:00"), Ok(1_000_000_000));
        assert_eq!(
            time("2025-03-25T23:07:00.773674205Z"),
            Ok(1742944020773674205)
        );
        assert!(time("1e3").is_err());
        assert!(time("").is_err());
        assert!(time("99999999999999999").is_err());
    }
}
