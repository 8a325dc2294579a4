//! A streaming ZIP writer for download-all: stored entries, data descriptors and ZIP64
//! records throughout, written while the files are read, never buffered whole.

use bytes::{BufMut, Bytes, BytesMut};
use futures::StreamExt;
use sharelink_core::ports::{ByteStream, FileStoreError};
use sharelink_core::service::{Bundle, Outcome, Sharelink};
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use time::OffsetDateTime;
use tokio::sync::mpsc;

struct CentralEntry {
    name: String,
    crc: u32,
    size: u64,
    offset: u64,
    dos_time: u16,
    dos_date: u16,
    folder: bool,
}

fn dos_time(t: OffsetDateTime) -> (u16, u16) {
    let t = t.to_offset(time::UtcOffset::UTC);
    if t.year() < 1980 {
        return (0, (1 << 5) | 1);
    }
    let time =
        (u16::from(t.hour()) << 11) | (u16::from(t.minute()) << 5) | u16::from(t.second() / 2);
    let date = (((t.year() - 1980).min(127) as u16) << 9)
        | (u16::from(u8::from(t.month())) << 5)
        | u16::from(t.day());
    (time, date)
}

const VERSION: u16 = 45; // ZIP64
const FLAGS: u16 = (1 << 3) | (1 << 11); // data descriptor, UTF-8 names

fn local_header(name: &str, time: u16, date: u16) -> Bytes {
    let mut b = BytesMut::with_capacity(30 + name.len() + 20);
    b.put_u32_le(0x0403_4b50);
    b.put_u16_le(VERSION);
    b.put_u16_le(FLAGS);
    b.put_u16_le(0); // stored
    b.put_u16_le(time);
    b.put_u16_le(date);
    b.put_u32_le(0); // crc in the descriptor
    b.put_u32_le(0xFFFF_FFFF);
    b.put_u32_le(0xFFFF_FFFF);
    b.put_u16_le(name.len() as u16);
    b.put_u16_le(20);
    b.put_slice(name.as_bytes());
    b.put_u16_le(0x0001); // ZIP64 extra: sizes follow in the descriptor
    b.put_u16_le(16);
    b.put_u64_le(0);
    b.put_u64_le(0);
    b.freeze()
}

fn descriptor(crc: u32, size: u64) -> Bytes {
    let mut b = BytesMut::with_capacity(24);
    b.put_u32_le(0x0807_4b50);
    b.put_u32_le(crc);
    b.put_u64_le(size);
    b.put_u64_le(size);
    b.freeze()
}

fn central_directory(entries: &[CentralEntry], cd_offset: u64) -> Bytes {
    let mut b = BytesMut::new();
    for e in entries {
        b.put_u32_le(0x0201_4b50);
        b.put_u16_le((3 << 8) | VERSION); // made by unix
        b.put_u16_le(VERSION);
        b.put_u16_le(FLAGS);
        b.put_u16_le(0);
        b.put_u16_le(e.dos_time);
        b.put_u16_le(e.dos_date);
        b.put_u32_le(e.crc);
        b.put_u32_le(0xFFFF_FFFF);
        b.put_u32_le(0xFFFF_FFFF);
        b.put_u16_le(e.name.len() as u16);
        b.put_u16_le(28);
        b.put_u16_le(0); // comment
        b.put_u16_le(0); // disk
        b.put_u16_le(0); // internal attributes
        let mode: u32 = if e.folder { 0o040_755 } else { 0o100_644 };
        b.put_u32_le((mode << 16) | if e.folder { 0x10 } else { 0 });
        b.put_u32_le(0xFFFF_FFFF);
        b.put_slice(e.name.as_bytes());
        b.put_u16_le(0x0001);
        b.put_u16_le(24);
        b.put_u64_le(e.size);
        b.put_u64_le(e.size);
        b.put_u64_le(e.offset);
    }
    let cd_size = b.len() as u64;
    let eocd64_offset = cd_offset + cd_size;
    let n = entries.len() as u64;
    b.put_u32_le(0x0606_4b50);
    b.put_u64_le(44);
    b.put_u16_le((3 << 8) | VERSION);
    b.put_u16_le(VERSION);
    b.put_u32_le(0);
    b.put_u32_le(0);
    b.put_u64_le(n);
    b.put_u64_le(n);
    b.put_u64_le(cd_size);
    b.put_u64_le(cd_offset);
    b.put_u32_le(0x0706_4b50);
    b.put_u32_le(0);
    b.put_u64_le(eocd64_offset);
    b.put_u32_le(1);
    b.put_u32_le(0x0605_4b50);
    b.put_u16_le(0);
    b.put_u16_le(0);
    b.put_u16_le(0xFFFF);
    b.put_u16_le(0xFFFF);
    b.put_u32_le(0xFFFF_FFFF);
    b.put_u32_le(0xFFFF_FFFF);
    b.put_u16_le(0);
    b.freeze()
}

