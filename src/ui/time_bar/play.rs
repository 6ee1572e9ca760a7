//! Play: the cursor moves one event forward at a pace, to the end.

use std::cell::{Cell, RefCell};
use std::rc::Rc;

use gloo::timers::callback::Timeout;
use yew::prelude::*;

use super::{slider_value, step_forward, LogSpan};
use crate::core::ReadRequest;
use crate::service::{Cursor, Sandbox};
use crate::ui::{run, SandboxHandle};

/// How long "real pacing" takes to play the whole log: the events' own
/// gaps, scaled down (or up) to fit.
const REAL_PACING_MS: f64 = 30_000.0;

/// How fast play moves the cursor.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub(super) enum Pace {
    PerSecond(u32),
    /// The events' `created` gaps, compressed to [`REAL_PACING_MS`].
    Real,
}

pub(super) const PACES: [Pace; 6] = [
    Pace::PerSecond(1),
    Pace::PerSecond(2),
    Pace::PerSecond(5),
    Pace::PerSecond(20),
    Pace::PerSecond(100),
    Pace::Real,
];

impl Pace {
    pub(super) fn value(self) -> String {
        match self {
            Pace::PerSecond(n) => n.to_string(),
            Pace::Real => "real".into(),
        }
    }

    pub(super) fn label(self) -> String {
        match self {
            Pace::PerSecond(n) => format!("{n} per second"),
            Pace::Real => "Real pacing (30 s)".into(),
        }
    }
}

/// Plays: moves the cursor one event forward at the pace chosen, until the
/// end, where it goes live and stops.
#[hook]
pub(super) fn use_play(
    sandbox: &SandboxHandle,
    playing: &UseStateHandle<bool>,
    pace: Pace,
    cursor: Cursor,
    span: Option<LogSpan>,
    travel: &Callback<Cursor>,
) {
    let (sandbox, playing_handle, travel) = (sandbox.clone(), playing.clone(), travel.clone());
    use_effect_with(
        (**playing, pace, cursor, span),
        move |(playing, pace, cursor, span)| {
            let timer: Rc<RefCell<Option<Timeout>>> = Rc::default();
            let cancelled = Rc::new(Cell::new(false));
            if let (true, Some(span)) = (*playing, span.clone()) {
                let next = step_forward(*cursor, span.last);
                let tick = move || {
                    if next == Cursor::Live {
                        playing_handle.set(false);
                    }
                    travel.emit(next);
                };
                match *pace {
                    Pace::PerSecond(n) => {
                        let delay = 1000 / n.max(1);
                        *timer.borrow_mut() = Some(Timeout::new(delay, tick));
                    }
                    Pace::Real => {
                        let (timer, cancelled) = (Rc::clone(&timer), Rc::clone(&cancelled));
                        let from = slider_value(*cursor, span.last);
                        run(
                            async move { real_gap_ms(&sandbox.0, from, &span).await },
                            move |delay| {
                                if !cancelled.get() {
                                    *timer.borrow_mut() = Some(Timeout::new(delay, tick));
                                }
                            },
                        );
                    }
                }
            }
            move || {
                cancelled.set(true);
                timer.borrow_mut().take();
            }
        },
    );
}

/// How long real pacing waits before the event after `from`: its gap in
/// `created`, scaled so the whole log takes [`REAL_PACING_MS`].
async fn real_gap_ms(sandbox: &Sandbox, from: i64, span: &LogSpan) -> u32 {
    let events = (span.last + 1).max(1) as f64;
    let even = REAL_PACING_MS / events;
    let whole = span.last_ms - span.first_ms;
    if from < 0 || whole <= 0.0 {
        return even as u32;
    }
    let gap = match sandbox
        .read_all(ReadRequest::forwards(from as u64, 2))
        .await
    {
        Ok(pair) if pair.len() == 2 => {
            js_sys::Date::parse(&pair[1].created) - js_sys::Date::parse(&pair[0].created)
        }
        _ => return even as u32,
    };
    (gap.max(0.0) / whole * REAL_PACING_MS) as u32
}
