//! Writing days into the catalog: each file is written whole under a temporary name beside
//! its place, and renamed only once every file of the call is built and no day already there
//! holds other content (`replace` replaces such days; a day with the same content stays as it
//! is). A call that fails leaves none of its files.

use super::kinds::{self, Digits, FileKind, ROW_GROUP};
use super::read::{Bounds, Cursor, Part};
use crate::market::data::book::{self, BookLevel};
use crate::market::data::order::{self, Order};
use crate::market::data::vendor::Each;
use crate::market::data::{utc, Builder, Event, Instrument, MarketData};
use crate::market::problems::{Failure, Problems};
use arrow_schema::SchemaRef;
use fnv::FnvHashMap;
use parquet::arrow::ArrowWriter;
use parquet::basic::Compression;
use parquet::file::properties::WriterProperties;
use std::collections::BTreeMap;
use std::fs::File;
use std::path::{Path, PathBuf};

const DAY: i64 = 86_400_000_000_000;

/// One file of the catalog: an instrument's events of one kind on one UTC day of their
/// exchange time (days since the epoch).
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord)]
struct Day {
    instrument: Instrument,
    kind: FileKind,
    day: i64,
}

impl Day {
    /// `{root}/{exchange}/{instrument}/{kind}/{YYYY-MM-DD}.parquet`
    fn path(&self, root: &Path) -> PathBuf {
        let (exchange, name) = &self.instrument;
        let date = utc(self.day * DAY).format("%Y-%m-%d");
        root.join(exchange.as_str())
            .join(name.name().as_str())
            .join(self.kind.name())
            .join(format!("{date}.parquet"))
    }
}

/// The UTC day of an event's exchange time, and its file kind (`None`: not stored).
fn day_of(event: &Event) -> Option<(FileKind, i64)> {
    FileKind::of(&event.kind).map(|kind| (kind, event.time_exchange.div_euclid(DAY)))
}

/// An event the catalog does not store, refused.
fn unstored(event: &Event) -> Failure {
    let (what, advice) = kinds::unstored(&event.kind);
    Failure::Data(format!(
        "{what} of {} at {}: the catalog holds trades, l1 and l2 books and candles; {advice}",
        event.exchange.as_str(),
        utc(event.time_exchange).to_rfc3339()
    ))
}

/// A catalog root is a folder (made if missing); an instrument name is one folder's name.
pub fn check_root(root: &Path) -> Result<(), Failure> {
    if root.exists() && !root.is_dir() {
        return Err(Failure::Data(format!(
            "{}: the catalog root is a file, not a folder",
            root.display()
        )));
    }
    Ok(())
}

fn check_name(instrument: &Instrument) -> Result<(), Failure> {
    let name = instrument.1.name().as_str();
    if name.is_empty() || name == "." || name == ".." || name.contains(['/', '\\', '\0']) {
        return Err(Failure::Data(format!(
            "instrument {name:?}: a catalog folder is named after the instrument, so it must \
             not be empty, '.' or '..', nor hold '/' or '\\'"
        )));
    }
    Ok(())
}

/// `data` into the catalog at `root`, a file per instrument, kind and day; the paths of the
/// call's days.
pub fn write(root: &Path, data: &MarketData, replace: bool) -> Result<Vec<String>, Failure> {
    check_root(root)?;
    let instruments = data.instruments();
    let mut days: BTreeMap<Day, (Digits, Vec<Event>)> = BTreeMap::new();
    for event in data.events() {
        let (kind, day) = day_of(event).ok_or_else(|| unstored(event))?;
        let instrument = instruments[event.instrument as usize].clone();
        let entry = days.entry(Day {
            instrument,
            kind,
            day,
        });
        entry.or_default().1.push(*event);
    }
    let mut files = Files::new(root, Order::AsIs);
    for (day, (digits, events)) in &mut days {
        check_name(&day.instrument)?;
        for event in events.iter() {
            digits
                .add(event, data.levels())
                .map_err(|why| files.refused(day, why))?;
        }
        let at = files.open(day.clone(), *digits)?;
        for event in events {
            files.push(at, *event, data.levels())?;
        }
    }
    files.commit(replace)
}