/// The archive of `bundle` as a byte stream, produced by a task that settles the
/// bundle's use at the end: completed when every byte was handed over; refunded when a
/// file fails or the client leaves before any byte; spent (logged as aborted) when the
/// client leaves after bytes went out.
pub(crate) fn stream(app: Sharelink, bundle: Bundle) -> ByteStream {
    let (tx, rx) = mpsc::channel::<Result<Bytes, FileStoreError>>(8);
    // What the response took, counted as it takes it: bytes still queued when the client
    // leaves never reached it.
    let taken = Arc::new(AtomicU64::new(0));
    let counted = taken.clone();
    // Held while the archive is written, so a server shutting down waits for its use to
    // be settled (see `serve`).
    let settling = crate::serve::Settling::begin();
    metrics::counter!(sharelink_core::telemetry::ZIP_BUILDS).increment(1);
    let span = tracing::Span::current();
    tokio::spawn(tracing::Instrument::instrument(
        async move {
            let Bundle {
                files,
                folders,
                ticket,
            } = bundle;
            let outcome = write(&app, files, folders, &tx, &counted).await;
            app.finish(ticket, outcome).await;
            drop(settling);
        },
        span,
    ));
    Box::pin(futures::stream::unfold(rx, move |mut rx| {
        let taken = taken.clone();
        async move {
            let item = rx.recv().await?;
            if let Ok(bytes) = &item {
                taken.fetch_add(bytes.len() as u64, Ordering::Relaxed);
            }
            Some((item, rx))
        }
    }))
}

/// The ZIP64 layout of an archive being written: where each entry starts and what the
/// central directory will say of it. It produces the bytes around the file contents; the
/// contents themselves pass through untouched.
#[derive(Default)]
pub(crate) struct Layout {
    offset: u64,
    central: Vec<CentralEntry>,
    open: Option<(String, u64, u16, u16)>,
}

impl Layout {
    /// Counts bytes handed to the client (file contents included).
    pub(crate) fn advance(&mut self, n: u64) {
        self.offset += n;
    }

    /// The local header of a file named `name`; its contents follow.
    pub(crate) fn begin_file(&mut self, name: String, modified: OffsetDateTime) -> Bytes {
        let (time, date) = dos_time(modified);
        let header = local_header(&name, time, date);
        self.open = Some((name, self.offset, time, date));
        self.offset += header.len() as u64;
        header
    }

    /// The data descriptor closing the open file (its contents' CRC-32 and size).
    pub(crate) fn end_file(&mut self, crc: u32, size: u64) -> Bytes {
        let d = descriptor(crc, size);
        if let Some((name, offset, dos_time, dos_date)) = self.open.take() {
            self.central.push(CentralEntry {
                name,
                crc,
                size,
                offset,
                dos_time,
                dos_date,
                folder: false,
            });
        }
        self.offset += d.len() as u64;
        d
    }

    /// An empty folder entry (`name/`).
    pub(crate) fn folder(&mut self, folder: &str) -> Bytes {
        let name = format!("{folder}/");
        let (time, date) = dos_time(OffsetDateTime::UNIX_EPOCH);
        let mut b = BytesMut::new();
        b.put(local_header(&name, time, date));
        b.put(descriptor(0, 0));
        self.central.push(CentralEntry {
            name,
            crc: 0,
            size: 0,
            offset: self.offset,
            dos_time: time,
            dos_date: date,
            folder: true,
        });
        self.offset += b.len() as u64;
        b.freeze()
    }

    /// The central directory and the end records; returns them and the archive's size.
    pub(crate) fn finish(self) -> (Bytes, u64) {
        let cd = central_directory(&self.central, self.offset);
        let total = self.offset + cd.len() as u64;
        (cd, total)
    }
}

