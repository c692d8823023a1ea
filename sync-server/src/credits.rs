//! Plans and credits (REQ-014..016): plans are data ([`Plans`], loaded from
//! `config/plans.toml` or the file `[billing] plans_file` names), costs are integer
//! quarter-credits, and a shortfall is a 402 problem with an upgrade hint ([`CreditsError`]).
//!
//! The ledger itself lives in [`crate::db::credits`]: a monthly grant, holds taken when a job
//! is accepted, captured when it succeeds and released when the system fails (nothing is charged
//! for a failure).

use std::collections::HashSet;

use serde::{Deserialize, Serialize};
use serde_json::json;
use uuid::Uuid;

use crate::db::DbError;
use crate::error::ApiError;

/// The bundled plans file.
pub const BUNDLED_PLANS: &str = include_str!("../config/plans.toml");

/// Quarter-credits per credit.
pub const QUARTERS_PER_CREDIT: i64 = 4;

/// Metered price of one generation made with an API key, US cents ($0.05).
pub const API_GENERATION_CENTS: i64 = 5;

/// The size of a final export. Ordered: a plan that allows a size allows every smaller one.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "lowercase")]
pub enum FinalSize {
    /// 1080 px on the short side.
    Standard,
    /// 2160 px on the short side.
    Hd,
    /// 4K: 3840 px on the long side, never smaller than HD (see
    /// `gen_worker::protocol::final_pixels`).
    Uhd4k,
}

impl FinalSize {
    /// Every size, smallest first.
    pub const ALL: [FinalSize; 3] = [FinalSize::Standard, FinalSize::Hd, FinalSize::Uhd4k];

    /// The name used in plans, the API and the ledger.
    pub fn as_str(self) -> &'static str {
        match self {
            FinalSize::Standard => "standard",
            FinalSize::Hd => "hd",
            FinalSize::Uhd4k => "uhd4k",
        }
    }
}

/// What a job is charged for.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Charge {
    /// One sample generation (a set of four previews).
    Sample,
    /// One final export of a chosen sample.
    Final(FinalSize),
}

/// Quarter-credits per charge on one plan (0: included).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct Costs {
    /// A sample generation.
    pub sample: i64,
    /// A standard final.
    pub standard: i64,
    /// An HD final.
    pub hd: i64,
    /// A 4K final.
    pub uhd4k: i64,
}

/// A plan, as configured.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Plan {
    /// Stable key stored on the team (`free`, `pro`, …).
    pub key: String,
    /// Shown to people.
    pub name: String,
    /// Quarter-credits granted each UTC calendar month (no rollover).
    pub monthly_quarters: i64,
    /// The largest final export allowed.
    pub max_final: FinalSize,
    /// Exports carry a watermark.
    pub watermark: bool,
    /// Brand kits may be used.
    pub brand_kit: bool,
    /// Shared teams, comments and approvals.
    pub collaboration: bool,
    /// Quarter-credits per charge (0: included).
    pub costs: Costs,
    /// Monthly list price in US cents; `None`: custom pricing.
    pub price_cents: Option<i64>,
    /// Whether Owners/Admins may switch to it themselves.
    pub self_service: bool,
}

impl Plan {
    /// What `charge` costs on this plan, in quarter-credits (0: included).
    pub fn cost(&self, charge: Charge) -> i64 {
        match charge {
            Charge::Sample => self.costs.sample,
            Charge::Final(FinalSize::Standard) => self.costs.standard,
            Charge::Final(FinalSize::Hd) => self.costs.hd,
            Charge::Final(FinalSize::Uhd4k) => self.costs.uhd4k,
        }
    }

    /// Whether finals of `size` may be exported on this plan.
    pub fn allows(&self, size: FinalSize) -> bool {
        size <= self.max_final
    }

    /// Whether this plan could ever pay for `charge`: the size is allowed and the charge is
    /// included or fits in a month's grant.
    fn covers(&self, charge: Charge) -> bool {
        let allowed = match charge {
            Charge::Sample => true,
            Charge::Final(size) => self.allows(size),
        };
        let cost = self.cost(charge);
        allowed && (cost == 0 || cost <= self.monthly_quarters)
    }
}

