//! The credit ledger: integer quarter-credits per team and UTC calendar month.
//!
//! Entries are appended, never changed: `grant` (the monthly allowance, made lazily the first
//! time the team's balance is read in a month, plus a top-up when the team moves to a plan with
//! a larger allowance), `adjust` (signed corrections), `hold` (taken when a job is accepted),
//! `capture` (the job succeeded: the hold stays spent) and `release` (the system failed or the
//! job was cancelled: the hold is given back). A month's balance is
//! `grants + adjustments − holds + releases`, i.e. grant + adjustments − captured − open holds.
//!
//! Every write first locks the team's `credit_accounts` row (PostgreSQL: the `UPDATE` takes a
//! row lock held to the commit; SQLite: `BEGIN IMMEDIATE` serializes writers), so concurrent
//! holds see each other and never overdraw. Captures and releases name their hold in `hold_id`,
//! which is unique: the first settlement of a hold wins and every later one changes nothing.

use uuid::Uuid;

use super::{Database, DbError, now_ms, parse_id};
use crate::credits::{API_GENERATION_CENTS, Charge, CreditsError, FinalSize, Plan, Plans, current_period};

/// One ledger entry.
#[derive(Clone, Debug, PartialEq, Eq, sqlx::FromRow)]
pub struct LedgerEntry {
    /// UUIDv7 (hold ids are the ids of `hold` entries).
    #[sqlx(try_from = "String")]
    pub id: Uuid,
    /// Who acted (the member, or the owner of the API key); `None` for grants.
    pub user_id: Option<String>,
    /// `grant`, `adjust`, `hold`, `capture` or `release`.
    pub kind: String,
    /// Quarter-credits: positive, except for `adjust` (signed).
    pub quarters: i64,
    /// `YYYY-MM`.
    pub period: String,
    /// The job the entry is for.
    pub reference: Option<String>,
    /// The hold a `capture` or `release` settles.
    pub hold_id: Option<String>,
    /// 1 when the generation was requested with an API key.
    pub via_api_key: i64,
    /// What was charged (`sample`, `final_standard`, `final_hd`, `final_uhd4k`) or why.
    pub note: Option<String>,
    /// Created, ms.
    pub created_at: i64,
}

/// A month's ledger totals, in quarter-credits.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Totals {
    /// Grants (monthly allowance and plan top-ups).
    pub granted: i64,
    /// Adjustments (signed).
    pub adjusted: i64,
    /// Every hold taken.
    pub held: i64,
    /// Holds captured (spent).
    pub captured: i64,
    /// Holds released (given back).
    pub released: i64,
    /// Number of holds taken.
    pub holds: i64,
    /// Number of holds captured.
    pub captures: i64,
    /// Number of holds released.
    pub releases: i64,
}

impl Totals {
    fn from_rows(rows: Vec<KindTotal>) -> Totals {
        let mut t = Totals::default();
        for (kind, quarters, count) in rows {
            match kind.as_str() {
                "grant" => t.granted += quarters,
                "adjust" => t.adjusted += quarters,
                "hold" => (t.held, t.holds) = (t.held + quarters, t.holds + count),
                "capture" => (t.captured, t.captures) = (t.captured + quarters, t.captures + count),
                "release" => (t.released, t.releases) = (t.released + quarters, t.releases + count),
                _ => {}
            }
        }
        t
    }

    /// What is left to spend: grant + adjustments − captured − open holds.
    pub fn available(&self) -> i64 {
        self.granted + self.adjusted - self.held + self.released
    }

    /// Holds neither captured nor released yet.
    pub fn open_held(&self) -> i64 {
        self.held - self.captured - self.released
    }
}

/// A team's plan and this month's balance.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct CreditBalance {
    /// The team's plan.
    pub plan: Plan,
    /// `YYYY-MM`.
    pub period: String,
    /// The month's totals.
    pub totals: Totals,
}

/// A month's summary: ledger totals and metered API usage.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct MonthSummary {
    /// `YYYY-MM`.
    pub period: String,
    /// Ledger totals.
    pub totals: Totals,
    /// Generations made with an API key and captured.
    pub api_generations: i64,
    /// Their metered price, US cents.
    pub metered_cents: i64,
}

/// The ledger name of a charge.
fn charge_note(charge: Charge) -> &'static str {
    match charge {
        Charge::Sample => "sample",
        Charge::Final(FinalSize::Standard) => "final_standard",
        Charge::Final(FinalSize::Hd) => "final_hd",
        Charge::Final(FinalSize::Uhd4k) => "final_uhd4k",
    }
}

const ENSURE_ACCOUNT: &str = "INSERT INTO credit_accounts (team_id, granted_period, updated_at) VALUES ($1, '', $2) \
                              ON CONFLICT (team_id) DO NOTHING";
