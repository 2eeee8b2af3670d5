//! The native objects Java holds: by a numeric id, never by a pointer. Ids are never reused, so a
//! stale id (used after `close()`, or closed twice) finds nothing instead of another object.

use crate::boundary::{illegal_state, Error};
use licet_verifier::{StatefulVerifier, TrustedKeys};
use std::collections::BTreeMap;
use std::sync::atomic::{AtomicI64, Ordering};
use std::sync::{Arc, Mutex, MutexGuard, PoisonError};

/// The next id handed out, for every kind of object.
static NEXT_ID: AtomicI64 = AtomicI64::new(1);

/// The `TrustedKeys` objects of Java's `dev.licet.TrustedKeys`.
pub static KEYS: Registry<TrustedKeys> = Registry::new("TrustedKeys");

/// The stateful verifiers of Java's `dev.licet.Guard`.
pub static GUARDS: Registry<StatefulVerifier> = Registry::new("Guard");

/// Objects of one kind by id. An object in use by a call stays alive until that call ends (it
/// holds an `Arc`), even when Java closes it meanwhile from another thread.
#[derive(Debug)]
pub struct Registry<T> {
    name: &'static str,
    entries: Mutex<BTreeMap<i64, Arc<T>>>,
}

impl<T> Registry<T> {
    const fn new(name: &'static str) -> Self {
        Registry {
            name,
            entries: Mutex::new(BTreeMap::new()),
        }
    }

    // Every change is one insert or remove, so a panic elsewhere cannot leave the map half
    // changed: a poisoned lock is still a consistent map.
    fn entries(&self) -> MutexGuard<'_, BTreeMap<i64, Arc<T>>> {
        self.entries.lock().unwrap_or_else(PoisonError::into_inner)
    }

    /// Keeps `value`; returns its id (positive).
    pub fn insert(&self, value: T) -> i64 {
        let id = NEXT_ID.fetch_add(1, Ordering::Relaxed);
        self.entries().insert(id, Arc::new(value));
        id
    }

    /// The object of `id`; an `IllegalStateException` when it was closed (or never existed).
    pub fn get(&self, id: i64) -> Result<Arc<T>, Error> {
        self.entries()
            .get(&id)
            .cloned()
            .ok_or_else(|| illegal_state(format!("this {} is closed", self.name)))
    }

    /// Forgets the object of `id` (nothing when there is none): a call using it finishes first.
    pub fn remove(&self, id: i64) {
        self.entries().remove(&id);
    }

    /// How many objects are kept.
    pub fn len(&self) -> usize {
        self.entries().len()
    }

    /// Whether none is kept.
    pub fn is_empty(&self) -> bool {
        self.entries().is_empty()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_id_is_never_reused_and_a_stale_id_finds_nothing() {
        let registry: Registry<u32> = Registry::new("Thing");
        let first = registry.insert(1);
        let held = registry.get(first).map(|v| *v).ok();
        assert_eq!(held, Some(1));
        registry.remove(first);
        registry.remove(first); // twice: nothing
        let second = registry.insert(2);
        assert_ne!(first, second);
        assert!(matches!(
            registry.get(first),
            Err(Error::Java { class, .. }) if class.ends_with("IllegalStateException")
        ));
        assert!(registry.get(0).is_err() && registry.get(-1).is_err());
        assert_eq!(registry.len(), 1);
    }

    #[test]
    fn an_object_in_use_outlives_its_removal() {
        let registry: Registry<String> = Registry::new("Thing");
        let id = registry.insert("kept".to_owned());
        let in_use = registry.get(id).ok();
        registry.remove(id);
        assert!(registry.is_empty());
        assert_eq!(in_use.as_deref().map(String::as_str), Some("kept"));
    }
}
