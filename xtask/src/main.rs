//! `cargo xtask`: build orchestration for CreativeFlow.
//!
//! - `cargo xtask serve` — builds and starts the server (http://127.0.0.1:8080 by default).
//! - `cargo xtask web` — builds the web app bundle (wasm32 + wasm-bindgen, hashed assets with
//!   gzip twins, template thumbnails) into `$CARGO_TARGET_DIR/web`.
//! - `cargo xtask test` — the whole suite: formatting, lints (warnings denied), the wasm32 build
//!   of editor-core, every workspace test, and a compile check of the fuzz targets. Lanes that
//!   need a server (PostgreSQL, Redis) run when their URLs are set; under `CI=true` the local
//!   defaults are used. The lanes left out are listed at the end.
//! - `cargo xtask bench [server|relay]` — the criterion benchmarks, the REST API load test and
//!   the relay benchmark (`server` or `relay`: only that one).
//! - `cargo xtask golden` — re-creates the golden reference images of the renderer.
//! - `cargo xtask fuzz <target> [seconds]` — runs a cargo-fuzz target (nightly).

use std::env;
use std::path::{Path, PathBuf};
use std::process::{Command, ExitCode};
use std::time::Instant;

use anyhow::{Context, Result, bail};

const WASM_TARGET: &str = "wasm32-unknown-unknown";
const CI_POSTGRES_URL: &str = "postgres://postgres@127.0.0.1:5432/test";
const CI_REDIS_URL: &str = "redis://127.0.0.1:6379";

fn main() -> ExitCode {
    let args: Vec<String> = env::args().skip(1).collect();
    let result = match args.first().map(String::as_str) {
        Some("test") => test(),
        Some("bench") => bench(&args[1..]),
        Some("fuzz") => fuzz(&args[1..]),
        Some("golden") => golden(),
        Some("contact-sheet") => contact_sheet(),
        Some("serve") => serve(&args[1..]),
        Some("web") => web().map(|_| ()),
        _ => {
            eprintln!(
                "usage: cargo xtask <serve [SERVER FLAGS]|web|test|bench [server|relay|gen|generation|web]|golden|contact-sheet|fuzz TARGET [SECONDS]>"
            );
            return ExitCode::from(2);
        }
    };
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("xtask: {e:#}");
            ExitCode::FAILURE
        }
    }
}

fn root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).parent().map(Path::to_path_buf).unwrap_or_else(|| PathBuf::from("."))
}

fn cargo() -> Command {
    let mut cmd = Command::new(env::var("CARGO").unwrap_or_else(|_| "cargo".into()));
    cmd.current_dir(root());
    cmd
}

fn run(step: &str, cmd: &mut Command) -> Result<()> {
    let started = Instant::now();
    eprintln!("\n==> {step}");
    let status = cmd.status().with_context(|| format!("could not start: {cmd:?}"))?;
    eprintln!("<== {step}: {:.1} s", started.elapsed().as_secs_f64());
    if !status.success() {
        bail!("step failed: {step} ({status})");
    }
    Ok(())
}

fn is_ci() -> bool {
    env::var("CI").is_ok_and(|v| v == "true" || v == "1")
}

fn ensure_wasm_target() -> Result<()> {
    let out = Command::new("rustup").args(["target", "list", "--installed"]).output();
    match out {
        Ok(out) if String::from_utf8_lossy(&out.stdout).lines().any(|l| l.trim() == WASM_TARGET) => Ok(()),
        Ok(_) => {
            run("rustup target add wasm32-unknown-unknown", Command::new("rustup").args(["target", "add", WASM_TARGET]))
        }
        Err(e) => bail!("rustup is needed to add the {WASM_TARGET} target: {e}"),
    }
}

