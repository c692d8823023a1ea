//! Fractional-index keys for z order.
//!
//! Each layer carries one key; siblings draw in key order (ties broken by layer id). Moving a
//! layer writes one new key between its new neighbours, so concurrent re-orderings never
//! duplicate or lose a layer: the last writer of that layer's key wins, and every other layer
//! stays where it was. Keys follow David Greenspan's "Implementing Fractional Indexing" (base
//! 62, a variable-length integer part so repeated appends stay short, and a fractional part
//! without trailing zeros).

use thiserror::Error;

const DIGITS: &[u8; 62] = b"0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz";
/// The key given to the first layer of an empty list.
pub const FIRST_KEY: &str = "a0";
/// Longest key accepted from outside.
pub const MAX_KEY_LEN: usize = 128;
const SMALLEST_INTEGER: &str = "A00000000000000000000000000";

/// Why a key could not be produced.
#[derive(Debug, Clone, PartialEq, Eq, Error)]
pub enum KeyError {
    /// A key passed in is not a valid fractional index.
    #[error("invalid order key {0:?}")]
    Invalid(String),
    /// `a` is not below `b`.
    #[error("order keys out of order: {a:?} is not below {b:?}")]
    OutOfOrder {
        /// Lower bound.
        a: String,
        /// Upper bound.
        b: String,
    },
    /// The key space at an end is used up (after about 10^47 appends).
    #[error("order key space exhausted")]
    Exhausted,
}

fn digit_value(c: u8) -> Option<usize> {
    DIGITS.iter().position(|&d| d == c)
}

fn integer_length(head: u8) -> Option<usize> {
    match head {
        b'a'..=b'z' => Some(usize::from(head - b'a') + 2),
        b'A'..=b'Z' => Some(usize::from(b'Z' - head) + 2),
        _ => None,
    }
}

/// Whether `key` is a well-formed key.
pub fn is_valid_key(key: &str) -> bool {
    split(key).is_ok()
}

fn split(key: &str) -> Result<(&str, &str), KeyError> {
    let invalid = || KeyError::Invalid(key.chars().take(40).collect());
    let bytes = key.as_bytes();
    if key.len() > MAX_KEY_LEN || !bytes.iter().all(|b| digit_value(*b).is_some()) {
        return Err(invalid());
    }
    let head = *bytes.first().ok_or_else(invalid)?;
    let n = integer_length(head).ok_or_else(invalid)?;
    if n > key.len() || key == SMALLEST_INTEGER {
        return Err(invalid());
    }
    let (int, frac) = key.split_at(n);
    if frac.ends_with('0') {
        return Err(invalid());
    }
    Ok((int, frac))
}

/// A key strictly between `a` and `b` (`None` = open end). `a` must sort below `b`.
pub fn key_between(a: Option<&str>, b: Option<&str>) -> Result<String, KeyError> {
    match (a, b) {
        (None, None) => Ok(FIRST_KEY.to_owned()),
        (None, Some(b)) => {
            let (ib, fb) = split(b)?;
            if ib == SMALLEST_INTEGER {
                return Ok(format!("{ib}{}", midpoint("", Some(fb))?));
            }
            if ib < b {
                return Ok(ib.to_owned());
            }
            decrement_integer(ib)?.ok_or(KeyError::Exhausted)
        }
        (Some(a), None) => {
            let (ia, fa) = split(a)?;
            match increment_integer(ia)? {
                Some(i) => Ok(i),
                None => Ok(format!("{ia}{}", midpoint(fa, None)?)),
            }
        }
        (Some(a), Some(b)) => {
            let (ia, fa) = split(a)?;
            let (ib, fb) = split(b)?;
            if a >= b {
                return Err(KeyError::OutOfOrder { a: a.to_owned(), b: b.to_owned() });
            }
            if ia == ib {
                return Ok(format!("{ia}{}", midpoint(fa, Some(fb))?));
            }
            match increment_integer(ia)? {
                Some(i) if i.as_str() < b => Ok(i),
                _ => Ok(format!("{ia}{}", midpoint(fa, None)?)),
            }
        }
    }
}

/// `n` keys in ascending order strictly between `a` and `b`.
pub fn keys_between(a: Option<&str>, b: Option<&str>, n: usize) -> Result<Vec<String>, KeyError> {
    let mut out = Vec::with_capacity(n);
    let mut lo = a.map(str::to_owned);
    for _ in 0..n {
        let k = key_between(lo.as_deref(), b)?;
        lo = Some(k.clone());
        out.push(k);
    }
    Ok(out)
}

