//! The chat copy writer against a local OpenAI-compatible server written by hand: the request it
//! sends, the answers it accepts, and every way the exchange can fail.

use std::error::Error;
use std::io::{BufRead, BufReader, Read, Write};
use std::net::{TcpListener, TcpStream};
use std::sync::mpsc;
use std::thread::{self, JoinHandle};
use std::time::{Duration, Instant};

use gen_worker::copy::chat::{ChatConfig, ChatCopywriter};
use gen_worker::copy::{CopyError, CopyRequest, CopySource, Copywriter, Intent, Tone, write_with_fallback};
use gen_worker::locale::Locale;
use serde_json::{Value, json};

type TestResult = Result<(), Box<dyn Error>>;

/// What the server saw of one request.
#[derive(Debug)]
struct Seen {
    method: String,
    path: String,
    headers: Vec<(String, String)>,
    body: Value,
}

impl Seen {
    fn header(&self, name: &str) -> Option<&str> {
        self.headers.iter().find(|(n, _)| n.eq_ignore_ascii_case(name)).map(|(_, v)| v.as_str())
    }
}

/// Reads one HTTP/1.1 request: the head up to the blank line, then `Content-Length` bytes.
fn read_request(stream: &mut TcpStream) -> Result<Seen, Box<dyn Error + Send + Sync>> {
    stream.set_read_timeout(Some(Duration::from_secs(10)))?;
    let mut reader = BufReader::new(stream);
    let mut request_line = String::new();
    reader.read_line(&mut request_line)?;
    let mut parts = request_line.split_whitespace();
    let method = parts.next().ok_or("no method")?.to_owned();
    let path = parts.next().ok_or("no path")?.to_owned();
    let mut headers = Vec::new();
    loop {
        let mut line = String::new();
        if reader.read_line(&mut line)? == 0 {
            return Err("connection closed inside the head".into());
        }
        let line = line.trim_end_matches(['\r', '\n']);
        if line.is_empty() {
            break;
        }
        let (name, value) = line.split_once(':').ok_or("bad header line")?;
        headers.push((name.trim().to_owned(), value.trim().to_owned()));
    }
    let length: usize = headers
        .iter()
        .find(|(n, _)| n.eq_ignore_ascii_case("content-length"))
        .map(|(_, v)| v.parse())
        .transpose()?
        .unwrap_or(0);
    let mut body = vec![0; length];
    reader.read_exact(&mut body)?;
    let body = if body.is_empty() { Value::Null } else { serde_json::from_slice(&body)? };
    Ok(Seen { method, path, headers, body })
}

fn write_response(stream: &mut TcpStream, status: u16, body: &str) -> std::io::Result<()> {
    let reason = if status == 200 { "OK" } else { "Error" };
    write!(
        stream,
        "HTTP/1.1 {status} {reason}\r\nContent-Type: application/json\r\nContent-Length: {}\r\nConnection: close\r\n\r\n{body}",
        body.len()
    )?;
    stream.flush()
}

type Served = JoinHandle<Result<Seen, Box<dyn Error + Send + Sync>>>;

/// A server on a free local port that answers one request with `status` and `body`; joining
/// the handle gives what it saw.
fn serve_once(status: u16, body: String) -> Result<(String, Served), Box<dyn Error>> {
    let listener = TcpListener::bind("127.0.0.1:0")?;
    let base_url = format!("http://{}/v1", listener.local_addr()?);
    let handle = thread::spawn(move || -> Result<Seen, Box<dyn Error + Send + Sync>> {
        let (mut stream, _) = listener.accept()?;
        let seen = read_request(&mut stream)?;
        write_response(&mut stream, status, &body)?;
        Ok(seen)
    });
    Ok((base_url, handle))
}

/// A chat-completions answer whose message content is `content`.
fn completion(model: &str, content: &str) -> String {
    json!({
        "id": "chatcmpl-1",
        "object": "chat.completion",
        "model": model,
        "choices": [{"index": 0, "message": {"role": "assistant", "content": content}, "finish_reason": "stop"}],
    })
    .to_string()
}

fn variation(i: usize) -> Value {
    json!({
        "intent": "sale",
        "headline": format!("Summer sale {i}"),
        "subline": "Every pair of running shoes, this weekend only.",
        "cta": "Shop now",
        "brand_name": null,
        "offer": "30% off",
        "price": null,
        "date": "Saturday, July 12",
        "items": [],
    })
}

fn variations(n: usize) -> String {
    json!({"variations": (1..=n).map(variation).collect::<Vec<_>>()}).to_string()
}