const LOCK_ACCOUNT: &str = "UPDATE credit_accounts SET updated_at = $2 WHERE team_id = $1";
const TEAM_PLAN: &str = "SELECT plan FROM teams WHERE id = $1";
const MARK_GRANTED: &str = "UPDATE credit_accounts SET granted_period = $2 WHERE team_id = $1 AND granted_period <> $2";
const INSERT_ENTRY: &str = "INSERT INTO credit_ledger (id, team_id, user_id, kind, quarters, period, reference, \
                            hold_id, via_api_key, note, created_at) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11)";
const MONTH_TOTALS: &str = "SELECT kind, CAST(COALESCE(SUM(quarters), 0) AS BIGINT), COUNT(*) FROM credit_ledger \
                            WHERE team_id = $1 AND period = $2 GROUP BY kind";

/// Appends the one `capture` or `release` a hold can have ($1 id, $2 kind, $3 now, $4 hold).
const SETTLE: &str = "INSERT INTO credit_ledger (id, team_id, user_id, kind, quarters, period, reference, hold_id, \
                      via_api_key, note, created_at) \
                      SELECT $1, team_id, user_id, $2, quarters, period, reference, id, via_api_key, note, $3 \
                      FROM credit_ledger WHERE id = $4 AND kind = 'hold' \
                      ON CONFLICT (hold_id) DO NOTHING";

/// Inside `write_tx!`: creates the team's account row if missing and locks it, reads the team's
/// plan under the lock, makes this month's grant if it is not made yet, and evaluates to
/// `(plan, totals)` for the month.
macro_rules! open_month {
    ($tx:ident, $sql:ident, $team:expr, $period:expr, $now:expr, $plans:expr) => {{
        sqlx::query($sql(ENSURE_ACCOUNT)).bind($team).bind($now).execute(&mut *$tx).await?;
        sqlx::query($sql(LOCK_ACCOUNT)).bind($team).bind($now).execute(&mut *$tx).await?;
        let key: Option<String> = sqlx::query_scalar($sql(TEAM_PLAN)).bind($team).fetch_optional(&mut *$tx).await?;
        let plan: Plan = $plans.resolve(&key.ok_or(sqlx::Error::RowNotFound)?).clone();
        let fresh =
            sqlx::query($sql(MARK_GRANTED)).bind($team).bind($period).execute(&mut *$tx).await?.rows_affected() == 1;
        if fresh {
            sqlx::query($sql(INSERT_ENTRY))
                .bind(Uuid::now_v7().to_string())
                .bind($team)
                .bind(None::<String>)
                .bind("grant")
                .bind(plan.monthly_quarters)
                .bind($period)
                .bind(None::<String>)
                .bind(None::<String>)
                .bind(0_i64)
                .bind(format!("monthly grant, {} plan", plan.key))
                .bind($now)
                .execute(&mut *$tx)
                .await?;
        }
        let rows: Vec<KindTotal> =
            sqlx::query_as($sql(MONTH_TOTALS)).bind($team).bind($period).fetch_all(&mut *$tx).await?;
        (plan, Totals::from_rows(rows))
    }};
}

/// A ledger kind with its quarter-credit sum and entry count.
type KindTotal = (String, i64, i64);

/// What a hold came to inside its transaction.
enum HoldOutcome {
    Held(Uuid),
    Free,
    Short { needed: i64, available: i64, plan: Plan },
    NotAllowed { size: FinalSize, plan: Plan },
}

impl Database {
    /// The team's plan (the default plan when its stored key is no longer configured).
    pub async fn team_plan(&self, team_id: Uuid, plans: &Plans) -> Result<Plan, DbError> {
        let tid = team_id.to_string();
        let key: Option<String> =
            dual!(self, |pool, sql| sqlx::query_scalar(sql(TEAM_PLAN)).bind(&tid).fetch_optional(pool).await?);
        Ok(plans.resolve(&key.ok_or(sqlx::Error::RowNotFound)?).clone())
    }

