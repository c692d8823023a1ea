//! Comment threads and the approval trail of creatives, and the notifications they cause.
//!
//! A thread is its first comment (`thread_id` NULL) and the replies that name it. Deleting is
//! soft; a deleted thread hides its replies. Each write that notifies someone adds the
//! notifications in its own transaction (see [`super::notifications`]) and returns the users to
//! wake.

use serde_json::json;
use uuid::Uuid;

use super::content::Creative;
use super::notifications::Recipients;
use super::{Database, DbError, now_ms, parse_id};

/// A stored comment with its author's display name.
#[derive(Clone, Debug, PartialEq, sqlx::FromRow)]
pub struct Comment {
    /// UUIDv7.
    #[sqlx(try_from = "String")]
    pub id: Uuid,
    /// The creative.
    #[sqlx(try_from = "String")]
    pub creative_id: Uuid,
    /// The thread's first comment; `None` for that first comment itself.
    pub thread_id: Option<String>,
    /// Who wrote it.
    #[sqlx(try_from = "String")]
    pub author_id: Uuid,
    /// The author's display name.
    pub author_name: String,
    /// Text.
    pub body: String,
    /// The layer it is anchored to.
    pub layer_id: Option<String>,
    /// Anchor point, design px.
    pub x: Option<f64>,
    /// Anchor point, design px.
    pub y: Option<f64>,
    /// JSON array of the user ids mentioned.
    pub mentions: String,
    /// When the thread was resolved (threads only).
    pub resolved_at: Option<i64>,
    /// Who resolved it.
    pub resolved_by: Option<String>,
    /// Created, ms.
    pub created_at: i64,
    /// Last edited, ms.
    pub edited_at: Option<i64>,
    /// When it was deleted.
    pub deleted_at: Option<i64>,
}

impl Comment {
    /// The thread this comment belongs to (its own id for a thread's first comment).
    pub fn thread(&self) -> Result<Uuid, DbError> {
        self.thread_id.as_deref().map_or(Ok(self.id), parse_id)
    }

    /// The mentioned user ids (ids that do not parse are skipped).
    pub fn mention_ids(&self) -> Vec<Uuid> {
        serde_json::from_str::<Vec<String>>(&self.mentions)
            .unwrap_or_default()
            .iter()
            .filter_map(|s| Uuid::parse_str(s).ok())
            .collect()
    }
}

/// A new comment (a thread, or a reply when `thread_id` is set).
#[derive(Clone, Debug)]
pub struct NewComment<'a> {
    /// The thread replied to.
    pub thread_id: Option<Uuid>,
    /// The author.
    pub author_id: Uuid,
    /// The author's display name (for the notifications).
    pub author_name: &'a str,
    /// Text, already validated.
    pub body: &'a str,
    /// Anchor layer.
    pub layer_id: Option<&'a str>,
    /// Anchor point, design px.
    pub x: Option<f64>,
    /// Anchor point, design px.
    pub y: Option<f64>,
    /// Users mentioned (members of the creative's team, checked by the caller).
    pub mentions: &'a [Uuid],
}

/// One entry of a creative's approval trail, with the actor's display name.
#[derive(Clone, Debug, PartialEq, Eq, sqlx::FromRow)]
pub struct ApprovalEvent {
    /// UUIDv7.
    #[sqlx(try_from = "String")]
    pub id: Uuid,
    /// Who acted.
    #[sqlx(try_from = "String")]
    pub actor_id: Uuid,
    /// The actor's display name.
    pub actor_name: String,
    /// `requested`, `approved` or `rejected`.
    pub action: String,
    /// JSON array of reviewer ids (review requests).
    pub reviewers: String,
    /// The requester's message.
    pub message: Option<String>,
    /// The comment thread holding the reviewer's comment (decisions).
    pub comment_id: Option<String>,
    /// When, ms.
    pub created_at: i64,
}

impl ApprovalEvent {
    /// The reviewer ids.
    pub fn reviewer_ids(&self) -> Vec<Uuid> {
        serde_json::from_str::<Vec<String>>(&self.reviewers)
            .unwrap_or_default()
            .iter()
            .filter_map(|s| Uuid::parse_str(s).ok())
            .collect()
    }
}