fn test() -> Result<()> {
    let started = Instant::now();
    let ci = is_ci();
    let mut lanes_off: Vec<String> = Vec::new();
    let postgres = env::var("TEST_DATABASE_URL").ok().or_else(|| ci.then(|| CI_POSTGRES_URL.to_owned()));
    let redis = env::var("TEST_REDIS_URL").ok().or_else(|| ci.then(|| CI_REDIS_URL.to_owned()));
    if postgres.is_none() {
        lanes_off.push("PostgreSQL (set TEST_DATABASE_URL, or CI=true for postgres://127.0.0.1:5432/test)".into());
    }
    if redis.is_none() {
        lanes_off.push("Redis (set TEST_REDIS_URL, or CI=true for redis://127.0.0.1:6379)".into());
    }

    ensure_system_packages()?;
    run("cargo fmt --check", cargo().args(["fmt", "--all", "--", "--check"]))?;
    run(
        "cargo clippy (warnings denied)",
        cargo().args(["clippy", "--workspace", "--all-targets", "--locked", "--", "-D", "warnings"]),
    )?;
    run(
        "cargo clippy render with the GPU canvas (warnings denied)",
        cargo().args([
            "clippy",
            "--locked",
            "-p",
            "render",
            "--features",
            "gpu",
            "--all-targets",
            "--",
            "-D",
            "warnings",
        ]),
    )?;
    ensure_wasm_target()?;
    run(
        "editor-core for wasm32-unknown-unknown",
        cargo().args(["build", "--locked", "-p", "editor-core", "--target", WASM_TARGET]),
    )?;

    if !ensure_node_packages()? {
        lanes_off.push("Yjs interop with npm clients (node and npm are missing: apt-get install nodejs npm)".into());
    }

    let mut tests = cargo();
    tests.args(["test", "--workspace", "--locked"]);
    if let Some(url) = &postgres {
        tests.env("TEST_DATABASE_URL", url);
    }
    if let Some(url) = &redis {
        tests.env("TEST_REDIS_URL", url);
    }
    let mut counts = run_counting_tests("cargo test --workspace", &mut tests)?;

    // The GPU canvas is behind a feature (export-only crates never link wgpu); its tests run
    // headless on Mesa's software Vulkan (lavapipe) and compare with the CPU reference.
    let mut gpu_tests = cargo();
    gpu_tests.args(["test", "--locked", "-p", "render", "--features", "gpu", "--test", "gpu"]);
    if env::var_os("XDG_RUNTIME_DIR").is_none() {
        // Mesa's EGL probe complains on every adapter request without one.
        let dir = env::temp_dir().join("creativeflow-xdg-runtime");
        std::fs::create_dir_all(&dir)?;
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt;
            std::fs::set_permissions(&dir, std::fs::Permissions::from_mode(0o700))?;
        }
        gpu_tests.env("XDG_RUNTIME_DIR", dir);
    }
    let gpu = run_counting_tests("render GPU canvas on lavapipe (feature gpu)", &mut gpu_tests)?;
    counts.add(&gpu);

    counts.add(&schemathesis()?);
    counts.add(&browser_tests()?);

    // The fuzz targets live outside the workspace (cargo-fuzz needs nightly to run them);
    // a stable compile check keeps them from rotting.
    let fuzz_manifest = root().join("fuzz/Cargo.toml");
    if fuzz_manifest.exists() {
        let mut check = cargo();
        check.args(["check", "--manifest-path"]).arg(&fuzz_manifest).arg("--bins");
        if let Ok(target) = env::var("CARGO_TARGET_DIR") {
            check.env("CARGO_TARGET_DIR", Path::new(&target).join("fuzz"));
        }
        run("fuzz targets compile", &mut check)?;
    }

    eprintln!("\nxtask test: all steps passed in {:.1} min", started.elapsed().as_secs_f64() / 60.0);
    if lanes_off.is_empty() {
        eprintln!("lanes: all on (PostgreSQL storage tests ran; no test needs Redis yet)");
    } else {
        eprintln!("lanes left out (their tests ran and said `skipped`):");
        for lane in lanes_off {
            eprintln!("  - {lane}");
        }
    }
    // The closing line CI reads: the totals over every test binary and doc-test run.
    println!("tests: {} passed, {} failed, {} skipped", counts.passed, counts.failed, counts.ignored);
    Ok(())
}

