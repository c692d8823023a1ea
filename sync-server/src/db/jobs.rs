//! Generations, their samples and finals, and the job queue workers lease over HTTP.
//!
//! A job is `queued` until a worker leases it (`leased`, with a lease token and an expiry the
//! worker extends by heartbeats). It ends `done`, `canceled`, or `dead` once its attempts are
//! spent. A lease that lapses (a crashed worker) makes the job leasable again: the next lease
//! takes it over with a new token, so the old worker's late reports are refused. Failures that
//! may pass are retried after an exponential backoff.

use uuid::Uuid;

use super::{Database, DbError, now_ms};

/// A generation request and its state.
#[derive(Clone, Debug, PartialEq, sqlx::FromRow)]
pub struct Generation {
    /// UUIDv7.
    #[sqlx(try_from = "String")]
    pub id: Uuid,
    /// Who asked.
    #[sqlx(try_from = "String")]
    pub user_id: Uuid,
    /// The team charged.
    #[sqlx(try_from = "String")]
    pub team_id: Uuid,
    /// The workbench whose brand kit it used.
    pub workbench_id: Option<String>,
    /// The generation this one regenerates.
    pub parent_id: Option<String>,
    /// The request, JSON (see `api::generations::StoredRequest`).
    pub request: String,
    /// `queued`, `running`, `succeeded`, `failed` or `canceled`.
    pub status: String,
    /// A plain-language reason when failed.
    pub error: Option<String>,
    /// The client's idempotency key.
    pub idempotency_key: Option<String>,
    /// 1 when asked through an API key.
    pub via_api_key: i64,
    /// The credit hold, when the plan charges for samples.
    pub hold_id: Option<String>,
    /// Created, ms.
    pub created_at: i64,
    /// Last changed, ms.
    pub updated_at: i64,
    /// Finished, ms.
    pub completed_at: Option<i64>,
}

/// One generated design.
#[derive(Clone, Debug, PartialEq, sqlx::FromRow)]
pub struct Sample {
    /// 0..4.
    pub idx: i64,
    /// The design file, JSON.
    pub design: String,
    /// The 512 px preview PNG in the asset store.
    pub preview_sha256: String,
    /// The template it was laid out from.
    pub template: String,
    /// The palette's name.
    pub palette: String,
    /// The font pairing's name.
    pub fonts: String,
    /// Created, ms.
    pub created_at: i64,
}

/// A final render of a chosen sample.
#[derive(Clone, Debug, PartialEq, sqlx::FromRow)]
pub struct Final {
    /// UUIDv7.
    #[sqlx(try_from = "String")]
    pub id: Uuid,
    /// The generation, for a final of a sample.
    pub generation_id: Option<String>,
    /// The sample (0 for a creative export).
    pub sample_idx: i64,
    /// The creative, for an export of a creative's document.
    pub creative_id: Option<String>,
    /// Who asked.
    #[sqlx(try_from = "String")]
    pub user_id: Uuid,
    /// The team charged.
    #[sqlx(try_from = "String")]
    pub team_id: Uuid,
    /// `standard`, `hd` or `uhd`.
    pub size: String,
    /// `png`, `jpeg`, `webp`, `pdf` or `svg`.
    pub format: String,
    /// 1 when the plan stamps a watermark.
    pub watermark: i64,
    /// `queued`, `running`, `succeeded`, `failed`.
    pub status: String,
    /// A plain-language reason when failed.
    pub error: Option<String>,
    /// The file in the asset store.
    pub output_sha256: Option<String>,
    /// Its MIME type.
    pub content_type: Option<String>,
    /// Pixel width (or the page's).
    pub width: Option<i64>,
    /// Pixel height.
    pub height: Option<i64>,
    /// File size.
    pub byte_size: Option<i64>,
    /// The credit hold.
    pub hold_id: Option<String>,
    /// Created, ms.
    pub created_at: i64,
    /// Finished, ms.
    pub completed_at: Option<i64>,
}