fn request() -> CopyRequest {
    CopyRequest {
        prompt: "Summer sale: 30% off running shoes this Saturday".to_owned(),
        locale: Some(Locale::EnUs),
        tone: Tone::Urgent,
        industry: "retail".to_owned(),
        brand_name: None,
        today: (2025, 7, 10),
    }
}

fn writer(base_url: &str, timeout: Duration) -> Result<ChatCopywriter, CopyError> {
    let mut config = ChatConfig::new(base_url, "asked-model");
    config.api_key = Some("sk-test-key-123".to_owned());
    config.timeout = timeout;
    ChatCopywriter::new(config)
}

fn join(handle: Served) -> Result<Seen, Box<dyn Error>> {
    handle.join().map_err(|_| "server thread panicked")?.map_err(|e| e.to_string().into())
}

/// The message of a provider error, or a test failure for anything else.
fn provider_message(result: Result<Vec<gen_worker::copy::Copy>, CopyError>) -> Result<String, Box<dyn Error>> {
    match result {
        Err(CopyError::Provider(message)) => Ok(message),
        other => Err(format!("expected a provider error, got {other:?}").into()),
    }
}

#[test]
fn good_answer_gives_copies_from_the_servers_model() -> TestResult {
    let (base_url, handle) = serve_once(200, completion("served-model-7b", &variations(4)))?;
    let copies = writer(&format!("{base_url}/"), Duration::from_secs(10))?.write(&request(), 4)?;
    assert_eq!(copies.len(), 4);
    for (i, copy) in copies.iter().enumerate() {
        assert_eq!(copy.source, CopySource::Chat { model: "served-model-7b".to_owned() });
        assert_eq!(copy.locale, Locale::EnUs);
        assert_eq!(copy.intent, Intent::Sale);
        assert_eq!(copy.headline, format!("Summer sale {}", i + 1));
        assert_eq!(copy.cta, "Shop now");
        assert_eq!(copy.offer.as_deref(), Some("30% off"));
        assert_eq!(copy.price, None);
    }

    let seen = join(handle)?;
    assert_eq!(seen.method, "POST");
    assert_eq!(seen.path, "/v1/chat/completions");
    assert_eq!(seen.header("authorization"), Some("Bearer sk-test-key-123"));
    assert!(seen.header("content-type").is_some_and(|v| v.starts_with("application/json")));
    assert_eq!(seen.body["model"], "asked-model");
    assert_eq!(seen.body["response_format"], json!({"type": "json_object"}));
    assert_eq!(seen.body["messages"][0]["role"], "system");
    assert_eq!(seen.body["messages"][1]["role"], "user");
    let system = seen.body["messages"][0]["content"].as_str().ok_or("no system content")?;
    assert!(system.contains("exactly 4") && system.contains("en-US") && system.contains("urgent"));
    let user = seen.body["messages"][1]["content"].as_str().ok_or("no user content")?;
    assert!(user.contains("Summer sale: 30% off running shoes this Saturday") && user.contains("2025-07-10"));
    Ok(())
}

#[test]
fn content_in_code_fences_is_accepted() -> TestResult {
    let fenced = format!("Here you go:\n```json\n{}\n```\n", variations(2));
    let (base_url, handle) = serve_once(200, completion("m", &fenced))?;
    let copies = writer(&base_url, Duration::from_secs(10))?.write(&request(), 2)?;
    assert_eq!(copies.iter().map(|c| c.headline.as_str()).collect::<Vec<_>>(), ["Summer sale 1", "Summer sale 2"]);
    join(handle)?;
    Ok(())
}