/// The cargo target directory.
fn target_dir() -> PathBuf {
    env::var("CARGO_TARGET_DIR").map(PathBuf::from).unwrap_or_else(|_| root().join("target"))
}

/// Pinned so that CI runs are repeatable.
const SCHEMATHESIS: &str = "schemathesis==4.32.5";

/// Schemathesis (from PyPI, in a virtual environment kept in the target directory) against the
/// real server's OpenAPI document: no 5xx and no response that breaks its schema. The example
/// budget is small (`SCHEMATHESIS_MAX_EXAMPLES`, default 10 per operation).
fn schemathesis() -> Result<Counts> {
    let venv = target_dir().join("tools").join(SCHEMATHESIS.replace("==", "-"));
    let python = venv.join("bin").join("python");
    if !venv.join("bin").join("schemathesis").is_file() {
        if !which("python3") {
            bail!("the API fuzzing lane needs python3 with venv and pip (Debian: apt-get install python3-venv)");
        }
        run("python3 -m venv (schemathesis)", Command::new("python3").args(["-m", "venv"]).arg(&venv))?;
        run(
            &format!("pip install {SCHEMATHESIS}"),
            Command::new(venv.join("bin").join("pip")).args(["install", "--quiet", SCHEMATHESIS]),
        )?;
    }
    // `cargo test --workspace` has just built the binary (its integration tests run it); a
    // separate `cargo build` would rebuild it with other features for a minute.
    let binary = target_dir().join("debug").join("sync-server");
    if !binary.is_file() {
        run("build sync-server", cargo().args(["build", "--locked", "-p", "sync-server"]))?;
    }
    let examples = env::var("SCHEMATHESIS_MAX_EXAMPLES").unwrap_or_else(|_| "10".into());
    let mut cmd = Command::new(python);
    cmd.current_dir(root()).arg("sync-server/tests/schemathesis/run.py").arg(&binary).arg(examples);
    match run("schemathesis against /api/openapi.json", &mut cmd) {
        Ok(()) => Ok(Counts { passed: 1, ..Counts::default() }),
        Err(e) => {
            println!("tests: 0 passed, 1 failed, 0 skipped");
            Err(e)
        }
    }
}

#[derive(Default)]
struct Counts {
    passed: u64,
    failed: u64,
    ignored: u64,
}

impl Counts {
    fn add(&mut self, other: &Counts) {
        self.passed += other.passed;
        self.failed += other.failed;
        self.ignored += other.ignored;
    }
}

/// System tools the tests use: poppler-utils (PDF checks) and Mesa's software Vulkan driver
/// (the GPU canvas test). Installed with apt-get when missing and we are root; otherwise the
/// error says exactly what to install.
fn ensure_system_packages() -> Result<()> {
    let have_poppler = ["pdftotext", "pdffonts", "pdfinfo", "pdftoppm"].iter().all(|t| which(t));
    let have_lavapipe = std::fs::read_dir("/usr/share/vulkan/icd.d")
        .map(|d| d.flatten().any(|e| e.file_name().to_string_lossy().starts_with("lvp_icd")))
        .unwrap_or(false)
        && [
            "/usr/lib/x86_64-linux-gnu/libvulkan.so.1",
            "/usr/lib/aarch64-linux-gnu/libvulkan.so.1",
            "/usr/lib/libvulkan.so.1",
        ]
        .iter()
        .any(|p| Path::new(p).exists());
    let mut missing = Vec::new();
    if !have_poppler {
        missing.push("poppler-utils");
    }
    if !have_lavapipe {
        missing.extend(["mesa-vulkan-drivers", "libvulkan1"]);
    }
    if missing.is_empty() {
        return Ok(());
    }
    let root = Command::new("id").arg("-u").output().map(|o| o.stdout.trim_ascii() == b"0").unwrap_or(false);
    if !root || !which("apt-get") {
        bail!(
            "the tests need these Debian packages: {} (install them with `sudo apt-get install -y {}`)",
            missing.join(", "),
            missing.join(" ")
        );
    }
    run("apt-get update", Command::new("apt-get").args(["update", "-qq"]))?;
    run(
        &format!("apt-get install {}", missing.join(" ")),
        Command::new("apt-get")
            .args(["install", "-y", "-qq", "--no-install-recommends"])
            .args(&missing)
            .env("DEBIAN_FRONTEND", "noninteractive"),
    )
}

