//! A team's plan, credits and usage (tag `billing`).
//!
//! Every member may read the team's billing ([`Action::ViewBilling`]); Owners and Admins change
//! the plan ([`Action::ManageBilling`]) where the server allows self-service plan changes
//! (`[billing] self_service_plans`, the stand-in for a payment provider). Non-members get 404.
//! Amounts are integer quarter-credits (1 credit = 4 quarters) and integer US cents.

use axum::Json;
use axum::extract::State;
use serde::{Deserialize, Serialize};
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;
use uuid::Uuid;

use crate::AppState;
use crate::api::content::{into_page, page_bound};
use crate::api::{Page, PageQuery};
use crate::auth::Principal;
use crate::authz::{Action, authorize};
use crate::credits::{Costs, FinalSize, Plan, current_period, valid_period};
use crate::db::credits::{CreditBalance, LedgerEntry, MonthSummary};
use crate::error::{ApiError, ApiJson, ApiPath, ApiQuery};
use crate::http::Problem;

/// A plan, as configured.
#[derive(Clone, Debug, Serialize, utoipa::ToSchema)]
pub struct PlanView {
    /// Stable key (`free`, `pro`, `team`, `enterprise`, …).
    pub key: String,
    /// Shown to people.
    pub name: String,
    /// Quarter-credits granted each UTC calendar month (no rollover).
    pub monthly_quarters: i64,
    /// The largest final export.
    pub max_final: FinalSize,
    /// Exports carry a watermark.
    pub watermark: bool,
    /// Brand kits may be used.
    pub brand_kit: bool,
    /// Collaboration features.
    pub collaboration: bool,
    /// Quarter-credits per charge (0: included).
    pub costs: Costs,
    /// Monthly list price, US cents; absent for custom pricing.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub price_cents: Option<i64>,
    /// Whether Owners/Admins may switch to it themselves.
    pub self_service: bool,
}

impl From<&Plan> for PlanView {
    fn from(p: &Plan) -> PlanView {
        PlanView {
            key: p.key.clone(),
            name: p.name.clone(),
            monthly_quarters: p.monthly_quarters,
            max_final: p.max_final,
            watermark: p.watermark,
            brand_kit: p.brand_kit,
            collaboration: p.collaboration,
            costs: p.costs,
            price_cents: p.price_cents,
            self_service: p.self_service,
        }
    }
}

/// A team's plan and this month's balance.
#[derive(Clone, Debug, Serialize, utoipa::ToSchema)]
pub struct BillingView {
    /// The team.
    pub team_id: Uuid,
    /// Its plan.
    pub plan: PlanView,
    /// The billing period, `YYYY-MM` (UTC calendar month).
    pub period: String,
    /// What is left to spend this month, quarter-credits.
    pub available_quarters: i64,
    /// Granted this month (allowance and plan top-ups).
    pub granted_quarters: i64,
    /// Adjustments this month (signed).
    pub adjusted_quarters: i64,
    /// Spent this month (captured holds).
    pub spent_quarters: i64,
    /// Held for jobs still running.
    pub held_quarters: i64,
    /// Whether the plan can be changed through `PUT …/billing/plan` on this server.
    pub self_service_plans: bool,
    /// Every configured plan, for choosing an upgrade.
    pub plans: Vec<PlanView>,
}

impl BillingView {
    fn new(state: &AppState, team_id: Uuid, b: &CreditBalance) -> BillingView {
        BillingView {
            team_id,
            plan: (&b.plan).into(),
            period: b.period.clone(),
            available_quarters: b.totals.available(),
            granted_quarters: b.totals.granted,
            adjusted_quarters: b.totals.adjusted,
            spent_quarters: b.totals.captured,
            held_quarters: b.totals.open_held(),
            self_service_plans: state.config.billing.self_service_plans,
            plans: state.plans.all().iter().map(PlanView::from).collect(),
        }
    }
}

/// One ledger entry.
#[derive(Clone, Debug, Serialize, utoipa::ToSchema)]
pub struct LedgerEntryView {
    /// The entry id (for `hold` entries: the hold id).
    pub id: Uuid,
    /// `grant`, `adjust`, `hold`, `capture` or `release`.
    pub kind: String,
    /// Quarter-credits: positive, except for `adjust` (signed).
    pub quarters: i64,
    /// `YYYY-MM`.
    pub period: String,
    /// Who acted (absent for grants).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub user_id: Option<String>,
    /// The job the entry is for.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub reference: Option<String>,
    /// The hold a `capture` or `release` settles.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub hold_id: Option<String>,
    /// Whether the generation was requested with an API key.
    pub via_api_key: bool,
    /// What was charged (`sample`, `final_standard`, `final_hd`, `final_uhd4k`) or why.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub note: Option<String>,
    /// When, ms since the Unix epoch (UTC).
    pub created_at: i64,
}