#[test]
fn server_error_status_is_a_provider_error_with_the_status() -> TestResult {
    let (base_url, handle) = serve_once(500, r#"{"error": {"message": "model crashed"}}"#.to_owned())?;
    let message = provider_message(writer(&base_url, Duration::from_secs(10))?.write(&request(), 2))?;
    assert!(message.contains("500"), "{message}");
    assert!(message.contains("model crashed"), "{message}");
    assert!(!message.contains("sk-test-key-123"), "{message}");
    join(handle)?;
    Ok(())
}

#[test]
fn garbage_content_is_a_provider_error() -> TestResult {
    let (base_url, handle) = serve_once(200, completion("m", "I'm sorry, I can't {do that right now"))?;
    provider_message(writer(&base_url, Duration::from_secs(10))?.write(&request(), 2))?;
    join(handle)?;

    let (base_url, handle) = serve_once(200, "<html>not json</html>".to_owned())?;
    provider_message(writer(&base_url, Duration::from_secs(10))?.write(&request(), 2))?;
    join(handle)?;
    Ok(())
}

#[test]
fn too_few_variations_is_a_provider_error() -> TestResult {
    let (base_url, handle) = serve_once(200, completion("m", &variations(3)))?;
    let message = provider_message(writer(&base_url, Duration::from_secs(10))?.write(&request(), 4))?;
    assert!(message.contains("3 of 4"), "{message}");
    join(handle)?;
    Ok(())
}

#[test]
fn extra_variations_are_dropped() -> TestResult {
    let (base_url, handle) = serve_once(200, completion("m", &variations(6)))?;
    let copies = writer(&base_url, Duration::from_secs(10))?.write(&request(), 2)?;
    assert_eq!(copies.len(), 2);
    join(handle)?;
    Ok(())
}

#[test]
fn silent_server_times_out_quickly() -> TestResult {
    let listener = TcpListener::bind("127.0.0.1:0")?;
    let base_url = format!("http://{}/v1", listener.local_addr()?);
    let (done_tx, done_rx) = mpsc::channel::<()>();
    let handle = thread::spawn(move || {
        // Accept, read the request, then say nothing until the test is over.
        if let Ok((mut stream, _)) = listener.accept() {
            let _seen = read_request(&mut stream);
            let _ = done_rx.recv_timeout(Duration::from_secs(10));
        }
    });
    let started = Instant::now();
    let message = provider_message(writer(&base_url, Duration::from_millis(500))?.write(&request(), 2))?;
    let elapsed = started.elapsed();
    done_tx.send(())?;
    handle.join().map_err(|_| "server thread panicked")?;
    assert!(elapsed < Duration::from_secs(3), "took {elapsed:?}");
    assert!(message.contains("500 ms"), "{message}");
    Ok(())
}

#[test]
fn nothing_listening_is_a_provider_error() -> TestResult {
    let port = TcpListener::bind("127.0.0.1:0")?.local_addr()?.port();
    let message =
        provider_message(writer(&format!("http://127.0.0.1:{port}/v1"), Duration::from_secs(5))?.write(&request(), 2))?;
    assert!(message.contains("connect"), "{message}");
    Ok(())
}

#[test]
fn fallback_uses_the_builtin_writer_and_says_so() -> TestResult {
    let port = TcpListener::bind("127.0.0.1:0")?.local_addr()?.port();
    let chat = writer(&format!("http://127.0.0.1:{port}/v1"), Duration::from_secs(5))?;
    let (copies, note) = write_with_fallback(&chat, &request(), 3)?;
    assert_eq!(copies.len(), 3);
    assert!(copies.iter().all(|c| c.source == CopySource::Builtin));
    let note = note.ok_or("no fallback note")?;
    assert!(note.contains("copy service was unavailable"), "{note}");
    Ok(())
}

#[test]
fn fallback_passes_request_errors_through() -> TestResult {
    let port = TcpListener::bind("127.0.0.1:0")?.local_addr()?.port();
    let chat = writer(&format!("http://127.0.0.1:{port}/v1"), Duration::from_secs(5))?;
    let empty = CopyRequest { prompt: "  \n ".to_owned(), ..request() };
    assert_eq!(write_with_fallback(&chat, &empty, 3), Err(CopyError::EmptyPrompt));
    Ok(())
}

#[test]
fn long_headline_is_cut_and_markup_stripped() -> TestResult {
    let content = json!({"variations": [{
        "intent": "not-an-intent",
        "headline": "<b>Huge</b> **summer** sale on every single pair of running shoes in the whole store",
        "subline": "Line one\nline two\u{0007}",
        "cta": "<a href=\"x\">Shop now</a>",
        "items": ["<li>One</li>", "Two", "Three", "Four", "Five", "Six"],
    }]})
    .to_string();
    let (base_url, handle) = serve_once(200, completion("m", &content))?;
    let copies = writer(&base_url, Duration::from_secs(10))?.write(&request(), 1)?;
    let copy = copies.first().ok_or("no copy")?;
    assert!(copy.headline.chars().count() <= 48, "{}", copy.headline);
    assert!(copy.headline.starts_with("Huge summer sale"), "{}", copy.headline);
    assert!(copy.headline.ends_with('…'), "{}", copy.headline);
    assert!(!copy.headline.contains(['<', '>', '*']), "{}", copy.headline);
    assert_eq!(copy.subline, "Line one line two");
    assert_eq!(copy.cta, "Shop now");
    assert_eq!(copy.intent, Intent::General);
    assert_eq!(copy.items, ["One", "Two", "Three", "Four", "Five"]);
    join(handle)?;
    Ok(())
}
