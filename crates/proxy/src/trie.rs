//! The prefix trie that routes a request path: CHP's `lib/trie.js`, one node per path
//! segment, longest matching prefix wins. It owns segment splitting and prefix cleaning;
//! it knows nothing of routes, HTTP or time (the value type is a parameter).

use rustc_hash::FxHashMap;

/// CHP's `trimPrefix`: a leading `/` added, one trailing `/` removed (except for `/`).
pub fn trim_prefix(path: &str) -> String {
    let mut cleaned = String::with_capacity(path.len() + 1);
    if !path.starts_with('/') {
        cleaned.push('/');
    }
    cleaned.push_str(path);
    if cleaned.len() > 1 && cleaned.ends_with('/') {
        cleaned.pop();
    }
    cleaned
}

/// CHP's `stringToPath`: every leading and trailing `/` removed, then split on `/`; the
/// empty string has no segments. Inner empty segments (`/a//b`) are kept, as in CHP.
pub fn segments(path: &str) -> impl Iterator<Item = &str> {
    let trimmed = path.trim_matches('/');
    let mut parts = trimmed.split('/');
    if trimmed.is_empty() {
        // `"".split('/')` yields one empty segment; a bare `/` has none.
        let _ = parts.next();
    }
    parts
}

/// The `/`-joined prefix that a trie node stands for (CHP's `URLTrie.prefix`).
pub fn node_prefix(path: &str) -> String {
    let mut prefix = String::with_capacity(path.len() + 1);
    for segment in segments(path) {
        prefix.push('/');
        prefix.push_str(segment);
    }
    if prefix.is_empty() {
        prefix.push('/');
    }
    prefix
}

/// A trie from path segments to values. Cloning copies the structure; values are cloned,
/// so keep them cheap to clone (`Arc`).
#[derive(Debug, Clone)]
pub struct Trie<V> {
    value: Option<V>,
    branches: FxHashMap<Box<str>, Trie<V>>,
}

impl<V> Default for Trie<V> {
    fn default() -> Self {
        Self {
            value: None,
            branches: FxHashMap::default(),
        }
    }
}

impl<V> Trie<V> {
    /// Stores `value` at the node for `path`, replacing what was there.
    pub fn insert(&mut self, path: &str, value: V) {
        let mut node = self;
        for segment in segments(path) {
            node = node.branches.entry(segment.into()).or_default();
        }
        node.value = Some(value);
    }

    /// Removes the value at `path` and prunes the branches left empty, as CHP's `remove`.
    pub fn remove(&mut self, path: &str) {
        let parts: Vec<&str> = segments(path).collect();
        self.remove_parts(&parts);
    }

    fn remove_parts(&mut self, parts: &[&str]) {
        let Some((first, rest)) = parts.split_first() else {
            self.value = None;
            return;
        };
        let Some(child) = self.branches.get_mut(*first) else {
            return;
        };
        child.remove_parts(rest);
        if child.branches.is_empty() && child.value.is_none() {
            self.branches.remove(*first);
        }
    }

