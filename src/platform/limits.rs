//! Concurrency limits: in-flight requests (busy or initialising sandboxes) per function and
//! per account. A function with reserved concurrency R has exactly R for itself, carved out
//! of the account; the others share what is left (AWS docs, "Lambda function scaling";
//! account default 1,000, facts.md §2).

/// In-flight counts and limits of one replication.
#[derive(Clone, Debug)]
pub struct Concurrency {
    /// Per function: its reservation and its requests in flight, side by side (one lookup
    /// per request on the hot path).
    functions: Vec<FunctionSlots>,
    unreserved_limit: u32,
    unreserved_in_flight: u32,
}

/// One function's reserved concurrency, if any, and its requests in flight.
#[derive(Clone, Copy, Debug)]
struct FunctionSlots {
    reserved: Option<u32>,
    in_flight: u32,
}

impl Concurrency {
    /// Limits for functions with the given reserved concurrency under `account` in all.
    /// The caller has checked that reservations fit in the account.
    pub fn new(account: u32, reserved: Vec<Option<u32>>) -> Self {
        let carved: u32 = reserved.iter().flatten().sum();
        Concurrency {
            functions: reserved
                .into_iter()
                .map(|reserved| FunctionSlots {
                    reserved,
                    in_flight: 0,
                })
                .collect(),
            unreserved_limit: account.saturating_sub(carved),
            unreserved_in_flight: 0,
        }
    }

    /// Whether function `f` may start one more request now.
    #[inline]
    pub fn can_admit(&self, f: usize) -> bool {
        let slots = self.functions[f];
        match slots.reserved {
            Some(r) => slots.in_flight < r,
            None => self.unreserved_in_flight < self.unreserved_limit,
        }
    }

    /// Counts a request of `f` starting.
    #[inline]
    pub fn admit(&mut self, f: usize) {
        let slots = &mut self.functions[f];
        slots.in_flight += 1;
        if slots.reserved.is_none() {
            self.unreserved_in_flight += 1;
        }
    }

    /// Counts a request of `f` finishing.
    #[inline]
    pub fn release(&mut self, f: usize) {
        let slots = &mut self.functions[f];
        slots.in_flight -= 1;
        if slots.reserved.is_none() {
            self.unreserved_in_flight -= 1;
        }
    }

    /// Whether `f` has reserved concurrency (its limit depends on its own requests only).
    #[inline]
    pub fn is_reserved(&self, f: usize) -> bool {
        self.functions[f].reserved.is_some()
    }

    /// Requests of `f` in flight.
    #[inline]
    pub fn in_flight(&self, f: usize) -> u32 {
        self.functions[f].in_flight
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reserved_functions_are_capped_and_others_share_the_rest() {
        let mut c = Concurrency::new(10, vec![Some(3), None, None]);
        for _ in 0..3 {
            assert!(c.can_admit(0));
            c.admit(0);
        }
        assert!(!c.can_admit(0));
        for _ in 0..7 {
            assert!(c.can_admit(1) || c.can_admit(2));
            c.admit(1);
        }
        assert!(!c.can_admit(2), "7 unreserved slots are used");
        c.release(1);
        assert!(c.can_admit(2));
        assert_eq!(c.in_flight(0), 3);
    }
}
