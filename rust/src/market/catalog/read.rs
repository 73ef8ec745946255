//! Reading the catalog back, row group by row group: a part (one instrument's files of one
//! kind, in date order) is one source, and the parts are interleaved as `MarketData::merge`
//! interleaves its parts: the earliest next event by receive time (`order::clock`), the first
//! part's on a tie. Loading and the streaming replay both read through `Stream`, so they agree.

use super::kinds::{self, FileKind, Reading};
use crate::market::data::book::{self, BookLevel, Books};
use crate::market::data::order::clock;
use crate::market::data::{Builder, Event, Instrument};
use crate::market::problems::Failure;
use parquet::arrow::arrow_reader::{ParquetRecordBatchReader, ParquetRecordBatchReaderBuilder};
use parquet::arrow::ProjectionMask;
use parquet::file::metadata::ParquetMetaData;
use parquet::file::statistics::Statistics;
use std::collections::VecDeque;
use std::fs::File;
use std::sync::mpsc::{sync_channel, Receiver};
use std::sync::Arc;

/// Rows decoded at a time from a file (a part holds one such batch as events), and events
/// handed over at a time by the read-ahead thread: small, so that many parts stay small.
const BATCH: usize = 8_192;

/// One instrument's files of one kind, in date order.
#[derive(Clone, Debug, PartialEq)]
pub struct Part {
    pub instrument: Instrument,
    pub kind: FileKind,
    pub files: Vec<String>,
}

/// The events with `start <= time_exchange < end`.
#[derive(Clone, Copy, Debug, Default, PartialEq)]
pub struct Bounds {
    pub start: Option<i64>,
    pub end: Option<i64>,
}

impl Bounds {
    pub fn holds(self, time: i64) -> bool {
        self.start.is_none_or(|start| time >= start) && self.end.is_none_or(|end| time < end)
    }

    /// Both bounds: the later start, the earlier end.
    pub fn within(self, other: Bounds) -> Bounds {
        let pick = |a: Option<i64>, b: Option<i64>, later: bool| match (a, b) {
            (Some(a), Some(b)) => Some(if later { a.max(b) } else { a.min(b) }),
            (a, b) => a.or(b),
        };
        Bounds {
            start: pick(self.start, other.start, true),
            end: pick(self.end, other.end, false),
        }
    }
}

fn failed(path: &str, err: impl std::fmt::Display) -> Failure {
    Failure::Data(format!("{path}: not a catalog file this SDK reads ({err})"))
}

fn open(path: &str) -> Result<ParquetRecordBatchReaderBuilder<File>, Failure> {
    let file = File::open(path).map_err(|err| Failure::Io(path.to_string(), err))?;
    ParquetRecordBatchReaderBuilder::try_new(file).map_err(|err| failed(path, err))
}

/// A file's events, time range and size as its footer says: `(events, first, last)` of
/// `time_exchange` (its column statistics).
pub fn info(path: &str) -> Result<(u64, i64, i64), Failure> {
    let builder = open(path)?;
    let (first, last) = span(builder.metadata())
        .ok_or_else(|| failed(path, "no statistics of time_exchange, the first column"))?;
    let rows = builder.metadata().file_metadata().num_rows() as u64;
    let events = match message_column(&builder) {
        // An l2 file's rows are levels: its events are its messages, numbered from 0.
        Some(at) => messages(builder.metadata(), at)
            .ok_or_else(|| failed(path, "no statistics of message"))?,
        None => rows,
    };
    Ok((events, first, last))
}

/// The index of an l2 file's `message` column.
fn message_column(builder: &ParquetRecordBatchReaderBuilder<File>) -> Option<usize> {
    let columns = builder.parquet_schema().columns();
    columns.iter().position(|column| column.name() == "message")
}