/// A queued unit of work.
#[derive(Clone, Debug, PartialEq, sqlx::FromRow)]
pub struct Job {
    /// UUIDv7.
    #[sqlx(try_from = "String")]
    pub id: Uuid,
    /// `samples` or `final`.
    pub kind: String,
    /// The generation or final it works on.
    #[sqlx(try_from = "String")]
    pub subject_id: Uuid,
    /// `queued`, `leased`, `done`, `dead`, `canceled`.
    pub status: String,
    /// Leases so far.
    pub attempts: i64,
    /// Leases allowed.
    pub max_attempts: i64,
    /// The current lease's token.
    pub lease_token: Option<String>,
    /// Why the last attempt failed.
    pub last_error: Option<String>,
}

/// A new generation and its samples job.
#[derive(Clone, Debug)]
pub struct NewGeneration<'a> {
    /// Id (chosen by the caller so a credit hold can name it first).
    pub id: Uuid,
    /// Who asks.
    pub user_id: Uuid,
    /// The team charged.
    pub team_id: Uuid,
    /// The workbench.
    pub workbench_id: Option<Uuid>,
    /// The generation regenerated.
    pub parent_id: Option<Uuid>,
    /// The request, JSON.
    pub request: &'a str,
    /// The client's idempotency key.
    pub idempotency_key: Option<&'a str>,
    /// Asked through an API key.
    pub via_api_key: bool,
    /// The credit hold.
    pub hold_id: Option<Uuid>,
    /// Leases allowed.
    pub max_attempts: i64,
}

/// A new final and its job.
#[derive(Clone, Debug)]
pub struct NewFinal<'a> {
    /// Id.
    pub id: Uuid,
    /// The generation (a final of a sample), or `None` for a creative export.
    pub generation_id: Option<Uuid>,
    /// The sample (0 for a creative export).
    pub sample_idx: i64,
    /// The creative (a creative export).
    pub creative_id: Option<Uuid>,
    /// The design file to render, JSON (a creative export's snapshot of its document).
    pub design: Option<&'a str>,
    /// Who asks.
    pub user_id: Uuid,
    /// The team charged.
    pub team_id: Uuid,
    /// `standard`, `hd`, `uhd`.
    pub size: &'a str,
    /// Output format.
    pub format: &'a str,
    /// Stamp the watermark.
    pub watermark: bool,
    /// The credit hold.
    pub hold_id: Option<Uuid>,
    /// Leases allowed.
    pub max_attempts: i64,
}

/// What happened to a job after a failed attempt.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum FailOutcome {
    /// Queued again after the backoff.
    Retrying,
    /// Out of attempts (or not retryable): dead.
    Dead,
    /// The lease was not (or no longer) this worker's.
    NotYours,
}

macro_rules! generation_columns {
    () => {
        "SELECT id, user_id, team_id, workbench_id, parent_id, request, status, error, idempotency_key, via_api_key, \
         hold_id, created_at, updated_at, completed_at FROM generations "
    };
}
macro_rules! final_columns {
    () => {
        "SELECT id, generation_id, sample_idx, creative_id, user_id, team_id, size, format, watermark, status, error, \
         output_sha256, content_type, width, height, byte_size, hold_id, created_at, completed_at FROM finals "
    };
}
macro_rules! job_columns {
    () => {
        "SELECT id, kind, subject_id, status, attempts, max_attempts, lease_token, last_error FROM jobs "
    };
}

/// Binds `from` (1–3 statuses) to the three `IN` slots of a status update, repeating the first.
fn three<'a>(from: &[&'a str]) -> [&'a str; 3] {
    let first = from.first().copied().unwrap_or("");
    [first, from.get(1).copied().unwrap_or(first), from.get(2).copied().unwrap_or(first)]
}
/// Ends a leased job whose worker stopped answering on its last attempt (`$1` now, `$2` id).
const LAPSED_DEAD: &str = "UPDATE jobs SET status = 'dead', lease_token = NULL, updated_at = $1, \
                           last_error = COALESCE(last_error, 'the worker stopped answering') \
                           WHERE id = $2 AND status = 'leased'";
