//! The team screen (members, roles, invitations, new teams) and the invitation link.

use dioxus::prelude::*;
use serde_json::{Value, json};

use crate::api::{self, ApiError};
use crate::components::{DeleteButton, Empty, ErrorBox, Field, Loading, Notice, PageHeader};
use crate::i18n::{self, t, tf};
use crate::route::{self, Link, Route};
use crate::screens::auth::field_error;
use crate::state::{self, USER};

/// Roles, most powerful first, as the server names them.
const ROLES: [&str; 4] = ["owner", "admin", "editor", "viewer"];

fn role_label(role: &str) -> String {
    match role {
        "owner" => t("team.role_owner"),
        "admin" => t("team.role_admin"),
        "editor" => t("team.role_editor"),
        "viewer" => t("team.role_viewer"),
        other => other.to_owned(),
    }
}

/// Whether a role may manage members (owners and admins).
pub(crate) fn can_manage(role: &str) -> bool {
    matches!(role, "owner" | "admin")
}

/// The roles `actor` may give (or take away): only owners touch the owner role.
pub(crate) fn assignable(actor: &str) -> Vec<&'static str> {
    ROLES.into_iter().filter(|r| actor == "owner" || *r != "owner").collect()
}

/// Members, roles and invitations of the current team, and a form to create a team.
#[component]
pub fn Team() -> Element {
    let teams = use_resource(|| async move {
        let _ = state::REFRESH();
        api::get::<Value>("/teams").await
    });
    let team_id = state::team_id();

    let body = match (&*teams.read(), team_id) {
        (None, _) | (Some(Ok(_)), None) => rsx! {
            PageHeader { title: t("team.title") }
            Loading {}
        },
        (Some(Err(e)), _) => rsx! {
            PageHeader { title: t("team.title") }
            ErrorBox { error: Some(e.clone()) }
        },
        (Some(Ok(v)), Some(id)) => {
            let list = v["items"].as_array().cloned().unwrap_or_default();
            match list.into_iter().find(|t| t["id"].as_str() == Some(id.as_str())) {
                Some(team) => rsx! {
                    TeamDetails { key: "{id}", team }
                },
                None => rsx! {
                    PageHeader { title: t("team.title") }
                    Notice { kind: "warning", {t("team.not_found")} }
                    button {
                        class: "btn",
                        r#type: "button",
                        onclick: move |_| {
                            state::set_team(None);
                            state::bump();
                        },
                        {t("team.back_to_personal")}
                    }
                },
            }
        }
    };
    rsx! {
        {body}
        CreateTeam {}
    }
}

#[component]
fn TeamDetails(team: Value) -> Element {
    let id = team["id"].as_str().unwrap_or_default().to_owned();
    let name = team["name"].as_str().unwrap_or_default().to_owned();
    let personal = team["kind"].as_str() == Some("personal");
    let role = team["role"].as_str().unwrap_or_default().to_owned();
    let count = team["member_count"].as_i64().unwrap_or(1);
    let subtitle = if personal {
        t("team.personal_subtitle")
    } else {
        tf("team.subtitle", &[("role", &role_label(&role)), ("count", &i18n::number(count as f64))])
    };
    let manage = can_manage(&role) && !personal;
    rsx! {
        PageHeader { title: name.clone(), subtitle }
        if personal {
            Notice { kind: "info", {t("team.personal_notice")} }
        }
        Members { team_id: id.clone(), my_role: role.clone(), personal }
        if manage {
            Invitations { team_id: id.clone(), my_role: role.clone() }
        } else if !personal {
            Notice { kind: "info", {t("team.only_admins_invite")} }
        }
    }
}

