//! Plan and usage of the current team: what the plan includes, this month's credits, the plans
//! one may switch to (where the server allows self-service changes), the credit ledger page by
//! page, and a month's summary. Credits are the server's quarter-credit integers.

use dioxus::prelude::*;
use serde_json::{Value, json};

use crate::api::{self, ApiError};
use crate::components::{Empty, ErrorBox, Loading, Modal, Notice, PageHeader};
use crate::i18n::{self, t, tf};
use crate::screens::dashboard::percent;
use crate::state;

/// Ledger entries per page.
const PAGE: u32 = 20;

/// The billing screen.
#[component]
pub fn Billing() -> Element {
    let mut billing = use_resource(move || async move {
        let _ = state::REFRESH();
        let Some(team) = state::team_id() else { return Err(ApiError::offline()) };
        api::get::<Value>(&format!("/teams/{team}/billing")).await
    });
    let body = match &*billing.read() {
        None => rsx! { Loading {} },
        Some(Err(e)) => rsx! {
            ErrorBox { error: Some(e.clone()) }
            button { class: "btn", r#type: "button", onclick: move |_| billing.restart(), {t("common.retry")} }
        },
        Some(Ok(b)) => rsx! {
            div { class: "billing-top",
                PlanCard { billing: b.clone() }
                CreditsCard { billing: b.clone() }
            }
            SwitchPlans { billing: b.clone() }
        },
    };
    let period = match &*billing.read() {
        Some(Ok(b)) => b["period"].as_str().map(str::to_owned),
        _ => None,
    };
    rsx! {
        PageHeader { title: t("billing.title"), subtitle: Some(t("billing.subtitle")) }
        {body}
        Usage {}
        Summary { period }
    }
}

/// What a plan's largest export is called.
fn final_label(size: &str) -> String {
    match size {
        "standard" => t("billing.final_standard"),
        "hd" => t("billing.final_hd"),
        "uhd4k" => t("billing.final_uhd4k"),
        other => other.to_owned(),
    }
}

/// A plan's monthly price, or "custom pricing".
fn price(plan: &Value) -> String {
    match plan["price_cents"].as_i64() {
        Some(0) => t("billing.price_free"),
        Some(c) => tf("billing.price_month", &[("price", &i18n::number(c as f64 / 100.0))]),
        None => t("billing.price_custom"),
    }
}

/// The lines of what a plan includes.
fn includes(plan: &Value) -> Vec<String> {
    let q = |v: &Value| i18n::credits(v.as_i64().unwrap_or_default());
    let mut out = vec![
        tf("billing.inc_credits", &[("credits", &q(&plan["monthly_quarters"]))]),
        tf("billing.inc_final", &[("size", &final_label(plan["max_final"].as_str().unwrap_or_default()))]),
        if plan["watermark"].as_bool().unwrap_or(false) {
            t("billing.inc_watermark")
        } else {
            t("billing.inc_no_watermark")
        },
    ];
    if plan["brand_kit"].as_bool().unwrap_or(false) {
        out.push(t("billing.inc_brand_kit"));
    }
    if plan["collaboration"].as_bool().unwrap_or(false) {
        out.push(t("billing.inc_collaboration"));
    }
    let costs = &plan["costs"];
    out.push(tf(
        "billing.inc_costs",
        &[
            ("sample", &q(&costs["sample"])),
            ("standard", &q(&costs["standard"])),
            ("hd", &q(&costs["hd"])),
            ("uhd4k", &q(&costs["uhd4k"])),
        ],
    ));
    out
}

#[component]
fn PlanCard(billing: Value) -> Element {
    let plan = &billing["plan"];
    let name = plan["name"].as_str().unwrap_or_default().to_owned();
    let lines = includes(plan);
    let price = price(plan);
    rsx! {
        section { id: "plan", class: "card stack", "aria-labelledby": "plan-title",
            h2 { id: "plan-title", {t("billing.plan_title")} }
            p { class: "spread",
                strong { class: "plan-name", "{name}" }
                span { class: "badge", "{price}" }
            }
            ul { class: "plan-includes",
                for line in lines {
                    li { "{line}" }
                }
            }
        }
    }
}

#[component]
fn CreditsCard(billing: Value) -> Element {
    let n = |k: &str| billing[k].as_i64().unwrap_or_default();
    let (available, granted, spent, held, adjusted) = (
        n("available_quarters"),
        n("granted_quarters"),
        n("spent_quarters"),
        n("held_quarters"),
        n("adjusted_quarters"),
    );
    let period = billing["period"].as_str().unwrap_or_default().to_owned();
    let label =
        tf("billing.credits_of", &[("available", &i18n::credits(available)), ("granted", &i18n::credits(granted))]);
    let pct = percent(available, granted);
    rsx! {
        section { id: "credits", class: "card stack", "aria-labelledby": "credits-title",
            h2 { id: "credits-title", {t("billing.credits_title")} }
            p { class: "hint", {tf("billing.period", &[("period", &period)])} }
            p { class: "credits-figure", "{label}" }
            div { class: "meter", role: "img", "aria-label": "{label}",
                span { style: "width: {pct}%" }
            }
            dl { class: "facts",
                dt { {t("billing.spent")} }
                dd { {i18n::credits(spent)} }
                dt { {t("billing.held")} }
                dd { {i18n::credits(held)} }
                if adjusted != 0 {
                    dt { {t("billing.adjusted")} }
                    dd { {signed(adjusted)} }
                }
            }
            p { class: "hint", {t("billing.no_rollover")} }
        }
    }
}

/// Quarter-credits with an explicit sign.
pub fn signed(quarters: i64) -> String {
    if quarters > 0 {
        format!("+{}", i18n::credits(quarters))
    } else if quarters < 0 {
        format!("−{}", i18n::credits(-quarters))
    } else {
        i18n::credits(0)
    }
}

/// Plans to switch to.
#[component]
fn SwitchPlans(billing: Value) -> Element {
    let mut confirm = use_signal(|| None::<(String, String)>);
    let mut busy = use_signal(|| false);
    let mut error = use_signal(|| None::<ApiError>);
    let current = billing["plan"]["key"].as_str().unwrap_or_default().to_owned();
    let self_service = billing["self_service_plans"].as_bool().unwrap_or(false);
    let plans: Vec<Value> = billing["plans"]
        .as_array()
        .map(|a| a.iter().filter(|p| p["key"].as_str() != Some(current.as_str())).cloned().collect())
        .unwrap_or_default();
    let change = move |_| {
        let Some((key, name)) = confirm() else { return };
        let Some(team) = state::team_id() else { return };
        busy.set(true);
        error.set(None);
        spawn(async move {
            match api::put::<Value>(&format!("/teams/{team}/billing/plan"), &json!({ "plan": key })).await {
                Ok(_) => {
                    confirm.set(None);
                    state::toast(tf("billing.switched", &[("plan", &name)]));
                    state::bump();
                }
                Err(e) => error.set(Some(e)),
            }
            busy.set(false);
        });
    };
    rsx! {
        section { id: "plans", class: "stack", "aria-labelledby": "plans-title",
            h2 { id: "plans-title", {t("billing.plans_title")} }
            if !self_service {
                Notice { {t("billing.self_service_off")} }
            }
            if plans.is_empty() {
                p { class: "hint", {t("billing.no_other_plans")} }
            } else {
                ul { class: "grid wide plain-list",
                    for p in plans {
                        PlanOption {
                            key: "{p[\"key\"].as_str().unwrap_or_default()}",
                            plan: p.clone(),
                            can_switch: self_service,
                            busy: busy(),
                            on_pick: move |pair| {
                                error.set(None);
                                confirm.set(Some(pair));
                            },
                        }
                    }
                }
            }
        }
        if let Some((_, name)) = confirm() {
            Modal {
                id: "plan-dialog",
                title: tf("billing.confirm_title", &[("plan", &name)]),
                on_close: move |_| confirm.set(None),
                p { {tf("billing.confirm_body", &[("plan", &name)])} }
                ErrorBox { error: error() }
                div { class: "row",
                    button {
                        id: "plan-confirm",
                        class: "btn primary",
                        r#type: "button",
                        disabled: busy(),
                        onclick: change,
                        if busy() {
                            {t("billing.switching")}
                        } else {
                            {tf("billing.switch_to", &[("plan", &name)])}
                        }
                    }
                    button { class: "btn", r#type: "button", onclick: move |_| confirm.set(None), {t("common.cancel")} }
                }
            }
        }
    }
}

#[component]
fn PlanOption(plan: Value, can_switch: bool, busy: bool, on_pick: EventHandler<(String, String)>) -> Element {
    let key = plan["key"].as_str().unwrap_or_default().to_owned();
    let name = plan["name"].as_str().unwrap_or_default().to_owned();
    let self_service = plan["self_service"].as_bool().unwrap_or(false);
    let lines = includes(&plan);
    let price = price(&plan);
    let pair = (key.clone(), name.clone());
    rsx! {
        li { class: "card stack",
            h3 { "{name}" }
            p { class: "badge", "{price}" }
            ul { class: "plan-includes",
                for line in lines {
                    li { "{line}" }
                }
            }
            if can_switch && self_service {
                button {
                    class: "btn primary",
                    r#type: "button",
                    "data-plan": "{key}",
                    disabled: busy,
                    onclick: move |_| on_pick.call(pair.clone()),
                    {tf("billing.switch_to", &[("plan", &name)])}
                }
            } else if !self_service {
                p { class: "hint", {t("billing.contact_sales")} }
            }
        }
    }
}

/// What a ledger entry was.
fn entry_label(entry: &Value) -> String {
    let kind = match entry["kind"].as_str().unwrap_or_default() {
        "grant" => t("billing.kind_grant"),
        "adjust" => t("billing.kind_adjust"),
        "hold" => t("billing.kind_hold"),
        "capture" => t("billing.kind_capture"),
        "release" => t("billing.kind_release"),
        other => other.to_owned(),
    };
    let note = entry["note"].as_str().map(|n| match n {
        "sample" => t("billing.note_sample"),
        "final_standard" => t("billing.note_final_standard"),
        "final_hd" => t("billing.note_final_hd"),
        "final_uhd4k" => t("billing.note_final_uhd4k"),
        other => other.to_owned(),
    });
    let mut out = match note {
        Some(n) => format!("{kind}: {n}"),
        None => kind,
    };
    if entry["via_api_key"].as_bool().unwrap_or(false) {
        out = tf("billing.via_api", &[("what", &out)]);
    }
    out
}

/// How an entry moved the available credits: grants and releases add, holds take, adjustments
/// carry their sign; a capture settles a hold already taken, so it moves nothing.
pub fn entry_effect(kind: &str, quarters: i64) -> Option<i64> {
    match kind {
        "grant" | "release" => Some(quarters.abs()),
        "hold" => Some(-quarters.abs()),
        "adjust" => Some(quarters),
        _ => None,
    }
}

/// The credit ledger, newest first, a page at a time.
#[component]
fn Usage() -> Element {
    // The cursors of the pages before the current one; the last is the current page's.
    let mut cursors = use_signal(Vec::<String>::new);
    let mut usage = use_resource(move || async move {
        let _ = state::REFRESH();
        let Some(team) = state::team_id() else { return Err(ApiError::offline()) };
        let cursor = cursors().last().map(|c| format!("&cursor={}", api::encode(c))).unwrap_or_default();
        api::get::<Value>(&format!("/teams/{team}/billing/usage?limit={PAGE}{cursor}")).await
    });
    let body = match &*usage.read() {
        None => rsx! { Loading {} },
        Some(Err(e)) => rsx! {
            ErrorBox { error: Some(e.clone()) }
            button { class: "btn", r#type: "button", onclick: move |_| usage.restart(), {t("common.retry")} }
        },
        Some(Ok(v)) => {
            let items = v["items"].as_array().cloned().unwrap_or_default();
            let next = v["next_cursor"].as_str().map(str::to_owned);
            if items.is_empty() && cursors().is_empty() {
                rsx! {
                    Empty { title: t("billing.usage_empty"), hint: Some(t("billing.usage_empty_hint")) }
                }
            } else {
                rsx! {
                    div {
                        class: "table-wrap",
                        tabindex: "0",
                        role: "region",
                        "aria-label": t("billing.usage_title"),
                        table {
                            caption { class: "visually-hidden", {t("billing.usage_title")} }
                            thead {
                                tr {
                                    th { scope: "col", {t("billing.col_date")} }
                                    th { scope: "col", {t("billing.col_what")} }
                                    th { scope: "col", class: "num", {t("billing.col_credits")} }
                                }
                            }
                            tbody {
                                for e in items {
                                    tr { key: "{e[\"id\"].as_str().unwrap_or_default()}",
                                        td { {i18n::datetime(e["created_at"].as_i64().unwrap_or_default())} }
                                        td { {entry_label(&e)} }
                                        td { class: "num",
                                            match entry_effect(e["kind"].as_str().unwrap_or_default(), e["quarters"].as_i64().unwrap_or_default()) {
                                                Some(q) => rsx! { {signed(q)} },
                                                None => rsx! {
                                                    span { class: "hint",
                                                        {tf("billing.settled", &[("credits", &i18n::credits(e["quarters"].as_i64().unwrap_or_default()))])}
                                                    }
                                                },
                                            }
                                        }
                                    }
                                }
                            }
                        }
                    }
                    nav { class: "spread pager", "aria-label": t("billing.pages"),
                        button {
                            id: "usage-newer",
                            class: "btn small",
                            r#type: "button",
                            disabled: cursors().is_empty(),
                            onclick: move |_| {
                                cursors.write().pop();
                            },
                            {t("billing.newer")}
                        }
                        span { class: "hint", {tf("billing.page", &[("n", &(cursors().len() + 1).to_string())])} }
                        button {
                            id: "usage-older",
                            class: "btn small",
                            r#type: "button",
                            disabled: next.is_none(),
                            onclick: move |_| {
                                if let Some(c) = next.clone() {
                                    cursors.write().push(c);
                                }
                            },
                            {t("billing.older")}
                        }
                    }
                }
            }
        }
    };
    rsx! {
        section { id: "usage", class: "stack", "aria-labelledby": "usage-title",
            h2 { id: "usage-title", {t("billing.usage_title")} }
            {body}
        }
    }
}

/// A month's totals, for a chosen month (`YYYY-MM`).
#[component]
fn Summary(period: Option<String>) -> Element {
    let mut month = use_signal(String::new);
    let mut summary = use_resource(move || async move {
        let _ = state::REFRESH();
        let Some(team) = state::team_id() else { return Err(ApiError::offline()) };
        let m = month();
        let query = if m.is_empty() { String::new() } else { format!("?month={}", api::encode(&m)) };
        api::get::<Value>(&format!("/teams/{team}/billing/summary{query}")).await
    });
    let shown = if month().is_empty() { period.clone().unwrap_or_default() } else { month() };
    let body = match &*summary.read() {
        None => rsx! { Loading {} },
        Some(Err(e)) => rsx! {
            ErrorBox { error: Some(e.clone()) }
            button { class: "btn", r#type: "button", onclick: move |_| summary.restart(), {t("common.retry")} }
        },
        Some(Ok(s)) => {
            let n = |k: &str| s[k].as_i64().unwrap_or_default();
            let rows = [
                (t("billing.sum_granted"), i18n::credits(n("granted_quarters"))),
                (t("billing.sum_adjusted"), signed(n("adjusted_quarters"))),
                (
                    t("billing.sum_spent"),
                    tf(
                        "billing.sum_count",
                        &[("credits", &i18n::credits(n("captured_quarters"))), ("count", &n("captures").to_string())],
                    ),
                ),
                (
                    t("billing.sum_released"),
                    tf(
                        "billing.sum_count",
                        &[("credits", &i18n::credits(n("released_quarters"))), ("count", &n("releases").to_string())],
                    ),
                ),
                (t("billing.sum_open"), i18n::credits(n("open_quarters"))),
                (t("billing.sum_available"), i18n::credits(n("available_quarters"))),
                (t("billing.sum_api"), n("api_generations").to_string()),
                (
                    t("billing.sum_metered"),
                    tf("billing.usd", &[("amount", &i18n::number(n("metered_cents") as f64 / 100.0))]),
                ),
            ];
            rsx! {
                dl { class: "facts summary",
                    for (label, value) in rows {
                        dt { "{label}" }
                        dd { "{value}" }
                    }
                }
            }
        }
    };
    rsx! {
        section { id: "summary", class: "card stack", "aria-labelledby": "summary-title",
            h2 { id: "summary-title", {tf("billing.summary_title", &[("month", &shown)])} }
            div { class: "field summary-month",
                label { r#for: "summary-month", {t("billing.month")} }
                input {
                    id: "summary-month",
                    r#type: "month",
                    value: "{shown}",
                    onchange: move |e| month.set(e.value()),
                }
            }
            {body}
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ledger_effects_have_the_right_sign() {
        assert_eq!(entry_effect("grant", 400), Some(400));
        assert_eq!(entry_effect("hold", 4), Some(-4));
        assert_eq!(entry_effect("release", 4), Some(4));
        assert_eq!(entry_effect("adjust", -8), Some(-8));
        assert_eq!(entry_effect("capture", 4), None);
    }
}