const INSERT_JOB: &str = "INSERT INTO jobs (id, kind, subject_id, status, attempts, max_attempts, run_after, \
                          created_at, updated_at) VALUES ($1, $2, $3, 'queued', 0, $4, $5, $5, $5)";

impl Database {
    /// The caller's generation with this idempotency key, if any.
    pub async fn generation_by_key(&self, user: Uuid, key: &str) -> Result<Option<Generation>, DbError> {
        const SQL: &str = concat!(generation_columns!(), "WHERE user_id = $1 AND idempotency_key = $2");
        let uid = user.to_string();
        Ok(dual!(self, |pool, sql| sqlx::query_as(sql(SQL)).bind(&uid).bind(key).fetch_optional(pool).await?))
    }

    /// Stores a generation and queues its samples job in one transaction.
    pub async fn create_generation(&self, new: &NewGeneration<'_>) -> Result<Generation, DbError> {
        const SQL: &str = "INSERT INTO generations (id, user_id, team_id, workbench_id, parent_id, request, status, \
                           idempotency_key, via_api_key, hold_id, created_at, updated_at) \
                           VALUES ($1, $2, $3, $4, $5, $6, 'queued', $7, $8, $9, $10, $10)";
        let now = now_ms();
        let g = Generation {
            id: new.id,
            user_id: new.user_id,
            team_id: new.team_id,
            workbench_id: new.workbench_id.map(|w| w.to_string()),
            parent_id: new.parent_id.map(|p| p.to_string()),
            request: new.request.to_owned(),
            status: "queued".into(),
            error: None,
            idempotency_key: new.idempotency_key.map(str::to_owned),
            via_api_key: i64::from(new.via_api_key),
            hold_id: new.hold_id.map(|h| h.to_string()),
            created_at: now,
            updated_at: now,
            completed_at: None,
        };
        let (id, user, team) = (g.id.to_string(), g.user_id.to_string(), g.team_id.to_string());
        write_tx!(self, |tx, sql| {
            sqlx::query(sql(SQL))
                .bind(&id)
                .bind(&user)
                .bind(&team)
                .bind(&g.workbench_id)
                .bind(&g.parent_id)
                .bind(&g.request)
                .bind(&g.idempotency_key)
                .bind(g.via_api_key)
                .bind(&g.hold_id)
                .bind(now)
                .execute(&mut *tx)
                .await?;
            sqlx::query(sql(INSERT_JOB))
                .bind(Uuid::now_v7().to_string())
                .bind("samples")
                .bind(&id)
                .bind(new.max_attempts)
                .bind(now)
                .execute(&mut *tx)
                .await?;
        });
        Ok(g)
    }

    /// A generation.
    pub async fn generation(&self, id: Uuid) -> Result<Option<Generation>, DbError> {
        const SQL: &str = concat!(generation_columns!(), "WHERE id = $1");
        let id = id.to_string();
        Ok(dual!(self, |pool, sql| sqlx::query_as(sql(SQL)).bind(&id).fetch_optional(pool).await?))
    }

    /// The user's generations with ids below `before`, newest first.
    pub async fn list_generations(&self, user: Uuid, before: &str, limit: i64) -> Result<Vec<Generation>, DbError> {
        const SQL: &str = concat!(generation_columns!(), "WHERE user_id = $1 AND id < $2 ORDER BY id DESC LIMIT $3");
        let uid = user.to_string();
        Ok(dual!(self, |pool, sql| {
            sqlx::query_as(sql(SQL)).bind(&uid).bind(before).bind(limit).fetch_all(pool).await?
        }))
    }