#[component]
fn Members(team_id: String, my_role: String, personal: bool) -> Element {
    let tid = team_id.clone();
    let mut members = use_resource(use_reactive!(|tid| async move {
        let _ = state::REFRESH();
        api::get::<Value>(&format!("/teams/{tid}/members")).await
    }));
    let mut error = use_signal(|| None::<ApiError>);
    let mut busy = use_signal(|| None::<String>);
    // Bumped after a failed change, so the rows are drawn afresh with the server's roles.
    let mut version = use_signal(|| 0_u32);
    let me = USER().and_then(|u| u["id"].as_str().map(str::to_owned)).unwrap_or_default();
    let manage = can_manage(&my_role) && !personal;

    let list = match &*members.read() {
        None => rsx! {
            Loading {}
        },
        Some(Err(e)) => rsx! {
            ErrorBox { error: Some(e.clone()) }
            button { class: "btn", r#type: "button", onclick: move |_| members.restart(), {t("common.retry")} }
        },
        Some(Ok(v)) => {
            let items = v.as_array().cloned().unwrap_or_default();
            if items.is_empty() {
                rsx! {
                    Empty { title: t("team.no_members") }
                }
            } else {
                rsx! {
                    div {
                        class: "table-wrap",
                        tabindex: "0",
                        role: "region",
                        "aria-label": t("team.members"),
                        table { id: "members",
                            caption { class: "visually-hidden", {t("team.members")} }
                            thead {
                                tr {
                                    th { scope: "col", {t("common.name")} }
                                    th { scope: "col", {t("team.email")} }
                                    th { scope: "col", {t("team.role")} }
                                    th { scope: "col", {t("team.joined")} }
                                    if !personal {
                                        th { scope: "col", {t("team.actions")} }
                                    }
                                }
                            }
                            tbody {
                                for m in items {
                                    {
                                        let user_id = m["user_id"].as_str().unwrap_or_default().to_owned();
                                        let email = m["email"].as_str().unwrap_or_default().to_owned();
                                        let display = m["display_name"].as_str().unwrap_or_default().to_owned();
                                        let role = m["role"].as_str().unwrap_or_default().to_owned();
                                        let joined = i18n::date(m["joined_at"].as_i64().unwrap_or_default());
                                        let is_me = user_id == me;
                                        // Admins cannot touch owners; nobody edits their own role here.
                                        let editable = manage && !is_me && (my_role == "owner" || role != "owner");
                                        let working = busy().as_deref() == Some(user_id.as_str());
                                        let tid = team_id.clone();
                                        let tid2 = team_id.clone();
                                        let uid = user_id.clone();
                                        let uid2 = user_id.clone();
                                        let actor = my_role.clone();
                                        rsx! {
                                            tr { key: "{user_id}-{version}", "data-email": "{email}",
                                                td {
                                                    "{display}"
                                                    if is_me {
                                                        " "
                                                        span { class: "badge", {t("team.you")} }
                                                    }
                                                }
                                                td { "{email}" }
                                                td {
                                                    if editable {
                                                        select {
                                                            class: "role-select",
                                                            "aria-label": tf("team.role_of", &[("email", &email)]),
                                                            disabled: working,
                                                            onchange: move |e| {
                                                                let new_role = e.value();
                                                                let tid = tid.clone();
                                                                let uid = uid.clone();
                                                                busy.set(Some(uid.clone()));
                                                                error.set(None);
                                                                spawn(async move {
                                                                    let path = format!("/teams/{tid}/members/{uid}");
                                                                    match api::patch::<Value>(&path, &json!({ "role": new_role })).await {
                                                                        Ok(_) => state::toast(t("team.role_changed")),
                                                                        Err(e) => {
                                                                            error.set(Some(e));
                                                                            version += 1;
                                                                        }
                                                                    }
                                                                    busy.set(None);
                                                                    // Show what the server now holds (the old role after an error).
                                                                    members.restart();
                                                                });
                                                            },
                                                            for r in assignable(&actor) {
                                                                option { value: r, selected: r == role, {role_label(r)} }
                                                            }
                                                        }
                                                    } else {
                                                        span { class: "badge", {role_label(&role)} }
                                                    }
                                                }
                                                td { "{joined}" }
                                                if !personal {
                                                    td {
                                                        if editable {
                                                            button {
                                                                class: "btn small danger",
                                                                r#type: "button",
                                                                disabled: working,
                                                                "aria-label": tf("team.remove_named", &[("email", &email)]),
                                                                onclick: move |_| {
                                                                    let tid = tid2.clone();
                                                                    let uid = uid2.clone();
                                                                    busy.set(Some(uid.clone()));
                                                                    error.set(None);
                                                                    spawn(async move {
                                                                        match api::delete(&format!("/teams/{tid}/members/{uid}")).await {
                                                                            Ok(()) => {
                                                                                state::toast(t("team.removed"));
                                                                                state::bump();
                                                                            }
                                                                            Err(e) => error.set(Some(e)),
                                                                        }
                                                                        busy.set(None);
                                                                        members.restart();
                                                                    });
                                                                },
                                                                if working { {t("team.removing")} } else { {t("team.remove")} }
                                                            }
                                                        } else if is_me {
                                                            button {
                                                                class: "btn small",
                                                                r#type: "button",
                                                                disabled: working,
                                                                onclick: move |_| {
                                                                    let tid = tid2.clone();
                                                                    let uid = uid2.clone();
                                                                    busy.set(Some(uid.clone()));
                                                                    error.set(None);
                                                                    spawn(async move {
                                                                        match api::delete(&format!("/teams/{tid}/members/{uid}")).await {
                                                                            Ok(()) => {
                                                                                state::toast(t("team.left"));
                                                                                state::set_team(None);
                                                                                state::bump();
                                                                            }
                                                                            Err(e) => error.set(Some(e)),
                                                                        }
                                                                        busy.set(None);
                                                                    });
                                                                },
                                                                if working { {t("team.leaving")} } else { {t("team.leave")} }
                                                            }
                                                        }
                                                    }
                                                }
                                            }
                                        }
                                    }
                                }
                            }
                        }
                    }
                }
            }
        }
    };
    rsx! {
        section { class: "team-section", "aria-labelledby": "members-heading",
            h2 { id: "members-heading", {t("team.members")} }
            ErrorBox { error: error() }
            {list}
        }
    }
}

#[component]
fn Invitations(team_id: String, my_role: String) -> Element {
    let tid = team_id.clone();
    let mut pending =
        use_resource(use_reactive!(|tid| async move { api::get::<Value>(&format!("/teams/{tid}/invitations")).await }));
    let email = use_signal(String::new);
    let mut role = use_signal(|| "editor".to_owned());
    let mut busy = use_signal(|| false);
    let mut error = use_signal(|| None::<ApiError>);
    let mut sent = use_signal(|| None::<String>);
    let tid_invite = team_id.clone();

    let invite = move |e: FormEvent| {
        e.prevent_default();
        if busy() {
            return;
        }
        busy.set(true);
        error.set(None);
        sent.set(None);
        let tid = tid_invite.clone();
        let mut email = email;
        spawn(async move {
            let address = email().trim().to_owned();
            match api::post::<Value>(&format!("/teams/{tid}/invitations"), &json!({ "email": address, "role": role() }))
                .await
            {
                Ok(v) => {
                    sent.set(Some(v["email"].as_str().unwrap_or(&address).to_owned()));
                    email.set(String::new());
                    pending.restart();
                }
                Err(e) => error.set(Some(e)),
            }
            busy.set(false);
        });
    };

    let list = match &*pending.read() {
        None => rsx! {
            Loading {}
        },
        Some(Err(e)) => rsx! {
            ErrorBox { error: Some(e.clone()) }
            button { class: "btn", r#type: "button", onclick: move |_| pending.restart(), {t("common.retry")} }
        },
        Some(Ok(v)) => {
            let items = v.as_array().cloned().unwrap_or_default();
            if items.is_empty() {
                rsx! {
                    Empty { title: t("team.no_invitations") }
                }
            } else {
                rsx! {
                    ul { id: "invitations", class: "invitation-list",
                        for inv in items {
                            {
                                let id = inv["id"].as_str().unwrap_or_default().to_owned();
                                let address = inv["email"].as_str().unwrap_or_default().to_owned();
                                let r = role_label(inv["role"].as_str().unwrap_or_default());
                                let expires = i18n::date(inv["expires_at"].as_i64().unwrap_or_default());
                                let owner_invite = inv["role"].as_str() == Some("owner");
                                let may_revoke = my_role == "owner" || !owner_invite;
                                let tid = team_id.clone();
                                rsx! {
                                    li { key: "{id}", class: "invitation spread", "data-email": "{address}",
                                        div {
                                            strong { "{address}" }
                                            " "
                                            span { class: "badge", "{r}" }
                                            p { class: "hint", {tf("team.expires", &[("date", &expires)])} }
                                        }
                                        if may_revoke {
                                            DeleteButton {
                                                path: format!("/teams/{tid}/invitations/{id}"),
                                                label: t("team.revoke"),
                                                busy_label: t("team.revoking"),
                                                aria_label: tf("team.revoke_named", &[("email", &address)]),
                                                on_done: move |_| pending.restart(),
                                                on_error: move |e| error.set(e),
                                            }
                                        }
                                    }
                                }
                            }
                        }
                    }
                }
            }
        }
    };

    rsx! {
        section { class: "team-section", "aria-labelledby": "invite-heading",
            h2 { id: "invite-heading", {t("team.invitations")} }
            ErrorBox { error: error() }
            if let Some(address) = sent() {
                Notice { kind: "success", {tf("team.invited", &[("email", &address)])} }
            }
            form { class: "form card", onsubmit: invite,
                h3 { {t("team.invite_title")} }
                Field {
                    id: "invite-email",
                    label: t("team.email"),
                    value: email,
                    kind: "email",
                    required: true,
                    error: field_error(&error(), "email"),
                }
                div { class: "field",
                    label { r#for: "invite-role", {t("team.role")} }
                    select {
                        id: "invite-role",
                        onchange: move |e| role.set(e.value()),
                        for r in assignable(&my_role) {
                            option { value: r, selected: r == role(), {role_label(r)} }
                        }
                    }
                    p { class: "hint", {t("team.roles_hint")} }
                }
                button {
                    id: "invite-submit",
                    class: "btn primary",
                    r#type: "submit",
                    disabled: busy(),
                    if busy() { {t("team.inviting")} } else { {t("team.invite")} }
                }
            }
            h3 { {t("team.pending")} }
            {list}
        }
    }
}

#[component]
fn CreateTeam() -> Element {
    let mut name = use_signal(String::new);
    let mut busy = use_signal(|| false);
    let mut error = use_signal(|| None::<ApiError>);

    let create = move |e: FormEvent| {
        e.prevent_default();
        if busy() {
            return;
        }
        busy.set(true);
        error.set(None);
        spawn(async move {
            match api::post::<Value>("/teams", &json!({ "name": name().trim() })).await {
                Ok(v) => {
                    if let Some(id) = v["id"].as_str() {
                        state::set_team(Some(id.to_owned()));
                    }
                    name.set(String::new());
                    state::toast(tf("team.created", &[("name", v["name"].as_str().unwrap_or_default())]));
                    state::bump();
                }
                Err(e) => error.set(Some(e)),
            }
            busy.set(false);
        });
    };

    rsx! {
        section { class: "team-section", "aria-labelledby": "create-team-heading",
            h2 { id: "create-team-heading", {t("team.create_title")} }
            p { class: "hint", {t("team.create_hint")} }
            ErrorBox { error: error() }
            form { class: "form card", onsubmit: create,
                Field {
                    id: "team-name",
                    label: t("team.name"),
                    value: name,
                    required: true,
                    error: field_error(&error(), "name"),
                }
                button {
                    id: "team-create",
                    class: "btn primary",
                    r#type: "submit",
                    disabled: busy(),
                    if busy() { {t("team.creating")} } else { {t("team.create")} }
                }
            }
        }
    }
}

/// Accepts a team invitation from its emailed link.
#[component]
pub fn AcceptInvitation(token: String) -> Element {
    let mut busy = use_signal(|| false);
    let mut error = use_signal(|| None::<ApiError>);
    let email = USER().and_then(|u| u["email"].as_str().map(str::to_owned)).unwrap_or_default();
    let missing = token.trim().is_empty();

    let accept = move |_| {
        if busy() {
            return;
        }
        busy.set(true);
        error.set(None);
        let token = token.clone();
        spawn(async move {
            match api::post::<Value>("/invitations/accept", &json!({ "token": token })).await {
                Ok(v) => {
                    if let Some(id) = v["id"].as_str() {
                        state::set_team(Some(id.to_owned()));
                    }
                    state::toast(tf("team.joined_toast", &[("name", v["name"].as_str().unwrap_or_default())]));
                    state::bump();
                    route::navigate(Route::Team);
                }
                Err(e) => error.set(Some(e)),
            }
            busy.set(false);
        });
    };

    let err = error();
    rsx! {
        PageHeader { title: t("team.accept_title") }
        if missing {
            Notice { kind: "warning", {t("team.accept_link_incomplete")} }
        } else {
            p { {t("team.accept_intro")} }
            p { class: "hint", {tf("team.accept_as", &[("email", &email)])} }
            if let Some(e) = err.clone() {
                div { id: "accept-error",
                    ErrorBox { error: Some(e.clone()) }
                    if e.status == 404 {
                        p { class: "hint", {t("team.accept_not_found")} }
                    }
                    if e.status == 410 {
                        p { class: "hint", {t("team.accept_gone")} }
                    }
                }
            }
            if err.as_ref().is_some_and(|e| e.status == 409) {
                Link { to: Route::Team, class: "btn", {t("team.open_team")} }
            } else if err.as_ref().is_none_or(|e| e.status != 410) {
                button {
                    id: "accept-invitation",
                    class: "btn primary",
                    r#type: "button",
                    disabled: busy(),
                    onclick: accept,
                    if busy() { {t("team.accepting")} } else { {t("team.accept")} }
                }
            }
        }
        p {
            Link { to: Route::Dashboard, {t("team.to_dashboard")} }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_owners_hand_out_the_owner_role() {
        assert_eq!(assignable("owner"), vec!["owner", "admin", "editor", "viewer"]);
        assert_eq!(assignable("admin"), vec!["admin", "editor", "viewer"]);
        assert!(can_manage("admin") && can_manage("owner"));
        assert!(!can_manage("editor") && !can_manage("viewer"));
    }
}
