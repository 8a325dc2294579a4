//! Key lookup and use consumption on SQLite and PostgreSQL with 100,000 and 1,000,000
//! shares. Prints figures; it is not a timed test.
//!
//! ```text
//! cargo bench -p sharelink-store-sql --features postgres --bench store
//! ```
//! Sizes come from `SHARELINK_BENCH_SIZES` (default `100000,1000000`). PostgreSQL runs
//! when `SHARELINK_BENCH_POSTGRES_URL` or `SHARELINK_TEST_POSTGRES_URL` is set (a fresh
//! database is created and dropped). Under `cargo test` (no `--bench` argument) it only
//! checks itself on 1,000 shares of SQLite.

use sea_orm::sea_query::{Alias, Query};
use sea_orm::{ConnectionTrait, TransactionTrait};
use sharelink_core::conformance::repository::{T0, new_share};
use sharelink_core::ports::{Reservation, ShareStore};
use sharelink_core::{ShareId, UrlKey};
use sharelink_store_sql::testing::{TestBackend, TestDatabase};
use sharelink_store_sql::{SqlStore, StoreConfig};
use std::sync::Arc;
use std::time::{Duration, Instant};

/// A small deterministic generator (xorshift64*), so runs are comparable.
struct Rng(u64);

impl Rng {
    fn below(&mut self, n: u64) -> u64 {
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        self.0.wrapping_mul(0x2545_f491_4f6c_dd1d) % n
    }
}

fn key_of(i: u64) -> String {
    format!("BenchKey{i:010}")
}

/// Inserts `n` shares with multi-row inserts, 500 rows a statement, 20,000 rows a
/// transaction. Every share is a copy of a realistic one (same JSON documents).
async fn fill(store: &SqlStore, n: u64) -> Duration {
    let template = new_share("template0", "owner0", "Quarterly report", T0);
    let items = serde_json::to_string(&template.items).expect("json");
    let settings = serde_json::to_string(&template.settings).expect("json");
    let adjustments = serde_json::to_string(&template.adjustments).expect("json");
    let created = T0.unix_timestamp_nanos() as i64;
    let expires = created + 30 * 86_400 * 1_000_000_000;
    let started = Instant::now();
    let db = store.connection();
    let mut i = 0;
    while i < n {
        let txn = db.begin().await.expect("begin");
        let end = (i + 20_000).min(n);
        while i < end {
            let mut insert = Query::insert();
            insert.into_table(Alias::new("sl_shares")).columns(
                [
                    "key_text",
                    "key_folded",
                    "owner",
                    "name_folded",
                    "items",
                    "requested",
                    "settings",
                    "adjustments",
                    "created_at",
                    "updated_at",
                    "expires_at",
                    "uses",
                    "uploaded_bytes",
                ]
                .map(Alias::new),
            );
            for j in i..(i + 500).min(end) {
                let key = key_of(j);
                insert.values_panic([
                    key.clone().into(),
                    key.to_lowercase().into(),
                    format!("owner{}", j % 1000).into(),
                    format!("quarterly report {j}").into(),
                    items.clone().into(),
                    settings.clone().into(),
                    settings.clone().into(),
                    adjustments.clone().into(),
                    (created + j as i64).into(),
                    (created + j as i64).into(),
                    expires.into(),
                    0i64.into(),
                    0i64.into(),
                ]);
            }
            txn.execute(&insert).await.expect("insert");
            i = (i + 500).min(end);
        }
        txn.commit().await.expect("commit");
    }
    if store.backend() == sea_orm::DbBackend::Postgres {
        db.execute_unprepared("ANALYZE sl_shares")
            .await
            .expect("analyze");
    }
    started.elapsed()
}

struct Figures {
    ops: usize,
    elapsed: Duration,
    latencies: Vec<Duration>,
}

impl Figures {
    fn line(&mut self, what: &str) {
        self.latencies.sort_unstable();
        let pct = |p: f64| {
            let i = ((self.latencies.len() as f64 - 1.0) * p).round() as usize;
            self.latencies[i].as_secs_f64() * 1e6
        };
        println!(
            "  {what:<44} {:>9.0} ops/s   p50 {:>7.1} µs   p99 {:>8.1} µs",
            self.ops as f64 / self.elapsed.as_secs_f64(),
            pct(0.5),
            pct(0.99)
        );
    }
}

/// Runs `op` `per_task` times on each of `tasks` concurrent tasks.
async fn measure<F, Fut>(tasks: usize, per_task: usize, seed: u64, op: F) -> Figures
where
    F: Fn(u64) -> Fut + Send + Sync + 'static,
    Fut: std::future::Future<Output = ()> + Send,
{
    let op = Arc::new(op);
    let started = Instant::now();
    let handles: Vec<_> = (0..tasks)
        .map(|t| {
            let op = Arc::clone(&op);
            tokio::spawn(async move {
                let mut rng = Rng(seed + t as u64 * 7919 + 1);
                let mut lat = Vec::with_capacity(per_task);
                for _ in 0..per_task {
                    let r = rng.below(u64::MAX);
                    let s = Instant::now();
                    op(r).await;
                    lat.push(s.elapsed());
                }
                lat
            })
        })
        .collect();
    let mut latencies = Vec::new();
    for h in handles {
        latencies.extend(h.await.expect("task"));
    }
    Figures {
        ops: tasks * per_task,
        elapsed: started.elapsed(),
        latencies,
    }
}

