//! What every vendor loader shares: files read as one source in the given order (plain, `.gz`
//! or `.zip`), a header handled by the format, each row made into an event, skipped and
//! counted, or reported with its file and line, and the time order of §11 kept.

use super::book::BookLevel;
use super::order::{self, Order};
use super::{source, Builder, Failure, Kind, MarketData, Problems};

/// What one row makes.
pub enum Row {
    Event {
        time_exchange: i64,
        time_received: i64,
        /// A key of the loader's `Builder`.
        instrument: u32,
        kind: Kind,
    },
    /// An L2 message (its rows read): checked as `Builder::l2` checks it, a problem reported
    /// at `line`, its first row's.
    Book {
        time_exchange: i64,
        time_received: i64,
        instrument: u32,
        snapshot: bool,
        bids: Vec<BookLevel>,
        asks: Vec<BookLevel>,
        line: u64,
    },
    /// A row of an L2 message still being read: nothing to add yet.
    Pending,
    /// A crossed or locked book: skipped and counted, never used.
    Skipped,
}

/// A vendor's file layout.
pub trait Format {
    /// The first row of a file: `Ok(true)` if it is a header (and the right one), `Ok(false)`
    /// if it is data; a wrong header ends the load.
    fn first(&mut self, record: &csv::StringRecord) -> Result<bool, String>;
    /// A data row, or every problem of it (each `column: problem`).
    fn row(
        &mut self,
        record: &csv::StringRecord,
        builder: &mut Builder,
    ) -> Result<Row, Vec<String>>;
    /// What a file's last rows still hold once it is read (an L2 message).
    fn end(&mut self) -> Option<Row> {
        None
    }
}

/// How many rows `read` reads between two calls of its `each`.
const CHUNK: usize = 65_536;

/// What a streaming reader is handed as it reads: the builder holding the events read so far
/// (to take them), and the index of the file just finished (`None`: a chunk of rows).
pub type Each<'a> = dyn FnMut(&mut Builder, Option<usize>) -> Result<(), Failure> + 'a;

/// Every file of `paths`, read as one source in the given order.
pub fn load(
    paths: &[String],
    order: Order,
    format: &mut impl Format,
) -> Result<MarketData, Failure> {
    let mut builder = Builder::default();
    let skipped = read(paths, order, format, &mut builder, &mut |_, _| Ok(()))?;
    order::arrange(order, &mut builder);
    Ok(MarketData {
        skipped,
        ..builder.finish()
    })
}

/// Every file of `paths`, read as one source in the given order, into `builder`; `each` is
/// called every `CHUNK` rows and after each file, and may take the events read so far (a
/// streaming reader does). Returns how many rows were skipped as no market.
pub fn read(
    paths: &[String],
    order: Order,
    format: &mut impl Format,
    builder: &mut Builder,
    each: &mut Each,
) -> Result<u64, Failure> {
    let mut skipped = 0u64;
    let mut rows = 0usize;
    let mut latest = i64::MIN;
    for (index, path) in paths.iter().enumerate() {
        let mut problems = Problems::new(path.as_str());
        let mut reader = csv::ReaderBuilder::new()
            .has_headers(false)
            .flexible(true)
            .from_reader(source::open(path)?);
        let mut record = csv::StringRecord::new();
        let mut first = true;
        let mut added = Added {
            builder,
            problems: &mut problems,
            latest: &mut latest,
            skipped: &mut skipped,
            order,
            path,
        };
        while next(&mut reader, &mut record, path, added.problems)? {
            // The location is written only for a problem: most rows have none.
            let line = record.position().map_or(0, |p| p.line());
            let at = || format!("{path}:{line}");
            if std::mem::take(&mut first)
                && format
                    .first(&record)
                    .map_err(|why| Failure::Data(format!("{}: {why}", at())))?
            {
                continue;
            }
            rows += 1;
            if rows % CHUNK == 0 {
                each(added.builder, None)?;
            }
            match format.row(&record, added.builder) {
                Ok(row) => added.row(row, line),
                Err(found) => {
                    for problem in found {
                        added.problems.add(at(), problem);
                    }
                }
            }
        }
        if first {
            return Err(Failure::Data(format!("{path}: empty file: no rows")));
        }
        if let Some(row) = format.end() {
            added.row(row, 0);
        }
        problems.check()?;
        each(builder, Some(index))?;
    }
    if !builder.has_data() {
        return Err(super::no_events(&paths.join(", ")));
    }
    Ok(skipped)
}