/// How many messages an l2 file holds: its last message's index, plus one.
fn messages(metadata: &ParquetMetaData, at: usize) -> Option<u64> {
    let mut count = 0;
    for group in metadata
        .row_groups()
        .iter()
        .filter(|group| group.num_rows() > 0)
    {
        let Some(Statistics::Int64(stats)) = group.column(at).statistics() else {
            return None;
        };
        count = count.max(*stats.max_opt()? as u64 + 1);
    }
    Some(count)
}

fn span(metadata: &ParquetMetaData) -> Option<(i64, i64)> {
    let mut span: Option<(i64, i64)> = None;
    for group in metadata.row_groups() {
        if group.num_rows() == 0 {
            continue;
        }
        let Some(Statistics::Int64(stats)) = group.column(0).statistics() else {
            return None;
        };
        let (min, max) = (*stats.min_opt()?, *stats.max_opt()?);
        span = Some(span.map_or((min, max), |(a, b)| (a.min(min), b.max(max))));
    }
    span
}

/// How many events of `path` are within `bounds`, and their first and last exchange times:
/// from the footer when the whole file is within them, else from its `time_exchange` column.
pub fn counted(path: &str, bounds: Bounds) -> Result<(u64, Option<(i64, i64)>), Failure> {
    let (events, first, last) = info(path)?;
    if events == 0 || (bounds.holds(first) && bounds.holds(last)) {
        return Ok((events, (events > 0).then_some((first, last))));
    }
    let builder = open(path)?;
    let message = message_column(&builder);
    let mask = ProjectionMask::leaves(builder.parquet_schema(), [0].into_iter().chain(message));
    let reader = builder
        .with_projection(mask)
        .with_batch_size(BATCH)
        .build()
        .map_err(|err| failed(path, err))?;
    let (mut count, mut span) = (0u64, None::<(i64, i64)>);
    let mut last_message = None;
    for batch in reader {
        let batch = batch.map_err(|err| failed(path, err))?;
        let column = batch.column(0);
        let times = arrow_array::cast::AsArray::as_primitive_opt::<
            arrow_array::types::TimestampNanosecondType,
        >(column.as_ref())
        .ok_or_else(|| failed(path, "time_exchange is not TIMESTAMP(ns)"))?;
        let messages = match message {
            Some(_) => Some(
                arrow_array::cast::AsArray::as_primitive_opt::<arrow_array::types::UInt64Type>(
                    batch.column(1).as_ref(),
                )
                .ok_or_else(|| failed(path, "message is not UINT64"))?,
            ),
            None => None,
        };
        for (row, &time) in times.values().iter().enumerate() {
            // An l2 message's rows (its levels) are one event.
            let id = messages.map(|messages| messages.value(row));
            let next = id.is_none() || id != std::mem::replace(&mut last_message, id);
            if next && bounds.holds(time) {
                count += 1;
                span = Some(span.map_or((time, time), |(a, b)| (a.min(time), b.max(time))));
            }
        }
    }
    Ok((count, span))
}

/// One part's events in order, a row group at a time.
pub struct Cursor {
    files: VecDeque<String>,
    kind: FileKind,
    key: (barter_instrument::exchange::ExchangeId, u32),
    bounds: Bounds,
    path: String,
    reader: Option<ParquetRecordBatchReader>,
    reading: Reading,
    rows: usize,
    batch: Vec<Event>,
    /// The level arena of the batch's L2 events.
    levels: Vec<BookLevel>,
    at: usize,
    /// An l2 part's book until `bounds.start`, from that day's events before it: replayed as
    /// a snapshot at `start` before the part's first event within the bounds (spec §12, where
    /// a book starts; `MarketData.slice` does the same).
    books: Option<Books>,
}

impl Cursor {
    /// `part`'s events, named as instrument `index`.
    pub fn new(part: &Part, index: u32, bounds: Bounds) -> Self {
        Cursor {
            files: part.files.iter().cloned().collect(),
            kind: part.kind,
            key: (part.instrument.0, index),
            bounds,
            path: String::new(),
            reader: None,
            reading: Reading::default(),
            rows: 0,
            batch: Vec::new(),
            levels: Vec::new(),
            at: 0,
            books: match (part.kind, bounds.start) {
                (FileKind::L2, Some(start)) if bounds.end.is_none_or(|end| end > start) => {
                    Some(Books::default())
                }
                _ => None,
            },
        }
    }