/// A vendor's files into the catalog, streaming: `read` runs the vendor's reading loop over
/// every file, handing the events it has read to its callback in chunks. The first pass
/// checks every row and finds each day's decimals (a Parquet column has one scale, known
/// before its first row); the second writes. Only `Order::Sort` holds a day in memory, to
/// sort it. `progress` hears of each file read, in each pass ("checking", "writing").
pub fn import(
    root: &Path,
    order: Order,
    read: impl Fn(&mut Each) -> Result<(), Failure>,
    progress: &mut dyn FnMut(&'static str, usize) -> Result<(), Failure>,
    replace: bool,
) -> Result<Vec<String>, Failure> {
    check_root(root)?;
    let mut days: Vec<(Day, Digits)> = Vec::new();
    let mut known: FnvHashMap<(u32, FileKind, i64), usize> = FnvHashMap::default();
    let mut which = |builder: &Builder, event: &Event, days: &mut Vec<(Day, Digits)>| {
        let (kind, day) = day_of(event).ok_or_else(|| unstored(event))?;
        let at = *known
            .entry((event.instrument, kind, day))
            .or_insert_with(|| {
                let instrument = builder.instrument(event.instrument).clone();
                days.push((
                    Day {
                        instrument,
                        kind,
                        day,
                    },
                    Digits::default(),
                ));
                days.len() - 1
            });
        Ok::<usize, Failure>(at)
    };
    read(&mut |builder, file| {
        let (events, levels) = builder.take();
        for event in &events {
            let at = which(builder, event, &mut days)?;
            let (day, digits) = &mut days[at];
            digits
                .add(event, &levels)
                .map_err(|why| Failure::Data(format!("{}: {why}", day.path(root).display())))?;
        }
        file.map_or(Ok(()), |index| progress("checking", index + 1))
    })?;
    for (day, _) in &days {
        check_name(&day.instrument)?;
    }
    let mut files = Files::new(root, order);
    let mut opened: Vec<Option<usize>> = vec![None; days.len()];
    read(&mut |builder, file| {
        let (events, levels) = builder.take();
        for event in &events {
            let at = which(builder, event, &mut days)?;
            let pending = match opened[at] {
                Some(pending) => pending,
                None => *opened[at].insert(files.open(days[at].0.clone(), days[at].1)?),
            };
            files.push(pending, *event, &levels)?;
        }
        file.map_or(Ok(()), |index| progress("writing", index + 1))
    })?;
    files.commit(replace)
}

/// A day file being written, under its temporary name.
struct Pending {
    day: Day,
    path: PathBuf,
    temp: PathBuf,
    digits: Digits,
    schema: SchemaRef,
    writer: Option<ArrowWriter<File>>,
    /// The events not yet written, and their levels.
    buffered: Builder,
    /// How many events were written: the next one's `message` in an l2 file.
    written: u64,
}

/// The files of one call. Dropped before `commit` finishes, it removes its temporary files
/// (and the folders it made, if empty).
struct Files {
    root: PathBuf,
    order: Order,
    pending: Vec<Pending>,
}

impl Files {
    fn new(root: &Path, order: Order) -> Self {
        Files {
            root: root.to_path_buf(),
            order,
            pending: Vec::new(),
        }
    }

    fn refused(&self, day: &Day, why: impl std::fmt::Display) -> Failure {
        Failure::Data(format!("{}: {why}", day.path(&self.root).display()))
    }

    /// A new day file; its index.
    fn open(&mut self, day: Day, digits: Digits) -> Result<usize, Failure> {
        let path = day.path(&self.root);
        let folder = path.parent().expect("a day has a folder").to_path_buf();
        let io = |err| Failure::Io(path.display().to_string(), err);
        std::fs::create_dir_all(&folder).map_err(io)?;
        let name = path.file_name().expect("a file name").to_string_lossy();
        let temp = folder.join(format!(".{name}.{}.tmp", std::process::id()));
        let schema = day
            .kind
            .schema(digits)
            .map_err(|why| self.refused(&day, why))?;
        let file = File::create(&temp).map_err(io)?;
        let properties = WriterProperties::builder()
            .set_compression(Compression::SNAPPY)
            .set_max_row_group_row_count(Some(ROW_GROUP))
            .build();
        let writer = ArrowWriter::try_new(file, schema.clone(), Some(properties))
            .map_err(|err| self.refused(&day, err))?;
        self.pending.push(Pending {
            day,
            path,
            temp,
            digits,
            schema,
            writer: Some(writer),
            buffered: Builder::default(),
            written: 0,
        });
        Ok(self.pending.len() - 1)
    }

    /// `event`, its L2 span pointing into `arena`, buffered for its file.
    fn push(&mut self, at: usize, event: Event, arena: &[BookLevel]) -> Result<(), Failure> {
        let pending = &mut self.pending[at];
        pending.buffered.push_from(event, arena);
        if self.order != Order::Sort && pending.buffered.held() >= ROW_GROUP {
            self.flush(at)?;
        }
        Ok(())
    }

    /// The buffered events written, in row groups.
    fn flush(&mut self, at: usize) -> Result<(), Failure> {
        let pending = &mut self.pending[at];
        let refused = |why: String| Failure::Data(format!("{}: {why}", pending.path.display()));
        let (events, levels) = pending.buffered.take();
        for chunk in events.chunks(ROW_GROUP) {
            let rows = (chunk, levels.as_slice(), pending.written);
            let batch = kinds::batch(&pending.schema, pending.day.kind, pending.digits, rows)
                .map_err(refused)?;
            let writer = pending.writer.as_mut().expect("open until finished");
            writer
                .write(&batch)
                .map_err(|err| refused(err.to_string()))?;
            pending.written += chunk.len() as u64;
        }
        Ok(())
    }

    /// Every file finished; then the days checked against those already there; then renamed.
    fn commit(mut self, replace: bool) -> Result<Vec<String>, Failure> {
        for at in 0..self.pending.len() {
            order::arrange(self.order, &mut self.pending[at].buffered);
            self.flush(at)?;
            let pending = &mut self.pending[at];
            let writer = pending.writer.take().expect("open until finished");
            writer
                .close()
                .map_err(|err| Failure::Data(format!("{}: {err}", pending.path.display())))?;
        }
        let mut refused = Problems::new(self.root.display().to_string());
        let mut keep = vec![false; self.pending.len()];
        for (at, pending) in self.pending.iter().enumerate() {
            // `replace` replaces whatever is there, unread (it may be a file no longer read).
            if replace || !pending.path.exists() {
                continue;
            }
            match first_difference(&pending.day, &pending.path, &pending.temp)? {
                None => keep[at] = true,
                Some(event) => refused.add(
                    pending.path.display(),
                    format!(
                        "this day is already in the catalog with other content (from event \
                         {event} on); pass replace=True to replace it"
                    ),
                ),
            }
        }
        refused.check()?;
        let mut paths: Vec<String> = Vec::new();
        for (at, pending) in self.pending.iter().enumerate() {
            if keep[at] {
                std::fs::remove_file(&pending.temp).ok();
            } else {
                std::fs::rename(&pending.temp, &pending.path)
                    .map_err(|err| Failure::Io(pending.path.display().to_string(), err))?;
            }
            paths.push(pending.path.display().to_string());
        }
        self.pending.clear();
        paths.sort(); // as `Catalog.entries` lists them
        Ok(paths)
    }
}

impl Drop for Files {
    fn drop(&mut self) {
        for pending in &self.pending {
            std::fs::remove_file(&pending.temp).ok();
            // The folders this call made, where nothing else is: kind, instrument, exchange.
            for folder in pending.path.ancestors().skip(1).take(3) {
                if std::fs::remove_dir(folder).is_err() {
                    break;
                }
            }
        }
    }
}

/// Where two files of `day` first differ (an event's index), or `None` if they hold the same
/// events.
fn first_difference(day: &Day, a: &Path, b: &Path) -> Result<Option<usize>, Failure> {
    let cursor = |path: &Path| {
        let part = Part {
            instrument: day.instrument.clone(),
            kind: day.kind,
            files: vec![path.display().to_string()],
        };
        Cursor::new(&part, 0, Bounds::default())
    };
    let (mut a, mut b) = (cursor(a), cursor(b));
    let mut at = 0;
    loop {
        match (a.take()?, b.take()?) {
            (None, None) => return Ok(None),
            (Some(x), Some(y)) if book::same((&x.0, x.1), (&y.0, y.1)) => at += 1,
            _ => return Ok(Some(at)),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::market::data::Kind;
    use barter_instrument::exchange::ExchangeId;
    use barter_instrument::instrument::name::InstrumentNameInternal;

    #[test]
    fn a_day_is_the_utc_day_of_the_exchange_time() {
        let day = Day {
            instrument: (
                ExchangeId::BinanceSpot,
                InstrumentNameInternal::new("btc_usdt"),
            ),
            kind: FileKind::Trades,
            day: (DAY * 19_800 + 5).div_euclid(DAY),
        };
        assert_eq!(
            day.path(Path::new("/c")),
            PathBuf::from("/c/binance_spot/btc_usdt/trades/2024-03-18.parquet")
        );
        let event = Event {
            time_exchange: -1,
            time_received: 0,
            exchange: ExchangeId::BinanceSpot,
            instrument: 0,
            kind: Kind::Reconnecting,
        };
        assert_eq!(day_of(&event), None);
        let trade = Event {
            kind: Kind::Trade {
                price: 1.0,
                amount: 1.0,
                side: Some(barter_instrument::Side::Buy),
            },
            ..event
        };
        assert_eq!(day_of(&trade), Some((FileKind::Trades, -1)));
    }
}