/// A reviewer's decision.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Decision {
    /// The creative is approved.
    Approve,
    /// The creative is rejected.
    Reject,
}

impl Decision {
    /// The approval status it leads to (also the trail's action).
    pub fn status(self) -> &'static str {
        match self {
            Decision::Approve => "approved",
            Decision::Reject => "rejected",
        }
    }
}

/// At most this many characters of a comment go into a notification.
const EXCERPT_CHARS: usize = 140;

fn excerpt(body: &str) -> String {
    let mut out: String = body.chars().take(EXCERPT_CHARS).collect();
    if body.chars().nth(EXCERPT_CHARS).is_some() {
        out.push('…');
    }
    out
}

fn ids_json(ids: &[Uuid]) -> String {
    serde_json::Value::from(ids.iter().map(Uuid::to_string).collect::<Vec<_>>()).to_string()
}

/// `SELECT` of a comment with its author's name, for `concat!`.
macro_rules! select_comment {
    () => {
        "SELECT c.id, c.creative_id, c.thread_id, c.author_id, u.display_name AS author_name, c.body, c.layer_id, \
         c.x, c.y, c.mentions, c.resolved_at, c.resolved_by, c.created_at, c.edited_at, c.deleted_at \
         FROM comments c JOIN users u ON u.id = c.author_id "
    };
}

const INSERT_COMMENT: &str = "INSERT INTO comments (id, creative_id, thread_id, author_id, body, layer_id, x, y, \
                              mentions, created_at) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10)";
const INSERT_EVENT: &str = "INSERT INTO approval_events (id, creative_id, actor_id, action, reviewers, message, \
                            comment_id, created_at) VALUES ($1, $2, $3, $4, $5, $6, $7, $8)";

impl Database {
    /// A comment by id (deleted ones too), `None` if there is none.
    pub async fn comment(&self, id: Uuid) -> Result<Option<Comment>, DbError> {
        const SQL: &str = concat!(select_comment!(), "WHERE c.id = $1");
        let id = id.to_string();
        Ok(dual!(self, |pool, sql| sqlx::query_as(sql(SQL)).bind(&id).fetch_optional(pool).await?))
    }

    /// A page of a creative's live threads, newest first (`before`: exclusive id bound), with
    /// `resolved`: `Some(true)` only resolved ones, `Some(false)` only open ones.
    pub async fn comment_threads(
        &self,
        creative_id: Uuid,
        resolved: Option<bool>,
        before: &str,
        limit: i64,
    ) -> Result<Vec<Comment>, DbError> {
        const SQL: &str = concat!(
            select_comment!(),
            "WHERE c.creative_id = $1 AND c.thread_id IS NULL AND c.deleted_at IS NULL AND c.id < $2 \
             AND ($4 = 0 OR ($4 = 1 AND c.resolved_at IS NOT NULL) OR ($4 = 2 AND c.resolved_at IS NULL)) \
             ORDER BY c.id DESC LIMIT $3"
        );
        let filter: i64 = match resolved {
            None => 0,
            Some(true) => 1,
            Some(false) => 2,
        };
        let creative = creative_id.to_string();
        Ok(dual!(self, |pool, sql| {
            sqlx::query_as(sql(SQL)).bind(&creative).bind(before).bind(limit).bind(filter).fetch_all(pool).await?
        }))
    }

    /// The live replies of the creative's threads whose ids lie in `first..=last`, oldest first.
    pub async fn comment_replies(&self, creative_id: Uuid, first: Uuid, last: Uuid) -> Result<Vec<Comment>, DbError> {
        const SQL: &str = concat!(
            select_comment!(),
            "WHERE c.creative_id = $1 AND c.thread_id >= $2 AND c.thread_id <= $3 AND c.deleted_at IS NULL \
             ORDER BY c.id"
        );
        let (creative, first, last) = (creative_id.to_string(), first.to_string(), last.to_string());
        Ok(dual!(self, |pool, sql| {
            sqlx::query_as(sql(SQL)).bind(&creative).bind(&first).bind(&last).fetch_all(pool).await?
        }))
    }