/// Installs the npm packages of the Yjs interop test (`tests/interop`, pinned by its lockfile)
/// unless they are installed already; false when node or npm is missing (under CI: an error).
fn ensure_node_packages() -> Result<bool> {
    if !which("node") || !which("npm") {
        if is_ci() {
            bail!("the Yjs interop test needs node and npm (Debian: apt-get install nodejs npm)");
        }
        return Ok(false);
    }
    npm_ci(&root().join("tests/interop"), "yjs and y-websocket for the interop test")?;
    Ok(true)
}

/// The browser end-to-end lane (`tests/e2e`): builds the web bundle, makes sure Debian's
/// Chromium and the pinned npm packages (playwright-core, axe-core) are there, and runs the
/// node test files against the real server binary. Screenshots land in
/// `target/e2e-screenshots/`.
fn browser_tests() -> Result<Counts> {
    let web_dir = web()?;
    let chromium = env::var("CHROMIUM").unwrap_or_else(|_| "/usr/bin/chromium".into());
    if !Path::new(&chromium).is_file() {
        let root_user = Command::new("id").arg("-u").output().map(|o| o.stdout.trim_ascii() == b"0").unwrap_or(false);
        if !root_user || !which("apt-get") {
            bail!(
                "the browser tests need Chromium (Debian: sudo apt-get install -y chromium), or CHROMIUM=/path/to/chrome"
            );
        }
        run("apt-get update", Command::new("apt-get").args(["update", "-qq"]))?;
        run(
            "apt-get install chromium",
            Command::new("apt-get")
                .args(["install", "-y", "-qq", "--no-install-recommends", "chromium"])
                .env("DEBIAN_FRONTEND", "noninteractive"),
        )?;
    }
    if !which("node") || !which("npm") {
        bail!("the browser tests need node and npm (Debian: apt-get install nodejs npm)");
    }
    let dir = root().join("tests/e2e");
    npm_ci(&dir, "playwright-core and axe-core for the browser tests")?;
    let binary = target_dir().join("debug").join("sync-server");
    if !binary.is_file() {
        run("build sync-server", cargo().args(["build", "--locked", "-p", "sync-server"]))?;
    }
    let tap = target_dir().join("e2e.tap");
    let mut cmd = Command::new("node");
    cmd.current_dir(&dir)
        .args(["--test", "--test-concurrency=1", "--test-reporter=spec", "--test-reporter-destination=stdout"])
        .args(["--test-reporter=tap", "--test-reporter-destination"])
        .arg(&tap)
        .env("SYNC_SERVER_BIN", &binary)
        .env("WEB_DIR", &web_dir)
        .env("CHROMIUM", &chromium)
        .env("SCREENSHOT_DIR", root().join("target").join("e2e-screenshots"));
    let files: Vec<String> = std::fs::read_dir(&dir)?
        .flatten()
        .map(|e| e.file_name().to_string_lossy().into_owned())
        .filter(|n| n.ends_with(".test.mjs"))
        .collect();
    let mut files = files;
    files.sort();
    cmd.args(&files);
    let outcome = run("browser end-to-end tests (playwright-core + Chromium, axe-core)", &mut cmd);
    let text = std::fs::read_to_string(&tap).unwrap_or_default();
    let count = |key: &str| {
        text.lines().find_map(|l| l.strip_prefix(&format!("# {key} "))?.trim().parse::<u64>().ok()).unwrap_or(0)
    };
    let counts = Counts { passed: count("pass"), failed: count("fail"), ignored: count("skipped") + count("todo") };
    eprintln!("screenshots: {}", root().join("target").join("e2e-screenshots").display());
    if let Err(e) = outcome {
        println!("tests: {} passed, {} failed, {} skipped", counts.passed, counts.failed.max(1), counts.ignored);
        return Err(e);
    }
    Ok(counts)
}

