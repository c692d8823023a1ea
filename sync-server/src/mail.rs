//! Outgoing email: handlers queue messages in the `email_outbox` table; one background task
//! sends them through SMTP (lettre), or logs them in development when no SMTP URL is set.
//!
//! The outbox is the source of truth: a message stays queued until a delivery succeeds, so a
//! crash or an SMTP outage delays mail but never drops it. A failed attempt is retried with
//! exponential backoff (1 s, 2 s, 4 s, … at most an hour apart) and given up after
//! [`MAX_ATTEMPTS`]; `last_error` keeps the reason.

use std::time::Duration;

use lettre::message::Mailbox;
use lettre::message::header::ContentType;
use lettre::{AsyncSmtpTransport, AsyncTransport as _, Message, Tokio1Executor};

use crate::AppState;
use crate::config::EmailConfig;
use crate::db::{OutboxEmail, now_ms};

/// Delivery attempts after which an email is given up.
pub const MAX_ATTEMPTS: i64 = 10;

/// How often the outbox is polled.
const POLL: Duration = Duration::from_secs(1);

/// Emails taken per poll.
const BATCH: i64 = 50;

/// How the sender delivers.
enum Delivery {
    /// No SMTP URL: log each email (the development setup; links are visible in the log).
    Log,
    /// Send through an SMTP server.
    Smtp { transport: Box<AsyncSmtpTransport<Tokio1Executor>>, from: Mailbox },
    /// The SMTP settings are unusable: keep emails queued and say why.
    Misconfigured(String),
}

impl Delivery {
    fn from_config(config: &EmailConfig) -> Delivery {
        if config.smtp_url.trim().is_empty() {
            return Delivery::Log;
        }
        let from = match config.from.parse::<Mailbox>() {
            Ok(from) => from,
            Err(e) => return Delivery::Misconfigured(format!("email.from {:?} is not an address: {e}", config.from)),
        };
        match AsyncSmtpTransport::<Tokio1Executor>::from_url(config.smtp_url.trim()) {
            Ok(builder) => {
                Delivery::Smtp { transport: Box::new(builder.timeout(Some(Duration::from_secs(30))).build()), from }
            }
            Err(e) => Delivery::Misconfigured(format!("email.smtp_url is not usable: {e}")),
        }
    }
}

/// Starts the sender: it drains the outbox at start and then every second, until aborted.
pub fn spawn_sender(state: AppState) -> tokio::task::JoinHandle<()> {
    tokio::spawn(async move {
        let delivery = Delivery::from_config(&state.config.email);
        if let Delivery::Misconfigured(why) = &delivery {
            tracing::error!(reason = %why, "emails stay queued until the SMTP settings are fixed");
        }
        loop {
            if !matches!(delivery, Delivery::Misconfigured(_)) {
                match state.db.emails_due(BATCH, MAX_ATTEMPTS).await {
                    Ok(batch) => {
                        for email in batch {
                            deliver(&state, &delivery, email).await;
                        }
                    }
                    Err(e) => tracing::error!(error = %e, "reading the email outbox failed"),
                }
            }
            tokio::time::sleep(POLL).await;
        }
    })
}

/// Tries one email and records the outcome.
async fn deliver(state: &AppState, delivery: &Delivery, email: OutboxEmail) {
    let outcome = match delivery {
        Delivery::Log => {
            tracing::info!(
                to = %email.recipient,
                subject = %email.subject,
                body = %email.body,
                "email (not sent: no SMTP server configured)"
            );
            Ok("logged")
        }
        Delivery::Smtp { transport, from } => send(transport, from, &email).await.map(|()| "sent"),
        Delivery::Misconfigured(why) => Err(why.clone()),
    };
    match outcome {
        Ok(label) => match state.db.mark_email_sent(email.id).await {
            Ok(_) => state.metrics.email(label),
            Err(e) => tracing::error!(error = %e, email = %email.id, "marking an email sent failed"),
        },
        Err(error) => {
            state.metrics.email("failed");
            let attempts = email.attempts + 1;
            if attempts >= MAX_ATTEMPTS {
                tracing::error!(email = %email.id, attempts, %error, "giving up on an email");
            } else {
                tracing::warn!(email = %email.id, attempts, %error, "email delivery failed; will retry");
            }
            let retry_at = now_ms().saturating_add(backoff_ms(attempts));
            if let Err(e) = state.db.defer_email(email.id, &error, retry_at).await {
                tracing::error!(error = %e, email = %email.id, "recording an email failure failed");
            }
        }
    }
}

/// 2^(attempts-1) seconds, at most an hour.
fn backoff_ms(attempts: i64) -> i64 {
    let exponent = u32::try_from(attempts.clamp(1, 13) - 1).unwrap_or(0);
    (1000_i64 << exponent).min(3_600_000)
}

async fn send(
    transport: &AsyncSmtpTransport<Tokio1Executor>,
    from: &Mailbox,
    email: &OutboxEmail,
) -> Result<(), String> {
    let to = email.recipient.parse::<Mailbox>().map_err(|e| format!("bad recipient: {e}"))?;
    let message = Message::builder()
        .from(from.clone())
        .to(to)
        .subject(email.subject.clone())
        .header(ContentType::TEXT_PLAIN)
        .body(email.body.clone())
        .map_err(|e| format!("building the message: {e}"))?;
    transport.send(message).await.map(|_| ()).map_err(|e| format!("SMTP: {e}"))
}

#[cfg(test)]
mod tests {
    #[test]
    fn backoff_doubles_up_to_an_hour() {
        assert_eq!(super::backoff_ms(1), 1000);
        assert_eq!(super::backoff_ms(2), 2000);
        assert_eq!(super::backoff_ms(4), 8000);
        assert_eq!(super::backoff_ms(40), 3_600_000);
        assert_eq!(super::backoff_ms(-3), 1000);
    }
}
