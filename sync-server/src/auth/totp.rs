//! TOTP (RFC 6238: HMAC-SHA1, 30-second steps, 6 digits), as authenticator apps expect.

use hmac::{KeyInit as _, Mac as _};

/// Seconds per code.
pub const STEP_SECS: u64 = 30;

/// A new random secret (160 bits), base32 without padding.
pub fn new_secret() -> String {
    data_encoding::BASE32_NOPAD.encode(&super::random_bytes(20))
}

/// The `otpauth://` URL an authenticator app scans (as a QR code) to enrol.
pub fn otpauth_url(secret: &str, account: &str) -> String {
    let enc = |s: &str| -> String {
        s.bytes()
            .map(|b| match b {
                b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'.' | b'_' | b'~' => (b as char).to_string(),
                _ => format!("%{b:02X}"),
            })
            .collect()
    };
    format!(
        "otpauth://totp/CreativeFlow:{}?secret={secret}&issuer=CreativeFlow&algorithm=SHA1&digits=6&period={STEP_SECS}",
        enc(account)
    )
}

/// The code for time step `counter`.
pub fn code_at(secret: &str, counter: u64) -> Option<String> {
    let key = data_encoding::BASE32_NOPAD.decode(secret.trim_end_matches('=').as_bytes()).ok()?;
    let mut mac = hmac::Hmac::<sha1::Sha1>::new_from_slice(&key).ok()?;
    mac.update(&counter.to_be_bytes());
    let digest = mac.finalize().into_bytes();
    let offset = usize::from(digest[digest.len() - 1] & 0x0f);
    let word = u32::from_be_bytes([digest[offset], digest[offset + 1], digest[offset + 2], digest[offset + 3]]);
    Some(format!("{:06}", (word & 0x7fff_ffff) % 1_000_000))
}

/// The time step of `unix_secs`.
pub fn step(unix_secs: u64) -> u64 {
    unix_secs / STEP_SECS
}

/// The step `code` matches within one step of clock drift either way, if any.
pub fn matching_step(secret: &str, code: &str, unix_secs: u64) -> Option<u64> {
    let code = code.trim().replace(' ', "");
    if code.len() != 6 || !code.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    let now = step(unix_secs);
    [now, now.saturating_sub(1), now + 1]
        .into_iter()
        .find(|s| code_at(secret, *s).is_some_and(|c| super::constant_time_eq(c.as_bytes(), code.as_bytes())))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rfc_6238_sha1_vectors() {
        // The RFC's SHA-1 key "12345678901234567890", last six digits of its 8-digit codes.
        let secret = data_encoding::BASE32_NOPAD.encode(b"12345678901234567890");
        assert_eq!(code_at(&secret, step(59)).unwrap(), "287082");
        assert_eq!(code_at(&secret, step(1_111_111_109)).unwrap(), "081804");
        assert_eq!(code_at(&secret, step(1_234_567_890)).unwrap(), "005924");
        assert_eq!(code_at(&secret, step(2_000_000_000)).unwrap(), "279037");
    }

    #[test]
    fn drift_of_one_step_is_accepted_and_junk_is_not() {
        let secret = new_secret();
        let t = 1_700_000_000;
        let previous = code_at(&secret, step(t) - 1).unwrap();
        assert_eq!(matching_step(&secret, &previous, t), Some(step(t) - 1));
        let far = code_at(&secret, step(t) - 5).unwrap();
        assert!(matching_step(&secret, &far, t).is_none() || far == code_at(&secret, step(t)).unwrap());
        assert!(matching_step(&secret, "12ab56", t).is_none());
        assert!(otpauth_url(&secret, "ana@example.com").contains("CreativeFlow:ana%40example.com?secret="));
    }
}