    /// Adds a comment to `creative` and notifies: mentioned users (`mention`), and the
    /// creative's creator and, for a reply, everyone who wrote in the thread (`comment`); never
    /// the author. Returns the comment and the users notified.
    pub async fn create_comment(
        &self,
        creative: &Creative,
        new: &NewComment<'_>,
    ) -> Result<(Comment, Vec<Uuid>), DbError> {
        const PARTICIPANTS: &str = "SELECT DISTINCT author_id FROM comments WHERE id = $1 OR thread_id = $1";
        let comment = Comment {
            id: Uuid::now_v7(),
            creative_id: creative.id,
            thread_id: new.thread_id.map(|t| t.to_string()),
            author_id: new.author_id,
            author_name: new.author_name.to_owned(),
            body: new.body.to_owned(),
            layer_id: new.layer_id.map(str::to_owned),
            x: new.x,
            y: new.y,
            mentions: ids_json(new.mentions),
            resolved_at: None,
            resolved_by: None,
            created_at: now_ms(),
            edited_at: None,
            deleted_at: None,
        };
        let thread = new.thread_id.unwrap_or(comment.id);
        let payload = |kind: &str| {
            let what = match (kind, new.thread_id) {
                ("mention", _) => "mentioned you on",
                (_, Some(_)) => "replied on",
                (_, None) => "commented on",
            };
            json!({
                "creative_id": creative.id,
                "creative_name": creative.name,
                "comment_id": comment.id,
                "thread_id": thread,
                "author_id": new.author_id,
                "author_name": new.author_name,
                "excerpt": excerpt(new.body),
                "text": format!("{} {what} \u{201c}{}\u{201d}: {}", new.author_name, creative.name, excerpt(new.body)),
            })
        };
        let mut recipients = Recipients::default();
        for &user in new.mentions {
            recipients.add(user, "mention", payload("mention"));
        }
        if let Ok(creator) = parse_id(&creative.created_by) {
            recipients.add(creator, "comment", payload("comment"));
        }
        let (id, creative_id, author) = (comment.id.to_string(), creative.id.to_string(), new.author_id.to_string());
        let thread_text = thread.to_string();
        let notified = write_tx!(self, |tx, sql| {
            if new.thread_id.is_some() {
                let authors: Vec<String> =
                    sqlx::query_scalar(sql(PARTICIPANTS)).bind(&thread_text).fetch_all(&mut *tx).await?;
                for a in authors {
                    recipients.add(parse_id(&a)?, "comment", payload("comment"));
                }
            }
            recipients.remove(new.author_id);
            sqlx::query(sql(INSERT_COMMENT))
                .bind(&id)
                .bind(&creative_id)
                .bind(&comment.thread_id)
                .bind(&author)
                .bind(&comment.body)
                .bind(&comment.layer_id)
                .bind(comment.x)
                .bind(comment.y)
                .bind(&comment.mentions)
                .bind(comment.created_at)
                .execute(&mut *tx)
                .await?;
            recipients.deliver(&mut *tx).await?
        });
        Ok((comment, notified))
    }

    /// Replaces a live comment's text; the updated comment, `None` if it is gone.
    pub async fn edit_comment(&self, id: Uuid, body: &str) -> Result<Option<Comment>, DbError> {
        const SQL: &str = "UPDATE comments SET body = $1, edited_at = $2 WHERE id = $3 AND deleted_at IS NULL";
        let (cid, now) = (id.to_string(), now_ms());
        let n = write_tx!(self, |tx, sql| {
            sqlx::query(sql(SQL)).bind(body).bind(now).bind(&cid).execute(&mut *tx).await?.rows_affected()
        });
        if n == 0 { Ok(None) } else { self.comment(id).await }
    }

