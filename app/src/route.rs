//! Routes: real paths (`/generate`, `/creatives/{id}`, …) kept in the browser history, so links in
//! emails (`/verify-email?token=…`, `/invitations/accept?token=…`) open the right screen. The
//! server answers `index.html` for every app path.

use dioxus::prelude::*;

/// Every screen of the app.
#[derive(Clone, Debug, PartialEq)]
pub enum Route {
    /// Dashboard (UI-001).
    Dashboard,
    /// Sign in.
    Login,
    /// Create an account.
    Signup,
    /// Ask for a password-reset email.
    ForgotPassword,
    /// Set a new password with the emailed token.
    ResetPassword {
        /// From the email link.
        token: String,
    },
    /// Confirm the email address with the emailed token.
    VerifyEmail {
        /// From the email link.
        token: String,
    },
    /// Accept a team invitation.
    AcceptInvitation {
        /// From the email link.
        token: String,
    },
    /// Workbenches of the current team.
    Workbenches,
    /// One workbench: its projects and brand kit.
    Workbench {
        /// Workbench id.
        id: String,
    },
    /// One project: its creatives.
    Project {
        /// Project id.
        id: String,
    },
    /// Template gallery (UI-003).
    Templates,
    /// The generate flow: describe, then four previews.
    Generate {
        /// Project to put the picked design in, when started from one.
        project: Option<String>,
    },
    /// One generation's previews.
    Generation {
        /// Generation id.
        id: String,
    },
    /// A creative with its export dialog.
    Creative {
        /// Creative id.
        id: String,
    },
    /// Profile, password, MFA, sessions, API keys.
    Account,
    /// Members, roles and invitations of the current team.
    Team,
    /// Plan, credits and usage history.
    Billing,
    /// No such page.
    NotFound,
}

impl Route {
    /// Parses a path and query string (`/generations/ab12`, `?token=x`).
    pub fn parse(path: &str, query: &str) -> Route {
        let param = |name: &str| -> Option<String> {
            query.trim_start_matches('?').split('&').find_map(|pair| {
                let (k, v) = pair.split_once('=')?;
                (k == name).then(|| decode(v))
            })
        };
        let token = || param("token").unwrap_or_default();
        let parts: Vec<&str> = path.trim_matches('/').split('/').filter(|p| !p.is_empty()).collect();
        match parts.as_slice() {
            [] => Route::Dashboard,
            ["login"] => Route::Login,
            ["signup"] => Route::Signup,
            ["forgot-password"] => Route::ForgotPassword,
            ["reset-password"] => Route::ResetPassword { token: token() },
            ["verify-email"] => Route::VerifyEmail { token: token() },
            ["invitations", "accept"] => Route::AcceptInvitation { token: token() },
            ["workbenches"] => Route::Workbenches,
            ["workbenches", id] => Route::Workbench { id: (*id).to_owned() },
            ["projects", id] => Route::Project { id: (*id).to_owned() },
            ["templates"] => Route::Templates,
            ["generate"] => Route::Generate { project: param("project") },
            ["generations", id] => Route::Generation { id: (*id).to_owned() },
            ["creatives", id] => Route::Creative { id: (*id).to_owned() },
            ["account"] => Route::Account,
            ["team"] => Route::Team,
            ["billing"] => Route::Billing,
            _ => Route::NotFound,
        }
    }

    /// The path (and query) of this route.
    pub fn path(&self) -> String {
        match self {
            Route::Dashboard | Route::NotFound => "/".into(),
            Route::Login => "/login".into(),
            Route::Signup => "/signup".into(),
            Route::ForgotPassword => "/forgot-password".into(),
            Route::ResetPassword { token } => format!("/reset-password?token={token}"),
            Route::VerifyEmail { token } => format!("/verify-email?token={token}"),
            Route::AcceptInvitation { token } => format!("/invitations/accept?token={token}"),
            Route::Workbenches => "/workbenches".into(),
            Route::Workbench { id } => format!("/workbenches/{id}"),
            Route::Project { id } => format!("/projects/{id}"),
            Route::Templates => "/templates".into(),
            Route::Generate { project: None } => "/generate".into(),
            Route::Generate { project: Some(p) } => format!("/generate?project={p}"),
            Route::Generation { id } => format!("/generations/{id}"),
            Route::Creative { id } => format!("/creatives/{id}"),
            Route::Account => "/account".into(),
            Route::Team => "/team".into(),
            Route::Billing => "/billing".into(),
        }
    }

