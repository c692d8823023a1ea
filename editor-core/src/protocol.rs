//! The y-websocket wire protocol: one [`Message`] per binary WebSocket frame, in lib0 encoding,
//! byte-compatible with the npm `y-protocols` / `y-websocket` packages.
//!
//! A frame is `varuint messageType` followed by its payload:
//!
//! | type | message            | payload                                                        |
//! | ---- | ------------------ | -------------------------------------------------------------- |
//! | 0    | sync               | `varuint syncType` (0 step 1, 1 step 2, 2 update), `varUint8Array` |
//! | 1    | awareness          | `varUint8Array` holding an [`AwarenessUpdate`]                 |
//! | 2    | auth               | `varuint authType` (0 permission denied), `varString reason`   |
//! | 3    | query awareness    | nothing                                                        |
//!
//! [`Message::decode`] checks the framing only; the yrs payloads (state vectors and v1 updates)
//! stay opaque bytes. [`decode_checked`] also proves that yrs will accept those payloads without
//! exhausting memory or stack, and is what a server should call on untrusted input.

use thiserror::Error;
use yrs::updates::decoder::Decode;
use yrs::{StateVector, Update};

/// The largest frame [`Message::decode`] accepts, in bytes. Larger frames are rejected before any
/// parsing, so a peer cannot make us allocate more than this per frame.
pub const MAX_FRAME_LEN: usize = 8 * 1024 * 1024;

const MESSAGE_SYNC: u64 = 0;
const MESSAGE_AWARENESS: u64 = 1;
const MESSAGE_AUTH: u64 = 2;
const MESSAGE_QUERY_AWARENESS: u64 = 3;

const SYNC_STEP1: u64 = 0;
const SYNC_STEP2: u64 = 1;
const SYNC_UPDATE: u64 = 2;

const AUTH_PERMISSION_DENIED: u64 = 0;

/// One y-websocket message: the content of exactly one binary frame.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Message {
    /// Sync step 1: the sender's encoded state vector (v1); the receiver answers with step 2.
    SyncStep1(Vec<u8>),
    /// Sync step 2: a v1 update holding everything the step-1 sender was missing.
    SyncStep2(Vec<u8>),
    /// An incremental v1 document update.
    Update(Vec<u8>),
    /// Presence of one or more clients (cursor, selection, name, colour).
    Awareness(AwarenessUpdate),
    /// An authorisation message from the server.
    Auth(AuthMessage),
    /// A request for every client's current awareness state.
    QueryAwareness,
}

/// The payload of an awareness message: the latest presence state of some clients.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct AwarenessUpdate {
    /// One entry per client, in wire order.
    pub entries: Vec<AwarenessEntry>,
}

/// One client's presence state within an [`AwarenessUpdate`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AwarenessEntry {
    /// The client's id (a Yjs `clientID`).
    pub client_id: u64,
    /// The client's awareness clock; a receiver keeps the entry with the highest clock.
    pub clock: u64,
    /// The state as JSON text, or `None` when the client has left (JSON `null` on the wire).
    /// `Some` must hold valid JSON other than `null`; [`AwarenessUpdate::encode`] writes it as is.
    pub state: Option<String>,
}

/// An auth message (y-protocols `auth`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum AuthMessage {
    /// The server refuses this client access to the document.
    PermissionDenied {
        /// Human-readable explanation.
        reason: String,
    },
}

/// Why a frame or payload could not be decoded.
#[derive(Debug, Clone, PartialEq, Eq, Error)]
pub enum ProtocolError {
    /// The frame is longer than [`MAX_FRAME_LEN`].
    #[error("frame of {len} bytes exceeds the limit of {max} bytes")]
    FrameTooLarge {
        /// Length of the rejected frame.
        len: usize,
        /// The limit it exceeded.
        max: usize,
    },
    /// The input ended in the middle of a field.
    #[error("input ended while reading {what}")]
    Truncated {
        /// The field being read.
        what: &'static str,
    },
    /// A length prefix (or element count) claims more than the input still holds.
    #[error("{what} declares {declared} but only {remaining} bytes remain")]
    LengthExceedsInput {
        /// The field whose prefix is wrong.
        what: &'static str,
        /// The declared length or count.
        declared: u64,
        /// The bytes left in the input.
        remaining: usize,
    },
    /// The top-level message type is not one of 0–3.
    #[error("unknown message type {0}")]
    UnknownMessageType(u64),
    /// The sync message type is not one of 0–2.
    #[error("unknown sync message type {0}")]
    UnknownSyncType(u64),
    /// The auth message type is not 0 (permission denied).
    #[error("unknown auth message type {0}")]
    UnknownAuthType(u64),
    /// A varuint does not fit in 64 bits.
    #[error("variable-length integer does not fit in 64 bits")]
    VarintOverflow,
    /// A number inside a yrs payload is larger than yrs can hold there.
    #[error("{what} {value} is out of range")]
    ValueOutOfRange {
        /// The field holding the number.
        what: &'static str,
        /// The number read.
        value: u64,
    },
    /// A varuint ends in a redundant zero byte; lib0 never writes that, so it is rejected to keep
    /// every message a single canonical byte string.
    #[error("variable-length integer has a redundant trailing zero byte")]
    OverlongVarint,
    /// A string field is not valid UTF-8.
    #[error("{what} is not valid UTF-8")]
    InvalidUtf8 {
        /// The field holding the string.
        what: &'static str,
    },
    /// Bytes are left over after a complete message or payload.
    #[error("{count} unexpected bytes after the end of the message")]
    TrailingBytes {
        /// How many bytes were left over.
        count: usize,
    },
    /// An awareness state is not valid JSON.
    #[error("awareness state of client {client_id} is not valid JSON: {reason}")]
    InvalidJson {
        /// The client whose state is broken.
        client_id: u64,
        /// The JSON parser's message.
        reason: String,
    },
    /// A sync step 1 payload is not a state vector yrs accepts.
    #[error("invalid state vector: {reason}")]
    InvalidStateVector {
        /// What is wrong with it.
        reason: String,
    },
    /// A sync step 2 or update payload is not a v1 update yrs accepts.
    #[error("invalid update: {reason}")]
    InvalidUpdate {
        /// What is wrong with it.
        reason: String,
    },
}

