//! Reading the catalog back, row group by row group: a part (one instrument's files of one
//! kind, in date order) is one source, and the parts are interleaved by exchange time as
//! `MarketData::merge` interleaves its parts: the earliest next event, the first part's on a
//! tie. Loading and the streaming replay both read through `Stream`, so they agree.

use super::kinds::{self, FileKind, Reading};
use crate::market::data::{Event, Instrument};
use crate::market::problems::Failure;
use parquet::arrow::arrow_reader::{ParquetRecordBatchReader, ParquetRecordBatchReaderBuilder};
use parquet::arrow::ProjectionMask;
use parquet::file::metadata::ParquetMetaData;
use parquet::file::statistics::Statistics;
use std::collections::VecDeque;
use std::fs::File;
use std::sync::mpsc::{sync_channel, Receiver};

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
    Ok((
        builder.metadata().file_metadata().num_rows() as u64,
        first,
        last,
    ))
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
    let mask = ProjectionMask::leaves(builder.parquet_schema(), [0]);
    let reader = builder
        .with_projection(mask)
        .with_batch_size(BATCH)
        .build()
        .map_err(|err| failed(path, err))?;
    let (mut count, mut span) = (0u64, None::<(i64, i64)>);
    for batch in reader {
        let batch = batch.map_err(|err| failed(path, err))?;
        let column = batch.column(0);
        let times = arrow_array::cast::AsArray::as_primitive_opt::<
            arrow_array::types::TimestampNanosecondType,
        >(column.as_ref())
        .ok_or_else(|| failed(path, "time_exchange is not TIMESTAMP(ns)"))?;
        for &time in times.values().iter().filter(|time| bounds.holds(**time)) {
            count += 1;
            span = Some(span.map_or((time, time), |(a, b)| (a.min(time), b.max(time))));
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
    at: usize,
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
            at: 0,
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

    pub fn take(&mut self) -> Result<Option<Event>, Failure> {
        let next = self.peek()?.copied();
        self.at += next.is_some() as usize;
        Ok(next)
    }

    /// The next record batch's events within the bounds; `false` after the last file.
    fn fill(&mut self) -> Result<bool, Failure> {
        loop {
            if let Some(reader) = &mut self.reader {
                if let Some(batch) = reader.next() {
                    let batch = batch.map_err(|err| failed(&self.path, err))?;
                    self.batch.clear();
                    self.at = 0;
                    kinds::events(
                        self.kind,
                        &batch,
                        self.key,
                        self.rows,
                        &mut self.reading,
                        &mut self.batch,
                    )
                    .map_err(|why| Failure::Data(format!("{}: {why}", self.path)))?;
                    self.rows += batch.num_rows();
                    let bounds = self.bounds;
                    self.batch.retain(|event| bounds.holds(event.time_exchange));
                    return Ok(true);
                }
            }
            let Some(path) = self.files.pop_front() else {
                self.reader = None;
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

/// The events of several parts, interleaved by exchange time (`MarketData::merge`'s rule).
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

    fn step(&mut self) -> Result<Option<Event>, Failure> {
        let mut earliest: Option<(i64, usize)> = None;
        for (at, cursor) in self.cursors.iter_mut().enumerate() {
            if let Some(event) = cursor.peek()? {
                if earliest.is_none_or(|(time, _)| event.time_exchange < time) {
                    earliest = Some((event.time_exchange, at));
                }
            }
        }
        match earliest {
            Some((_, at)) => self.cursors[at].take(),
            None => Ok(None),
        }
    }
}

impl Iterator for Stream {
    type Item = Result<Event, Failure>;

    fn next(&mut self) -> Option<Self::Item> {
        self.step().transpose()
    }
}

/// The events of a `Stream`, decoded ahead on a thread of their own and handed over in chunks,
/// so that reading the files overlaps the replay (which holds the GIL for the strategy).
pub struct ReadAhead {
    chunks: Receiver<Result<Vec<Event>, Failure>>,
    chunk: std::vec::IntoIter<Event>,
}

impl ReadAhead {
    pub fn new(mut stream: Stream) -> Self {
        // Two chunks waiting at most: memory stays bounded whatever the replay's pace.
        let (send, chunks) = sync_channel(2);
        std::thread::spawn(move || loop {
            let mut chunk = Vec::with_capacity(BATCH);
            let mut failure = None;
            for event in stream.by_ref() {
                match event {
                    Ok(event) => chunk.push(event),
                    Err(err) => failure = Some(err),
                }
                if failure.is_some() || chunk.len() == BATCH {
                    break;
                }
            }
            let last = chunk.len() < BATCH || failure.is_some();
            let sent = (chunk.is_empty() || send.send(Ok(chunk)).is_ok())
                && failure.is_none_or(|failure| send.send(Err(failure)).is_ok());
            // A replay that stopped drops its receiver: the thread ends at its next send.
            if last || !sent {
                return;
            }
        });
        ReadAhead {
            chunks,
            chunk: Vec::new().into_iter(),
        }
    }
}

impl Iterator for ReadAhead {
    type Item = Result<Event, Failure>;

    fn next(&mut self) -> Option<Self::Item> {
        loop {
            if let Some(event) = self.chunk.next() {
                return Some(Ok(event));
            }
            match self.chunks.recv().ok()? {
                Ok(chunk) => self.chunk = chunk.into_iter(),
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