/// `npm ci` in `dir` unless its lockfile is already installed.
fn npm_ci(dir: &Path, what: &str) -> Result<()> {
    let lock = dir.join("package-lock.json");
    let installed = dir.join("node_modules/.package-lock.json");
    let fresh = match (
        std::fs::metadata(&lock).and_then(|m| m.modified()),
        std::fs::metadata(&installed).and_then(|m| m.modified()),
    ) {
        (Ok(lock), Ok(installed)) => installed >= lock,
        _ => false,
    };
    if !fresh {
        run(
            &format!("npm ci ({what})"),
            Command::new("npm").args(["ci", "--no-audit", "--no-fund", "--prefix"]).arg(dir),
        )?;
    }
    Ok(())
}

fn which(tool: &str) -> bool {
    env::var_os("PATH").is_some_and(|paths| env::split_paths(&paths).any(|dir| dir.join(tool).is_file()))
}

/// Builds and starts the server with its embedded defaults (SQLite in ./data, 127.0.0.1:8080);
/// extra arguments go to the server (`cargo xtask serve --bind 127.0.0.1:9000`).
fn serve(args: &[String]) -> Result<()> {
    let web_dir = web()?;
    run("build sync-server", cargo().args(["build", "-p", "sync-server"]))?;
    let binary = target_dir().join("debug").join("sync-server");
    eprintln!("\nCreativeFlow: starting the server (Ctrl-C stops it); it prints the URL to open");
    let status = Command::new(&binary)
        .current_dir(root())
        .arg("--web-dir")
        .arg(&web_dir)
        .args(args)
        .status()
        .with_context(|| format!("could not start {}", binary.display()))?;
    if !status.success() {
        bail!("the server exited with {status}");
    }
    Ok(())
}

fn golden() -> Result<()> {
    run(
        "re-create golden images (render/tests/golden)",
        cargo().args(["test", "-p", "render", "--test", "golden"]).env("UPDATE_GOLDENS", "1"),
    )?;
    eprintln!("golden references written to render/tests/golden/; look at the changed PNGs before committing them");
    Ok(())
}

/// Writes contact sheets of the generator's samples and of the template library under
/// `target/contact-sheet/` (in the repository, whatever `CARGO_TARGET_DIR` says) for people to
/// look at.
fn contact_sheet() -> Result<()> {
    let dir = root().join("target").join("contact-sheet");
    for mode in ["samples", "templates"] {
        let out = dir.join(format!("{mode}.png"));
        run(
            &format!("contact sheet of the {mode}"),
            cargo().args(["run", "--release", "-p", "gen-worker", "--example", "contact_sheet", "--", mode]).arg(&out),
        )?;
    }
    eprintln!("contact sheets: {}/samples.png and templates.png (rows named in the .txt files)", dir.display());
    Ok(())
}

/// Runs a `cargo test` command, echoing its output, and adds up its `test result:` lines.
fn run_counting_tests(step: &str, cmd: &mut Command) -> Result<Counts> {
    use std::io::{BufRead, BufReader};
    let started = Instant::now();
    eprintln!("\n==> {step}");
    let mut child =
        cmd.stdout(std::process::Stdio::piped()).spawn().with_context(|| format!("could not start: {cmd:?}"))?;
    let mut counts = Counts::default();
    if let Some(out) = child.stdout.take() {
        for line in BufReader::new(out).lines() {
            let line = line?;
            println!("{line}");
            if let Some(rest) = line.trim().strip_prefix("test result: ") {
                for part in rest.split([';', '.']) {
                    let mut words = part.split_whitespace();
                    if let (Some(n), Some(what)) = (words.next().and_then(|n| n.parse::<u64>().ok()), words.next()) {
                        match what {
                            "passed" => counts.passed += n,
                            "failed" => counts.failed += n,
                            "ignored" => counts.ignored += n,
                            _ => {}
                        }
                    }
                }
            }
        }
    }
    let status = child.wait()?;
    eprintln!("<== {step}: {:.1} s", started.elapsed().as_secs_f64());
    if !status.success() {
        println!("tests: {} passed, {} failed, {} skipped", counts.passed, counts.failed, counts.ignored);
        bail!("step failed: {step} ({status})");
    }
    Ok(counts)
}