impl Message {
    /// Encodes this message as one frame.
    ///
    /// The result is not checked against [`MAX_FRAME_LEN`]; a sender with a larger update must
    /// split it or expect the peer to refuse it.
    pub fn encode(&self) -> Vec<u8> {
        let mut w = Writer::default();
        match self {
            Message::SyncStep1(payload) => w.sync(SYNC_STEP1, payload),
            Message::SyncStep2(payload) => w.sync(SYNC_STEP2, payload),
            Message::Update(payload) => w.sync(SYNC_UPDATE, payload),
            Message::Awareness(update) => {
                w.varuint(MESSAGE_AWARENESS);
                w.var_bytes(&update.encode());
            }
            Message::Auth(AuthMessage::PermissionDenied { reason }) => {
                w.varuint(MESSAGE_AUTH);
                w.varuint(AUTH_PERMISSION_DENIED);
                w.var_string(reason);
            }
            Message::QueryAwareness => w.varuint(MESSAGE_QUERY_AWARENESS),
        }
        w.buf
    }

    /// Decodes exactly one message from a frame; trailing bytes are an error.
    ///
    /// Only the framing and the awareness payload are checked: sync payloads are returned as
    /// opaque bytes. Use [`decode_checked`] on untrusted input.
    pub fn decode(frame: &[u8]) -> Result<Message, ProtocolError> {
        if frame.len() > MAX_FRAME_LEN {
            return Err(ProtocolError::FrameTooLarge { len: frame.len(), max: MAX_FRAME_LEN });
        }
        let mut r = Reader::new(frame);
        let message = match r.varuint("message type")? {
            MESSAGE_SYNC => {
                // The sync type is checked before the payload so an unknown type is reported as
                // such even when its payload is malformed.
                let sync_type = r.varuint("sync message type")?;
                if !matches!(sync_type, SYNC_STEP1 | SYNC_STEP2 | SYNC_UPDATE) {
                    return Err(ProtocolError::UnknownSyncType(sync_type));
                }
                let payload = r.var_bytes("sync payload")?.to_vec();
                match sync_type {
                    SYNC_STEP1 => Message::SyncStep1(payload),
                    SYNC_STEP2 => Message::SyncStep2(payload),
                    _ => Message::Update(payload),
                }
            }
            MESSAGE_AWARENESS => Message::Awareness(AwarenessUpdate::decode(r.var_bytes("awareness update")?)?),
            MESSAGE_AUTH => match r.varuint("auth message type")? {
                AUTH_PERMISSION_DENIED => Message::Auth(AuthMessage::PermissionDenied {
                    reason: r.var_string("permission-denied reason")?.to_owned(),
                }),
                other => return Err(ProtocolError::UnknownAuthType(other)),
            },
            MESSAGE_QUERY_AWARENESS => Message::QueryAwareness,
            other => return Err(ProtocolError::UnknownMessageType(other)),
        };
        r.finish()?;
        Ok(message)
    }
}

/// Smallest possible encoded awareness entry: one byte each for client id, clock and string
/// length (an empty string is then rejected as invalid JSON).
const MIN_AWARENESS_ENTRY_LEN: usize = 3;

impl AwarenessUpdate {
    /// Encodes the update as y-protocols' `encodeAwarenessUpdate` does (without the message
    /// header; [`Message::encode`] adds that).
    pub fn encode(&self) -> Vec<u8> {
        let mut w = Writer::default();
        w.varuint(self.entries.len() as u64);
        for entry in &self.entries {
            w.varuint(entry.client_id);
            w.varuint(entry.clock);
            w.var_string(entry.state.as_deref().unwrap_or("null"));
        }
        w.buf
    }

    /// Decodes an awareness update payload. Every state must be valid JSON; a state that is JSON
    /// `null` (as y-protocols writes for a client that left) becomes `None`.
    pub fn decode(bytes: &[u8]) -> Result<Self, ProtocolError> {
        let mut r = Reader::new(bytes);
        let count = r.count("awareness entry count", MIN_AWARENESS_ENTRY_LEN)?;
        // No `with_capacity(count)`: even bounded by the input, the count would let a few bytes
        // reserve ten times their size in entries.
        let mut entries = Vec::new();
        for _ in 0..count {
            let client_id = r.varuint("awareness client id")?;
            let clock = r.varuint("awareness clock")?;
            let json = r.var_string("awareness state")?;
            let state = parse_awareness_state(client_id, json)?;
            entries.push(AwarenessEntry { client_id, clock, state });
        }
        r.finish()?;
        Ok(AwarenessUpdate { entries })
    }
}

fn parse_awareness_state(client_id: u64, json: &str) -> Result<Option<String>, ProtocolError> {
    // Skipping with `IgnoredAny` walks nested values without recursion, so depth cannot crash it.
    serde_json::from_str::<serde::de::IgnoredAny>(json)
        .map_err(|e| ProtocolError::InvalidJson { client_id, reason: e.to_string() })?;
    // y-protocols treats any text that `JSON.parse`s to null as "client left".
    let is_null = json.trim_matches([' ', '\t', '\n', '\r']) == "null";
    Ok((!is_null).then(|| json.to_owned()))
}