async fn bench(label: &str, url: &str, n: u64, quick: bool) {
    let store = StoreConfig::new(url)
        .max_connections(16)
        .connect()
        .await
        .expect("connect");
    let filled = fill(&store, n).await;
    println!(
        "{label}, {n} shares: bulk insert {:.1} s ({:.0} rows/s)",
        filled.as_secs_f64(),
        n as f64 / filled.as_secs_f64()
    );
    let (seq, par) = if quick { (50, 20) } else { (5_000, 2_000) };
    // The first id (ids are assigned in insertion order from 1).
    let first = store
        .find_by_key(&UrlKey::parse(&key_of(0)).expect("key"))
        .await
        .expect("find")
        .expect("present")
        .id
        .0;
    let repo = Arc::new(store.clone());

    for (tasks, per_task) in [(1, seq), (16, par)] {
        let r = Arc::clone(&repo);
        let mut f = measure(tasks, per_task, 1, move |x| {
            let r = Arc::clone(&r);
            async move {
                let key = UrlKey::parse(&key_of(x % n).to_lowercase()).expect("key");
                let found = r.find_by_key(&key).await.expect("find");
                assert!(found.is_some());
            }
        })
        .await;
        f.line(&format!("find_by_key, {tasks} task(s)"));
    }
    for (tasks, per_task) in [(1, seq), (16, par)] {
        let r = Arc::clone(&repo);
        let mut f = measure(tasks, per_task, 2, move |x| {
            let r = Arc::clone(&r);
            async move {
                let id = ShareId(first + (x % n) as i64);
                let got = r.reserve_use(id, u32::MAX, None).await.expect("reserve");
                assert_eq!(got, Reservation::Reserved);
            }
        })
        .await;
        f.line(&format!("reserve_use (random share), {tasks} task(s)"));
    }
    for (tasks, per_task) in [(1, seq), (16, par)] {
        let r = Arc::clone(&repo);
        // A seed of its own per round: dedup keys must not repeat across rounds.
        let mut f = measure(tasks, per_task, 3 + tasks as u64 * 100_003, move |x| {
            let r = Arc::clone(&r);
            async move {
                let id = ShareId(first + (x % n) as i64);
                let dedup = format!("session/{x}/file.pdf");
                let got = r
                    .reserve_use(id, u32::MAX, Some(&dedup))
                    .await
                    .expect("reserve");
                assert_eq!(got, Reservation::Reserved);
            }
        })
        .await;
        f.line(&format!("reserve_use + dedup key, {tasks} task(s)"));
    }
    {
        let r = Arc::clone(&repo);
        let hot = ShareId(first);
        let mut f = measure(16, par, 4, move |_| {
            let r = Arc::clone(&r);
            async move {
                r.reserve_use(hot, u32::MAX, None).await.expect("reserve");
            }
        })
        .await;
        f.line("reserve_use (one hot share), 16 tasks");
    }
    store.close().await.expect("close");
}

fn main() {
    let quick = !std::env::args().any(|a| a == "--bench");
    let sizes: Vec<u64> = if quick {
        vec![1_000]
    } else {
        std::env::var("SHARELINK_BENCH_SIZES")
            .unwrap_or_else(|_| "100000,1000000".into())
            .split(',')
            .map(|s| s.trim().parse().expect("size"))
            .collect()
    };
    let rt = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .expect("runtime");
    rt.block_on(async {
        for &n in &sizes {
            let db = TestDatabase::create(TestBackend::Sqlite)
                .await
                .expect("a temporary SQLite file");
            bench("SQLite (file, WAL)", db.url(), n, quick).await;
        }
        if quick {
            return;
        }
        let admin = std::env::var("SHARELINK_BENCH_POSTGRES_URL")
            .or_else(|_| std::env::var("SHARELINK_TEST_POSTGRES_URL"));
        let Ok(admin) = admin else {
            println!("PostgreSQL: SHARELINK_BENCH_POSTGRES_URL not set, skipped");
            return;
        };
        if !cfg!(feature = "postgres") {
            println!("PostgreSQL: build with --features postgres, skipped");
            return;
        }
        for &n in &sizes {
            let db = TestDatabase::create_on(TestBackend::Postgres, &admin)
                .await
                .unwrap_or_else(|e| panic!("a fresh PostgreSQL database: {e}"));
            bench("PostgreSQL", db.url(), n, quick).await;
            // Dropping `db` drops the database.
        }
    });
}