/// Why a plans file was refused.
#[derive(Debug, thiserror::Error)]
pub enum PlansError {
    /// Not TOML of the expected shape.
    #[error("invalid plans file: {0}")]
    Parse(#[from] toml::de::Error),
    /// Parsed, but inconsistent.
    #[error("invalid plans file: {0}")]
    Invalid(String),
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct PlansFile {
    default: String,
    plan: Vec<PlanEntry>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct PlanEntry {
    key: String,
    name: String,
    price_cents: Option<i64>,
    monthly_credits: f64,
    max_final: FinalSize,
    watermark: bool,
    brand_kit: bool,
    collaboration: bool,
    self_service: bool,
    costs: Costs,
}

/// The configured plans, in file order.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Plans {
    plans: Vec<Plan>,
    default: usize,
}

impl Plans {
    /// Parses and checks a plans file (see `config/plans.toml` for its keys).
    pub fn load(toml_text: &str) -> Result<Plans, PlansError> {
        let file: PlansFile = toml::from_str(toml_text)?;
        if file.plan.is_empty() {
            return Err(PlansError::Invalid("no [[plan]] given".into()));
        }
        let mut seen = HashSet::new();
        let mut plans = Vec::with_capacity(file.plan.len());
        for p in file.plan {
            let key_ok = !p.key.is_empty()
                && p.key.chars().all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '-' || c == '_');
            if !key_ok {
                return Err(PlansError::Invalid(format!("plan key {:?} must match [a-z0-9_-]+", p.key)));
            }
            if !seen.insert(p.key.clone()) {
                return Err(PlansError::Invalid(format!("plan {:?} is listed twice", p.key)));
            }
            let quarters = p.monthly_credits * QUARTERS_PER_CREDIT as f64;
            if !(0.0..=1e12).contains(&quarters) || quarters.fract() != 0.0 {
                return Err(PlansError::Invalid(format!(
                    "plan {:?}: monthly_credits must be a non-negative multiple of 0.25",
                    p.key
                )));
            }
            let c = p.costs;
            if [c.sample, c.standard, c.hd, c.uhd4k].iter().any(|v| *v < 0) || p.price_cents.is_some_and(|v| v < 0) {
                return Err(PlansError::Invalid(format!("plan {:?}: costs and prices cannot be negative", p.key)));
            }
            plans.push(Plan {
                key: p.key,
                name: p.name,
                monthly_quarters: quarters as i64,
                max_final: p.max_final,
                watermark: p.watermark,
                brand_kit: p.brand_kit,
                collaboration: p.collaboration,
                costs: c,
                price_cents: p.price_cents,
                self_service: p.self_service,
            });
        }
        let default = plans
            .iter()
            .position(|p| p.key == file.default)
            .ok_or_else(|| PlansError::Invalid(format!("default plan {:?} is not listed", file.default)))?;
        Ok(Plans { plans, default })
    }

    /// The plans bundled with the server (`config/plans.toml`).
    pub fn bundled() -> Plans {
        // The bundled file is checked by a unit test; should it ever fail to load, one plan that
        // charges nothing keeps the server usable rather than crashing it.
        Plans::load(BUNDLED_PLANS).unwrap_or_else(|e| {
            tracing::error!(error = %e, "the bundled plans file is invalid");
            Plans {
                plans: vec![Plan {
                    key: "free".into(),
                    name: "Free".into(),
                    monthly_quarters: 0,
                    max_final: FinalSize::Standard,
                    watermark: true,
                    brand_kit: false,
                    collaboration: false,
                    costs: Costs { sample: 0, standard: 0, hd: 0, uhd4k: 0 },
                    price_cents: Some(0),
                    self_service: true,
                }],
                default: 0,
            }
        })
    }

    /// A plan by key.
    pub fn get(&self, key: &str) -> Option<&Plan> {
        self.plans.iter().find(|p| p.key == key)
    }

    /// The plan teams start on.
    pub fn default_plan(&self) -> &Plan {
        // `default` is an index checked in `load`.
        &self.plans[self.default]
    }

    /// A stored plan key as a plan: unknown keys (a plan removed from the file) fall back to the
    /// default plan.
    pub fn resolve(&self, key: &str) -> &Plan {
        self.get(key).unwrap_or_else(|| self.default_plan())
    }

    /// Every plan, in file order.
    pub fn all(&self) -> &[Plan] {
        &self.plans
    }

    /// The cheapest plan other than `current` that could pay for `charge` and costs more than
    /// `current` (plans with custom pricing come last). `None` when no plan would help.
    pub fn upgrade_for(&self, current: &Plan, charge: Charge) -> Option<&Plan> {
        let floor = current.price_cents.unwrap_or(i64::MAX);
        self.plans
            .iter()
            .filter(|p| p.key != current.key && p.covers(charge))
            .filter(|p| p.price_cents.is_none_or(|price| price > floor))
            .min_by_key(|p| p.price_cents.unwrap_or(i64::MAX))
    }
}

/// Why credits could not be held.
#[derive(Debug, thiserror::Error)]
pub enum CreditsError {
    /// The balance does not cover the charge (402 `insufficient-credits`).
    #[error("this needs {} credits but the team has {} left this month", credits(*.needed), credits(*.available))]
    Insufficient {
        /// Quarter-credits the charge costs.
        needed: i64,
        /// Quarter-credits left this month.
        available: i64,
        /// The team's plan key.
        plan: String,
        /// The team charged.
        team_id: Uuid,
        /// The cheapest plan that would allow it, if any.
        upgrade_to: Option<String>,
    },
    /// The plan does not allow finals of this size (402 `plan-upgrade-required`).
    #[error("the {plan} plan exports finals up to {} size", .max.as_str())]
    NotInPlan {
        /// The size asked for.
        size: FinalSize,
        /// The largest the plan allows.
        max: FinalSize,
        /// The team's plan key.
        plan: String,
        /// The team charged.
        team_id: Uuid,
        /// The cheapest plan that would allow it, if any.
        upgrade_to: Option<String>,
    },
    /// Storage failed.
    #[error(transparent)]
    Database(#[from] DbError),
}

impl From<sqlx::Error> for CreditsError {
    fn from(e: sqlx::Error) -> CreditsError {
        CreditsError::Database(DbError::Sqlx(e))
    }
}

/// Quarter-credits as credits, for people and JSON (exact: quarters are binary fractions).
pub fn credits(quarters: i64) -> f64 {
    quarters as f64 / QUARTERS_PER_CREDIT as f64
}

fn upgrade_members(team_id: Uuid, upgrade_to: Option<String>) -> serde_json::Map<String, serde_json::Value> {
    let mut ext = serde_json::Map::new();
    ext.insert("upgrade_plan".into(), json!(upgrade_to));
    ext.insert("upgrade_url".into(), json!(format!("/api/v1/teams/{team_id}/billing/plan")));
    ext
}

impl From<CreditsError> for ApiError {
    fn from(e: CreditsError) -> ApiError {
        let detail = e.to_string();
        match e {
            CreditsError::Insufficient { needed, available, plan, team_id, upgrade_to } => {
                let hint = match &upgrade_to {
                    Some(p) => format!("; upgrade to the {p} plan, or wait for next month's credits"),
                    None => "; wait for next month's credits".to_owned(),
                };
                let mut ext = upgrade_members(team_id, upgrade_to);
                ext.insert("needed".into(), json!(credits(needed)));
                ext.insert("available".into(), json!(credits(available)));
                ext.insert("needed_quarters".into(), json!(needed));
                ext.insert("available_quarters".into(), json!(available));
                ext.insert("plan".into(), json!(plan));
                ApiError::PaymentRequired {
                    kind: "insufficient-credits",
                    title: "Not enough credits",
                    detail: format!("{detail}{hint}"),
                    extensions: ext,
                }
            }
            CreditsError::NotInPlan { size, max, plan, team_id, upgrade_to } => {
                let hint = match &upgrade_to {
                    Some(p) => format!("; the {p} plan allows {}", size.as_str()),
                    None => String::new(),
                };
                let mut ext = upgrade_members(team_id, upgrade_to);
                ext.insert("size".into(), json!(size));
                ext.insert("max_final".into(), json!(max));
                ext.insert("plan".into(), json!(plan));
                ApiError::PaymentRequired {
                    kind: "plan-upgrade-required",
                    title: "Not included in your plan",
                    detail: format!("{detail}{hint}"),
                    extensions: ext,
                }
            }
            CreditsError::Database(e) => ApiError::from(e),
        }
    }
}

/// `YYYY-MM` of a time in ms since the Unix epoch, UTC.
pub fn period_at(ms: i64) -> String {
    let (year, month, _) = crate::db::civil_date(ms);
    format!("{year:04}-{month:02}")
}

/// The current billing period, `YYYY-MM` (UTC calendar month).
pub fn current_period() -> String {
    period_at(crate::db::now_ms())
}

/// Whether `s` is a well-formed `YYYY-MM`.
pub fn valid_period(s: &str) -> bool {
    let b = s.as_bytes();
    b.len() == 7
        && b[4] == b'-'
        && b[..4].iter().chain(&b[5..]).all(u8::is_ascii_digit)
        && matches!(s[5..].parse::<u8>(), Ok(1..=12))
}

#[cfg(test)]
mod tests {
    use axum::response::IntoResponse;