/// Where `read` adds what a row made.
struct Added<'a> {
    builder: &'a mut Builder,
    problems: &'a mut Problems,
    /// The latest receive time read (§11's time order).
    latest: &'a mut i64,
    skipped: &'a mut u64,
    order: Order,
    path: &'a str,
}

impl Added<'_> {
    /// `row`, read at `line`, added (or its problems noted).
    fn row(&mut self, row: Row, line: u64) {
        let mut ordered = |time_received: i64, line: u64| {
            let backward = order::backward(*self.latest, time_received);
            if let Some(problem) = backward.filter(|_| self.order == Order::Check) {
                self.problems
                    .add(format_args!("{}:{line}", self.path), problem);
            }
            *self.latest = (*self.latest).max(time_received);
        };
        match row {
            Row::Skipped => *self.skipped += 1,
            Row::Pending => {}
            Row::Event {
                time_exchange,
                time_received,
                instrument,
                kind,
            } => {
                ordered(time_received, line);
                self.builder
                    .data(time_exchange, time_received, instrument, kind);
            }
            Row::Book {
                time_exchange,
                time_received,
                instrument,
                snapshot,
                bids,
                asks,
                line,
            } => {
                ordered(time_received, line);
                let added = self.builder.l2(
                    time_exchange,
                    time_received,
                    instrument,
                    snapshot,
                    0,
                    &bids,
                    &asks,
                );
                if let Err(problem) = added {
                    self.problems
                        .add(format_args!("{}:{line}", self.path), problem);
                }
            }
        }
    }
}

/// The next record of a CSV reader (`false` at the end); a record the reader cannot split
/// is a problem of its line, and reading goes on.
pub fn next<R: std::io::Read>(
    reader: &mut csv::Reader<R>,
    record: &mut csv::StringRecord,
    path: &str,
    problems: &mut Problems,
) -> Result<bool, Failure> {
    loop {
        match reader.read_record(record) {
            Ok(more) => return Ok(more),
            Err(err) => {
                let line = err.position().map_or(0, |p| p.line());
                match err.into_kind() {
                    csv::ErrorKind::Io(err) => return Err(unreadable(path, err)),
                    csv::ErrorKind::Utf8 { err, .. } => problems.add(
                        format_args!("{path}:{line}"),
                        format_args!("not UTF-8 text ({err})"),
                    ),
                    other => problems.add(format_args!("{path}:{line}"), format_args!("{other:?}")),
                }
            }
        }
    }
}

/// A read error: a truncated or corrupt compressed file is the data's fault, named as such.
fn unreadable(path: &str, err: std::io::Error) -> Failure {
    match err.kind() {
        std::io::ErrorKind::UnexpectedEof
        | std::io::ErrorKind::InvalidData
        | std::io::ErrorKind::InvalidInput
        | std::io::ErrorKind::Other => Failure::Data(err.to_string()),
        _ => Failure::Io(path.to_string(), err),
    }
}

/// A decimal cell as the f64 barter-data carries, checked for `role`; `column: problem`.
pub fn number(
    record: &csv::StringRecord,
    at: usize,
    role: crate::market::Role,
    name: &str,
) -> Result<f64, String> {
    let text = &record[at];
    crate::market::float_of_text(text, role).map_err(|why| format!("{name}: {why}, got {text:?}"))
}

/// The row's number of fields is the layout's: else `expected N fields (names), got M`.
pub fn fields(record: &csv::StringRecord, names: &[&str]) -> Result<(), Vec<String>> {
    if record.len() == names.len() {
        return Ok(());
    }
    Err(vec![format!(
        "expected {} fields ({}), got {}",
        names.len(),
        names.join(","),
        record.len()
    )])
}