/// `cargo xtask bench [criterion args]` runs every benchmark; `cargo xtask bench server` only the
/// REST API load test (the release server binary driven by oha, on SQLite and PostgreSQL).
fn bench(args: &[String]) -> Result<()> {
    match args.first().map(String::as_str) {
        Some("server") => return bench_server(),
        Some("relay") => return bench_relay(),
        Some("gen") => return bench_gen(),
        Some("generation") => return bench_generation(),
        Some("web") => return bench_web(),
        _ => {}
    }
    let mut cmd = cargo();
    cmd.args(["bench", "-p", "editor-core", "-p", "render"]);
    if !args.is_empty() {
        cmd.arg("--").args(args);
    }
    run("criterion benches (editor-core, render)", &mut cmd)?;
    bench_gen()?;
    bench_generation()?;
    bench_server()?;
    bench_relay()?;
    bench_web()
}

/// The web app: bundle size (gzipped wasm, first load) and the dashboard's Largest Contentful
/// Paint in headless Chromium with 4× CPU throttling, against the release server.
fn bench_web() -> Result<()> {
    let web_dir = web()?;
    run("build the release server", cargo().args(["build", "--release", "--locked", "-p", "sync-server"]))?;
    let dir = root().join("tests/e2e");
    npm_ci(&dir, "playwright-core and axe-core")?;
    let mut cmd = Command::new("node");
    cmd.current_dir(&dir)
        .arg("bench/lcp.mjs")
        .env("SYNC_SERVER_BIN", target_dir().join("release").join("sync-server"))
        .env("WEB_DIR", &web_dir);
    run("dashboard LCP with 4x CPU throttling (headless Chromium)", &mut cmd)
}

/// The generation service end to end: previews, a 4K final and throughput with the embedded
/// worker on this machine's cores.
fn bench_generation() -> Result<()> {
    run(
        "generation service (four previews end to end, 4K final, preview sets per minute)",
        cargo().args(["bench", "-p", "sync-server", "--bench", "generation"]),
    )
}

/// The generation benchmark, pinned to one CPU (the goal is per core) when `taskset` exists.
fn bench_gen() -> Result<()> {
    run(
        "build the generation benchmark",
        cargo().args(["bench", "-p", "gen-worker", "--bench", "generate", "--no-run"]),
    )?;
    let cargo_bin = env::var("CARGO").unwrap_or_else(|_| "cargo".into());
    let mut cmd = if which("taskset") {
        let mut c = Command::new("taskset");
        c.args(["-c", "0"]).arg(cargo_bin);
        c
    } else {
        eprintln!("taskset not found: the generation benchmark runs unpinned");
        Command::new(cargo_bin)
    };
    cmd.current_dir(root()).args(["bench", "-p", "gen-worker", "--bench", "generate"]);
    run("generation: synthesis + previews, magic resize (one CPU)", &mut cmd)
}

/// The relay benchmark: fan-out, durable-ack latency, 5 MB sync, memory per idle connection.
fn bench_relay() -> Result<()> {
    run(
        "document relay (fan-out, acknowledgement latency, cold sync, idle memory)",
        cargo().args(["bench", "-p", "sync-server", "--bench", "relay"]),
    )
}

/// The load generator, pinned; installed into the target directory when missing.
const OHA_VERSION: &str = "1.16.0";

fn bench_server() -> Result<()> {
    let tools = target_dir().join("tools");
    let oha = tools.join("bin").join("oha");
    if !oha.is_file() && !which("oha") {
        run(
            &format!("cargo install oha {OHA_VERSION} (load generator)"),
            cargo().args(["install", "oha", "--locked", "--version", OHA_VERSION, "--root"]).arg(&tools),
        )?;
    }
    let mut cmd = cargo();
    cmd.args(["bench", "-p", "sync-server", "--bench", "api"]);
    if oha.is_file() {
        cmd.env("OHA", &oha);
    }
    run("REST API load (oha against the release server)", &mut cmd)
}

