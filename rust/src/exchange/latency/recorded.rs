//! `latency_from`: a CSV of recorded order round trips, `request_time, exchange_time,
//! response_time` (a header naming the three, in any order; each time RFC 3339 or integer
//! microseconds since the epoch), interpolated as hftbacktest's `IntpOrderLatency` does:
//! - entry at `t`, between the rows whose `request_time` surround it: `exchange_time −
//!   request_time` interpolated linearly on `request_time`;
//! - response at exchange time `t`, between the accepted rows whose `exchange_time` surround
//!   it: `response_time − exchange_time` interpolated on `exchange_time`;
//! - before the first row or after the last: that row's value;
//! - a row without `exchange_time` is a rejection: a request whose neighbouring rows include
//!   one is rejected, its sender told after `response_time − request_time` interpolated the
//!   same way (hftbacktest's negative latency). Rejections take no part in responses.
//!
//! Interpolation is exact integer arithmetic in nanoseconds, rounded toward zero.

use super::Entry;
use chrono::DateTime;
use std::path::Path;

/// One recorded round trip, in nanoseconds since the epoch; no `exchange` is a rejection.
#[derive(Debug, Clone, Copy)]
struct Row {
    request: i64,
    exchange: Option<i64>,
    response: i64,
}

/// The rows of a `latency_from` file, checked.
#[derive(Debug)]
pub struct Recorded {
    file: String,
    /// By request time (the file's order, checked).
    rows: Vec<Row>,
    /// The accepted rows as `(exchange_time, response latency)`, by exchange time.
    responses: Vec<(i64, i64)>,
}

const COLUMNS: [&str; 3] = ["request_time", "exchange_time", "response_time"];

impl Recorded {
    /// The file at `path`; its problem as `{file}: line {n}: {field}: {problem}`.
    pub fn read(path: &Path) -> Result<Self, String> {
        let file = path.display().to_string();
        let reader = std::fs::File::open(path).map_err(|err| format!("{file}: {err}"))?;
        Self::parse(file, reader)
    }

    fn parse(file: String, reader: impl std::io::Read) -> Result<Self, String> {
        let mut csv = csv::ReaderBuilder::new()
            .trim(csv::Trim::All)
            .from_reader(reader);
        let failed = |line: u64, problem: String| format!("{file}: line {line}: {problem}");
        let header = csv.headers().map_err(|err| failed(1, err.to_string()))?;
        let mut at = [usize::MAX; 3];
        for (index, name) in header.iter().enumerate() {
            let Some(column) = COLUMNS.iter().position(|c| *c == name) else {
                let problem = format!(
                    "the header must name request_time, exchange_time and response_time, got \
                     column {name:?}"
                );
                return Err(failed(1, problem));
            };
            at[column] = index;
        }
        if let Some(missing) = (0..3).find(|column| at[*column] == usize::MAX) {
            let problem = format!("the header has no {} column", COLUMNS[missing]);
            return Err(failed(1, problem));
        }
        let mut rows: Vec<Row> = Vec::new();
        for record in csv.records() {
            let record = record.map_err(|err| {
                let line = err.position().map_or(0, |position| position.line());
                failed(line, err.to_string())
            })?;
            let line = record.position().map_or(0, |position| position.line());
            let field = |column: usize| {
                let text = record.get(at[column]).unwrap_or_default();
                let time = (!text.is_empty()).then(|| time(text)).transpose();
                time.map_err(|problem| failed(line, format!("{}: {problem}", COLUMNS[column])))
            };
            let required = |column: usize| {
                field(column)?.ok_or_else(|| failed(line, format!("{}: empty", COLUMNS[column])))
            };
            let row = Row {
                request: required(0)?,
                exchange: field(1)?,
                response: required(2)?,
            };
            let problem = |text: &str| Err(failed(line, text.to_string()));
            if let Some(before) = rows.last().filter(|last| row.request < last.request) {
                let problem = format!(
                    "request_time: goes back from {} to {} (rows must be in request order)",
                    text(before.request),
                    text(row.request)
                );
                return Err(failed(line, problem));
            }
            match row.exchange {
                Some(exchange) if exchange < row.request => {
                    return problem("exchange_time: before request_time");
                }
                Some(exchange) if row.response < exchange => {
                    return problem("response_time: before exchange_time");
                }
                None if row.response < row.request => {
                    return problem("response_time: before request_time");
                }
                _ => rows.push(row),
            }
        }
        if rows.is_empty() {
            return Err(format!("{file}: no rows (a header and one row at least)"));
        }
        let mut responses: Vec<(i64, i64)> = rows
            .iter()
            .filter_map(|row| row.exchange.map(|at| (at, row.response.saturating_sub(at))))
            .collect();
        responses.sort_by_key(|(at, _)| *at);
        Ok(Self {
            file,
            rows,
            responses,
        })
    }