    /// Soft-deletes a live comment; whether it was live.
    pub async fn delete_comment(&self, id: Uuid) -> Result<bool, DbError> {
        const SQL: &str = "UPDATE comments SET deleted_at = $1 WHERE id = $2 AND deleted_at IS NULL";
        let (cid, now) = (id.to_string(), now_ms());
        let n = write_tx!(self, |tx, sql| {
            sqlx::query(sql(SQL)).bind(now).bind(&cid).execute(&mut *tx).await?.rows_affected()
        });
        Ok(n == 1)
    }

    /// Resolves a live thread (`by` set) or reopens it (`None`); resolving an already resolved
    /// thread keeps who resolved it first. The thread, `None` if it is gone.
    pub async fn set_thread_resolved(&self, id: Uuid, by: Option<Uuid>) -> Result<Option<Comment>, DbError> {
        const RESOLVE: &str = "UPDATE comments SET resolved_at = $1, resolved_by = $2 \
                               WHERE id = $3 AND thread_id IS NULL AND deleted_at IS NULL AND resolved_at IS NULL";
        const REOPEN: &str = "UPDATE comments SET resolved_at = NULL, resolved_by = NULL \
                              WHERE id = $1 AND thread_id IS NULL AND deleted_at IS NULL";
        let (cid, now) = (id.to_string(), now_ms());
        let by = by.map(|u| u.to_string());
        write_tx!(self, |tx, sql| {
            match &by {
                Some(by) => sqlx::query(sql(RESOLVE)).bind(now).bind(by).bind(&cid).execute(&mut *tx).await?,
                None => sqlx::query(sql(REOPEN)).bind(&cid).execute(&mut *tx).await?,
            };
        });
        Ok(self.comment(id).await?.filter(|c| c.deleted_at.is_none()))
    }

    // ------------------------------------------------------------------ approvals

    /// Puts the creative in review, records the request and notifies the reviewers
    /// (`review_requested`; not the requester). Returns the trail entry and the users notified.
    pub async fn request_review(
        &self,
        creative: &Creative,
        actor: Uuid,
        actor_name: &str,
        reviewers: &[Uuid],
        message: Option<&str>,
    ) -> Result<(ApprovalEvent, Vec<Uuid>), DbError> {
        const STATUS: &str = "UPDATE creatives SET approval_status = 'in_review', updated_at = $1 WHERE id = $2";
        let event = ApprovalEvent {
            id: Uuid::now_v7(),
            actor_id: actor,
            actor_name: actor_name.to_owned(),
            action: "requested".to_owned(),
            reviewers: ids_json(reviewers),
            message: message.map(str::to_owned),
            comment_id: None,
            created_at: now_ms(),
        };
        let mut recipients = Recipients::default();
        for &r in reviewers {
            recipients.add(
                r,
                "review_requested",
                json!({
                    "creative_id": creative.id,
                    "creative_name": creative.name,
                    "requester_id": actor,
                    "requester_name": actor_name,
                    "message": message,
                    "text": format!("{actor_name} asked you to review \u{201c}{}\u{201d}", creative.name),
                }),
            );
        }
        recipients.remove(actor);
        let (id, cid, actor_text) = (event.id.to_string(), creative.id.to_string(), actor.to_string());
        let notified = write_tx!(self, |tx, sql| {
            sqlx::query(sql(STATUS)).bind(event.created_at).bind(&cid).execute(&mut *tx).await?;
            sqlx::query(sql(INSERT_EVENT))
                .bind(&id)
                .bind(&cid)
                .bind(&actor_text)
                .bind(&event.action)
                .bind(&event.reviewers)
                .bind(&event.message)
                .bind(None::<String>)
                .bind(event.created_at)
                .execute(&mut *tx)
                .await?;
            recipients.deliver(&mut *tx).await?
        });
        Ok((event, notified))
    }

