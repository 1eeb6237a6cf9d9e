//! "Did you mean": the nearest known name to a mistyped one, by edit distance.

/// The candidate closest to `input`, if it is close enough to be a plausible typo: at most a
/// third of the input's length in edits (at least one, at most three). Case differences count
/// as nothing, so `Read:Users` finds `read:users`.
///
/// The edit distance is at least the difference in length, so candidates out of reach by
/// length are skipped before any distance is computed: a megabyte-long scope in a request body
/// costs a lowercasing and a length count, not a distance per table name.
pub fn did_you_mean<'c>(
    input: &str,
    candidates: impl IntoIterator<Item = &'c str>,
) -> Option<&'c str> {
    let lowered = input.to_lowercase();
    let length = lowered.chars().count();
    let budget = (length / 3).clamp(1, 3);
    candidates
        .into_iter()
        .filter(|candidate| candidate.chars().count().abs_diff(length) <= budget)
        .map(|candidate| (edit_distance(&lowered, candidate), candidate))
        .filter(|(distance, _)| *distance <= budget)
        .min_by_key(|(distance, _)| *distance)
        .map(|(_, candidate)| candidate)
}

/// Levenshtein distance over characters.
pub fn edit_distance(a: &str, b: &str) -> usize {
    let b: Vec<char> = b.chars().collect();
    let mut previous: Vec<usize> = (0..=b.len()).collect();
    let mut current = vec![0; b.len() + 1];
    for (i, ca) in a.chars().enumerate() {
        if let Some(first) = current.first_mut() {
            *first = i + 1;
        }
        for (j, cb) in b.iter().enumerate() {
            let substitution = previous
                .get(j)
                .copied()
                .unwrap_or(usize::MAX)
                .saturating_add(usize::from(ca != *cb));
            let deletion = previous
                .get(j + 1)
                .copied()
                .unwrap_or(usize::MAX)
                .saturating_add(1);
            let insertion = current
                .get(j)
                .copied()
                .unwrap_or(usize::MAX)
                .saturating_add(1);
            if let Some(cell) = current.get_mut(j + 1) {
                *cell = substitution.min(deletion).min(insertion);
            }
        }
        std::mem::swap(&mut previous, &mut current);
    }
    previous.last().copied().unwrap_or(0)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn distances() {
        assert_eq!(edit_distance("", ""), 0);
        assert_eq!(edit_distance("read:user", "read:users"), 1);
        assert_eq!(edit_distance("goup", "group"), 1);
        assert_eq!(edit_distance("kitten", "sitting"), 3);
    }

    #[test]
    fn suggestions() {
        let names = ["read:users", "read:groups", "users", "servers"];
        assert_eq!(did_you_mean("read:user", names), Some("read:users"));
        assert_eq!(did_you_mean("Read:Users", names), Some("read:users"));
        assert_eq!(did_you_mean("server", names), Some("servers"));
        assert_eq!(did_you_mean("proxy", names), None);
        assert_eq!(did_you_mean("", names), None);
    }
}
