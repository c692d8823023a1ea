//! Authorization in one place: [`authorize`] decides, from the caller's role in the team that
//! owns a resource and the caller's credential scopes, whether an [`Action`] is allowed.
//!
//! Handlers load the resource together with the caller's role in its team (one query) and ask
//! [`authorize`]. A caller with no role there does not learn the resource exists: 404. A member
//! whose role lacks the permission gets 403. The table is [`PERMISSIONS`]; `docs/permissions.md`
//! renders it for people, and a unit test keeps the two in step.

use serde::{Deserialize, Serialize};

use crate::error::ApiError;

/// A member's role in a team, most powerful first.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "lowercase")]
pub enum Role {
    /// Everything, including deleting the team and managing owners.
    Owner,
    /// Manages members (except owners), workbenches and content.
    Admin,
    /// Creates and edits content.
    Editor,
    /// Reads and comments.
    Viewer,
}

impl Role {
    /// All roles, most powerful first.
    pub const ALL: [Role; 4] = [Role::Owner, Role::Admin, Role::Editor, Role::Viewer];

    /// The stored name.
    pub fn as_str(self) -> &'static str {
        match self {
            Role::Owner => "owner",
            Role::Admin => "admin",
            Role::Editor => "editor",
            Role::Viewer => "viewer",
        }
    }

    /// Parses a stored name.
    pub fn parse(s: &str) -> Option<Role> {
        Role::ALL.into_iter().find(|r| r.as_str() == s)
    }
}

/// What a caller wants to do with a team's resources.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Action {
    /// See the team, its workbenches, projects, creatives, assets and members.
    Read,
    /// Comment on creatives (the relay issue adds comments).
    Comment,
    /// Create and edit projects and creatives; upload assets.
    Edit,
    /// Delete and restore projects, creatives and assets.
    Delete,
    /// Approve or reject creatives.
    Approve,
    /// Create, rename, delete and restore workbenches; edit brand kits.
    ManageWorkbenches,
    /// Invite members, change roles below owner, remove non-owners.
    ManageMembers,
    /// Make or unmake owners.
    ManageOwners,
    /// Rename the team.
    UpdateTeam,
    /// Delete the team.
    DeleteTeam,
    /// See the team's plan, credit balance, usage and monthly summary.
    ViewBilling,
    /// Change the team's plan.
    ManageBilling,
}

impl Action {
    /// Every action, in table order.
    pub const ALL: [Action; 12] = [
        Action::Read,
        Action::Comment,
        Action::Edit,
        Action::Delete,
        Action::Approve,
        Action::ManageWorkbenches,
        Action::ManageMembers,
        Action::ManageOwners,
        Action::UpdateTeam,
        Action::DeleteTeam,
        Action::ViewBilling,
        Action::ManageBilling,
    ];

    /// The API-key scope an action needs.
    pub fn scope(self) -> Scope {
        match self {
            Action::Read | Action::ViewBilling => Scope::Read,
            Action::Comment | Action::Edit | Action::Delete | Action::Approve | Action::ManageWorkbenches => {
                Scope::Write
            }
            Action::ManageMembers
            | Action::ManageOwners
            | Action::UpdateTeam
            | Action::DeleteTeam
            | Action::ManageBilling => Scope::Manage,
        }
    }
}

/// API-key scopes. Session tokens carry all of them.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "lowercase")]
pub enum Scope {
    /// GET requests on team content.
    Read,
    /// Creating, editing and deleting content.
    Write,
    /// Team administration (members, roles, team settings).
    Manage,
}

impl Scope {
    /// All scopes.
    pub const ALL: [Scope; 3] = [Scope::Read, Scope::Write, Scope::Manage];

    /// The stored name.
    pub fn as_str(self) -> &'static str {
        match self {
            Scope::Read => "read",
            Scope::Write => "write",
            Scope::Manage => "manage",
        }
    }

    /// Parses a stored name.
    pub fn parse(s: &str) -> Option<Scope> {
        Scope::ALL.into_iter().find(|x| x.as_str() == s)
    }
}