    /// A generation's samples, in order.
    pub async fn samples(&self, generation: Uuid) -> Result<Vec<Sample>, DbError> {
        const SQL: &str = "SELECT idx, design, preview_sha256, template, palette, fonts, created_at \
                           FROM generation_samples WHERE generation_id = $1 ORDER BY idx";
        let id = generation.to_string();
        Ok(dual!(self, |pool, sql| sqlx::query_as(sql(SQL)).bind(&id).fetch_all(pool).await?))
    }

    /// Stores (or, on a retried job, replaces) sample `idx` of a running generation. False when
    /// the generation is no longer running.
    pub async fn put_sample(&self, generation: Uuid, sample: &Sample) -> Result<bool, DbError> {
        const CHECK: &str = "SELECT status FROM generations WHERE id = $1";
        const DELETE: &str = "DELETE FROM generation_samples WHERE generation_id = $1 AND idx = $2";
        const INSERT: &str = "INSERT INTO generation_samples (generation_id, idx, design, preview_sha256, template, \
                              palette, fonts, created_at) VALUES ($1, $2, $3, $4, $5, $6, $7, $8)";
        let id = generation.to_string();
        Ok(write_tx!(self, |tx, sql| {
            let status: Option<String> = sqlx::query_scalar(sql(CHECK)).bind(&id).fetch_optional(&mut *tx).await?;
            if !matches!(status.as_deref(), Some("queued" | "running")) {
                false
            } else {
                sqlx::query(sql(DELETE)).bind(&id).bind(sample.idx).execute(&mut *tx).await?;
                sqlx::query(sql(INSERT))
                    .bind(&id)
                    .bind(sample.idx)
                    .bind(&sample.design)
                    .bind(&sample.preview_sha256)
                    .bind(&sample.template)
                    .bind(&sample.palette)
                    .bind(&sample.fonts)
                    .bind(now_ms())
                    .execute(&mut *tx)
                    .await?;
                true
            }
        }))
    }

    /// Moves a generation from one of `from` to `to` (with an error message for failures);
    /// false when it was in none of them.
    pub async fn set_generation_status(
        &self,
        id: Uuid,
        from: &[&str],
        to: &str,
        error: Option<&str>,
    ) -> Result<bool, DbError> {
        const SQL: &str = "UPDATE generations SET status = $1, error = $2, updated_at = $3, \
                           completed_at = CASE WHEN $1 IN ('succeeded', 'failed', 'canceled') THEN $3 ELSE completed_at END \
                           WHERE id = $4 AND status IN ($5, $6, $7)";
        self.move_status(SQL, id, from, to, error).await
    }

    /// Runs a status update `SQL` (`$1` new status, `$2` error, `$3` now, `$4` id, `$5..$7`
    /// the statuses it may leave); whether a row changed.
    async fn move_status(
        &self,
        sql_text: &'static str,
        id: Uuid,
        from: &[&str],
        to: &str,
        error: Option<&str>,
    ) -> Result<bool, DbError> {
        let id = id.to_string();
        let now = now_ms();
        let [a, b, c] = three(from);
        let changed = dual!(self, |pool, sql| {
            sqlx::query(sql(sql_text))
                .bind(to)
                .bind(error)
                .bind(now)
                .bind(&id)
                .bind(a)
                .bind(b)
                .bind(c)
                .execute(pool)
                .await?
                .rows_affected()
        });
        Ok(changed > 0)
    }