impl From<LedgerEntry> for LedgerEntryView {
    fn from(e: LedgerEntry) -> LedgerEntryView {
        LedgerEntryView {
            id: e.id,
            kind: e.kind,
            quarters: e.quarters,
            period: e.period,
            user_id: e.user_id,
            reference: e.reference,
            hold_id: e.hold_id,
            via_api_key: e.via_api_key != 0,
            note: e.note,
            created_at: e.created_at,
        }
    }
}

/// A month's totals.
#[derive(Clone, Debug, Serialize, utoipa::ToSchema)]
pub struct SummaryView {
    /// `YYYY-MM`.
    pub period: String,
    /// Granted (allowance and plan top-ups), quarter-credits.
    pub granted_quarters: i64,
    /// Adjustments (signed).
    pub adjusted_quarters: i64,
    /// Every hold taken.
    pub held_quarters: i64,
    /// Holds captured (spent).
    pub captured_quarters: i64,
    /// Holds released (given back: failures and cancellations).
    pub released_quarters: i64,
    /// Holds still open.
    pub open_quarters: i64,
    /// The balance at the end of the month (or now, for the current one).
    pub available_quarters: i64,
    /// Holds taken.
    pub holds: i64,
    /// Holds captured.
    pub captures: i64,
    /// Holds released.
    pub releases: i64,
    /// Generations made with an API key that succeeded (metered).
    pub api_generations: i64,
    /// Their metered price, US cents ($0.05 each).
    pub metered_cents: i64,
}

impl From<MonthSummary> for SummaryView {
    fn from(s: MonthSummary) -> SummaryView {
        let t = s.totals;
        SummaryView {
            period: s.period,
            granted_quarters: t.granted,
            adjusted_quarters: t.adjusted,
            held_quarters: t.held,
            captured_quarters: t.captured,
            released_quarters: t.released,
            open_quarters: t.open_held(),
            available_quarters: t.available(),
            holds: t.holds,
            captures: t.captures,
            releases: t.releases,
            api_generations: s.api_generations,
            metered_cents: s.metered_cents,
        }
    }
}

/// `?month=YYYY-MM` on the summary.
#[derive(Debug, Clone, Default, Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
#[serde(deny_unknown_fields)]
pub struct SummaryQuery {
    /// The month, `YYYY-MM` (UTC); default: the current one.
    pub month: Option<String>,
}

/// `PUT /teams/{id}/billing/plan`.
#[derive(Debug, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ChangePlan {
    /// The key of a configured, self-service plan.
    pub plan: String,
}

/// This family's routes.
pub fn routes() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(get_billing))
        .routes(routes!(list_usage))
        .routes(routes!(get_summary))
        .routes(routes!(change_plan))
}

/// 404 for non-members, 403 for members whose role or key does not allow `action`.
async fn authorized(state: &AppState, principal: &Principal, team_id: Uuid, action: Action) -> Result<(), ApiError> {
    let team = state.db.team_for_member(team_id, principal.user_id).await?;
    authorize(team.map(|t| t.role), &principal.scopes, action)?;
    Ok(())
}

/// The team's plan and this month's balance (the month's grant is made on its first read).
#[utoipa::path(
    get,
    path = "/teams/{id}/billing",
    tag = "billing",
    params(("id" = Uuid, Path, description = "Team id")),
    responses(
        (status = 200, body = BillingView),
        (status = 401, body = Problem, content_type = "application/problem+json"),
        (status = 403, body = Problem, content_type = "application/problem+json"),
        (status = 404, description = "No such team, or the caller is not a member", body = Problem, content_type = "application/problem+json"),
    ),
    security(("bearer" = []))
)]
async fn get_billing(
    State(state): State<AppState>,
    principal: Principal,
    ApiPath(id): ApiPath<Uuid>,
) -> Result<Json<BillingView>, ApiError> {
    authorized(&state, &principal, id, Action::ViewBilling).await?;
    let balance = state.db.credit_balance(id, &state.plans).await?;
    Ok(Json(BillingView::new(&state, id, &balance)))
}