    /// Approves or rejects the creative: sets its status, stores the reviewer's comment (if any)
    /// as a new thread, records the decision and notifies everyone who requested a review and
    /// the creative's creator (`approval_changed`; not the reviewer). Returns the trail entry,
    /// the comment and the users notified.
    pub async fn decide_approval(
        &self,
        creative: &Creative,
        actor: Uuid,
        actor_name: &str,
        decision: Decision,
        comment: Option<&str>,
    ) -> Result<(ApprovalEvent, Option<Comment>, Vec<Uuid>), DbError> {
        const STATUS: &str = "UPDATE creatives SET approval_status = $1, updated_at = $2 WHERE id = $3";
        const REQUESTERS: &str =
            "SELECT DISTINCT actor_id FROM approval_events WHERE creative_id = $1 AND action = 'requested'";
        let now = now_ms();
        let comment = comment.map(|body| Comment {
            id: Uuid::now_v7(),
            creative_id: creative.id,
            thread_id: None,
            author_id: actor,
            author_name: actor_name.to_owned(),
            body: body.to_owned(),
            layer_id: None,
            x: None,
            y: None,
            mentions: "[]".to_owned(),
            resolved_at: None,
            resolved_by: None,
            created_at: now,
            edited_at: None,
            deleted_at: None,
        });
        let event = ApprovalEvent {
            id: Uuid::now_v7(),
            actor_id: actor,
            actor_name: actor_name.to_owned(),
            action: decision.status().to_owned(),
            reviewers: "[]".to_owned(),
            message: None,
            comment_id: comment.as_ref().map(|c| c.id.to_string()),
            created_at: now,
        };
        let verb = match decision {
            Decision::Approve => "approved",
            Decision::Reject => "rejected",
        };
        let payload = json!({
            "creative_id": creative.id,
            "creative_name": creative.name,
            "status": decision.status(),
            "actor_id": actor,
            "actor_name": actor_name,
            "comment_id": comment.as_ref().map(|c| c.id),
            "excerpt": comment.as_ref().map(|c| excerpt(&c.body)),
            "text": format!("{actor_name} {verb} \u{201c}{}\u{201d}", creative.name),
        });
        let mut recipients = Recipients::default();
        if let Ok(creator) = parse_id(&creative.created_by) {
            recipients.add(creator, "approval_changed", payload.clone());
        }
        let (id, cid, actor_text) = (event.id.to_string(), creative.id.to_string(), actor.to_string());
        let notified = write_tx!(self, |tx, sql| {
            let requesters: Vec<String> = sqlx::query_scalar(sql(REQUESTERS)).bind(&cid).fetch_all(&mut *tx).await?;
            for r in requesters {
                recipients.add(parse_id(&r)?, "approval_changed", payload.clone());
            }
            recipients.remove(actor);
            if let Some(c) = &comment {
                sqlx::query(sql(INSERT_COMMENT))
                    .bind(c.id.to_string())
                    .bind(&cid)
                    .bind(None::<String>)
                    .bind(&actor_text)
                    .bind(&c.body)
                    .bind(None::<String>)
                    .bind(None::<f64>)
                    .bind(None::<f64>)
                    .bind(&c.mentions)
                    .bind(now)
                    .execute(&mut *tx)
                    .await?;
            }
            sqlx::query(sql(STATUS)).bind(decision.status()).bind(now).bind(&cid).execute(&mut *tx).await?;
            sqlx::query(sql(INSERT_EVENT))
                .bind(&id)
                .bind(&cid)
                .bind(&actor_text)
                .bind(&event.action)
                .bind(&event.reviewers)
                .bind(None::<String>)
                .bind(&event.comment_id)
                .bind(now)
                .execute(&mut *tx)
                .await?;
            recipients.deliver(&mut *tx).await?
        });
        Ok((event, comment, notified))
    }

    /// The creative's approval trail, oldest first.
    pub async fn approval_trail(&self, creative_id: Uuid) -> Result<Vec<ApprovalEvent>, DbError> {
        const SQL: &str = "SELECT e.id, e.actor_id, u.display_name AS actor_name, e.action, e.reviewers, e.message, \
                           e.comment_id, e.created_at FROM approval_events e JOIN users u ON u.id = e.actor_id \
                           WHERE e.creative_id = $1 ORDER BY e.id";
        let cid = creative_id.to_string();
        Ok(dual!(self, |pool, sql| sqlx::query_as(sql(SQL)).bind(&cid).fetch_all(pool).await?))
    }
}
