//! One module per area of the app. Each screen loads its own data through [`crate::api`] and
//! shows loading, empty and error states.

pub mod account;
pub mod auth;
pub mod billing;
pub mod creative;
pub mod dashboard;
pub mod generate;
pub mod team;
pub mod templates;
pub mod workbenches;

use dioxus::prelude::*;

use crate::components::PageHeader;
use crate::i18n::t;
use crate::route::{Link, Route};

/// An unknown path.
#[component]
pub fn NotFound() -> Element {
    rsx! {
        PageHeader { title: t("notfound.title") }
        p { {t("notfound.body")} }
        Link { to: Route::Dashboard, class: "btn primary", {t("notfound.home")} }
    }
}
