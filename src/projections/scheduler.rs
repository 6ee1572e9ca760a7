//! When a projection folds and when it saves: one [`RunState`] per
//! projection, moved by the host as appends arrive and passes end.
//!
//! A pass folds everything up to the head of `$all`. Appends that arrive
//! during a pass ask for one more pass, never a second concurrent one. A
//! save pulls every partition's state from the worker and writes it, so
//! saves are throttled to one per [`CHECKPOINT_EVERY_MS`]; progress not yet
//! saved when the runs stop is saved by one trailing save. A reload in
//! between replays from the older checkpoint, which is safe: folding is
//! deterministic and outputs are written exactly once (`output.rs`).
//!
//! Pure: time comes in as an argument, so every rule here is tested natively.

/// How often a busy projection's states are saved, at most.
pub const CHECKPOINT_EVERY_MS: f64 = 1000.0;

#[derive(Debug, Clone, Copy, PartialEq)]
pub enum RunState {
    /// Nothing under way, nothing unsaved.
    Idle,
    /// A pass is under way. `again`: events arrived since it began, so
    /// another pass follows. `unsaved`: progress the saved checkpoint lacks.
    CatchingUp { again: bool, unsaved: bool },
    /// Nothing under way; the progress not yet saved is saved at `due`.
    SaveDue { due: f64 },
}

#[derive(Debug, Clone, PartialEq)]
pub struct Schedule {
    state: RunState,
    last_saved: f64,
}

impl Default for Schedule {
    fn default() -> Self {
        Schedule {
            state: RunState::Idle,
            last_saved: f64::NEG_INFINITY,
        }
    }
}

impl Schedule {
    pub fn state(&self) -> RunState {
        self.state
    }

    pub fn is_running(&self) -> bool {
        matches!(self.state, RunState::CatchingUp { .. })
    }

    /// Events arrived (or the projection was started): `true` when a
    /// catch-up must start now, `false` when the one under way will do
    /// another pass.
    pub fn kick(&mut self) -> bool {
        match self.state {
            RunState::CatchingUp { unsaved, .. } => {
                self.state = RunState::CatchingUp {
                    again: true,
                    unsaved,
                };
                false
            }
            RunState::Idle => {
                self.state = RunState::CatchingUp {
                    again: false,
                    unsaved: false,
                };
                true
            }
            RunState::SaveDue { .. } => {
                self.state = RunState::CatchingUp {
                    again: false,
                    unsaved: true,
                };
                true
            }
        }
    }

    /// A pass begins: appends from now on ask for the next one.
    pub fn begin_pass(&mut self) {
        if let RunState::CatchingUp { unsaved, .. } = self.state {
            self.state = RunState::CatchingUp {
                again: false,
                unsaved,
            };
        }
    }

    /// A pass made progress at `now`: `true` when it is time to save.
    pub fn progressed(&mut self, now: f64) -> bool {
        if now - self.last_saved >= CHECKPOINT_EVERY_MS {
            return true;
        }
        if let RunState::CatchingUp { again, .. } = self.state {
            self.state = RunState::CatchingUp {
                again,
                unsaved: true,
            };
        }
        false
    }

    /// The projection's row was written at `now`, with its states.
    pub fn saved(&mut self, now: f64) {
        self.last_saved = now;
        self.state = match self.state {
            RunState::CatchingUp { again, .. } => RunState::CatchingUp {
                again,
                unsaved: false,
            },
            RunState::Idle | RunState::SaveDue { .. } => RunState::Idle,
        };
    }

    /// Whether events arrived during the pass that just ended.
    pub fn another_pass(&self) -> bool {
        matches!(self.state, RunState::CatchingUp { again: true, .. })
    }

    /// The catch-up ended. Returns when the trailing save is due, if
    /// progress is unsaved.
    pub fn finished(&mut self) -> Option<f64> {
        match self.state {
            RunState::CatchingUp { unsaved: true, .. } => {
                let due = self.last_saved + CHECKPOINT_EVERY_MS;
                self.state = RunState::SaveDue { due };
                Some(due)
            }
            _ => {
                self.state = RunState::Idle;
                None
            }
        }
    }

    /// The trailing save's timer fired: `true` when the save is still due
    /// (no pass started since, and nothing saved it already).
    pub fn trailing_save_due(&self) -> bool {
        matches!(self.state, RunState::SaveDue { .. })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn appends_during_a_pass_ask_for_one_more_pass_not_a_second_run() {
        let mut schedule = Schedule::default();
        assert!(schedule.kick(), "an idle projection starts");
        schedule.begin_pass();
        assert!(!schedule.kick(), "a running one does not start twice");
        assert!(!schedule.kick());
        assert!(schedule.another_pass());
        schedule.begin_pass();
        assert!(
            !schedule.another_pass(),
            "one more pass covers every append"
        );
    }

    #[test]
    fn the_first_progress_saves_then_saves_are_throttled() {
        let mut schedule = Schedule::default();
        schedule.kick();
        schedule.begin_pass();
        assert!(schedule.progressed(10_000.0));
        schedule.saved(10_000.0);
        schedule.begin_pass();
        assert!(!schedule.progressed(10_400.0));
        assert_eq!(
            schedule.state(),
            RunState::CatchingUp {
                again: false,
                unsaved: true
            }
        );
        assert!(
            schedule.progressed(11_000.0),
            "a second after the last save"
        );
    }

    #[test]
    fn unsaved_progress_gets_one_trailing_save_a_second_after_the_last() {
        let mut schedule = Schedule::default();
        schedule.kick();
        schedule.progressed(5_000.0);
        schedule.saved(5_000.0);
        schedule.progressed(5_300.0);
        assert_eq!(schedule.finished(), Some(6_000.0));
        assert!(schedule.trailing_save_due());
        schedule.saved(6_000.0);
        assert_eq!(schedule.state(), RunState::Idle);
        assert!(!schedule.trailing_save_due());
    }

    #[test]
    fn a_run_that_starts_before_the_trailing_save_takes_it_over() {
        let mut schedule = Schedule::default();
        schedule.kick();
        schedule.saved(0.0);
        schedule.progressed(100.0);
        schedule.finished();
        assert!(schedule.kick(), "a new append starts a run");
        assert!(!schedule.trailing_save_due(), "the timer then does nothing");
        assert_eq!(
            schedule.finished(),
            Some(1_000.0),
            "the run still owes the save"
        );
    }

    #[test]
    fn a_run_with_everything_saved_ends_idle() {
        let mut schedule = Schedule::default();
        schedule.kick();
        assert!(schedule.progressed(0.0));
        schedule.saved(0.0);
        assert_eq!(schedule.finished(), None);
        assert_eq!(schedule.state(), RunState::Idle);
        assert!(!schedule.is_running());
    }
}