    /// Stores a final and queues its job.
    pub async fn create_final(&self, new: &NewFinal<'_>) -> Result<Final, DbError> {
        const SQL: &str = "INSERT INTO finals (id, generation_id, sample_idx, user_id, team_id, size, format, \
                           watermark, status, hold_id, created_at, creative_id, design) \
                           VALUES ($1, $2, $3, $4, $5, $6, $7, $8, 'queued', $9, $10, $11, $12)";
        let now = now_ms();
        let f = Final {
            id: new.id,
            generation_id: new.generation_id.map(|g| g.to_string()),
            sample_idx: new.sample_idx,
            creative_id: new.creative_id.map(|c| c.to_string()),
            user_id: new.user_id,
            team_id: new.team_id,
            size: new.size.to_owned(),
            format: new.format.to_owned(),
            watermark: i64::from(new.watermark),
            status: "queued".into(),
            error: None,
            output_sha256: None,
            content_type: None,
            width: None,
            height: None,
            byte_size: None,
            hold_id: new.hold_id.map(|h| h.to_string()),
            created_at: now,
            completed_at: None,
        };
        let id = f.id.to_string();
        write_tx!(self, |tx, sql| {
            sqlx::query(sql(SQL))
                .bind(&id)
                .bind(&f.generation_id)
                .bind(f.sample_idx)
                .bind(f.user_id.to_string())
                .bind(f.team_id.to_string())
                .bind(&f.size)
                .bind(&f.format)
                .bind(f.watermark)
                .bind(&f.hold_id)
                .bind(now)
                .bind(&f.creative_id)
                .bind(new.design)
                .execute(&mut *tx)
                .await?;
            sqlx::query(sql(INSERT_JOB))
                .bind(Uuid::now_v7().to_string())
                .bind("final")
                .bind(&id)
                .bind(new.max_attempts)
                .bind(now)
                .execute(&mut *tx)
                .await?;
        });
        Ok(f)
    }

    /// A final.
    pub async fn final_render(&self, id: Uuid) -> Result<Option<Final>, DbError> {
        const SQL: &str = concat!(final_columns!(), "WHERE id = $1");
        let id = id.to_string();
        Ok(dual!(self, |pool, sql| sqlx::query_as(sql(SQL)).bind(&id).fetch_optional(pool).await?))
    }

    /// The design file a final renders: a creative export's snapshot, or its sample's design;
    /// `None` when neither is there (the sample or generation is gone).
    pub async fn final_design(&self, f: &Final) -> Result<Option<String>, DbError> {
        const SNAPSHOT: &str = "SELECT design FROM finals WHERE id = $1";
        let id = f.id.to_string();
        let snapshot: Option<Option<String>> =
            dual!(self, |pool, sql| sqlx::query_scalar(sql(SNAPSHOT)).bind(&id).fetch_optional(pool).await?);
        if let Some(Some(design)) = snapshot {
            return Ok(Some(design));
        }
        let Some(generation) = f.generation_id.as_deref().and_then(|g| Uuid::parse_str(g).ok()) else {
            return Ok(None);
        };
        Ok(self.samples(generation).await?.into_iter().find(|s| s.idx == f.sample_idx).map(|s| s.design))
    }

    /// Records a final's output and marks it succeeded; false when it already ended.
    pub async fn complete_final(
        &self,
        id: Uuid,
        sha256: &str,
        content_type: &str,
        width: i64,
        height: i64,
        byte_size: i64,
    ) -> Result<bool, DbError> {
        const SQL: &str = "UPDATE finals SET status = 'succeeded', output_sha256 = $1, content_type = $2, width = $3, \
                           height = $4, byte_size = $5, completed_at = $6 WHERE id = $7 AND status IN ('queued', 'running')";
        let id = id.to_string();
        let now = now_ms();
        let n = dual!(self, |pool, sql| {
            sqlx::query(sql(SQL))
                .bind(sha256)
                .bind(content_type)
                .bind(width)
                .bind(height)
                .bind(byte_size)
                .bind(now)
                .bind(&id)
                .execute(pool)
                .await?
                .rows_affected()
        });
        Ok(n > 0)
    }

    /// Moves a final between statuses (see [`Database::set_generation_status`]).
    pub async fn set_final_status(
        &self,
        id: Uuid,
        from: &[&str],
        to: &str,
        error: Option<&str>,
    ) -> Result<bool, DbError> {
        const SQL: &str = "UPDATE finals SET status = $1, error = $2, \
                           completed_at = CASE WHEN $1 IN ('succeeded', 'failed') THEN $3 ELSE completed_at END \
                           WHERE id = $4 AND status IN ($5, $6, $7)";
        self.move_status(SQL, id, from, to, error).await
    }