/// Decodes a frame and checks its yrs payload: that a sync step 1 carries a state vector
/// `StateVector::decode_v1` accepts, and that a sync step 2 or update carries a v1 update
/// `Update::decode_v1` accepts. Use this on untrusted input.
///
/// Before yrs sees a payload, a structural pass over it rejects input that yrs 0.28 would turn
/// into a crash or an outsized allocation: counts larger than the bytes that follow, `Any` values
/// nested deeper than [`MAX_ANY_DEPTH`], clocks that overflow `u32`, and client ids above
/// `u32::MAX` (the workspace builds yrs with `small-client`, which would silently truncate them;
/// Yjs 13 only makes 32-bit ids).
pub fn decode_checked(frame: &[u8]) -> Result<Message, ProtocolError> {
    let message = Message::decode(frame)?;
    match &message {
        Message::SyncStep1(payload) => check_state_vector(payload)?,
        Message::SyncStep2(payload) | Message::Update(payload) => check_update(payload)?,
        Message::Awareness(_) | Message::Auth(_) | Message::QueryAwareness => {}
    }
    Ok(message)
}

/// The deepest nesting of arrays and maps [`decode_checked`] accepts inside an update's `Any`
/// values (the same limit serde_json applies to JSON). yrs decodes `Any` recursively with no
/// limit of its own, so a deeper value could overflow the stack.
pub const MAX_ANY_DEPTH: usize = 128;

const MAX_CLIENT_ID: u64 = u32::MAX as u64;

/// Decodes an untrusted v1 update after the same scan [`decode_checked`] applies, so bytes that
/// would crash or exhaust yrs are refused first. Every path that merges outside bytes into a
/// document goes through here.
///
/// Documents also refuse updates with skip blocks (gaps inside one client's run): yrs 0.28 fills
/// such gaps by splitting its own skip blocks and panics (or corrupts its block list) when the
/// filling block overlaps what it already holds. Our documents hold back out-of-order updates
/// until their predecessors arrive instead (see `Document::apply_remote_update`), so they never
/// need gaps; Yjs only writes skips when merging updates that themselves had gaps.
pub(crate) fn decode_update_v1(payload: &[u8]) -> Result<Update, ProtocolError> {
    let (shape, update) = scan_and_decode_update(payload)?;
    if shape.has_skips {
        return Err(malformed("update has gaps (skip blocks); send the missing updates instead"));
    }
    Ok(update)
}

/// Decodes an untrusted v1 state vector after scanning it.
pub(crate) fn decode_state_vector_v1(payload: &[u8]) -> Result<StateVector, ProtocolError> {
    scan_state_vector(payload).map_err(|e| ProtocolError::InvalidStateVector { reason: e.to_string() })?;
    StateVector::decode_v1(payload).map_err(|e| ProtocolError::InvalidStateVector { reason: e.to_string() })
}

fn check_state_vector(payload: &[u8]) -> Result<(), ProtocolError> {
    decode_state_vector_v1(payload).map(|_| ())
}

fn scan_state_vector(payload: &[u8]) -> Result<(), ProtocolError> {
    let mut r = Reader::new(payload);
    // Each entry is at least a one-byte client id and a one-byte clock.
    let count = r.count("state vector length", 2)?;
    for _ in 0..count {
        r.client_id()?;
        r.u32("state vector clock")?;
    }
    r.finish()
}

/// Frames may carry updates with gaps (valid on the wire); only documents refuse them.
fn check_update(payload: &[u8]) -> Result<(), ProtocolError> {
    scan_and_decode_update(payload).map(|_| ())
}

fn scan_and_decode_update(payload: &[u8]) -> Result<(UpdateShape, Update), ProtocolError> {
    let shape = scan_update(payload).map_err(|e| match e {
        ProtocolError::InvalidUpdate { .. } => e,
        other => ProtocolError::InvalidUpdate { reason: other.to_string() },
    })?;
    let update = Update::decode_v1(payload).map_err(|e| ProtocolError::InvalidUpdate { reason: e.to_string() })?;
    Ok((shape, update))
}

fn malformed(reason: impl Into<String>) -> ProtocolError {
    ProtocolError::InvalidUpdate { reason: reason.into() }
}

// Block and content tags of the v1 update encoding (yrs `block.rs`, Yjs `UpdateDecoderV1`).
const BLOCK_GC: u8 = 0;
const BLOCK_SKIP: u8 = 10;
const HAS_ORIGIN: u8 = 0b1000_0000;
const HAS_RIGHT_ORIGIN: u8 = 0b0100_0000;
const HAS_PARENT_SUB: u8 = 0b0010_0000;
const CONTENT_DELETED: u8 = 1;
const CONTENT_JSON: u8 = 2;
const CONTENT_BINARY: u8 = 3;
const CONTENT_STRING: u8 = 4;
const CONTENT_EMBED: u8 = 5;
const CONTENT_FORMAT: u8 = 6;
const CONTENT_TYPE: u8 = 7;
const CONTENT_ANY: u8 = 8;
const CONTENT_DOC: u8 = 9;
const TYPE_REF_XML_ELEMENT: u8 = 3;

/// Walks a v1 update exactly as yrs 0.28 `Update::decode` reads it, so that every count yrs
/// pre-allocates for is backed by real elements and every recursion and clock sum is bounded.
/// It validates structure only; yrs still decides whether the update is acceptable.
/// What the scan learned about an update beyond its validity.
struct UpdateShape {
    has_skips: bool,
}