    /// The value of the deepest node on `path` that has one, with the number of segments
    /// of `path` that node consumed: CHP's `URLTrie.get`.
    pub fn longest_match<'p>(
        &self,
        path: impl IntoIterator<Item = &'p str>,
    ) -> Option<(&V, usize)> {
        let mut best = self.value.as_ref().map(|value| (value, 0));
        let mut node = self;
        for (depth, segment) in path.into_iter().enumerate() {
            match node.branches.get(segment) {
                Some(child) => node = child,
                None => break,
            }
            if let Some(value) = &node.value {
                best = Some((value, depth + 1));
            }
        }
        best
    }

    /// Whether the trie holds no value and no branch.
    #[cfg(test)]
    pub fn is_empty(&self) -> bool {
        self.value.is_none() && self.branches.is_empty()
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::indexing_slicing, reason = "tests")]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn table(paths: &[&str]) -> Trie<String> {
        let mut trie = Trie::default();
        for path in paths {
            trie.insert(path, (*path).to_owned());
        }
        trie
    }

    /// Which stored path `request` routes to in a trie of `paths`.
    fn check(paths: &[&str], request: &str, expected: Option<&str>) {
        let trie = table(paths);
        let found = trie
            .longest_match(segments(request))
            .map(|(value, _)| value.as_str());
        assert_eq!(found, expected, "routing {request:?} among {paths:?}");
    }

    #[test]
    fn trim_prefix_is_chps() {
        assert_eq!(trim_prefix(""), "/");
        assert_eq!(trim_prefix("/"), "/");
        assert_eq!(trim_prefix("user/a"), "/user/a");
        assert_eq!(trim_prefix("/user/a/"), "/user/a");
        assert_eq!(trim_prefix("/user/a//"), "/user/a/");
    }

    #[test]
    fn segments_are_chps_string_to_path() {
        fn split(s: &str) -> Vec<&str> {
            segments(s).collect()
        }
        assert!(split("/").is_empty());
        assert!(split("").is_empty());
        assert!(split("///").is_empty());
        assert_eq!(split("/user/a/"), ["user", "a"]);
        assert_eq!(split("//user//a"), ["user", "", "a"]);
    }

    #[test]
    fn longest_prefix_wins_per_segment() {
        let paths = ["/", "/user/a", "/user/ab", "/user/a/deep"];
        check(&paths, "/user/a", Some("/user/a"));
        check(&paths, "/user/a/", Some("/user/a"));
        check(&paths, "/user/a/x", Some("/user/a"));
        check(&paths, "/user/ab/x", Some("/user/ab"));
        check(&paths, "/user/abc", Some("/"));
        check(&paths, "/user/a/deep/er", Some("/user/a/deep"));
        check(&paths, "/user/a/deeper", Some("/user/a"));
        check(&paths, "/user", Some("/"));
        check(&paths, "/", Some("/"));
    }

    #[test]
    fn no_root_means_no_match_outside_routes() {
        check(&["/user/a"], "/other", None);
        check(&["/user/a"], "/user", None);
        check(&["/user/a"], "/user/a/b", Some("/user/a"));
    }

    #[test]
    fn remove_prunes_and_keeps_deeper_routes() {
        let mut trie = table(&["/user/a", "/user/a/b"]);
        trie.remove("/user/a");
        assert_eq!(trie.longest_match(segments("/user/a/x")), None);
        assert_eq!(
            trie.longest_match(segments("/user/a/b/c")).map(|v| v.1),
            Some(3)
        );
        trie.remove("/user/a/b");
        assert!(trie.is_empty());
        trie.remove("/never/there");
        assert!(trie.is_empty());
    }

    #[test]
    fn the_root_route_can_be_removed() {
        let mut trie = table(&["/"]);
        trie.remove("/");
        assert!(trie.is_empty());
    }

    #[test]
    fn node_prefix_joins_segments() {
        assert_eq!(node_prefix("/"), "/");
        assert_eq!(node_prefix("/user/a/"), "/user/a");
        assert_eq!(node_prefix("//user//a"), "/user//a");
    }

    /// The reference: among stored paths, the one whose segments are the longest prefix
    /// of the request's segments.
    fn brute_force<'a>(paths: &'a [String], request: &str) -> Option<&'a str> {
        let wanted: Vec<&str> = segments(request).collect();
        paths
            .iter()
            .filter(|path| {
                let have: Vec<&str> = segments(path).collect();
                have.len() <= wanted.len() && have[..] == wanted[..have.len()]
            })
            .max_by_key(|path| segments(path).count())
            .map(String::as_str)
    }

    fn path_strategy() -> impl Strategy<Value = String> {
        proptest::collection::vec(prop_oneof!["a", "ab", "b", "", "user", "é"], 0..4)
            .prop_map(|parts| format!("/{}", parts.join("/")))
    }

    proptest! {
        #[test]
        fn longest_match_equals_brute_force(
            paths in proptest::collection::vec(path_strategy(), 0..8),
            removed in proptest::collection::vec(path_strategy(), 0..3),
            request in path_strategy(),
        ) {
            // Distinct by segments, as the trie keys them, so the reference has one answer.
            let mut kept: Vec<String> = Vec::new();
            for path in &paths {
                let key: Vec<&str> = segments(path).collect();
                if !removed.iter().any(|r| segments(r).eq(key.iter().copied()))
                    && !kept.iter().any(|k| segments(k).eq(key.iter().copied()))
                {
                    kept.push(path.clone());
                }
            }
            let mut trie = Trie::default();
            for path in &paths {
                trie.insert(path, path.clone());
            }
            for path in &removed {
                trie.remove(path);
            }
            let found = trie.longest_match(segments(&request)).map(|(value, _)| value.as_str());
            let expected = brute_force(&kept, &request);
            // Same node, though the stored spelling may differ (`/a/` vs `/a`): compare
            // segments.
            prop_assert_eq!(
                found.map(|p| segments(p).collect::<Vec<_>>()),
                expected.map(|p| segments(p).collect::<Vec<_>>())
            );
        }
    }
}