    /// The next event, without taking it.
    pub fn peek(&mut self) -> Result<Option<&Event>, Failure> {
        while self.at == self.batch.len() {
            if !self.fill()? {
                return Ok(None);
            }
        }
        Ok(self.batch.get(self.at))
    }

    /// The next event and the level arena its L2 span points into.
    pub fn take(&mut self) -> Result<Option<(Event, &[BookLevel])>, Failure> {
        let next = self.peek()?.copied();
        self.at += next.is_some() as usize;
        Ok(next.map(|event| (event, self.levels.as_slice())))
    }

    /// The book at `start` (if the part has one) put in the batch at `at`, once.
    fn start_book(&mut self, at: usize, start: i64) -> Result<(), Failure> {
        let Some(books) = self.books.take() else {
            return Ok(());
        };
        for (_, sequence, bids, asks) in books.snapshots() {
            let levels = book::append(&mut self.levels, &bids, &asks)
                .map_err(|why| Failure::Data(format!("{}: {why}", self.path)))?;
            let kind = crate::market::data::Kind::L2 {
                snapshot: true,
                sequence,
                levels,
            };
            let event = Event {
                time_exchange: start,
                time_received: start,
                exchange: self.key.0,
                instrument: self.key.1,
                kind,
            };
            self.batch.insert(at, event);
        }
        Ok(())
    }

    /// The next record batch's events within the bounds (at a file's end, the l2 message its
    /// last rows hold); `false` after the last file.
    fn fill(&mut self) -> Result<bool, Failure> {
        loop {
            if let Some(reader) = &mut self.reader {
                let next = reader.next();
                self.batch.clear();
                self.levels.clear();
                self.at = 0;
                let out = (&mut self.batch, &mut self.levels);
                let read = match next {
                    Some(batch) => {
                        let batch = batch.map_err(|err| failed(&self.path, err))?;
                        let (key, rows) = (self.key, self.rows);
                        self.rows += batch.num_rows();
                        kinds::events(self.kind, &batch, key, rows, &mut self.reading, out)
                    }
                    None => {
                        self.reader = None;
                        kinds::finish(&mut self.reading, self.key, out.0, out.1)
                    }
                };
                read.map_err(|why| Failure::Data(format!("{}: {why}", self.path)))?;
                if let (Some(books), Some(start)) = (&mut self.books, self.bounds.start) {
                    let first_inside = self.batch.iter().position(|e| e.time_exchange >= start);
                    let before = &self.batch[..first_inside.unwrap_or(self.batch.len())];
                    let day = book::day_start(start)..start;
                    for event in before.iter().filter(|e| day.contains(&e.time_exchange)) {
                        books.apply(event, &self.levels);
                    }
                    if let Some(at) = first_inside {
                        self.start_book(at, start)?;
                    }
                }
                let bounds = self.bounds;
                self.batch.retain(|event| bounds.holds(event.time_exchange));
                return Ok(true);
            }
            let Some(path) = self.files.pop_front() else {
                self.reader = None;
                if let (Some(_), Some(start)) = (&self.books, self.bounds.start) {
                    // No event within the bounds: the book at `start` is the part's last.
                    (self.batch.clear(), self.levels.clear(), self.at = 0);
                    self.start_book(0, start)?;
                    return Ok(true);
                }
                return Ok(false);
            };
            let reader = open(&path)?
                .with_batch_size(BATCH)
                .build()
                .map_err(|err| failed(&path, err))?;
            self.reader = Some(reader);
            self.path = path;
            self.rows = 0;
        }
    }
}