fn fuzz(args: &[String]) -> Result<()> {
    let Some(target) = args.first() else {
        bail!("usage: cargo xtask fuzz <frame_decoder|design_file|document_update|svg_import|relay_room> [seconds]")
    };
    let seconds = args.get(1).map(String::as_str).unwrap_or("600");
    let seeds = root().join("fuzz/seeds").join(target);
    let corpus = root().join("fuzz/corpus").join(target);
    std::fs::create_dir_all(&corpus)?;
    // The rustup proxy, not $CARGO, so that `+nightly` selects the toolchain.
    let mut cmd = Command::new("cargo");
    cmd.current_dir(root().join("fuzz"))
        .args(["+nightly", "fuzz", "run", target])
        .arg(&corpus)
        .args(seeds.exists().then_some(&seeds))
        .arg("--")
        .arg(format!("-max_total_time={seconds}"));
    run(&format!("fuzz {target} for {seconds} s"), &mut cmd)
}

/// The wasm-bindgen version xtask links (`wasm-bindgen-cli-support`, pinned in xtask/Cargo.toml).
const WASM_BINDGEN_VERSION: &str = "0.2.130";

/// Builds the web app into `$CARGO_TARGET_DIR/web`: the app for wasm32 (profile
/// `wasm-release`), wasm-bindgen's JS glue, content-hashed file names under `assets/` with gzip
/// twins, `index.html`, and the template thumbnails under `templates/`. Answers the folder.
fn web() -> Result<PathBuf> {
    ensure_wasm_target()?;
    let lock = std::fs::read_to_string(root().join("Cargo.lock")).context("reading Cargo.lock")?;
    let locked = lock
        .split("[[package]]")
        .find(|p| p.contains("\nname = \"wasm-bindgen\"\n"))
        .and_then(|p| p.lines().find_map(|l| l.strip_prefix("version = \"")?.strip_suffix('"').map(str::to_owned)));
    if locked.as_deref() != Some(WASM_BINDGEN_VERSION) {
        bail!(
            "Cargo.lock has wasm-bindgen {locked:?} but xtask's wasm-bindgen-cli-support is {WASM_BINDGEN_VERSION}: \
             pin both to one version (app/Cargo.toml and xtask/Cargo.toml)"
        );
    }
    run(
        "build the web app (wasm32, profile wasm-release)",
        cargo().args([
            "build",
            "--locked",
            "-p",
            "app",
            "--bin",
            "app",
            "--target",
            WASM_TARGET,
            "--profile",
            "wasm-release",
        ]),
    )?;
    let wasm = target_dir().join(WASM_TARGET).join("wasm-release").join("app.wasm");
    let out = target_dir().join("web");
    let glue = target_dir().join("web-bindgen");
    for dir in [&out, &glue] {
        if dir.exists() {
            std::fs::remove_dir_all(dir).with_context(|| format!("clearing {}", dir.display()))?;
        }
    }
    std::fs::create_dir_all(out.join("assets"))?;
    let started = Instant::now();
    wasm_bindgen_cli_support::Bindgen::new()
        .input_path(&wasm)
        .out_name("app")
        .web(true)
        .map_err(|e| anyhow::anyhow!("wasm-bindgen: {e}"))?
        .typescript(false)
        .generate(&glue)
        .map_err(|e| anyhow::anyhow!("wasm-bindgen: {e}"))?;
    eprintln!("wasm-bindgen: {:.1} s", started.elapsed().as_secs_f64());

    let mut css = std::fs::read_to_string(root().join("app/web/style.css"))?;
    let screens = root().join("app/web/screens");
    if let Ok(entries) = std::fs::read_dir(&screens) {
        let mut files: Vec<PathBuf> =
            entries.flatten().map(|e| e.path()).filter(|p| p.extension().is_some_and(|e| e == "css")).collect();
        files.sort();
        for f in files {
            css.push_str(&format!("\n/* {} */\n", f.file_name().unwrap_or_default().to_string_lossy()));
            css.push_str(&std::fs::read_to_string(&f)?);
        }
    }
    std::fs::write(glue.join("style.css"), &css)?;
    std::fs::write(
        glue.join("boot.js"),
        "import init from \"./app.js\";\ninit({ module_or_path: new URL(\"./app_bg.wasm\", import.meta.url) });\n",
    )?;
    // Everything goes under one folder named by the hash of its contents (wasm-bindgen's JS
    // imports its snippets by relative paths), so every file can be cached for a year.
    let mut files = Vec::new();
    collect_files(&glue, &glue, &mut files)?;
    files.sort();
    let mut all = Vec::new();
    for rel in &files {
        all.extend_from_slice(rel.to_string_lossy().as_bytes());
        all.extend_from_slice(&std::fs::read(glue.join(rel))?);
    }
    let bundle = hashed("b", "", &all).trim_end_matches('.').to_owned();
    let assets = out.join("assets").join(&bundle);
    let mut first_load_gz = 0usize;
    let mut wasm_size = (0usize, 0usize);
    for rel in &files {
        let bytes = std::fs::read(glue.join(rel))?;
        let dest = assets.join(rel);
        if let Some(parent) = dest.parent() {
            std::fs::create_dir_all(parent)?;
        }
        std::fs::write(&dest, &bytes)?;
        let gz = gzip(&bytes)?;
        first_load_gz += gz.len();
        if rel.as_os_str() == "app_bg.wasm" {
            wasm_size = (bytes.len(), gz.len());
        }
        let mut gz_name = dest.clone().into_os_string();
        gz_name.push(".gz");
        std::fs::write(gz_name, &gz)?;
        eprintln!("  assets/{bundle}/{}: {} bytes, {} gzipped", rel.display(), bytes.len(), gz.len());
    }
    let index = std::fs::read_to_string(root().join("app/web/index.html"))?.replace("{{BUNDLE}}", &bundle);
    std::fs::write(out.join("index.html"), index)?;
    let sizes = format!(
        "{{\"wasm_bytes\": {}, \"wasm_gzip_bytes\": {}, \"first_load_gzip_bytes\": {first_load_gz}}}\n",
        wasm_size.0, wasm_size.1
    );
    std::fs::write(out.join("sizes.json"), &sizes)?;
    eprintln!(
        "web bundle: {} (wasm {:.2} MB gzipped; first load {:.2} MB gzipped)",
        out.display(),
        wasm_size.1 as f64 / 1e6,
        first_load_gz as f64 / 1e6
    );

    let example = root().join("gen-worker/examples/template_thumbnails.rs");
    if example.exists() {
        run(
            "template thumbnails",
            cargo()
                .args(["run", "--locked", "-p", "gen-worker", "--example", "template_thumbnails", "--"])
                .arg(out.join("templates")),
        )?;
    }
    Ok(out)
}

/// Every file under `dir`, as paths relative to `base`.
fn collect_files(base: &Path, dir: &Path, out: &mut Vec<PathBuf>) -> Result<()> {
    for entry in std::fs::read_dir(dir)? {
        let path = entry?.path();
        if path.is_dir() {
            collect_files(base, &path, out)?;
        } else if let Ok(rel) = path.strip_prefix(base) {
            out.push(rel.to_path_buf());
        }
    }
    Ok(())
}

/// `name-<first 10 hex digits of SHA-256>.ext`.
fn hashed(name: &str, ext: &str, bytes: &[u8]) -> String {
    use sha2::Digest as _;
    let digest = sha2::Sha256::digest(bytes);
    let hex: String = digest.iter().take(5).map(|b| format!("{b:02x}")).collect();
    format!("{name}-{hex}.{ext}")
}

fn gzip(bytes: &[u8]) -> Result<Vec<u8>> {
    use std::io::Write as _;
    let mut enc = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::best());
    enc.write_all(bytes)?;
    Ok(enc.finish()?)
}
