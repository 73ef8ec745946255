//! A vendor file as text, whatever its packing: plain, `.gz` (read through, every member), or
//! a `.zip` holding exactly one CSV (Binance's dumps), streamed with no temporary file.

use super::Failure;
use flate2::read::{DeflateDecoder, MultiGzDecoder};
use std::fs::File;
use std::io::{BufReader, Read, Seek, SeekFrom};

/// The text of `path`, decompressed as its name says.
pub fn open(path: &str) -> Result<Box<dyn Read>, Failure> {
    let file = File::open(path).map_err(|err| Failure::Io(path.to_string(), err))?;
    let file = BufReader::with_capacity(1 << 20, file);
    let lower = path.to_ascii_lowercase();
    if lower.ends_with(".gz") {
        return Ok(Box::new(Named {
            path: path.to_string(),
            inner: MultiGzDecoder::new(file),
        }));
    }
    if lower.ends_with(".zip") {
        return zipped(path, file);
    }
    Ok(Box::new(file))
}

/// The one CSV of a zip archive, streamed: the zip crate finds the entry, and its bytes are
/// inflated straight from the file (the crate's entry reader borrows the archive, which could
/// not then move into the returned reader).
fn zipped(path: &str, file: BufReader<File>) -> Result<Box<dyn Read>, Failure> {
    let refused = |why: String| Failure::Data(format!("{path}: {why}"));
    let mut archive =
        zip::ZipArchive::new(file).map_err(|err| refused(format!("not a zip archive ({err})")))?;
    let names: Vec<String> = (0..archive.len())
        .map(|at| {
            archive
                .name_for_index(at)
                .and_then(Result::ok)
                .map_or_else(String::new, |name| name.into_owned())
        })
        .collect();
    let csvs: Vec<usize> = (0..names.len())
        .filter(|at| names[*at].to_ascii_lowercase().ends_with(".csv"))
        .collect();
    let [at] = csvs[..] else {
        return Err(refused(format!(
            "a .zip must hold exactly one .csv file, it holds {} ({})",
            csvs.len(),
            names.join(", ")
        )));
    };
    let (start, size, method) = {
        let entry = archive
            .by_index_raw(at)
            .map_err(|err| refused(format!("cannot read {} ({err})", names[at])))?;
        let start = entry.data_start();
        (start, entry.compressed_size(), entry.compression())
    };
    let start = start.ok_or_else(|| refused(format!("cannot locate {}", names[at])))?;
    let mut file = archive.into_inner();
    file.seek(SeekFrom::Start(start))
        .map_err(|err| Failure::Io(path.to_string(), err))?;
    let raw = file.take(size);
    let inner: Box<dyn Read> = match method {
        zip::CompressionMethod::Stored => Box::new(raw),
        zip::CompressionMethod::Deflated => Box::new(DeflateDecoder::new(raw)),
        other => {
            return Err(refused(format!(
                "{} is compressed with {other:?}; only stored and deflated entries are read",
                names[at]
            )))
        }
    };
    Ok(Box::new(Named {
        path: path.to_string(),
        inner,
    }))
}

/// A compressed stream whose errors name the file (a truncated download says so).
struct Named<R> {
    path: String,
    inner: R,
}

impl<R: Read> Read for Named<R> {
    fn read(&mut self, out: &mut [u8]) -> std::io::Result<usize> {
        self.inner.read(out).map_err(|err| {
            let why = if err.kind() == std::io::ErrorKind::UnexpectedEof {
                "truncated: the compressed stream ends early".to_string()
            } else {
                err.to_string()
            };
            std::io::Error::new(err.kind(), format!("{}: {why}", self.path))
        })
    }
}
