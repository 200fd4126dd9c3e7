//! How a filing moves: the one table of its steps (from which status, to which, and who takes
//! them), used by the service before it writes and by the filing page to offer the step.

use super::FilingStatus;
use crate::auth::Role;
use crate::auth::permissions::{self, CONTRACTORS, INSPECTORS};
use crate::error::AppError;

/// A step of a filing after it was submitted.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Step {
    /// The unit corrects a returned filing and submits it again.
    Resubmit,
    /// The county's inspector accepts it (registration codes are issued).
    Accept,
    /// The county's inspector returns it with a reason.
    Return,
    /// The unit closes an accepted filing when the work is done.
    Close,
}

impl Step {
    /// Every step.
    pub const ALL: [Step; 4] = [Step::Resubmit, Step::Accept, Step::Return, Step::Close];

    /// The status a filing must be in for this step.
    pub fn from(self) -> FilingStatus {
        match self {
            Step::Resubmit => FilingStatus::Returned,
            Step::Accept | Step::Return => FilingStatus::Submitted,
            Step::Close => FilingStatus::Accepted,
        }
    }

    /// The status the step leads to.
    pub fn to(self) -> FilingStatus {
        match self {
            Step::Resubmit => FilingStatus::Submitted,
            Step::Accept => FilingStatus::Accepted,
            Step::Return => FilingStatus::Returned,
            Step::Close => FilingStatus::Closed,
        }
    }

    /// The roles that take this step (within their scope: the unit's own filings, the
    /// inspector's county).
    pub fn takers(self) -> &'static [Role] {
        match self {
            Step::Resubmit | Step::Close => &CONTRACTORS,
            Step::Accept | Step::Return => &INSPECTORS,
        }
    }
}

/// The status after `step` from `from`, or 409 `illegal_transition`.
pub fn plan(from: FilingStatus, step: Step) -> Result<FilingStatus, AppError> {
    if from == step.from() {
        Ok(step.to())
    } else {
        Err(AppError::illegal_transition(from.as_str(), Some(step.to().as_str())))
    }
}

/// Whether the page offers `step` to `role` on a filing in status `from`.
pub fn offered(from: FilingStatus, step: Step, role: Option<Role>) -> bool {
    plan(from, step).is_ok() && permissions::allows(step.takers(), role)
}

#[cfg(test)]
mod tests {
    use super::*;
    use FilingStatus as S;

    #[test]
    fn each_step_from_one_status_to_one_other() {
        let legal = [
            (S::Returned, Step::Resubmit, S::Submitted),
            (S::Submitted, Step::Accept, S::Accepted),
            (S::Submitted, Step::Return, S::Returned),
            (S::Accepted, Step::Close, S::Closed),
        ];
        for from in FilingStatus::ALL {
            for step in Step::ALL {
                let expected = legal.iter().find(|(f, s, _)| *f == from && *s == step).map(|(_, _, to)| *to);
                match (plan(from, step), expected) {
                    (Ok(to), Some(want)) => assert_eq!(to, want, "{from:?} {step:?}"),
                    (Err(AppError::Conflict { code, params, .. }), None) => {
                        assert_eq!(code, crate::error::ConflictCode::IllegalTransition);
                        assert_eq!(params.get("from").map(String::as_str), Some(from.as_str()));
                        assert_eq!(params.get("to").map(String::as_str), Some(step.to().as_str()));
                    }
                    (got, want) => panic!("{from:?} {step:?}: {got:?}, expected {want:?}"),
                }
            }
        }
    }

    #[test]
    fn units_resubmit_and_close_inspectors_review() {
        assert!(offered(S::Returned, Step::Resubmit, Some(Role::ContractorStaff)));
        assert!(!offered(S::Returned, Step::Resubmit, Some(Role::CountyInspector)));
        assert!(offered(S::Submitted, Step::Accept, Some(Role::CountyInspector)));
        assert!(!offered(S::Submitted, Step::Return, Some(Role::ContractorAdmin)));
        assert!(!offered(S::Submitted, Step::Accept, Some(Role::CityOfficer)));
        assert!(offered(S::Accepted, Step::Close, Some(Role::ContractorAdmin)));
        assert!(!offered(S::Closed, Step::Close, Some(Role::ContractorAdmin)));
        assert!(!offered(S::Submitted, Step::Accept, None));
    }
}
