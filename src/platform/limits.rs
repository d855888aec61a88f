//! Concurrency limits: in-flight requests (busy or initialising sandboxes) per function and
//! per account. A function with reserved concurrency R has exactly R for itself, carved out
//! of the account; the others share what is left (AWS docs, "Lambda function scaling";
//! account default 1,000, facts.md §2).

/// The account's share of the limits in one replication: the concurrency left once every
/// reservation is carved out, and the requests of unreserved functions in flight. Each
/// function's own reservation and in-flight count are a [`FunctionSlots`], kept with the
/// rest of that function's state (one lookup per request on the hot path).
#[derive(Clone, Debug)]
pub struct Concurrency {
    unreserved_limit: u32,
    unreserved_in_flight: u32,
}

/// One function's reserved concurrency, if any, and its requests in flight.
#[derive(Clone, Copy, Debug, Default)]
pub struct FunctionSlots {
    reserved: Option<u32>,
    in_flight: u32,
}

impl FunctionSlots {
    /// A function with reserved concurrency `reserved` (if any) and nothing in flight.
    pub fn new(reserved: Option<u32>) -> Self {
        FunctionSlots {
            reserved,
            in_flight: 0,
        }
    }

    /// Whether the function has reserved concurrency (its limit depends on its own
    /// requests only).
    #[inline]
    pub fn is_reserved(&self) -> bool {
        self.reserved.is_some()
    }

    /// Requests of the function in flight.
    #[inline]
    pub fn in_flight(&self) -> u32 {
        self.in_flight
    }
}

impl Concurrency {
    /// Limits under `account` in all, for functions with the given reserved concurrency.
    /// The caller has checked that reservations fit in the account.
    pub fn new(account: u32, reserved: impl IntoIterator<Item = Option<u32>>) -> Self {
        let carved: u32 = reserved.into_iter().flatten().sum();
        Concurrency {
            unreserved_limit: account.saturating_sub(carved),
            unreserved_in_flight: 0,
        }
    }

    /// Whether the function with `slots` may start one more request now.
    #[inline]
    pub fn can_admit(&self, slots: &FunctionSlots) -> bool {
        match slots.reserved {
            Some(r) => slots.in_flight < r,
            None => self.unreserved_in_flight < self.unreserved_limit,
        }
    }

    /// Counts a request of the function with `slots` starting.
    #[inline]
    pub fn admit(&mut self, slots: &mut FunctionSlots) {
        slots.in_flight += 1;
        if slots.reserved.is_none() {
            self.unreserved_in_flight += 1;
        }
    }

    /// Counts a request of the function with `slots` finishing.
    #[inline]
    pub fn release(&mut self, slots: &mut FunctionSlots) {
        slots.in_flight -= 1;
        if slots.reserved.is_none() {
            self.unreserved_in_flight -= 1;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reserved_functions_are_capped_and_others_share_the_rest() {
        let reserved = [Some(3), None, None];
        let mut c = Concurrency::new(10, reserved);
        let mut f = reserved.map(FunctionSlots::new);
        for _ in 0..3 {
            assert!(c.can_admit(&f[0]));
            c.admit(&mut f[0]);
        }
        assert!(!c.can_admit(&f[0]));
        for _ in 0..7 {
            assert!(c.can_admit(&f[1]) || c.can_admit(&f[2]));
            c.admit(&mut f[1]);
        }
        assert!(!c.can_admit(&f[2]), "7 unreserved slots are used");
        c.release(&mut f[1]);
        assert!(c.can_admit(&f[2]));
        assert_eq!(f[0].in_flight(), 3);
        assert!(f[0].is_reserved() && !f[1].is_reserved());
    }
}