/// Fractional part strictly between `a` and `b` (digit strings without trailing zeros).
fn midpoint(a: &str, b: Option<&str>) -> Result<String, KeyError> {
    let (ab, bb) = (a.as_bytes(), b.map(str::as_bytes));
    if let Some(bb) = bb {
        if ab >= bb {
            return Err(KeyError::OutOfOrder { a: a.to_owned(), b: b.unwrap_or_default().to_owned() });
        }
        let mut n = 0;
        while n < bb.len() && ab.get(n).copied().unwrap_or(b'0') == bb[n] {
            n += 1;
        }
        if n > 0 {
            let tail_b = b.unwrap_or_default().get(n..).unwrap_or_default();
            let tail_a = a.get(n.min(a.len())..).unwrap_or_default();
            return Ok(format!("{}{}", &b.unwrap_or_default()[..n], midpoint(tail_a, Some(tail_b))?));
        }
    }
    let digit_a = match ab.first() {
        Some(c) => digit_value(*c).ok_or_else(|| KeyError::Invalid(a.to_owned()))?,
        None => 0,
    };
    let digit_b = match bb {
        Some(bb) => {
            digit_value(*bb.first().ok_or(KeyError::Exhausted)?).ok_or_else(|| KeyError::Invalid(a.to_owned()))?
        }
        None => DIGITS.len(),
    };
    if digit_b > digit_a + 1 {
        let mid = (digit_a + digit_b).div_ceil(2);
        Ok(char::from(DIGITS[mid]).to_string())
    } else if let Some(bb) = bb.filter(|bb| bb.len() > 1) {
        Ok(char::from(bb[0]).to_string())
    } else {
        Ok(format!("{}{}", char::from(DIGITS[digit_a]), midpoint(a.get(1..).unwrap_or_default(), None)?))
    }
}

fn increment_integer(x: &str) -> Result<Option<String>, KeyError> {
    let bytes = x.as_bytes();
    let head = bytes[0];
    let mut digits: Vec<u8> = bytes[1..].to_vec();
    let mut carry = true;
    for d in digits.iter_mut().rev() {
        let v = digit_value(*d).ok_or_else(|| KeyError::Invalid(x.to_owned()))? + 1;
        if v == DIGITS.len() {
            *d = b'0';
        } else {
            *d = DIGITS[v];
            carry = false;
            break;
        }
    }
    if carry {
        if head == b'Z' {
            return Ok(Some("a0".to_owned()));
        }
        if head == b'z' {
            return Ok(None);
        }
        let h = head + 1;
        if h > b'a' {
            digits.push(b'0');
        } else {
            digits.pop();
        }
        return Ok(Some(format!("{}{}", char::from(h), String::from_utf8_lossy(&digits))));
    }
    Ok(Some(format!("{}{}", char::from(head), String::from_utf8_lossy(&digits))))
}

fn decrement_integer(x: &str) -> Result<Option<String>, KeyError> {
    let bytes = x.as_bytes();
    let head = bytes[0];
    let mut digits: Vec<u8> = bytes[1..].to_vec();
    let mut borrow = true;
    for d in digits.iter_mut().rev() {
        let v = digit_value(*d).ok_or_else(|| KeyError::Invalid(x.to_owned()))?;
        if v == 0 {
            *d = DIGITS[DIGITS.len() - 1];
        } else {
            *d = DIGITS[v - 1];
            borrow = false;
            break;
        }
    }
    if borrow {
        if head == b'a' {
            return Ok(Some("Zz".to_owned()));
        }
        if head == b'A' {
            return Ok(None);
        }
        let h = head - 1;
        if h < b'Z' {
            digits.push(b'z');
        } else {
            digits.pop();
        }
        return Ok(Some(format!("{}{}", char::from(h), String::from_utf8_lossy(&digits))));
    }
    Ok(Some(format!("{}{}", char::from(head), String::from_utf8_lossy(&digits))))
}

#[cfg(test)]
mod tests {
    use proptest::prelude::*;

    use super::*;

    #[test]
    fn known_keys() {
        assert_eq!(key_between(None, None).as_deref(), Ok("a0"));
        assert_eq!(key_between(Some("a0"), None).as_deref(), Ok("a1"));
        assert_eq!(key_between(None, Some("a0")).as_deref(), Ok("Zz"));
        assert_eq!(key_between(Some("a0"), Some("a1")).as_deref(), Ok("a0V"));
        assert_eq!(key_between(Some("az"), None).as_deref(), Ok("b00"));
        assert_eq!(key_between(Some("Zz"), None).as_deref(), Ok("a0"));
        assert!(key_between(Some("a1"), Some("a0")).is_err());
        assert!(key_between(Some("a0"), Some("a0")).is_err());
        for bad in ["", "a", "a00", "a0 ", "!", "b0", "b1x0"] {
            assert!(!is_valid_key(bad), "{bad:?}");
        }
    }

    #[test]
    fn ten_thousand_appends_stay_short() {
        let keys = keys_between(None, None, 10_000).unwrap();
        assert!(keys.windows(2).all(|w| w[0] < w[1]));
        assert!(keys.iter().all(|k| k.len() <= 4), "{:?}", keys.last());
    }

    proptest! {
        #[test]
        fn random_insertions_stay_ordered(positions in proptest::collection::vec(0usize..1000, 1..200)) {
            let mut keys: Vec<String> = Vec::new();
            for p in positions {
                let i = if keys.is_empty() { 0 } else { p % (keys.len() + 1) };
                let a = if i == 0 { None } else { Some(keys[i - 1].as_str()) };
                let b = keys.get(i).map(String::as_str);
                let k = key_between(a, b).unwrap();
                prop_assert!(is_valid_key(&k), "{k}");
                prop_assert!(a.is_none_or(|a| a < k.as_str()));
                prop_assert!(b.is_none_or(|b| k.as_str() < b));
                keys.insert(i, k);
            }
        }
    }
}