    /// Leases the oldest ready job for `worker` for `lease_ms`: a queued job whose backoff has
    /// passed, or a leased one whose lease lapsed. Lapsed jobs out of attempts are marked dead
    /// and returned in the second value (the caller fails their subject).
    pub async fn lease_job(&self, worker: &str, lease_ms: i64) -> Result<(Option<Job>, Vec<Job>), DbError> {
        const PICK: &str = concat!(
            job_columns!(),
            "WHERE (status = 'queued' AND run_after <= $1) OR (status = 'leased' AND lease_expires_at < $1) \
             ORDER BY created_at, id LIMIT 8"
        );
        const LEASE: &str = "UPDATE jobs SET status = 'leased', attempts = attempts + 1, lease_token = $1, \
                             leased_by = $2, lease_expires_at = $3, updated_at = $4 \
                             WHERE id = $5 AND attempts = $6 AND status = $7";
        let now = now_ms();
        Ok(write_tx!(self, |tx, sql| {
            let candidates: Vec<Job> = sqlx::query_as(sql(PICK)).bind(now).fetch_all(&mut *tx).await?;
            let mut dead = Vec::new();
            let mut leased = None;
            for mut job in candidates {
                if job.status == "leased" && job.attempts >= job.max_attempts {
                    sqlx::query(sql(LAPSED_DEAD)).bind(now).bind(job.id.to_string()).execute(&mut *tx).await?;
                    job.status = "dead".into();
                    dead.push(job);
                    continue;
                }
                let token = Uuid::new_v4().simple().to_string();
                let n = sqlx::query(sql(LEASE))
                    .bind(&token)
                    .bind(worker)
                    .bind(now + lease_ms)
                    .bind(now)
                    .bind(job.id.to_string())
                    .bind(job.attempts)
                    .bind(&job.status)
                    .execute(&mut *tx)
                    .await?
                    .rows_affected();
                if n == 1 {
                    job.status = "leased".into();
                    job.attempts += 1;
                    job.lease_token = Some(token);
                    leased = Some(job);
                    break;
                }
            }
            (leased, dead)
        }))
    }

    /// Marks dead the leased jobs whose lease lapsed with no attempts left (their worker died
    /// on the last try) and returns them, so they fail even when no worker is polling.
    pub async fn reap_dead_jobs(&self) -> Result<Vec<Job>, DbError> {
        const PICK: &str = concat!(
            job_columns!(),
            "WHERE status = 'leased' AND lease_expires_at < $1 AND attempts >= max_attempts LIMIT 100"
        );
        let now = now_ms();
        Ok(write_tx!(self, |tx, sql| {
            let jobs: Vec<Job> = sqlx::query_as(sql(PICK)).bind(now).fetch_all(&mut *tx).await?;
            let mut dead = Vec::with_capacity(jobs.len());
            for mut job in jobs {
                let n = sqlx::query(sql(LAPSED_DEAD))
                    .bind(now)
                    .bind(job.id.to_string())
                    .execute(&mut *tx)
                    .await?
                    .rows_affected();
                if n == 1 {
                    job.status = "dead".into();
                    dead.push(job);
                }
            }
            dead
        }))
    }

    /// The job with `id` if `token` is its current lease.
    pub async fn leased_job(&self, id: Uuid, token: &str) -> Result<Option<Job>, DbError> {
        const SQL: &str = concat!(job_columns!(), "WHERE id = $1 AND status = 'leased' AND lease_token = $2");
        let id = id.to_string();
        Ok(dual!(self, |pool, sql| sqlx::query_as(sql(SQL)).bind(&id).bind(token).fetch_optional(pool).await?))
    }