    pub fn file(&self) -> &str {
        &self.file
    }

    /// A request sent at `sent`.
    pub fn entry(&self, sent: i64) -> Entry {
        let one = |row: &Row| match row.exchange {
            Some(exchange) => Entry::Arrives(exchange.saturating_sub(row.request)),
            None => Entry::Rejected(row.response.saturating_sub(row.request)),
        };
        let after = self.rows.partition_point(|row| row.request <= sent);
        let (Some(row), Some(next)) = (after.checked_sub(1), self.rows.get(after)) else {
            let edge = if after == 0 { 0 } else { self.rows.len() - 1 };
            return one(&self.rows[edge]);
        };
        let (row, next) = (self.rows[row], *next);
        let line = |y: fn(&Row) -> i64| {
            let (x1, x2) = (row.request, next.request);
            interpolate(
                sent,
                (x1, y(&row).saturating_sub(x1)),
                (x2, y(&next).saturating_sub(x2)),
            )
        };
        match (row.exchange, next.exchange) {
            (Some(_), Some(_)) => Entry::Arrives(line(|row| row.exchange.unwrap_or_default())),
            _ => Entry::Rejected(line(|row| row.response)),
        }
    }

    /// The response latency of an answer given at exchange time `at`.
    pub fn response(&self, at: i64) -> i64 {
        let after = self.responses.partition_point(|(time, _)| *time <= at);
        match (after.checked_sub(1), self.responses.get(after)) {
            (Some(row), Some(next)) => interpolate(at, self.responses[row], *next),
            (None, Some(first)) => first.1,
            (Some(last), None) => self.responses[last].1,
            (None, None) => 0,
        }
    }
}

/// The value at `x` on the line through `(x1, y1)` and `(x2, y2)` (`x1 < x2`), rounded toward
/// zero from `y1`.
fn interpolate(x: i64, (x1, y1): (i64, i64), (x2, y2): (i64, i64)) -> i64 {
    let [x, x1, y1, x2, y2] = [x, x1, y1, x2, y2].map(i128::from);
    let y = y1 + (y2 - y1) * (x - x1) / (x2 - x1);
    i64::try_from(y).unwrap_or(if y < 0 { i64::MIN } else { i64::MAX })
}

/// A time as RFC 3339 or integer microseconds since the epoch, in nanoseconds.
fn time(text: &str) -> Result<i64, String> {
    if let Ok(micros) = text.parse::<i64>() {
        return micros
            .checked_mul(1_000)
            .ok_or_else(|| format!("outside years 1677-2262, got {text}"));
    }
    let time = DateTime::parse_from_rfc3339(text).map_err(|_| {
        format!("not an RFC 3339 time or integer microseconds since the epoch, got {text:?}")
    })?;
    time.timestamp_nanos_opt()
        .ok_or_else(|| format!("outside years 1677-2262, got {text}"))
}

fn text(nanos: i64) -> String {
    DateTime::from_timestamp_nanos(nanos).to_rfc3339_opts(chrono::SecondsFormat::AutoSi, true)
}

#[cfg(test)]
pub fn parse(text: &str) -> Result<Recorded, String> {
    Recorded::parse("latency.csv".into(), text.as_bytes())
}
