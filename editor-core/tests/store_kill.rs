//! Crash test of the native store: a child process keeps editing a document and is killed with
//! SIGKILL at random points (while opening, between edits, inside a commit, inside compaction).
//! After every kill the file must pass `PRAGMA integrity_check` and hold every edit the child
//! reported as committed, i.e. every edit whose `append_update` had returned.
//!
//! The child is this test binary run again with `--exact child_writer --ignored`; it reports on
//! stdout, one line per step. `STORE_KILL_SEED` replays a failing run.
#![cfg(unix)]

use std::collections::BTreeSet;
use std::io::{BufRead, BufReader, Read, Write};
use std::path::Path;
use std::process::{Child, Command as Process, Stdio};
use std::time::{Duration, Instant};

use editor_core::store::{SqliteStore, Store, open_document};
use editor_core::{Command, Document, Layer, LayerId, Rect};

const DB_ENV: &str = "CREATIVEFLOW_STORE_KILL_DB";
const START_ENV: &str = "CREATIVEFLOW_STORE_KILL_START";
const SEED_ENV: &str = "STORE_KILL_SEED";
const DOC: &str = "kill-test";
const ROUNDS: u64 = 100;
/// Each child numbers its edits from `round * EDITS_PER_ROUND`, so no two edits share an id.
const EDITS_PER_ROUND: u64 = 1_000_000;
const COMPACT_EVERY: u64 = 10;

type TestResult<T = ()> = Result<T, Box<dyn std::error::Error>>;

/// The writer. Does nothing unless started by the test below.
#[test]
#[ignore = "child process of store_keeps_every_committed_edit_across_kills"]
fn child_writer() -> TestResult {
    let Ok(path) = std::env::var(DB_ENV) else {
        return Ok(());
    };
    let start: u64 = std::env::var(START_ENV)?.parse()?;
    let store = SqliteStore::open(&path)?;
    let mut doc = open_document(&store, DOC, None)?.unwrap_or_default();
    let mut out = std::io::stdout().lock();
    let mut report = |line: &str| -> std::io::Result<()> {
        writeln!(out, "{line}")?;
        out.flush()
    };
    report("opened")?;
    for n in start..start + EDITS_PER_ROUND {
        let layer =
            Layer::text(LayerId::parse(&format!("edit-{n}"))?, &format!("edit {n}"), Rect::new(0.0, 0.0, 100.0, 50.0));
        let change = doc.apply(Command::AddLayer { layer })?;
        let seq = store.append_update(DOC, &change.update, true)?;
        report(&format!("committed {n}"))?;
        if (n + 1).is_multiple_of(COMPACT_EVERY) {
            report("compacting")?;
            store.compact(DOC, &doc.encode_state_v2(), &doc.state_vector_v1(), seq)?;
            report("compacted")?;
        }
    }
    Ok(())
}

/// The acceptance test: at least 50 kills, nothing committed is ever lost.
#[test]
fn store_keeps_every_committed_edit_across_kills() -> TestResult {
    let seed = std::env::var(SEED_ENV).ok().and_then(|s| s.parse().ok()).unwrap_or(0x9e37_79b9_7f4a_7c15_u64);
    let mut rng = XorShift(seed | 1);
    let dir = tempfile::tempdir()?;
    let path = dir.path().join("kill.db");
    let exe = std::env::current_exe()?;
    let began = Instant::now();

    let mut committed = BTreeSet::new();
    // Highest edit each round may have written: the reported ones plus one in flight.
    let mut attempted_below = Vec::new();
    let mut tally = Tally::default();

    for round in 0..ROUNDS {
        let start = round * EDITS_PER_ROUND;
        let mut child = Process::new(&exe)
            .args(["--exact", "child_writer", "--nocapture", "--ignored", "--quiet"])
            .env(DB_ENV, &path)
            .env(START_ENV, start.to_string())
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()?;
        let mut lines = BufReader::new(child.stdout.take().ok_or("no stdout pipe")?);
        let mut log = Vec::new();

        // Where to strike: during start-up, right after a compaction began, or after some edits.
        let plan = rng.below(8);
        let (wait_for, count) = match plan {
            0 => ("", 0),
            1 | 2 => ("compacting", 1 + rng.below(2)),
            _ => ("committed", rng.below(25)),
        };
        let delay = Duration::from_micros(if plan == 0 { rng.below(8_000) } else { rng.below(3_000) });
        let mut seen = 0;
        while seen < count {
            let line = read_line(&mut lines).unwrap_or_else(|| child_failed(&mut child, &log));
            seen += u64::from(line.starts_with(wait_for));
            log.push(line);
        }
        std::thread::sleep(delay);
        child.kill()?;
        let status = child.wait()?;
        assert!(!status.success(), "round {round}: the child ended on its own: {status}");
        while let Some(line) = read_line(&mut lines) {
            log.push(line);
        }

        let mut last = None;
        for line in &log {
            if let Some(n) = line.strip_prefix("committed ") {
                let n: u64 = n.parse()?;
                committed.insert(n);
                last = Some(n);
            }
        }
        attempted_below.push(last.map_or(start + 1, |n| n + 2));
        tally.record(&log);

        verify(&path, &committed, &attempted_below, round, seed)?;
    }

    let elapsed = began.elapsed();
    println!(
        "{ROUNDS} kills in {elapsed:.1?}: {} committed edits; killed {} times before the first \
         edit, {} times inside compaction, {} times between or inside edits (seed {seed})",
        committed.len(),
        tally.before_open + tally.after_open,
        tally.compacting,
        tally.editing,
    );
    assert!(tally.compacting > 0, "no kill landed inside compaction; adjust the plan");
    Ok(())
}

