//! A streaming ZIP writer for download-all: stored entries, data descriptors and ZIP64
//! records throughout, written while the files are read, never buffered whole.

use bytes::{BufMut, Bytes, BytesMut};
use futures::StreamExt;
use sharelink_core::ports::{ByteStream, FileStoreError};
use sharelink_core::service::{Bundle, Outcome, Sharelink};
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
/// bundle's use at the end: completed when every byte was handed over, refunded when a
/// file fails or the client goes away.
pub(crate) fn stream(app: Sharelink, bundle: Bundle) -> ByteStream {
    let (tx, rx) = mpsc::channel::<Result<Bytes, FileStoreError>>(8);
    tokio::spawn(async move {
        let Bundle {
            files,
            folders,
            ticket,
        } = bundle;
        let outcome = write(&app, files, folders, &tx).await;
        app.finish(ticket, outcome).await;
    });
    Box::pin(futures::stream::unfold(rx, |mut rx| async move {
        rx.recv().await.map(|item| (item, rx))
    }))
}

async fn write(
    app: &Sharelink,
    files: Vec<sharelink_core::service::BundleFile>,
    folders: Vec<sharelink_core::SharePath>,
    tx: &mpsc::Sender<Result<Bytes, FileStoreError>>,
) -> Outcome {
    let mut offset: u64 = 0;
    let mut central = Vec::with_capacity(files.len() + folders.len());
    macro_rules! send {
        ($bytes:expr) => {{
            let b: Bytes = $bytes;
            offset += b.len() as u64;
            if tx.send(Ok(b)).await.is_err() {
                return Outcome::Failed;
            }
        }};
    }
    for f in files {
        let name = f.name.to_string();
        let (time, date) = dos_time(f.modified);
        let start = offset;
        send!(local_header(&name, time, date));
        let mut read = match app.ports().files.read(&f.storage, None).await {
            Ok(r) => r.stream,
            Err(e) => {
                let _ = tx.send(Err(e)).await;
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
                    send!(b);
                }
                Err(e) => {
                    let _ = tx.send(Err(e)).await;
                    return Outcome::Failed;
                }
            }
        }
        let crc = crc.finalize();
        send!(descriptor(crc, size));
        central.push(CentralEntry {
            name,
            crc,
            size,
            offset: start,
            dos_time: time,
            dos_date: date,
            folder: false,
        });
    }
    for folder in folders {
        let name = format!("{folder}/");
        let start = offset;
        let (time, date) = dos_time(OffsetDateTime::UNIX_EPOCH);
        send!(local_header(&name, time, date));
        send!(descriptor(0, 0));
        central.push(CentralEntry {
            name,
            crc: 0,
            size: 0,
            offset: start,
            dos_time: time,
            dos_date: date,
            folder: true,
        });
    }
    let cd_offset = offset;
    send!(central_directory(&central, cd_offset));
    Outcome::Completed { bytes: offset }
}
