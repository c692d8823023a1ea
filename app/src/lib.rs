//! app: the CreativeFlow web app (DESIGN.md §8), a Dioxus 0.7 UI compiled to wasm32 by
//! `cargo xtask web` (cargo + wasm-bindgen, no `dx`) and served by sync-server at `/`.
//!
//! - [`api`]: the REST client (same origin, bearer tokens, refresh, problems as errors).
//! - [`route`]: path routes kept in the browser history.
//! - [`state`]: global signals (account, team, language, connectivity).
//! - [`i18n`]: one string catalogue in en-US, es-ES, fr-FR and de-DE; `Intl` dates and numbers.
//! - [`components`]: accessible building blocks; [`layout`]: the frame around every screen.
//! - [`screens`]: one module per area (auth, dashboard, workbenches, templates, generate,
//!   creative, account, team, billing).

pub mod api;
pub mod components;
pub mod i18n;
pub mod layout;
pub mod route;
pub mod screens;
pub mod state;

use dioxus::prelude::*;

use crate::route::{ROUTE, Route};

/// Starts the app in the page's `#main` element.
pub fn launch() {
    #[cfg(target_arch = "wasm32")]
    {
        // A bug must say where it is in the console, not just "unreachable".
        std::panic::set_hook(Box::new(|info| {
            web_sys::console::error_1(&format!("CreativeFlow crashed: {info}").into());
        }));
    }
    dioxus::launch(App);
}

/// The root: checks the session once, then shows the screen of the current route.
#[component]
pub fn App() -> Element {
    use_hook(|| {
        #[cfg(target_arch = "wasm32")]
        browser::listen();
        i18n::set_locale(*state::LOCALE.peek());
        signed_in_from_fragment();
        spawn(state::load_me());
    });
    let route = ROUTE();
    if !state::SESSION_CHECKED() {
        return rsx! {
            layout::Bare { components::Loading {} }
        };
    }
    let signed_in = state::USER().is_some();
    if !signed_in && !route.is_public() {
        // Invitation links need an account first; they come back here after signing in.
        if let Route::AcceptInvitation { token } = &route {
            api::storage_set("cf.after_login", &Route::AcceptInvitation { token: token.clone() }.path());
        }
        route::replace(Route::Login);
        return rsx! {};
    }
    if signed_in && matches!(route, Route::Login | Route::Signup) {
        route::replace(Route::Dashboard);
        return rsx! {};
    }
    let screen = match route {
        Route::Login => rsx! { screens::auth::Login {} },
        Route::Signup => rsx! { screens::auth::Signup {} },
        Route::ForgotPassword => rsx! { screens::auth::ForgotPassword {} },
        Route::ResetPassword { token } => rsx! { screens::auth::ResetPassword { token } },
        Route::VerifyEmail { token } => rsx! { screens::auth::VerifyEmail { token } },
        Route::AcceptInvitation { token } => rsx! { screens::team::AcceptInvitation { token } },
        Route::Dashboard => rsx! { screens::dashboard::Dashboard {} },
        Route::Workbenches => rsx! { screens::workbenches::Workbenches {} },
        Route::Workbench { id } => rsx! { screens::workbenches::Workbench { id } },
        Route::Project { id } => rsx! { screens::workbenches::Project { id } },
        Route::Templates => rsx! { screens::templates::Templates {} },
        Route::Generate { project } => rsx! { screens::generate::Generate { project } },
        Route::Generation { id } => rsx! { screens::generate::Generation { id } },
        Route::Creative { id } => rsx! { screens::creative::Creative { id } },
        Route::Account => rsx! { screens::account::Account {} },
        Route::Team => rsx! { screens::team::Team {} },
        Route::Billing => rsx! { screens::billing::Billing {} },
        Route::NotFound => rsx! { screens::NotFound {} },
    };
    if signed_in {
        rsx! {
            layout::Shell { {screen} }
        }
    } else {
        rsx! {
            layout::Bare { {screen} }
        }
    }
}

/// Social sign-in hands tokens over in the fragment (`/#/signed-in?access_token=…&refresh_token=…`),
/// which never reaches server logs; keep them and clean the address bar.
fn signed_in_from_fragment() {
    #[cfg(target_arch = "wasm32")]
    if let Some(loc) = web_sys::window().map(|w| w.location()) {
        let hash = loc.hash().unwrap_or_default();
        if let Some(query) = hash.strip_prefix("#/signed-in?") {
            let mut v = serde_json::Map::new();
            for pair in query.split('&') {
                if let Some((k, val)) = pair.split_once('=') {
                    v.insert(k.to_owned(), serde_json::Value::String(val.to_owned()));
                }
            }
            api::store_token_answer(&serde_json::Value::Object(v));
            route::replace(Route::Dashboard);
        }
    }
}

#[cfg(target_arch = "wasm32")]
mod browser {
    //! Browser events the app follows: history navigation and connectivity.

    use std::rc::Rc;

    use dioxus::core::{Runtime, RuntimeGuard};
    use wasm_bindgen::JsCast as _;
    use wasm_bindgen::closure::Closure;

    use crate::route::{ROUTE, current};
    use crate::state::ONLINE;

    /// Called from the root component, so the listeners can enter its runtime.
    pub fn listen() {
        let Some(window) = web_sys::window() else { return };
        *ONLINE.write() = window.navigator().on_line();
        let runtime: Rc<Runtime> = Runtime::current();
        let on = |name: &str, mut f: Box<dyn FnMut()>| {
            let runtime = runtime.clone();
            let closure = Closure::<dyn FnMut()>::wrap(Box::new(move || {
                let _guard = RuntimeGuard::new(runtime.clone());
                f();
            }));
            let _ = window.add_event_listener_with_callback(name, closure.as_ref().unchecked_ref());
            // Listeners live as long as the page.
            closure.forget();
        };
        on("popstate", Box::new(|| *ROUTE.write() = current()));
        on("online", Box::new(|| *ONLINE.write() = true));
        on("offline", Box::new(|| *ONLINE.write() = false));
    }
}
