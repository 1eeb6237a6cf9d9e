//! Group membership for scope decisions, read from the database as the decision asks, each
//! user's groups at most once per transaction.

use std::cell::RefCell;
use std::collections::{BTreeSet, HashMap};

use scopes::GroupMembership;
use store::Tx;

use crate::error::ApiError;

/// [`GroupMembership`] over an open transaction.
pub struct TxMembership<'t, 'c> {
    tx: RefCell<&'t mut Tx<'c>>,
    known: RefCell<HashMap<String, BTreeSet<String>>>,
}

impl<'t, 'c> TxMembership<'t, 'c> {
    /// Membership read through `tx`.
    pub fn new(tx: &'t mut Tx<'c>) -> Self {
        TxMembership {
            tx: RefCell::new(tx),
            known: RefCell::new(HashMap::new()),
        }
    }

    /// Records groups already known (the caller's own), saving a query.
    pub fn remember(&self, user: &str, groups: impl IntoIterator<Item = String>) {
        self.known
            .borrow_mut()
            .insert(user.to_owned(), groups.into_iter().collect());
    }

    /// The transaction back, for further queries.
    ///
    /// # Errors
    ///
    /// 500 when the transaction is already in use (a handler holding it across a call that
    /// needs it): a bug to fix, answered instead of a panic.
    pub fn tx(&self) -> Result<std::cell::RefMut<'_, &'t mut Tx<'c>>, ApiError> {
        self.tx.try_borrow_mut().map_err(|_| {
            tracing::error!("the request's transaction was asked for twice at once");
            ApiError::new(
                axum::http::StatusCode::INTERNAL_SERVER_ERROR,
                "Internal error; the hub's log has the details.",
            )
        })
    }
}

impl GroupMembership for TxMembership<'_, '_> {
    fn is_member(&self, user: &str, group: &str) -> bool {
        if let Some(groups) = self.known.borrow().get(user) {
            return groups.contains(group);
        }
        let Ok(mut tx) = self.tx.try_borrow_mut() else {
            // The handler holds the transaction; deny rather than guess.
            tracing::error!(
                user,
                "group membership asked while the transaction is in use"
            );
            return false;
        };
        let found = tx.user_groups(user);
        drop(tx);
        let groups: BTreeSet<String> = match found {
            Ok(groups) => groups.into_iter().collect(),
            // An unknown user belongs to no group.
            Err(store::StoreError::NotFound { .. }) => BTreeSet::new(),
            Err(error) => {
                // A scope decision cannot fail here; answering "not a member" denies rather
                // than grants.
                tracing::warn!(%error, user, "reading group membership failed; treating as none");
                return false;
            }
        };
        let member = groups.contains(group);
        self.known.borrow_mut().insert(user.to_owned(), groups);
        member
    }
}