    use super::*;

    #[test]
    fn the_bundled_plans_say_what_the_issue_says() {
        let plans = Plans::load(BUNDLED_PLANS).unwrap();
        assert_eq!(plans, Plans::bundled());
        let free = plans.default_plan();
        assert_eq!(free.key, "free");
        assert_eq!(free.monthly_quarters, 100, "25 credits = 100 sample generations");
        assert_eq!(free.cost(Charge::Sample), 1);
        assert_eq!(free.cost(Charge::Final(FinalSize::Standard)), 4);
        assert!(free.allows(FinalSize::Standard) && !free.allows(FinalSize::Hd));
        assert!(free.watermark && !free.brand_kit);
        let pro = plans.get("pro").unwrap();
        assert_eq!((pro.cost(Charge::Sample), pro.cost(Charge::Final(FinalSize::Standard))), (0, 0));
        assert_eq!(pro.cost(Charge::Final(FinalSize::Uhd4k)), 8);
        assert!(pro.allows(FinalSize::Uhd4k) && pro.brand_kit && !pro.watermark && !pro.collaboration);
        let team = plans.get("team").unwrap();
        assert!(team.collaboration && team.brand_kit);
        let enterprise = plans.get("enterprise").unwrap();
        assert!(FinalSize::ALL.iter().all(|s| enterprise.cost(Charge::Final(*s)) == 0));
        assert!(!enterprise.self_service && enterprise.price_cents.is_none());
        assert_eq!(plans.resolve("gone").key, "free");
    }

