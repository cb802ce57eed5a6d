//! Natural ordering of release ids: numeric parts compare as numbers
//! (`"9" < "10" < "10.1"`), text parts as text, numbers before text.

use std::cmp::Ordering;

/// One run of a release id: all digits or no digits.
#[derive(PartialEq, Eq)]
enum Chunk<'a> {
    Number(&'a str),
    Text(&'a str),
}

fn chunks(s: &str) -> impl Iterator<Item = Chunk<'_>> {
    let mut rest = s;
    std::iter::from_fn(move || {
        let first = rest.chars().next()?;
        let digit = first.is_ascii_digit();
        let end = rest.find(|c: char| c.is_ascii_digit() != digit).unwrap_or(rest.len());
        let (head, tail) = rest.split_at(end);
        rest = tail;
        Some(if digit { Chunk::Number(head) } else { Chunk::Text(head) })
    })
}

fn cmp_numbers(a: &str, b: &str) -> Ordering {
    // Compare by value without parsing, so ids of any length work.
    let a = a.trim_start_matches('0');
    let b = b.trim_start_matches('0');
    a.len().cmp(&b.len()).then_with(|| a.cmp(b))
}

/// Compares two release ids naturally. A total order: ids that compare
/// equal chunk by chunk (`"01"` and `"1"`) fall back to plain text order,
/// so only identical strings are equal.
pub fn natural_cmp(a: &str, b: &str) -> Ordering {
    let mut left = chunks(a);
    let mut right = chunks(b);
    loop {
        let ord = match (left.next(), right.next()) {
            (None, None) => return a.cmp(b),
            (None, Some(_)) => return Ordering::Less,
            (Some(_), None) => return Ordering::Greater,
            (Some(Chunk::Number(x)), Some(Chunk::Number(y))) => cmp_numbers(x, y),
            (Some(Chunk::Text(x)), Some(Chunk::Text(y))) => x.cmp(y),
            (Some(Chunk::Number(_)), Some(Chunk::Text(_))) => Ordering::Less,
            (Some(Chunk::Text(_)), Some(Chunk::Number(_))) => Ordering::Greater,
        };
        if ord != Ordering::Equal {
            return ord;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn numbers_compare_as_numbers() {
        let mut ids = vec!["10.1", "eln", "9", "0", "10", "34", "4.10", "4.9", "1.10", "rawhide"];
        ids.sort_by(|a, b| natural_cmp(a, b));
        assert_eq!(ids, vec!["0", "1.10", "4.9", "4.10", "9", "10", "10.1", "34", "eln", "rawhide"]);
    }

    #[test]
    fn leading_zeros_and_huge_numbers() {
        assert_eq!(natural_cmp("01", "1"), "01".cmp("1"));
        assert_ne!(natural_cmp("01", "1"), Ordering::Equal);
        assert_eq!(natural_cmp("99999999999999999999999", "100000000000000000000000"), Ordering::Less);
    }

    proptest! {
        #[test]
        fn is_a_total_order(a in "[0-9a.]{0,6}", b in "[0-9a.]{0,6}", c in "[0-9a.]{0,6}") {
            prop_assert_eq!(natural_cmp(&a, &b), natural_cmp(&b, &a).reverse());
            prop_assert_eq!(natural_cmp(&a, &b) == Ordering::Equal, a == b);
            if natural_cmp(&a, &b) != Ordering::Greater && natural_cmp(&b, &c) != Ordering::Greater {
                prop_assert_ne!(natural_cmp(&a, &c), Ordering::Greater);
            }
        }

        #[test]
        fn matches_integer_order(x in 0u64..100_000, y in 0u64..100_000) {
            prop_assert_eq!(natural_cmp(&x.to_string(), &y.to_string()), x.cmp(&y));
        }
    }
}