    /// Holds the cost of `charge` on the team's balance for the job `reference`. `Ok(None)`:
    /// nothing to settle (the charge is included in the plan and no API key was used). A
    /// generation requested with an API key always gets a hold (of 0 quarters when included),
    /// so that its capture meters it at $0.05. Fails with [`CreditsError::Insufficient`] when the
    /// balance is short and [`CreditsError::NotInPlan`] when the plan does not export finals of
    /// that size; both carry the cheapest plan that would allow it.
    pub async fn hold_credits(
        &self,
        team_id: Uuid,
        user_id: Uuid,
        charge: Charge,
        reference: Uuid,
        via_api_key: bool,
        plans: &Plans,
    ) -> Result<Option<Uuid>, CreditsError> {
        // Most holds on paid plans cost nothing: answer those without a write transaction.
        let plan = self.team_plan(team_id, plans).await?;
        let allowed = match charge {
            Charge::Sample => true,
            Charge::Final(size) => plan.allows(size),
        };
        if allowed && plan.cost(charge) == 0 && !via_api_key {
            return Ok(None);
        }
        let (tid, uid, job) = (team_id.to_string(), user_id.to_string(), reference.to_string());
        let (period, now) = (current_period(), now_ms());
        let api = i64::from(via_api_key);
        let outcome = write_tx!(self, |tx, sql| {
            let (plan, totals) = open_month!(tx, sql, &tid, &period, now, plans);
            let cost = plan.cost(charge);
            let available = totals.available();
            match charge {
                Charge::Final(size) if !plan.allows(size) => HoldOutcome::NotAllowed { size, plan },
                _ if cost == 0 && !via_api_key => HoldOutcome::Free,
                _ if cost > available => HoldOutcome::Short { needed: cost, available, plan },
                _ => {
                    let id = Uuid::now_v7();
                    sqlx::query(sql(INSERT_ENTRY))
                        .bind(id.to_string())
                        .bind(&tid)
                        .bind(Some(&uid))
                        .bind("hold")
                        .bind(cost)
                        .bind(&period)
                        .bind(Some(&job))
                        .bind(None::<String>)
                        .bind(api)
                        .bind(charge_note(charge))
                        .bind(now)
                        .execute(&mut *tx)
                        .await?;
                    HoldOutcome::Held(id)
                }
            }
        });
        match outcome {
            HoldOutcome::Held(id) => Ok(Some(id)),
            HoldOutcome::Free => Ok(None),
            HoldOutcome::Short { needed, available, plan } => Err(CreditsError::Insufficient {
                needed,
                available,
                upgrade_to: plans.upgrade_for(&plan, charge).map(|p| p.key.clone()),
                plan: plan.key,
                team_id,
            }),
            HoldOutcome::NotAllowed { size, plan } => Err(CreditsError::NotInPlan {
                size,
                max: plan.max_final,
                upgrade_to: plans.upgrade_for(&plan, charge).map(|p| p.key.clone()),
                plan: plan.key,
                team_id,
            }),
        }
    }

    /// Settles a hold as spent (the job succeeded); a hold made with an API key is metered in
    /// the same transaction. `true` only for the call that captured: a hold already captured or
    /// released (or unknown) gives `false` and changes nothing.
    pub async fn capture_hold(&self, hold_id: Uuid) -> Result<bool, DbError> {
        const METER: &str = "INSERT INTO api_usage (id, team_id, user_id, reference, hold_id, period, cents, created_at) \
                             SELECT $1, team_id, user_id, reference, id, period, $2, $3 FROM credit_ledger \
                             WHERE id = $4 AND kind = 'hold' AND via_api_key = 1";
        let (hold, now) = (hold_id.to_string(), now_ms());
        let (id, usage) = (Uuid::now_v7().to_string(), Uuid::now_v7().to_string());
        let n = write_tx!(self, |tx, sql| {
            let n = sqlx::query(sql(SETTLE))
                .bind(&id)
                .bind("capture")
                .bind(now)
                .bind(&hold)
                .execute(&mut *tx)
                .await?
                .rows_affected();
            if n == 1 {
                sqlx::query(sql(METER))
                    .bind(&usage)
                    .bind(API_GENERATION_CENTS)
                    .bind(now)
                    .bind(&hold)
                    .execute(&mut *tx)
                    .await?;
            }
            n
        });
        Ok(n == 1)
    }

    /// Gives a hold back (the system failed, or the job was cancelled before it finished).
    /// `true` only for the call that released: a hold already captured or released (or unknown)
    /// gives `false` and changes nothing.
    pub async fn release_hold(&self, hold_id: Uuid) -> Result<bool, DbError> {
        let (hold, now, id) = (hold_id.to_string(), now_ms(), Uuid::now_v7().to_string());
        let n = write_tx!(self, |tx, sql| sqlx::query(sql(SETTLE))
            .bind(&id)
            .bind("release")
            .bind(now)
            .bind(&hold)
            .execute(&mut *tx)
            .await?
            .rows_affected());
        Ok(n == 1)
    }

    /// The team's plan and this month's totals (making the month's grant if it is the first
    /// read this month).
    pub async fn credit_balance(&self, team_id: Uuid, plans: &Plans) -> Result<CreditBalance, DbError> {
        let (tid, period, now) = (team_id.to_string(), current_period(), now_ms());
        let (plan, totals) = write_tx!(self, |tx, sql| open_month!(tx, sql, &tid, &period, now, plans));
        Ok(CreditBalance { plan, period, totals })
    }