/// A whole archive in memory, for tests and fuzzing (the server streams instead).
#[doc(hidden)]
pub fn archive_in_memory(files: &[(&str, &[u8])], folders: &[&str]) -> Vec<u8> {
    let mut layout = Layout::default();
    let mut out = Vec::new();
    for (name, data) in files {
        let header = layout.begin_file((*name).to_owned(), OffsetDateTime::UNIX_EPOCH);
        out.extend_from_slice(&header);
        out.extend_from_slice(data);
        layout.advance(data.len() as u64);
        out.extend_from_slice(&layout.end_file(crc32fast::hash(data), data.len() as u64));
    }
    for folder in folders {
        out.extend_from_slice(&layout.folder(folder));
    }
    out.extend_from_slice(&layout.finish().0);
    out
}

/// Files opened ahead of the one being written, so the opens (a blocking call each)
/// overlap; each holds at most one prefetched chunk.
const OPEN_AHEAD: usize = 8;
/// Pieces smaller than this (headers, descriptors, small files) are gathered into one
/// buffer before they are handed over, so a folder of small files is not sent a few
/// hundred bytes at a time.
const GATHER: usize = 64 * 1024;

/// Hands bytes to the response, gathering small pieces.
struct Sender<'a> {
    tx: &'a mpsc::Sender<Result<Bytes, FileStoreError>>,
    pending: BytesMut,
}

impl Sender<'_> {
    /// `false` once the client is gone.
    async fn send(&mut self, bytes: Bytes) -> bool {
        if self.pending.len() + bytes.len() < GATHER {
            self.pending.extend_from_slice(&bytes);
            return true;
        }
        if !self.flush().await {
            return false;
        }
        if bytes.len() < GATHER {
            self.pending.extend_from_slice(&bytes);
            return true;
        }
        self.hand_over(bytes).await
    }

    /// Hands over what was gathered; `false` once the client is gone.
    async fn flush(&mut self) -> bool {
        if self.pending.is_empty() {
            return true;
        }
        let out = self.pending.split().freeze();
        self.hand_over(out).await
    }

    async fn hand_over(&mut self, bytes: Bytes) -> bool {
        self.tx.send(Ok(bytes)).await.is_ok()
    }

    /// Ends the archive with an error, after what was gathered.
    async fn fail(&mut self, e: FileStoreError) {
        tracing::warn!(
            error = %sharelink_core::telemetry::Chain(&e),
            "a download-all archive failed midway"
        );
        if self.flush().await {
            let _ = self.tx.send(Err(e)).await;
        }
    }
}

async fn write(
    app: &Sharelink,
    files: Vec<sharelink_core::service::BundleFile>,
    folders: Vec<sharelink_core::SharePath>,
    tx: &mpsc::Sender<Result<Bytes, FileStoreError>>,
    taken: &AtomicU64,
) -> Outcome {
    let mut layout = Layout::default();
    let mut out = Sender {
        tx,
        pending: BytesMut::new(),
    };
    macro_rules! send {
        ($bytes:expr) => {{
            let b: Bytes = $bytes;
            if !out.send(b).await {
                return Outcome::client_left(taken.load(Ordering::Relaxed));
            }
        }};
    }
    let store = app.ports().files.clone();
    let mut opened = futures::stream::iter(files)
        .map(|f| {
            let store = store.clone();
            async move {
                let read = store.read(&f.storage, None).await;
                (f, read)
            }
        })
        .buffered(OPEN_AHEAD);
    while let Some((f, read)) = opened.next().await {
        send!(layout.begin_file(f.name.to_string(), f.modified));
        let mut read = match read {
            Ok(r) => r.stream,
            Err(e) => {
                out.fail(e).await;
                return Outcome::Failed;
            }
        };
        let mut crc = crc32fast::Hasher::new();
        let mut size = 0u64;
        while let Some(chunk) = read.next().await {
            match chunk {
                Ok(b) => {
                    crc.update(&b);
                    size += b.len() as u64;
                    layout.advance(b.len() as u64);
                    send!(b);
                }
                Err(e) => {
                    out.fail(e).await;
                    return Outcome::Failed;
                }
            }
        }
        send!(layout.end_file(crc.finalize(), size));
    }
    for folder in folders {
        send!(layout.folder(folder.as_str()));
    }
    let (cd, total) = layout.finish();
    send!(cd);
    if !out.flush().await {
        return Outcome::client_left(taken.load(Ordering::Relaxed));
    }
    Outcome::Completed { bytes: total }
}