    #[test]
    fn upgrade_hints_name_the_cheapest_plan_that_helps() {
        let plans = Plans::bundled();
        let free = plans.get("free").unwrap();
        let pro = plans.get("pro").unwrap();
        assert_eq!(plans.upgrade_for(free, Charge::Sample).unwrap().key, "pro");
        assert_eq!(plans.upgrade_for(free, Charge::Final(FinalSize::Uhd4k)).unwrap().key, "pro");
        assert_eq!(plans.upgrade_for(pro, Charge::Final(FinalSize::Hd)).unwrap().key, "team");
        let enterprise = plans.get("enterprise").unwrap();
        assert!(plans.upgrade_for(enterprise, Charge::Sample).is_none());
    }

    #[test]
    fn bad_plan_files_are_refused_with_a_reason() {
        let one = |extra: &str| {
            format!(
                "default = \"a\"\n[[plan]]\nkey = \"a\"\nname = \"A\"\nmonthly_credits = 1.25\nmax_final = \"hd\"\n\
                 watermark = false\nbrand_kit = false\ncollaboration = false\nself_service = true\n{extra}\
                 [plan.costs]\nsample = 1\nstandard = 2\nhd = 3\nuhd4k = 4\n"
            )
        };
        let ok = Plans::load(&one("")).unwrap();
        assert_eq!(ok.default_plan().monthly_quarters, 5);
        assert!(Plans::load(&one("price_cents = -1\n")).unwrap_err().to_string().contains("negative"));
        assert!(Plans::load(&one("colour = \"red\"\n")).is_err(), "unknown keys are refused");
        let err = Plans::load(&one("").replace("default = \"a\"", "default = \"b\"")).unwrap_err();
        assert!(err.to_string().contains("\"b\""), "{err}");
        let err = Plans::load(&one("").replace("1.25", "1.1")).unwrap_err();
        assert!(err.to_string().contains("0.25"), "{err}");
        let twice = format!("{}{}", one(""), one("").replace("default = \"a\"\n", ""));
        assert!(Plans::load(&twice).unwrap_err().to_string().contains("twice"));
    }

    #[test]
    fn periods_are_utc_calendar_months() {
        assert_eq!(period_at(0), "1970-01");
        // 2024-02-29T23:59:59.999Z and the next millisecond.
        assert_eq!(period_at(1_709_251_199_999), "2024-02");
        assert_eq!(period_at(1_709_251_200_000), "2024-03");
        assert_eq!(period_at(1_735_689_599_999), "2024-12");
        assert_eq!(period_at(1_735_689_600_000), "2025-01");
        assert!(valid_period("2026-11") && !valid_period("2026-13") && !valid_period("2026-1") && !valid_period("x"));
    }

    #[tokio::test]
    async fn a_shortfall_is_a_402_problem_with_an_upgrade_hint() {
        let team = Uuid::now_v7();
        let err = CreditsError::Insufficient {
            needed: 1,
            available: 0,
            plan: "free".into(),
            team_id: team,
            upgrade_to: Some("pro".into()),
        };
        let response = ApiError::from(err).into_response();
        assert_eq!(response.status().as_u16(), 402);
        assert_eq!(response.headers()["content-type"], "application/problem+json");
        let body = axum::body::to_bytes(response.into_body(), 1 << 16).await.unwrap();
        let body: serde_json::Value = serde_json::from_slice(&body).unwrap();
        assert_eq!(body["type"], "https://creativeflow.dev/problems/insufficient-credits");
        assert_eq!(body["status"], 402);
        assert_eq!((body["needed"].as_f64(), body["available"].as_f64()), (Some(0.25), Some(0.0)));
        assert_eq!(body["upgrade_plan"], "pro");
        assert_eq!(body["upgrade_url"], format!("/api/v1/teams/{team}/billing/plan"));
        assert!(body["detail"].as_str().unwrap().contains("pro plan"), "{body}");
    }
}