/// yrs 0.28 does clock arithmetic in `i32` when integrating (`local_clock as i32 - clock as
/// i32`); clocks beyond this wrap and corrupt the block store. No real client gets near 2^31
/// operations.
const MAX_CLOCK: u32 = i32::MAX as u32;

fn scan_update(payload: &[u8]) -> Result<UpdateShape, ProtocolError> {
    let mut shape = UpdateShape { has_skips: false };
    let mut r = Reader::new(payload);
    // A client section is at least a block count, a client id and a clock.
    let clients = r.count("update client count", 3)?;
    let mut seen = std::collections::HashSet::with_capacity(clients.min(1024));
    for _ in 0..clients {
        // A block is at least an info byte and one byte of length or content.
        let blocks = r.count("update block count", 2)?;
        // Yjs and yrs write each client's blocks once, as one run of increasing clocks. yrs 0.28
        // integrates a second run of the same client over its own skips and panics (or, without
        // overflow checks, corrupts its block list): refuse it.
        if !seen.insert(r.client_id()?) {
            return Err(malformed("a client appears twice in one update"));
        }
        let mut clock = r.u32("update clock")?;
        for _ in 0..blocks {
            if r.peek() == Some(BLOCK_SKIP) {
                shape.has_skips = true;
            }
            let len = scan_block(&mut r)?;
            clock = clock
                .checked_add(len)
                .filter(|c| *c <= MAX_CLOCK)
                .ok_or_else(|| malformed("block clocks exceed 2^31"))?;
        }
    }
    scan_delete_set(&mut r)?;
    r.finish()?;
    Ok(shape)
}

/// Returns the block's length in clock units (0 for an item yrs drops as empty).
fn scan_block(r: &mut Reader<'_>) -> Result<u32, ProtocolError> {
    let info = r.u8("block info")?;
    match info {
        BLOCK_GC | BLOCK_SKIP => match r.u32("block length")? {
            0 => Err(malformed("empty gc or skip block")),
            len => Ok(len),
        },
        _ => {
            let cant_copy_parent_info = info & (HAS_ORIGIN | HAS_RIGHT_ORIGIN) == 0;
            if info & HAS_ORIGIN != 0 {
                r.id()?;
            }
            if info & HAS_RIGHT_ORIGIN != 0 {
                r.id()?;
            }
            if cant_copy_parent_info {
                if r.u32("parent info")? == 1 {
                    r.var_string("parent name")?;
                } else {
                    r.id()?;
                }
                if info & HAS_PARENT_SUB != 0 {
                    r.var_string("parent key")?;
                }
            }
            scan_content(r, info & 0b1111)
        }
    }
}

fn scan_content(r: &mut Reader<'_>, content: u8) -> Result<u32, ProtocolError> {
    match content {
        CONTENT_DELETED => r.u32("deleted length"),
        CONTENT_JSON => {
            // yrs 0.28 reads one more string than the count says (Yjs writes exactly `count`);
            // mirror yrs so this walk stays aligned with what it will read. Yjs 13 writes
            // `Any` content instead, so JSON content only comes from old or hostile peers.
            let strings = r.count("JSON content count", 1)?.saturating_add(1);
            if strings > r.remaining() {
                return Err(malformed("JSON content count exceeds the update"));
            }
            for _ in 0..strings {
                r.var_string("JSON content")?;
            }
            u32::try_from(strings).map_err(|_| malformed("JSON content count out of range"))
        }
        CONTENT_BINARY => r.var_bytes("binary content").map(|_| 1),
        CONTENT_STRING => {
            let s = r.var_string("string content")?;
            // yrs measures strings in UTF-16 units and drops an empty one.
            u32::try_from(s.encode_utf16().count()).map_err(|_| malformed("string content too long"))
        }
        CONTENT_EMBED => r.var_string("embed content").map(|_| 1),
        CONTENT_FORMAT => {
            r.var_string("format key")?;
            r.var_string("format value")?;
            Ok(1)
        }
        CONTENT_TYPE => {
            match r.u8("type ref")? {
                TYPE_REF_XML_ELEMENT => {
                    r.var_string("XML element name")?;
                }
                // Array, Map, Text, XmlFragment, XmlHook, XmlText, SubDoc, Undefined; 7 (weak
                // link) needs a yrs feature this workspace does not enable.
                0 | 1 | 2 | 4 | 5 | 6 | 9 | 15 => {}
                other => return Err(malformed(format!("unknown type ref {other}"))),
            }
            Ok(1)
        }
        CONTENT_ANY => {
            let count = r.count("Any content count", 1)?;
            for _ in 0..count {
                scan_any(r, 0)?;
            }
            u32::try_from(count).map_err(|_| malformed("Any content count out of range"))
        }
        CONTENT_DOC => {
            r.var_string("subdocument guid")?;
            scan_any(r, 0)?;
            Ok(1)
        }
        other => Err(malformed(format!("unknown content type {other}"))),
    }
}

/// Walks one lib0 `Any` value (yrs `Any::decode`).
fn scan_any(r: &mut Reader<'_>, depth: usize) -> Result<(), ProtocolError> {
    if depth > MAX_ANY_DEPTH {
        return Err(malformed(format!("Any value nested deeper than {MAX_ANY_DEPTH}")));
    }
    match r.u8("Any tag")? {
        // undefined, null, false, true
        127 | 126 | 121 | 120 => {}
        125 => r.signed_varint()?,
        124 => {
            r.fixed(4, "Any float32")?;
        }
        123 | 122 => {
            r.fixed(8, "Any float64 or bigint")?;
        }
        119 => {
            r.var_string("Any string")?;
        }
        118 => {
            // An entry is at least a one-byte key length and a one-byte value.
            let count = r.count("Any map length", 2)?;
            for _ in 0..count {
                r.var_string("Any map key")?;
                scan_any(r, depth + 1)?;
            }
        }
        117 => {
            let count = r.count("Any array length", 1)?;
            for _ in 0..count {
                scan_any(r, depth + 1)?;
            }
        }
        116 => {
            r.var_bytes("Any buffer")?;
        }
        other => return Err(malformed(format!("unknown Any tag {other}"))),
    }
    Ok(())
}