    /// Screens anyone may see without signing in.
    pub fn is_public(&self) -> bool {
        matches!(
            self,
            Route::Login
                | Route::Signup
                | Route::ForgotPassword
                | Route::ResetPassword { .. }
                | Route::VerifyEmail { .. }
                | Route::NotFound
        )
    }
}

fn decode(v: &str) -> String {
    let bytes = v.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        match bytes[i] {
            b'%' if i + 2 < bytes.len() => {
                let hex = std::str::from_utf8(&bytes[i + 1..i + 3]).ok().and_then(|h| u8::from_str_radix(h, 16).ok());
                match hex {
                    Some(b) => {
                        out.push(b);
                        i += 3;
                    }
                    None => {
                        out.push(b'%');
                        i += 1;
                    }
                }
            }
            b'+' => {
                out.push(b' ');
                i += 1;
            }
            b => {
                out.push(b);
                i += 1;
            }
        }
    }
    String::from_utf8_lossy(&out).into_owned()
}

/// The screen on show.
pub static ROUTE: GlobalSignal<Route> = Signal::global(current);

/// The route of the browser's address bar (the dashboard on the host).
pub fn current() -> Route {
    #[cfg(target_arch = "wasm32")]
    if let Some(loc) = web_sys::window().map(|w| w.location()) {
        return Route::parse(&loc.pathname().unwrap_or_default(), &loc.search().unwrap_or_default());
    }
    Route::Dashboard
}

/// Goes to a screen, adding it to the history.
pub fn navigate(route: Route) {
    #[cfg(target_arch = "wasm32")]
    if let Some(history) = web_sys::window().and_then(|w| w.history().ok()) {
        let _ = history.push_state_with_url(&wasm_bindgen::JsValue::NULL, "", Some(&route.path()));
        if let Some(w) = web_sys::window() {
            w.scroll_to_with_x_and_y(0.0, 0.0);
        }
    }
    *ROUTE.write() = route;
}

/// Replaces the current history entry (after sign-in, or to drop a one-time token from the URL).
pub fn replace(route: Route) {
    #[cfg(target_arch = "wasm32")]
    if let Some(history) = web_sys::window().and_then(|w| w.history().ok()) {
        let _ = history.replace_state_with_url(&wasm_bindgen::JsValue::NULL, "", Some(&route.path()));
    }
    *ROUTE.write() = route;
}

/// An in-app link: a real `<a href>` (so it opens in a new tab, and keyboard and screen readers
/// treat it as a link) that navigates without reloading.
#[component]
pub fn Link(
    to: Route,
    class: Option<String>,
    label: Option<String>,
    // An element id (test hooks, in-page references).
    id: Option<String>,
    children: Element,
) -> Element {
    let href = to.path();
    rsx! {
        a {
            href: "{href}",
            id,
            class: class.unwrap_or_default(),
            "aria-label": label,
            onclick: move |e: MouseEvent| {
                let m = e.modifiers();
                if !(m.ctrl() || m.meta() || m.shift()) {
                    e.prevent_default();
                    navigate(to.clone());
                }
            },
            {children}
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn paths_round_trip() {
        let routes = [
            Route::Dashboard,
            Route::Login,
            Route::Signup,
            Route::ForgotPassword,
            Route::ResetPassword { token: "abc".into() },
            Route::VerifyEmail { token: "abc".into() },
            Route::AcceptInvitation { token: "t0k".into() },
            Route::Workbenches,
            Route::Workbench { id: "w1".into() },
            Route::Project { id: "p1".into() },
            Route::Templates,
            Route::Generate { project: None },
            Route::Generate { project: Some("p1".into()) },
            Route::Generation { id: "g1".into() },
            Route::Creative { id: "c1".into() },
            Route::Account,
            Route::Team,
            Route::Billing,
        ];
        for r in routes {
            let path = r.path();
            let (p, q) =
                path.split_once('?').map(|(p, q)| (p.to_owned(), format!("?{q}"))).unwrap_or((path, String::new()));
            assert_eq!(Route::parse(&p, &q), r);
        }
        assert_eq!(Route::parse("/nope/nope/nope", ""), Route::NotFound);
        assert_eq!(Route::parse("/verify-email", "?token=a%2Bb%zz"), Route::VerifyEmail { token: "a+b%zz".into() });
    }
}
