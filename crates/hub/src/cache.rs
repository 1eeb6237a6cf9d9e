//! What the hub remembers between requests: the caller behind each token it has seen, and
//! pages of the user list, each valid until the next write.
//!
//! Why: authenticating a request means hashing its token (16,384 rounds of SHA-512 for a
//! configured service token), reading the owner's roles, groups and shares, and computing
//! the token's scopes; listing users means reading every user's servers, roles and groups.
//! None of that changes unless the database does, and every change to the database goes
//! through the hub's own write transactions ([`crate::state::AppState::transaction`]),
//! which advance the [`Cache`]'s generation when they end. An entry answers only while the
//! generation it was read at is still the current one, so a write is never hidden from
//! the requests that start after it. Like JupyterHub, which keeps its users in memory, the
//! hub assumes it is the only writer of its database while it runs.
//!
//! The race that matters: a reader takes the generation *before* it reads the database and
//! files its result under that generation. A write that commits in between advances the
//! generation afterwards, so the result is filed as stale and never served.

use std::collections::HashMap;
use std::hash::Hash;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex, PoisonError};

use sha2::{Digest, Sha256};
use time::OffsetDateTime;

use crate::auth::Caller;

/// How many callers are remembered at once; past that, entries of older generations are
/// dropped first, then everything (the next requests read the database again).
const MAX_CALLERS: usize = 4096;
/// How many user-list pages are remembered at once.
const MAX_PAGES: usize = 256;
/// How many rendered answers are remembered at once.
const MAX_ANSWERS: usize = 512;

/// The key a token is remembered under: the SHA-256 of its secret, so that the cache holds
/// no secret and a lookup cannot succeed without the secret itself.
#[derive(Clone, Copy, PartialEq, Eq, Hash, Debug)]
pub struct TokenKey([u8; 32]);

impl TokenKey {
    /// The key of `secret`.
    pub fn of(secret: &str) -> TokenKey {
        TokenKey(Sha256::digest(secret.as_bytes()).into())
    }
}

/// A rendered `200` JSON answer, with its `Etag`, as remembered for one caller and URL.
#[derive(Clone, Debug)]
pub struct Answer {
    /// The JSON body.
    pub body: axum::body::Bytes,
    /// Its `Etag` (quoted SHA-1, as tornado computes it).
    pub etag: String,
}

/// What an answer is remembered under: the caller's token and what identifies the request
/// (its method, path and query, and the headers that change the answer).
pub type AnswerKey = (TokenKey, String);

/// A database generation: the number of write transactions that had ended when a read began.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub struct Generation(u64);

/// How many locks misses of remembered answers are spread over ([`Cache::filling`]).
const FILL_STRIPES: usize = 16;

/// The hub's memory between requests (see the module documentation).
#[derive(Default)]
pub struct Cache {
    /// One request at a time renders a missing answer; the others wait and take it.
    fill_stripes: [tokio::sync::Mutex<()>; FILL_STRIPES],
    generation: AtomicU64,
    callers: Generational<TokenKey, Arc<Caller>>,
    user_pages: Generational<String, Arc<store::UserPage>>,
    answers: Generational<AnswerKey, Answer>,
}

impl Cache {
    /// The current generation; take it *before* reading what will be remembered.
    pub fn generation(&self) -> Generation {
        Generation(self.generation.load(Ordering::Acquire))
    }

    /// Marks everything remembered so far as stale. Called when a write transaction ends
    /// (committed or not: a failed commit may still have written).
    pub fn advance(&self) {
        self.generation.fetch_add(1, Ordering::AcqRel);
    }

    /// The caller remembered for `key`, if it is current and its token has not expired by
    /// `now` (the store's rule: a token is valid up to and including `expires_at`).
    pub fn caller(&self, key: &TokenKey, now: OffsetDateTime) -> Option<Arc<Caller>> {
        self.callers
            .get(key, self.generation())
            .filter(|caller| caller.token.expires_at.is_none_or(|at| at >= now))
    }

    /// Remembers the caller of `key`, as read at generation `read_at`.
    pub fn remember_caller(&self, key: TokenKey, read_at: Generation, caller: Arc<Caller>) {
        self.callers
            .insert(key, read_at, caller, self.generation(), MAX_CALLERS);
    }