/// The events of several parts, interleaved by receive time (`MarketData::merge`'s rule).
pub struct Stream {
    cursors: Vec<Cursor>,
}

impl Stream {
    /// `parts`, each named by its index in `instruments`.
    pub fn new(parts: &[Part], instruments: &[Instrument], bounds: Bounds) -> Self {
        let cursors = parts
            .iter()
            .map(|part| {
                let index = instruments
                    .iter()
                    .position(|instrument| *instrument == part.instrument)
                    .expect("every part's instrument is listed");
                Cursor::new(part, index as u32, bounds)
            })
            .collect();
        Stream { cursors }
    }

    /// The next event and the level arena its L2 span points into.
    fn step(&mut self) -> Result<Option<(Event, &[BookLevel])>, Failure> {
        let mut earliest: Option<(i64, usize)> = None;
        for (at, cursor) in self.cursors.iter_mut().enumerate() {
            if let Some(event) = cursor.peek()? {
                if earliest.is_none_or(|(time, _)| clock(event) < time) {
                    earliest = Some((clock(event), at));
                }
            }
        }
        match earliest {
            Some((_, at)) => self.cursors[at].take(),
            None => Ok(None),
        }
    }
}

/// The events of a `Stream`, decoded ahead on a thread of their own and handed over in chunks,
/// so that reading the files overlaps the replay (which holds the GIL for the strategy).
pub struct ReadAhead {
    chunks: Receiver<Result<(Vec<Event>, Vec<BookLevel>), Failure>>,
    chunk: std::vec::IntoIter<Event>,
    /// The level arena of the chunk's L2 events, shared with each event handed out.
    arena: Arc<[BookLevel]>,
}

impl ReadAhead {
    pub fn new(mut stream: Stream) -> Self {
        // Two chunks waiting at most: memory stays bounded whatever the replay's pace.
        let (send, chunks) = sync_channel(2);
        std::thread::spawn(move || loop {
            // A chunk is a builder's events and arena (its instrument keys are not used).
            let mut chunk = Builder::default();
            let (mut count, mut failure) = (0, None);
            while count < BATCH {
                match stream.step() {
                    Ok(Some((event, arena))) => chunk.push_from(event, arena),
                    Ok(None) => break,
                    Err(err) => {
                        failure = Some(err);
                        break;
                    }
                }
                count += 1;
            }
            let last = count < BATCH;
            let sent = (count == 0 || send.send(Ok(chunk.take())).is_ok())
                && failure.is_none_or(|failure| send.send(Err(failure)).is_ok());
            // A replay that stopped drops its receiver: the thread ends at its next send.
            if last || !sent {
                return;
            }
        });
        ReadAhead {
            chunks,
            chunk: Vec::new().into_iter(),
            arena: Arc::new([]),
        }
    }
}

impl Iterator for ReadAhead {
    /// An event and the level arena its L2 span points into.
    type Item = Result<(Event, Arc<[BookLevel]>), Failure>;

    fn next(&mut self) -> Option<Self::Item> {
        loop {
            if let Some(event) = self.chunk.next() {
                return Some(Ok((event, self.arena.clone())));
            }
            match self.chunks.recv().ok()? {
                Ok((events, levels)) => {
                    self.chunk = events.into_iter();
                    self.arena = levels.into();
                }
                Err(failure) => return Some(Err(failure)),
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn bounds_are_half_open_and_narrow() {
        let bounds = Bounds {
            start: Some(10),
            end: Some(20),
        };
        assert!(bounds.holds(10) && bounds.holds(19));
        assert!(!bounds.holds(9) && !bounds.holds(20));
        assert!(Bounds::default().holds(i64::MIN));
        let narrower = bounds.within(Bounds {
            start: Some(5),
            end: Some(15),
        });
        assert_eq!(
            narrower,
            Bounds {
                start: Some(10),
                end: Some(15)
            }
        );
        assert_eq!(Bounds::default().within(bounds), bounds);
    }
}
