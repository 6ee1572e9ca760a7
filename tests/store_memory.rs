//! The conformance suite against the in-memory store, natively.

mod conformance;

use std::future::Future;
use std::pin::pin;
use std::task::{Context, Poll, Waker};

use es_sandbox::storage::memory::MemoryStore;

/// The memory store never waits, so its futures finish on the first poll.
fn run(future: impl Future<Output = ()>) {
    let mut future = pin!(future);
    match future
        .as_mut()
        .poll(&mut Context::from_waker(Waker::noop()))
    {
        Poll::Ready(()) => {}
        Poll::Pending => panic!("the in-memory store should never wait"),
    }
}

macro_rules! memory_case {
    ($name:ident) => {
        #[test]
        fn $name() {
            run(conformance::$name(&MemoryStore::new()));
        }
    };
}

conformance::all_cases!(memory_case);