    /// Extends a lease; false when it is no longer this token's.
    pub async fn heartbeat_job(&self, id: Uuid, token: &str, lease_ms: i64) -> Result<bool, DbError> {
        const SQL: &str = "UPDATE jobs SET lease_expires_at = $1, updated_at = $2 \
                           WHERE id = $3 AND status = 'leased' AND lease_token = $4";
        let now = now_ms();
        let id = id.to_string();
        let n = dual!(self, |pool, sql| {
            sqlx::query(sql(SQL))
                .bind(now + lease_ms)
                .bind(now)
                .bind(&id)
                .bind(token)
                .execute(pool)
                .await?
                .rows_affected()
        });
        Ok(n > 0)
    }

    /// Ends a leased job as done; false when the lease is not this token's.
    pub async fn finish_job(&self, id: Uuid, token: &str) -> Result<bool, DbError> {
        const SQL: &str = "UPDATE jobs SET status = 'done', lease_token = NULL, updated_at = $1 \
                           WHERE id = $2 AND status = 'leased' AND lease_token = $3";
        let id = id.to_string();
        let now = now_ms();
        let n = dual!(self, |pool, sql| {
            sqlx::query(sql(SQL)).bind(now).bind(&id).bind(token).execute(pool).await?.rows_affected()
        });
        Ok(n > 0)
    }

    /// Records a failed attempt: queued again after `backoff_ms` when `retry` and attempts are
    /// left, else dead.
    pub async fn fail_job(
        &self,
        id: Uuid,
        token: &str,
        error: &str,
        retry: bool,
        backoff_ms: i64,
    ) -> Result<FailOutcome, DbError> {
        const GET: &str =
            "SELECT attempts, max_attempts FROM jobs WHERE id = $1 AND status = 'leased' AND lease_token = $2";
        const REQUEUE: &str = "UPDATE jobs SET status = 'queued', lease_token = NULL, run_after = $1, last_error = $2, \
                               updated_at = $3 WHERE id = $4";
        const DEAD: &str =
            "UPDATE jobs SET status = 'dead', lease_token = NULL, last_error = $1, updated_at = $2 WHERE id = $3";
        let id = id.to_string();
        let now = now_ms();
        Ok(write_tx!(self, |tx, sql| {
            let row: Option<(i64, i64)> =
                sqlx::query_as(sql(GET)).bind(&id).bind(token).fetch_optional(&mut *tx).await?;
            match row {
                None => FailOutcome::NotYours,
                Some((attempts, max)) if retry && attempts < max => {
                    sqlx::query(sql(REQUEUE))
                        .bind(now + backoff_ms)
                        .bind(error)
                        .bind(now)
                        .bind(&id)
                        .execute(&mut *tx)
                        .await?;
                    FailOutcome::Retrying
                }
                Some(_) => {
                    sqlx::query(sql(DEAD)).bind(error).bind(now).bind(&id).execute(&mut *tx).await?;
                    FailOutcome::Dead
                }
            }
        }))
    }

    /// Cancels the open jobs of a subject; how many.
    pub async fn cancel_jobs(&self, subject: Uuid) -> Result<u64, DbError> {
        const SQL: &str = "UPDATE jobs SET status = 'canceled', lease_token = NULL, updated_at = $1 \
                           WHERE subject_id = $2 AND status IN ('queued', 'leased')";
        let id = subject.to_string();
        let now = now_ms();
        Ok(dual!(self, |pool, sql| sqlx::query(sql(SQL)).bind(now).bind(&id).execute(pool).await?.rows_affected()))
    }

    /// Queued and leased jobs (for metrics and readiness).
    pub async fn open_jobs(&self) -> Result<i64, DbError> {
        const SQL: &str = "SELECT COUNT(*) FROM jobs WHERE status IN ('queued', 'leased')";
        Ok(dual!(self, |pool, sql| sqlx::query_scalar(sql(SQL)).fetch_one(pool).await?))
    }
}
