//! sync-server: the HTTP API, auth, document relay, queue and credits (DESIGN.md §5).
//!
//! Arrives with issues 4 and 5. It depends on editor-core (and gen-worker for the embedded
//! worker); the server never draws.
