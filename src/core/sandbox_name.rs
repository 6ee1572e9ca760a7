//! Sandbox names. Each sandbox is its own IndexedDB database, named after
//! it, and the name travels in the page's address (`?sandbox=`), so the rule
//! for a name is stated here once.

use super::StoreError;

/// The sandbox a page opens when its address names none.
pub const DEFAULT_SANDBOX: &str = "default";

/// Every sandbox database's name starts with this.
const DATABASE_PREFIX: &str = "es-sandbox/";

/// Long enough for "Workshop 3, group B, checkpoint after step 4" and then
/// some; the header cuts a long one short with an ellipsis.
const MAX_NAME_CHARS: usize = 100;

/// The IndexedDB database that holds the sandbox called `name`.
pub fn database_name(name: &str) -> String {
    format!("{DATABASE_PREFIX}{name}")
}

/// The sandbox a database holds, when it is a sandbox's database.
pub fn sandbox_of_database(database: &str) -> Option<&str> {
    database
        .strip_prefix(DATABASE_PREFIX)
        .filter(|name| !name.is_empty())
}

/// A name as typed, trimmed, or why it cannot name a sandbox.
pub fn validate_sandbox_name(name: &str) -> Result<String, StoreError> {
    let name = name.trim();
    let refuse = |why: &str| {
        Err(StoreError::InvalidArgument(format!(
            "{name:?} cannot name a sandbox: {why}"
        )))
    };
    if name.is_empty() {
        return refuse("a sandbox needs a name");
    }
    if name.chars().count() > MAX_NAME_CHARS {
        return refuse(&format!("a name has at most {MAX_NAME_CHARS} characters"));
    }
    // A slash would make the database name and the localStorage keys that
    // are scoped by it ambiguous.
    if let Some(bad) = name.chars().find(|c| c.is_control() || *c == '/') {
        return refuse(&format!("it contains {bad:?}"));
    }
    Ok(name.to_string())
}

/// `base`, or `base-2`, `base-3`, … : the first that `taken` does not hold.
pub fn fresh_name(base: &str, taken: &[String]) -> String {
    let is_taken = |candidate: &str| taken.iter().any(|name| name == candidate);
    if !is_taken(base) {
        return base.to_string();
    }
    (2..)
        .map(|n| format!("{base}-{n}"))
        .find(|candidate| !is_taken(candidate))
        .unwrap_or_else(|| base.to_string())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_database_name_round_trips_to_its_sandbox() {
        assert_eq!(database_name("workshop"), "es-sandbox/workshop");
        assert_eq!(sandbox_of_database("es-sandbox/workshop"), Some("workshop"));
        assert_eq!(sandbox_of_database("es-sandbox/"), None);
        assert_eq!(sandbox_of_database("another-app"), None);
    }

    #[test]
    fn names_are_trimmed_and_checked() {
        assert_eq!(
            validate_sandbox_name("  group B ").ok().as_deref(),
            Some("group B")
        );
        for bad in ["", "   ", "a/b", "tab\there", &"x".repeat(101)] {
            let error = validate_sandbox_name(bad).err().map(|e| e.to_string());
            assert!(
                error
                    .as_deref()
                    .is_some_and(|e| e.contains("cannot name a sandbox")),
                "{bad:?} gave {error:?}"
            );
        }
        assert!(validate_sandbox_name(&"é".repeat(100)).is_ok());
    }

    #[test]
    fn a_fresh_name_skips_the_taken_ones() {
        let taken = vec!["bank".to_string(), "bank-2".to_string()];
        assert_eq!(fresh_name("bank", &taken), "bank-3");
        assert_eq!(fresh_name("cart", &taken), "cart");
    }
}