fn verify(path: &Path, committed: &BTreeSet<u64>, attempted_below: &[u64], round: u64, seed: u64) -> TestResult {
    let context = format!("round {round} (seed {seed})");
    {
        // A plain connection, first to touch the file after the kill: it replays the WAL.
        let conn = rusqlite::Connection::open(path)?;
        let check: Vec<String> =
            conn.prepare("PRAGMA integrity_check")?.query_map([], |row| row.get(0))?.collect::<Result<_, _>>()?;
        assert_eq!(check, vec!["ok".to_owned()], "{context}: integrity_check");
        let fk_violations = conn.prepare("PRAGMA foreign_key_check")?.query_map([], |_| Ok(()))?.count();
        assert_eq!(fk_violations, 0, "{context}: foreign_key_check");
    }

    let store = SqliteStore::open(path)?;
    let Some(doc) = open_document(&store, DOC, None)? else {
        assert!(committed.is_empty(), "{context}: the document is gone");
        return Ok(());
    };
    let present: BTreeSet<u64> = doc.design().layers.iter().map(|layer| edit_number(layer.id.as_str())).collect();
    let missing: Vec<_> = committed.difference(&present).collect();
    assert!(missing.is_empty(), "{context}: committed edits lost: {missing:?}");
    for n in &present {
        let round = usize::try_from(n / EDITS_PER_ROUND)?;
        assert!(*n < attempted_below[round], "{context}: edit {n} was never written");
    }

    // Nothing was acknowledged, so the outbox holds every edit, compactions notwithstanding.
    let outbox: Vec<Vec<u8>> = store.outbox(DOC)?.into_iter().map(|entry| entry.update_v1).collect();
    assert_eq!(outbox.len(), present.len(), "{context}: one outbox entry per edit");
    let from_outbox = Document::load(None, None, &outbox)?;
    let resent: BTreeSet<u64> =
        from_outbox.design().layers.iter().map(|layer| edit_number(layer.id.as_str())).collect();
    assert_eq!(resent, present, "{context}: the outbox alone rebuilds every edit");
    Ok(())
}

fn edit_number(id: &str) -> u64 {
    id.strip_prefix("edit-").and_then(|n| n.parse().ok()).unwrap_or_else(|| panic!("unexpected layer {id}"))
}

/// One complete line from the child; a line cut short by the kill does not count.
fn read_line(reader: &mut impl BufRead) -> Option<String> {
    let mut line = String::new();
    match reader.read_line(&mut line) {
        Ok(0) | Err(_) => None,
        Ok(_) => line.strip_suffix('\n').map(str::to_owned),
    }
}

fn child_failed(child: &mut Child, log: &[String]) -> ! {
    let status = child.wait();
    let mut stderr = String::new();
    if let Some(mut pipe) = child.stderr.take() {
        let _ = pipe.read_to_string(&mut stderr);
    }
    panic!("child writer stopped by itself ({status:?}) after {log:?}\nstderr:\n{stderr}");
}

/// Where the kills landed, judged by the child's last line.
#[derive(Default)]
struct Tally {
    before_open: u32,
    after_open: u32,
    compacting: u32,
    editing: u32,
}

impl Tally {
    fn record(&mut self, log: &[String]) {
        let last = log
            .iter()
            .rev()
            .find(|line| line.starts_with("committed") || line.starts_with("compact") || *line == "opened");
        match last.map(String::as_str) {
            None => self.before_open += 1,
            Some("opened") => self.after_open += 1,
            Some("compacting") => self.compacting += 1,
            Some(_) => self.editing += 1,
        }
    }
}

/// xorshift64: enough randomness for kill timing, and reproducible from a seed.
struct XorShift(u64);

impl XorShift {
    fn below(&mut self, bound: u64) -> u64 {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        self.0 % bound.max(1)
    }
}
