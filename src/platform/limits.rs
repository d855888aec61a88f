//! Concurrency limits: in-flight requests (busy or initialising sandboxes) per function and
//! per account. A function with reserved concurrency R has exactly R for itself, carved out
//! of the account; the others share what is left (AWS docs, "Lambda function scaling";
//! account default 1,000, facts.md §2).

/// In-flight counts and limits of one replication.
#[derive(Clone, Debug)]
pub struct Concurrency {
    reserved: Vec<Option<u32>>,
    in_flight: Vec<u32>,
    unreserved_limit: u32,
    unreserved_in_flight: u32,
}

impl Concurrency {
    /// Limits for functions with the given reserved concurrency under `account` in all.
    /// The caller has checked that reservations fit in the account.
    pub fn new(account: u32, reserved: Vec<Option<u32>>) -> Self {
        let carved: u32 = reserved.iter().flatten().sum();
        Concurrency {
            in_flight: vec![0; reserved.len()],
            reserved,
            unreserved_limit: account.saturating_sub(carved),
            unreserved_in_flight: 0,
        }
    }

    /// Whether function `f` may start one more request now.
    #[inline]
    pub fn can_admit(&self, f: usize) -> bool {
        match self.reserved[f] {
            Some(r) => self.in_flight[f] < r,
            None => self.unreserved_in_flight < self.unreserved_limit,
        }
    }

    /// Counts a request of `f` starting.
    #[inline]
    pub fn admit(&mut self, f: usize) {
        self.in_flight[f] += 1;
        if self.reserved[f].is_none() {
            self.unreserved_in_flight += 1;
        }
    }

    /// Counts a request of `f` finishing.
    #[inline]
    pub fn release(&mut self, f: usize) {
        self.in_flight[f] -= 1;
        if self.reserved[f].is_none() {
            self.unreserved_in_flight -= 1;
        }
    }

    /// Whether `f` has reserved concurrency (its limit depends on its own requests only).
    #[inline]
    pub fn is_reserved(&self, f: usize) -> bool {
        self.reserved[f].is_some()
    }

    /// Requests of `f` in flight.
    #[inline]
    pub fn in_flight(&self, f: usize) -> u32 {
        self.in_flight[f]
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
