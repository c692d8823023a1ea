//! Cross-crate and end-to-end tests: server + worker + clients, real Yjs clients, browser runs.
//!
//! The suites arrive with the server (issues 4–5); each crate's own tests live beside it.