fn scan_delete_set(r: &mut Reader<'_>) -> Result<(), ProtocolError> {
    // A client entry is at least a client id and a range count.
    let clients = r.count("delete set client count", 2)?;
    for _ in 0..clients {
        r.client_id()?;
        let ranges = r.count("delete set range count", 2)?;
        for _ in 0..ranges {
            let clock = r.u32("deleted clock")?;
            let len = r.u32("deleted length")?;
            // yrs computes `clock + len` unchecked, which panics with overflow checks on.
            clock
                .checked_add(len)
                .filter(|c| *c <= MAX_CLOCK)
                .ok_or_else(|| malformed("deleted range exceeds 2^31"))?;
        }
    }
    Ok(())
}

/// lib0 reader over a byte slice. Every read is bounds-checked and fails with an error rather
/// than panicking; length prefixes are compared with the remaining input before use.
struct Reader<'a> {
    rest: &'a [u8],
}

impl<'a> Reader<'a> {
    fn new(bytes: &'a [u8]) -> Self {
        Reader { rest: bytes }
    }

    fn remaining(&self) -> usize {
        self.rest.len()
    }

    fn peek(&self) -> Option<u8> {
        self.rest.first().copied()
    }

    fn u8(&mut self, what: &'static str) -> Result<u8, ProtocolError> {
        let (&byte, rest) = self.rest.split_first().ok_or(ProtocolError::Truncated { what })?;
        self.rest = rest;
        Ok(byte)
    }