/// The team's credit ledger (grants, adjustments, holds, captures, releases), newest first.
#[utoipa::path(
    get,
    path = "/teams/{id}/billing/usage",
    tag = "billing",
    params(("id" = Uuid, Path, description = "Team id"), PageQuery),
    responses(
        (status = 200, body = Page<LedgerEntryView>),
        (status = 401, body = Problem, content_type = "application/problem+json"),
        (status = 403, body = Problem, content_type = "application/problem+json"),
        (status = 404, body = Problem, content_type = "application/problem+json"),
        (status = 422, body = Problem, content_type = "application/problem+json"),
    ),
    security(("bearer" = []))
)]
async fn list_usage(
    State(state): State<AppState>,
    principal: Principal,
    ApiPath(id): ApiPath<Uuid>,
    ApiQuery(page): ApiQuery<PageQuery>,
) -> Result<Json<Page<LedgerEntryView>>, ApiError> {
    authorized(&state, &principal, id, Action::ViewBilling).await?;
    let before = page_bound(&page)?;
    let limit = page.limit();
    let rows = state.db.credit_ledger(id, &before, limit + 1).await?;
    Ok(Json(into_page(rows, limit, |e| e.id, LedgerEntryView::from)))
}

/// A month's totals: credits by entry kind, and generations made with API keys with their
/// metered price.
#[utoipa::path(
    get,
    path = "/teams/{id}/billing/summary",
    tag = "billing",
    params(("id" = Uuid, Path, description = "Team id"), SummaryQuery),
    responses(
        (status = 200, body = SummaryView),
        (status = 401, body = Problem, content_type = "application/problem+json"),
        (status = 403, body = Problem, content_type = "application/problem+json"),
        (status = 404, body = Problem, content_type = "application/problem+json"),
        (status = 422, description = "`month` is not `YYYY-MM`", body = Problem, content_type = "application/problem+json"),
    ),
    security(("bearer" = []))
)]
async fn get_summary(
    State(state): State<AppState>,
    principal: Principal,
    ApiPath(id): ApiPath<Uuid>,
    ApiQuery(query): ApiQuery<SummaryQuery>,
) -> Result<Json<SummaryView>, ApiError> {
    authorized(&state, &principal, id, Action::ViewBilling).await?;
    let month = match query.month {
        Some(m) if valid_period(&m) => m,
        Some(_) => return Err(ApiError::invalid("month", "use YYYY-MM, e.g. 2026-11")),
        None => {
            // The current month: make its grant if this is its first read.
            state.db.credit_balance(id, &state.plans).await?;
            current_period()
        }
    };
    Ok(Json(state.db.credit_summary(id, &month).await?.into()))
}

/// Moves the team to another plan (Owners and Admins, where the server allows self-service plan
/// changes). Costs change at once; a larger monthly allowance is topped up for this month.
#[utoipa::path(
    put,
    path = "/teams/{id}/billing/plan",
    tag = "billing",
    params(("id" = Uuid, Path, description = "Team id")),
    request_body = ChangePlan,
    responses(
        (status = 200, body = BillingView),
        (status = 401, body = Problem, content_type = "application/problem+json"),
        (status = 403, description = "The role or key does not allow it, self-service plan changes are off, or the plan is arranged with sales", body = Problem, content_type = "application/problem+json"),
        (status = 404, body = Problem, content_type = "application/problem+json"),
        (status = 422, description = "No such plan", body = Problem, content_type = "application/problem+json"),
    ),
    security(("bearer" = []))
)]
async fn change_plan(
    State(state): State<AppState>,
    principal: Principal,
    ApiPath(id): ApiPath<Uuid>,
    ApiJson(body): ApiJson<ChangePlan>,
) -> Result<Json<BillingView>, ApiError> {
    authorized(&state, &principal, id, Action::ManageBilling).await?;
    principal.require_verified_or_grace(state.config.auth.verification_grace_hours)?;
    if !state.config.billing.self_service_plans {
        return Err(ApiError::Forbidden("plans are changed through billing on this server, not here"));
    }
    let plan = state.plans.get(body.plan.trim()).ok_or_else(|| {
        let keys: Vec<&str> = state.plans.all().iter().map(|p| p.key.as_str()).collect();
        ApiError::invalid("plan", format!("no such plan; choose one of {}", keys.join(", ")))
    })?;
    if !plan.self_service {
        return Err(ApiError::Forbidden("this plan is arranged with sales; contact us to switch to it"));
    }
    let balance = state.db.set_team_plan(id, plan, &state.plans).await?;
    Ok(Json(BillingView::new(&state, id, &balance)))
}