/// The permission table: for each action, the roles allowed (Owner, Admin, Editor, Viewer).
pub const PERMISSIONS: [(Action, [bool; 4]); 12] = [
    (Action::Read, [true, true, true, true]),
    (Action::Comment, [true, true, true, true]),
    (Action::Edit, [true, true, true, false]),
    (Action::Delete, [true, true, true, false]),
    (Action::Approve, [true, true, false, false]),
    (Action::ManageWorkbenches, [true, true, false, false]),
    (Action::ManageMembers, [true, true, false, false]),
    (Action::ManageOwners, [true, false, false, false]),
    (Action::UpdateTeam, [true, true, false, false]),
    (Action::DeleteTeam, [true, false, false, false]),
    (Action::ViewBilling, [true, true, true, true]),
    (Action::ManageBilling, [true, true, false, false]),
];

/// Whether `role` may do `action` (the table alone, no scopes).
pub fn role_allows(role: Role, action: Action) -> bool {
    let column = match role {
        Role::Owner => 0,
        Role::Admin => 1,
        Role::Editor => 2,
        Role::Viewer => 3,
    };
    PERMISSIONS.iter().any(|(a, allowed)| *a == action && allowed[column])
}

/// The single authorization decision. `role` is the caller's role in the team owning the
/// resource (`None`: not a member, or the resource does not exist); `scopes` are the
/// credential's scopes. Not a member → 404; member without the permission or scope → 403.
pub fn authorize(role: Option<Role>, scopes: &[Scope], action: Action) -> Result<Role, ApiError> {
    let role = role.ok_or(ApiError::NotFound)?;
    if !scopes.contains(&action.scope()) {
        return Err(ApiError::Forbidden("this API key lacks the scope for that action"));
    }
    if !role_allows(role, action) {
        return Err(ApiError::Forbidden("your role in this team does not allow that"));
    }
    Ok(role)
}

/// The table as Markdown, for `docs/permissions.md`.
pub fn permissions_markdown() -> String {
    let mut out = String::from("| Action | Scope | Owner | Admin | Editor | Viewer |\n|---|---|---|---|---|---|\n");
    for (action, allowed) in PERMISSIONS {
        let cells: Vec<&str> = allowed.iter().map(|a| if *a { "yes" } else { "no" }).collect();
        out.push_str(&format!("| {action:?} | {} | {} |\n", action.scope().as_str(), cells.join(" | ")));
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn table_covers_every_action_once_and_owners_can_do_everything() {
        for action in Action::ALL {
            assert_eq!(PERMISSIONS.iter().filter(|(a, _)| *a == action).count(), 1, "{action:?}");
            assert!(role_allows(Role::Owner, action));
        }
        // Each role can do at least what the next one down can.
        for pair in Role::ALL.windows(2) {
            for action in Action::ALL {
                assert!(!role_allows(pair[1], action) || role_allows(pair[0], action), "{pair:?} {action:?}");
            }
        }
    }

    #[test]
    fn strangers_get_404_members_without_permission_403() {
        assert!(matches!(authorize(None, &Scope::ALL, Action::Read), Err(ApiError::NotFound)));
        assert!(matches!(authorize(Some(Role::Viewer), &Scope::ALL, Action::Edit), Err(ApiError::Forbidden(_))));
        assert!(matches!(authorize(Some(Role::Editor), &[Scope::Read], Action::Edit), Err(ApiError::Forbidden(_))));
        assert_eq!(authorize(Some(Role::Editor), &[Scope::Write], Action::Edit).ok(), Some(Role::Editor));
    }

    #[test]
    fn the_documented_table_is_the_code_table() {
        let doc = include_str!("../../docs/permissions.md");
        assert!(
            doc.contains(&permissions_markdown()),
            "docs/permissions.md is out of date; paste in:\n{}",
            permissions_markdown()
        );
    }
}