    /// Adds a signed adjustment to this month's balance (support, refunds, tests); returns the
    /// entry id.
    pub async fn adjust_credits(
        &self,
        team_id: Uuid,
        user_id: Option<Uuid>,
        quarters: i64,
        note: &str,
        plans: &Plans,
    ) -> Result<Uuid, DbError> {
        let (tid, period, now) = (team_id.to_string(), current_period(), now_ms());
        let uid = user_id.map(|u| u.to_string());
        let id = Uuid::now_v7();
        write_tx!(self, |tx, sql| {
            open_month!(tx, sql, &tid, &period, now, plans);
            sqlx::query(sql(INSERT_ENTRY))
                .bind(id.to_string())
                .bind(&tid)
                .bind(&uid)
                .bind("adjust")
                .bind(quarters)
                .bind(&period)
                .bind(None::<String>)
                .bind(None::<String>)
                .bind(0_i64)
                .bind(note)
                .bind(now)
                .execute(&mut *tx)
                .await?;
        });
        Ok(id)
    }

    /// Moves the team to `plan` (a configured plan). Costs change at once; when the new plan's
    /// monthly allowance is larger than what was granted this month, the difference is granted
    /// now (moving down keeps what is left). Returns the new balance.
    pub async fn set_team_plan(&self, team_id: Uuid, plan: &Plan, plans: &Plans) -> Result<CreditBalance, DbError> {
        const SET: &str = "UPDATE teams SET plan = $1, updated_at = $2 WHERE id = $3";
        let (tid, period, now) = (team_id.to_string(), current_period(), now_ms());
        let totals = write_tx!(self, |tx, sql| {
            let (_, mut totals) = open_month!(tx, sql, &tid, &period, now, plans);
            sqlx::query(sql(SET)).bind(&plan.key).bind(now).bind(&tid).execute(&mut *tx).await?;
            let top_up = plan.monthly_quarters - totals.granted;
            if top_up > 0 {
                sqlx::query(sql(INSERT_ENTRY))
                    .bind(Uuid::now_v7().to_string())
                    .bind(&tid)
                    .bind(None::<String>)
                    .bind("grant")
                    .bind(top_up)
                    .bind(&period)
                    .bind(None::<String>)
                    .bind(None::<String>)
                    .bind(0_i64)
                    .bind(format!("plan change to {}", plan.key))
                    .bind(now)
                    .execute(&mut *tx)
                    .await?;
                totals.granted += top_up;
            }
            totals
        });
        Ok(CreditBalance { plan: plan.clone(), period, totals })
    }

    /// A page of the team's ledger, newest first (`before`: exclusive id bound).
    pub async fn credit_ledger(&self, team_id: Uuid, before: &str, limit: i64) -> Result<Vec<LedgerEntry>, DbError> {
        const SQL: &str = "SELECT id, user_id, kind, quarters, period, reference, hold_id, via_api_key, note, \
                           created_at FROM credit_ledger WHERE team_id = $1 AND id < $2 ORDER BY id DESC LIMIT $3";
        let tid = team_id.to_string();
        Ok(dual!(self, |pool, sql| sqlx::query_as(sql(SQL))
            .bind(&tid)
            .bind(before)
            .bind(limit)
            .fetch_all(pool)
            .await?))
    }

    /// The ledger totals and metered API usage of the team in `period` (`YYYY-MM`). Reading a
    /// past or future month makes no grant.
    pub async fn credit_summary(&self, team_id: Uuid, period: &str) -> Result<MonthSummary, DbError> {
        const USAGE: &str = "SELECT COUNT(*), CAST(COALESCE(SUM(cents), 0) AS BIGINT) FROM api_usage \
                             WHERE team_id = $1 AND period = $2";
        let tid = team_id.to_string();
        let (rows, usage): (Vec<KindTotal>, (i64, i64)) = dual!(self, |pool, sql| {
            let rows = sqlx::query_as(sql(MONTH_TOTALS)).bind(&tid).bind(period).fetch_all(pool).await?;
            let usage = sqlx::query_as(sql(USAGE)).bind(&tid).bind(period).fetch_one(pool).await?;
            (rows, usage)
        });
        Ok(MonthSummary {
            period: period.to_owned(),
            totals: Totals::from_rows(rows),
            api_generations: usage.0,
            metered_cents: usage.1,
        })
    }
}

impl LedgerEntry {
    /// The settled hold, for captures and releases.
    pub fn hold(&self) -> Result<Option<Uuid>, DbError> {
        self.hold_id.as_deref().map(parse_id).transpose()
    }
}