    /// Holds the lock under which a missing entry for `key` (an answer, a caller) is made:
    /// concurrent misses of the same entry wait here and then find it remembered, instead
    /// of each making it (a stampede of identical renders, or of 16,384-round token hashes,
    /// is most of the time and memory a burst of new requests would cost).
    pub async fn filling<K: Hash + ?Sized>(&self, key: &K) -> tokio::sync::MutexGuard<'_, ()> {
        use std::hash::{BuildHasher, BuildHasherDefault, DefaultHasher};
        let hash = BuildHasherDefault::<DefaultHasher>::default().hash_one(key);
        let stripe = usize::try_from(hash % FILL_STRIPES as u64).unwrap_or(0);
        let [first, ..] = &self.fill_stripes;
        self.fill_stripes.get(stripe).unwrap_or(first).lock().await
    }

    /// The answer remembered for `key`, if it is current.
    pub fn answer(&self, key: &AnswerKey) -> Option<Answer> {
        self.answers.get(key, self.generation())
    }

    /// Remembers an answer, as read at generation `read_at`.
    pub fn remember_answer(&self, key: AnswerKey, read_at: Generation, answer: Answer) {
        self.answers
            .insert(key, read_at, answer, self.generation(), MAX_ANSWERS);
    }

    /// The user-list page remembered for the query described by `key`, if it is current.
    pub fn user_page(&self, key: &str) -> Option<Arc<store::UserPage>> {
        self.user_pages.get(key, self.generation())
    }

    /// Remembers a user-list page, as read at generation `read_at`.
    pub fn remember_user_page(&self, key: String, read_at: Generation, page: Arc<store::UserPage>) {
        self.user_pages
            .insert(key, read_at, page, self.generation(), MAX_PAGES);
    }
}

/// A map whose entries are tagged with the generation they were read at.
struct Generational<K, V> {
    entries: Mutex<HashMap<K, (u64, V)>>,
}

impl<K, V> Default for Generational<K, V> {
    fn default() -> Self {
        Generational {
            entries: Mutex::new(HashMap::new()),
        }
    }
}

impl<K: Eq + Hash, V: Clone> Generational<K, V> {
    fn get<Q>(&self, key: &Q, current: Generation) -> Option<V>
    where
        K: std::borrow::Borrow<Q>,
        Q: Eq + Hash + ?Sized,
    {
        // A poisoned lock only means another request panicked while holding it; the map
        // itself is always whole (every change is a single insert, retain or clear).
        let entries = self.entries.lock().unwrap_or_else(PoisonError::into_inner);
        match entries.get(key) {
            Some((generation, value)) if *generation == current.0 => Some(value.clone()),
            _ => None,
        }
    }

    fn insert(&self, key: K, read_at: Generation, value: V, current: Generation, max: usize) {
        if read_at != current {
            // Already stale: a write ended while this was being read.
            return;
        }
        let mut entries = self.entries.lock().unwrap_or_else(PoisonError::into_inner);
        if entries.len() >= max {
            entries.retain(|_, (generation, _)| *generation == current.0);
            if entries.len() >= max {
                entries.clear();
            }
        }
        entries.insert(key, (read_at.0, value));
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn page(total: u64) -> Arc<store::UserPage> {
        Arc::new(store::UserPage {
            users: Vec::new(),
            total,
        })
    }

    #[test]
    fn an_entry_answers_until_the_next_write() {
        let cache = Cache::default();
        let read_at = cache.generation();
        cache.remember_user_page("q".into(), read_at, page(3));
        assert_eq!(cache.user_page("q").map(|p| p.total), Some(3));
        cache.advance();
        assert!(cache.user_page("q").is_none());
    }

    #[test]
    fn a_result_read_across_a_write_is_never_served() {
        let cache = Cache::default();
        let read_at = cache.generation();
        cache.advance(); // a write ends while the page is being read
        cache.remember_user_page("q".into(), read_at, page(3));
        assert!(cache.user_page("q").is_none());
    }

    #[test]
    fn a_full_map_drops_stale_entries_first_then_everything() {
        let cache = Cache::default();
        let old = cache.generation();
        cache.remember_user_page("old".into(), old, page(1));
        cache.advance();
        let now = cache.generation();
        for i in 0..MAX_PAGES {
            cache.remember_user_page(format!("q{i}"), now, page(2));
        }
        // The stale entry went first; then the map filled up and was cleared once.
        let kept = cache
            .user_pages
            .entries
            .lock()
            .map(|e| e.len())
            .unwrap_or(0);
        assert!(kept <= MAX_PAGES);
        assert!(cache.user_page(&format!("q{}", MAX_PAGES - 1)).is_some());
    }

    #[test]
    fn token_keys_differ_by_secret_and_hold_no_secret() {
        let a = TokenKey::of("secret-a");
        assert_eq!(a, TokenKey::of("secret-a"));
        assert_ne!(a, TokenKey::of("secret-b"));
        assert!(!format!("{a:?}").contains("secret"));
    }
}