    fn fixed(&mut self, len: usize, what: &'static str) -> Result<&'a [u8], ProtocolError> {
        let (head, rest) = self.rest.split_at_checked(len).ok_or(ProtocolError::Truncated { what })?;
        self.rest = rest;
        Ok(head)
    }

    /// lib0 `readVarUint`: little-endian groups of 7 bits, high bit set on all but the last byte.
    fn varuint(&mut self, what: &'static str) -> Result<u64, ProtocolError> {
        let mut value: u64 = 0;
        for index in 0..10u32 {
            let byte = self.u8(what)?;
            let bits = u64::from(byte & 0x7f);
            // The tenth byte holds bit 63 only.
            if index == 9 && bits > 1 {
                return Err(ProtocolError::VarintOverflow);
            }
            value |= bits << (7 * index);
            if byte & 0x80 == 0 {
                if byte == 0 && index > 0 {
                    return Err(ProtocolError::OverlongVarint);
                }
                return Ok(value);
            }
        }
        Err(ProtocolError::VarintOverflow)
    }

    /// A varuint that must fit in `u32` (yrs reads clocks, lengths and counts as `u32`).
    fn u32(&mut self, what: &'static str) -> Result<u32, ProtocolError> {
        let value = self.varuint(what)?;
        u32::try_from(value).map_err(|_| ProtocolError::ValueOutOfRange { what, value })
    }

    /// A varuint element count, bounded by the bytes left given each element's minimum size,
    /// so that nobody allocates for elements that are not there.
    fn count(&mut self, what: &'static str, min_element_len: usize) -> Result<usize, ProtocolError> {
        let declared = self.varuint(what)?;
        let remaining = self.remaining();
        usize::try_from(declared)
            .ok()
            .filter(|&n| n <= remaining / min_element_len.max(1))
            .ok_or(ProtocolError::LengthExceedsInput { what, declared, remaining })
    }

    fn var_bytes(&mut self, what: &'static str) -> Result<&'a [u8], ProtocolError> {
        let declared = self.varuint(what)?;
        let remaining = self.remaining();
        let len = usize::try_from(declared)
            .ok()
            .filter(|&n| n <= remaining)
            .ok_or(ProtocolError::LengthExceedsInput { what, declared, remaining })?;
        self.fixed(len, what)
    }

    fn var_string(&mut self, what: &'static str) -> Result<&'a str, ProtocolError> {
        std::str::from_utf8(self.var_bytes(what)?).map_err(|_| ProtocolError::InvalidUtf8 { what })
    }

    /// A client id in a yrs payload: see [`decode_checked`] for why the `u32` bound.
    fn client_id(&mut self) -> Result<u64, ProtocolError> {
        let id = self.varuint("client id")?;
        if id > MAX_CLIENT_ID {
            return Err(ProtocolError::ValueOutOfRange { what: "client id", value: id });
        }
        Ok(id)
    }

    /// A yrs `ID`: client id and clock.
    fn id(&mut self) -> Result<(), ProtocolError> {
        self.client_id()?;
        self.u32("id clock")?;
        Ok(())
    }

    /// lib0 `readVarInt` (sign in the first byte). yrs shifts by 7 bits per continuation byte
    /// without a width check, so more than 10 bytes would overflow its shift.
    fn signed_varint(&mut self) -> Result<(), ProtocolError> {
        for _ in 0..10 {
            if self.u8("Any integer")? & 0x80 == 0 {
                return Ok(());
            }
        }
        Err(ProtocolError::VarintOverflow)
    }

    fn finish(&self) -> Result<(), ProtocolError> {
        if self.rest.is_empty() { Ok(()) } else { Err(ProtocolError::TrailingBytes { count: self.rest.len() }) }
    }
}

/// lib0 writer into a growing buffer.
#[derive(Default)]
struct Writer {
    buf: Vec<u8>,
}

impl Writer {
    fn varuint(&mut self, mut value: u64) {
        while value >= 0x80 {
            self.buf.push((value & 0x7f) as u8 | 0x80);
            value >>= 7;
        }
        self.buf.push(value as u8);
    }

    fn var_bytes(&mut self, bytes: &[u8]) {
        self.varuint(bytes.len() as u64);
        self.buf.extend_from_slice(bytes);
    }

    fn var_string(&mut self, s: &str) {
        self.var_bytes(s.as_bytes());
    }

    fn sync(&mut self, sync_type: u64, payload: &[u8]) {
        self.varuint(MESSAGE_SYNC);
        self.varuint(sync_type);
        self.var_bytes(payload);
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;
    use yrs::updates::encoder::Encode;
    use yrs::{Any, Doc, GetString, Map, ReadTxn, Text, Transact};

    /// A real yrs document with text (including a surrogate pair) and a nested `Any` map.
    fn sample_doc() -> Doc {
        let doc = Doc::with_client_id(42);
        let text = doc.get_or_insert_text("title");
        let layers = doc.get_or_insert_map("layers");
        let mut txn = doc.transact_mut();
        text.insert(&mut txn, 0, "héllo 👋");
        layers.insert(
            &mut txn,
            "l1",
            Any::from_json(r#"{"x":10,"y":2.5,"tags":["a",null,true],"deep":{"k":[1,[2]]}}"#).unwrap(),
        );
        text.remove_range(&mut txn, 0, 1);
        drop(txn);
        doc
    }

    fn sample_update() -> Vec<u8> {
        sample_doc().transact().encode_state_as_update_v1(&StateVector::default())
    }

    fn sample_state_vector() -> Vec<u8> {
        sample_doc().transact().state_vector().encode_v1()
    }

    fn sample_awareness() -> AwarenessUpdate {
        AwarenessUpdate {
            entries: vec![
                AwarenessEntry {
                    client_id: 42,
                    clock: 3,
                    state: Some(r##"{"user":{"name":"Ada","color":"#ff8800"},"cursor":null}"##.into()),
                },
                AwarenessEntry { client_id: (1 << 53) - 1, clock: u64::MAX, state: None },
            ],
        }
    }

    fn sample_messages() -> Vec<Message> {
        vec![
            Message::SyncStep1(vec![0]),
            Message::SyncStep1(sample_state_vector()),
            Message::SyncStep2(sample_update()),
            Message::Update(sample_update()),
            Message::Awareness(sample_awareness()),
            Message::Awareness(AwarenessUpdate::default()),
            Message::Auth(AuthMessage::PermissionDenied { reason: "read-only token ✋".into() }),
            Message::Auth(AuthMessage::PermissionDenied { reason: String::new() }),
            Message::QueryAwareness,
        ]
    }

    fn sync_frame(sync_type: u8, payload: &[u8]) -> Vec<u8> {
        let mut w = Writer::default();
        w.sync(u64::from(sync_type), payload);
        w.buf
    }

    fn checked_update(payload: &[u8]) -> Result<Message, ProtocolError> {
        decode_checked(&sync_frame(2, payload))
    }

    #[test]
    fn every_message_type_round_trips_through_decode_checked() {
        for message in sample_messages() {
            let frame = message.encode();
            assert_eq!(Message::decode(&frame).unwrap(), message);
            assert_eq!(decode_checked(&frame).unwrap(), message);
        }
    }

    #[test]
    fn sync_step1_of_empty_state_vector_is_known_bytes() {
        let empty = StateVector::default().encode_v1();
        assert_eq!(Message::SyncStep1(empty).encode(), [0, 0, 1, 0]);
        assert_eq!(decode_checked(&[0, 0, 1, 0]).unwrap(), Message::SyncStep1(vec![0]));
    }

    #[test]
    fn awareness_update_matches_hand_computed_bytes() {
        let update = AwarenessUpdate {
            entries: vec![
                AwarenessEntry { client_id: 300, clock: 2, state: Some(r#"{"a":1}"#.into()) },
                AwarenessEntry { client_id: 7, clock: 1, state: None },
            ],
        };
        let mut expected = vec![1, 19, 2, 0xac, 0x02, 2, 7];
        expected.extend_from_slice(br#"{"a":1}"#);
        expected.extend_from_slice(&[7, 1, 4]);
        expected.extend_from_slice(b"null");
        assert_eq!(Message::Awareness(update.clone()).encode(), expected);
        assert_eq!(decode_checked(&expected).unwrap(), Message::Awareness(update));
    }

    #[test]
    fn auth_and_query_awareness_are_known_bytes() {
        let denied = Message::Auth(AuthMessage::PermissionDenied { reason: "no".into() });
        assert_eq!(denied.encode(), [2, 0, 2, b'n', b'o']);
        assert_eq!(Message::QueryAwareness.encode(), [3]);
        assert_eq!(Message::Update(vec![9; 200]).encode()[..4], [0, 2, 0xc8, 0x01]);
    }

    #[test]
    fn decoded_update_applies_to_a_yrs_document() {
        let Message::SyncStep2(payload) = decode_checked(&sync_frame(1, &sample_update())).unwrap() else {
            panic!("expected sync step 2");
        };
        let doc = Doc::with_client_id(7);
        let text = doc.get_or_insert_text("title");
        doc.transact_mut().apply_update(Update::decode_v1(&payload).unwrap()).unwrap();
        assert_eq!(text.get_string(&doc.transact()), "éllo 👋");
    }

    #[test]
    fn varuints_cover_u64_and_reject_overflow_and_overlong_forms() {
        for value in [0, 1, 127, 128, 300, (1 << 53) - 1, u64::MAX] {
            let mut w = Writer::default();
            w.varuint(value);
            let mut r = Reader::new(&w.buf);
            assert_eq!(r.varuint("test").unwrap(), value);
            assert!(r.finish().is_ok());
        }
        let mut max = vec![0xff; 9];
        max.push(0x01);
        assert_eq!(Reader::new(&max).varuint("t"), Ok(u64::MAX));
        let mut too_big = vec![0xff; 9];
        too_big.push(0x02);
        assert_eq!(Reader::new(&too_big).varuint("t"), Err(ProtocolError::VarintOverflow));
        let mut eleven = vec![0x80; 10];
        eleven.push(0x01);
        assert_eq!(Reader::new(&eleven).varuint("t"), Err(ProtocolError::VarintOverflow));
        assert_eq!(Message::decode(&[0x80, 0x00]), Err(ProtocolError::OverlongVarint));
        assert_eq!(Message::decode(&[0x80]), Err(ProtocolError::Truncated { what: "message type" }));
    }

    #[test]
    fn every_truncation_of_a_valid_frame_is_an_error() {
        for message in sample_messages() {
            let frame = message.encode();
            for len in 0..frame.len() {
                let prefix = frame.get(..len).unwrap();
                assert!(Message::decode(prefix).is_err(), "{message:?} cut at {len}");
                assert!(decode_checked(prefix).is_err(), "{message:?} cut at {len}");
            }
        }
    }

    #[test]
    fn every_truncation_of_an_update_payload_is_rejected() {
        let update = sample_update();
        for len in 0..update.len() {
            let prefix = update.get(..len).unwrap();
            assert!(checked_update(prefix).is_err(), "update cut at {len}");
        }
        let state_vector = sample_state_vector();
        for len in 0..state_vector.len() {
            let prefix = state_vector.get(..len).unwrap();
            assert!(decode_checked(&sync_frame(0, prefix)).is_err(), "state vector cut at {len}");
        }
    }

    #[test]
    fn huge_length_prefixes_are_rejected_before_allocating() {
        // Sync payload claiming 2^60 bytes.
        let mut frame = vec![0, 2];
        frame.extend_from_slice(&[0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x10]);
        assert_eq!(
            Message::decode(&frame),
            Err(ProtocolError::LengthExceedsInput { what: "sync payload", declared: 1 << 60, remaining: 0 })
        );
        // Awareness update declaring u64::MAX entries.
        let mut inner = vec![0xff; 9];
        inner.push(0x01);
        let frame = Message::Awareness(AwarenessUpdate::default()).encode();
        assert_eq!(frame, [1, 1, 0]);
        let mut frame = vec![1, 10];
        frame.extend_from_slice(&inner);
        assert!(matches!(
            Message::decode(&frame),
            Err(ProtocolError::LengthExceedsInput { what: "awareness entry count", .. })
        ));
        // Auth reason longer than the frame.
        assert!(matches!(
            Message::decode(&[2, 0, 5, b'x']),
            Err(ProtocolError::LengthExceedsInput { declared: 5, remaining: 1, .. })
        ));
    }

    #[test]
    fn trailing_bytes_are_rejected() {
        assert_eq!(Message::decode(&[3, 0]), Err(ProtocolError::TrailingBytes { count: 1 }));
        let mut frame = Message::Update(sample_update()).encode();
        frame.extend_from_slice(&[1, 2]);
        assert_eq!(Message::decode(&frame), Err(ProtocolError::TrailingBytes { count: 2 }));
        // Inside the awareness payload, and inside a yrs payload.
        assert_eq!(Message::decode(&[1, 2, 0, 0]), Err(ProtocolError::TrailingBytes { count: 1 }));
        let mut update = sample_update();
        update.push(0);
        assert!(matches!(checked_update(&update), Err(ProtocolError::InvalidUpdate { .. })));
    }

    #[test]
    fn oversized_frames_are_rejected() {
        let frame = Message::Update(vec![0; MAX_FRAME_LEN]).encode();
        assert_eq!(Message::decode(&frame), Err(ProtocolError::FrameTooLarge { len: frame.len(), max: MAX_FRAME_LEN }));
    }

    #[test]
    fn unknown_types_and_bad_strings_are_reported() {
        assert_eq!(Message::decode(&[4]), Err(ProtocolError::UnknownMessageType(4)));
        assert_eq!(Message::decode(&[0, 3, 0]), Err(ProtocolError::UnknownSyncType(3)));
        assert_eq!(Message::decode(&[2, 1, 0]), Err(ProtocolError::UnknownAuthType(1)));
        assert_eq!(Message::decode(&[]), Err(ProtocolError::Truncated { what: "message type" }));
        assert_eq!(
            Message::decode(&[2, 0, 1, 0xff]),
            Err(ProtocolError::InvalidUtf8 { what: "permission-denied reason" })
        );
    }

    #[test]
    fn awareness_states_must_be_json_and_null_means_left() {
        let entry = |json: &str| {
            let mut w = Writer::default();
            w.varuint(1);
            w.varuint(9);
            w.varuint(1);
            w.var_string(json);
            AwarenessUpdate::decode(&w.buf)
        };
        assert_eq!(entry(" null\n").unwrap().entries[0].state, None);
        assert_eq!(entry("{}").unwrap().entries[0].state.as_deref(), Some("{}"));
        assert!(matches!(entry("{"), Err(ProtocolError::InvalidJson { client_id: 9, .. })));
        assert!(matches!(entry(""), Err(ProtocolError::InvalidJson { .. })));
        // Validation skips over values without recursing, so deep nesting neither crashes nor
        // counts as invalid; unbalanced nesting is still caught.
        let deep = format!("{}{}", "[".repeat(100_000), "]".repeat(100_000));
        assert!(entry(&deep).unwrap().entries[0].state.is_some());
        assert!(matches!(entry(&deep[1..]), Err(ProtocolError::InvalidJson { .. })));
    }

    /// An update with one client, one item under root "a" holding `content`.
    fn update_with_item(info: u8, content: &[u8]) -> Vec<u8> {
        let mut bytes = vec![1, 1, 1, 0, info, 1, 1, b'a'];
        bytes.extend_from_slice(content);
        bytes.push(0); // empty delete set
        bytes
    }

    #[test]
    fn decode_checked_rejects_payloads_that_would_crash_or_exhaust_yrs() {
        let invalid_update =
            |payload: &[u8]| matches!(checked_update(payload), Err(ProtocolError::InvalidUpdate { .. }));
        // Sanity: the item helper builds an update yrs accepts.
        assert!(checked_update(&update_with_item(8, &[1, 125, 5])).is_ok());
        // Any values nested a million deep would overflow yrs' recursive decoder.
        let mut deep = vec![1];
        for _ in 0..1_000_000 {
            deep.extend_from_slice(&[117, 1]);
        }
        deep.push(126);
        assert!(invalid_update(&update_with_item(8, &deep)));
        // A signed varint longer than 10 bytes overflows yrs' shift (a panic in debug builds).
        let mut long_int = vec![1, 125];
        long_int.extend_from_slice(&[0xff; 11]);
        long_int.push(0);
        assert!(invalid_update(&update_with_item(8, &long_int)));
        // A deleted range ending past u32::MAX overflows yrs' `clock + len`.
        assert!(invalid_update(&[0, 1, 1, 1, 0xff, 0xff, 0xff, 0xff, 0x0f, 1]));
        // Block clocks summing past u32::MAX.
        let mut clocks = vec![1, 2, 1, 0xfe, 0xff, 0xff, 0xff, 0x0f];
        clocks.extend_from_slice(&[0, 1, 0, 1, 0]);
        assert!(invalid_update(&clocks));
        // Counts that no input backs: clients, blocks, state vector entries.
        assert!(invalid_update(&[0xff, 0xff, 0xff, 0xff, 0x0f]));
        assert!(invalid_update(&[1, 0xff, 0xff, 0xff, 0xff, 0x0f, 1, 0]));
        assert!(matches!(
            decode_checked(&sync_frame(0, &[0xff, 0xff, 0xff, 0xff, 0x0f])),
            Err(ProtocolError::InvalidStateVector { .. })
        ));
        // A client id that small-client yrs would truncate.
        assert!(matches!(
            decode_checked(&sync_frame(0, &[1, 0x80, 0x80, 0x80, 0x80, 0x10, 1])),
            Err(ProtocolError::InvalidStateVector { .. })
        ));
        // Garbage and empty payloads.
        assert!(invalid_update(&[]));
        assert!(invalid_update(&update_with_item(8, &[1, 99])));
        assert!(matches!(decode_checked(&sync_frame(0, &[])), Err(ProtocolError::InvalidStateVector { .. })));
    }

    fn arb_message() -> impl Strategy<Value = Message> {
        let payload = || prop::collection::vec(any::<u8>(), 0..64);
        let state = prop::option::of(
            ("\\PC{0,12}", any::<i64>(), any::<bool>())
                .prop_map(|(name, n, b)| serde_json::json!({"name": name, "n": n, "b": b}).to_string()),
        );
        let entry = (any::<u64>(), any::<u64>(), state).prop_map(|(client_id, clock, state)| AwarenessEntry {
            client_id,
            clock,
            state,
        });
        prop_oneof![
            payload().prop_map(Message::SyncStep1),
            payload().prop_map(Message::SyncStep2),
            payload().prop_map(Message::Update),
            prop::collection::vec(entry, 0..5).prop_map(|entries| Message::Awareness(AwarenessUpdate { entries })),
            "\\PC{0,40}".prop_map(|reason| Message::Auth(AuthMessage::PermissionDenied { reason })),
            Just(Message::QueryAwareness),
        ]
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(512))]

        #[test]
        fn encode_then_decode_round_trips(message in arb_message()) {
            let frame = message.encode();
            prop_assert_eq!(Message::decode(&frame), Ok(message));
        }

        #[test]
        fn arbitrary_bytes_never_panic_decode_checked(bytes in prop::collection::vec(any::<u8>(), 0..256)) {
            let _ = decode_checked(&bytes);
        }

        #[test]
        fn arbitrary_sync_payloads_never_panic_decode_checked(
            sync_type in 0u8..3,
            payload in prop::collection::vec(any::<u8>(), 0..256),
        ) {
            let _ = decode_checked(&sync_frame(sync_type, &payload));
        }

        #[test]
        fn mutated_real_updates_never_panic_decode_checked(
            edits in prop::collection::vec((any::<prop::sample::Index>(), any::<u8>(), 0u8..3), 1..6),
        ) {
            let mut payload = sample_update();
            for (index, byte, kind) in edits {
                let at = index.index(payload.len() + 1);
                match kind {
                    0 if at < payload.len() => { if let Some(b) = payload.get_mut(at) { *b = byte } }
                    1 => payload.insert(at, byte),
                    _ if at < payload.len() => { payload.remove(at); }
                    _ => payload.push(byte),
                }
            }
            let _ = checked_update(&payload);
        }
    }
}
