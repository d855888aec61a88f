//! The future-event list: a binary min-heap keyed by (time, insertion sequence), so events at
//! the same microsecond come out in the order they were scheduled and every run is
//! reproducible.

use std::cmp::Ordering;
use std::collections::BinaryHeap;
use std::collections::binary_heap::PeekMut;

use super::time::SimTime;

/// One scheduled event. The key packs time (high 64 bits) and sequence (low 64 bits) so
/// ordering is a single integer comparison.
struct Entry<E> {
    key: u128,
    event: E,
}

impl<E> PartialEq for Entry<E> {
    fn eq(&self, other: &Self) -> bool {
        self.key == other.key
    }
}
impl<E> Eq for Entry<E> {}
impl<E> PartialOrd for Entry<E> {
    fn partial_cmp(&self, other: &Self) -> Option<Ordering> {
        Some(self.cmp(other))
    }
}
impl<E> Ord for Entry<E> {
    // Reversed: BinaryHeap is a max-heap and we want the earliest event on top.
    fn cmp(&self, other: &Self) -> Ordering {
        other.key.cmp(&self.key)
    }
}

/// Events ordered by time, ties broken by the order of scheduling.
///
/// Two lanes share one sequence counter and so one total order: `streams` holds events that
/// reschedule themselves when handled (one pending arrival per traffic source) and `timers`
/// everything else (completions, retries). Popping takes the smaller head of the two. The
/// split keeps each heap small: completions sift through a heap the size of the number of
/// requests in flight, not one that also holds every traffic source.
pub struct EventQueue<E> {
    streams: BinaryHeap<Entry<E>>,
    timers: BinaryHeap<Entry<E>>,
    next_seq: u64,
}

impl<E> Default for EventQueue<E> {
    fn default() -> Self {
        Self::new()
    }
}

fn time_of(key: u128) -> SimTime {
    SimTime((key >> 64) as u64)
}

impl<E> EventQueue<E> {
    /// An empty queue.
    pub fn new() -> Self {
        EventQueue {
            streams: BinaryHeap::new(),
            timers: BinaryHeap::new(),
            next_seq: 0,
        }
    }

    fn key(&mut self, time: SimTime) -> u128 {
        let seq = self.next_seq;
        self.next_seq += 1;
        ((time.0 as u128) << 64) | seq as u128
    }

    /// Schedules `event` at `time`.
    #[inline]
    pub fn push(&mut self, time: SimTime, event: E) {
        let key = self.key(time);
        self.timers.push(Entry { key, event });
    }

    /// Schedules an event of a self-rescheduling process (see [`Self::pop_and_reschedule`]).
    pub fn push_stream(&mut self, time: SimTime, event: E) {
        let key = self.key(time);
        self.streams.push(Entry { key, event });
    }

    /// True when the earliest event is in the stream lane.
    #[inline]
    fn stream_first(&self) -> Option<bool> {
        match (self.streams.peek(), self.timers.peek()) {
            (Some(s), Some(t)) => Some(s.key < t.key),
            (Some(_), None) => Some(true),
            (None, Some(_)) => Some(false),
            (None, None) => None,
        }
    }

    /// Removes and returns the earliest event.
    pub fn pop(&mut self) -> Option<(SimTime, E)> {
        let lane = if self.stream_first()? {
            &mut self.streams
        } else {
            &mut self.timers
        };
        lane.pop().map(|e| (time_of(e.key), e.event))
    }

    /// The time of the earliest event.
    pub fn peek_time(&self) -> Option<SimTime> {
        let s = self.streams.peek().map(|e| e.key);
        let t = self.timers.peek().map(|e| e.key);
        match (s, t) {
            (Some(a), Some(b)) => Some(time_of(a.min(b))),
            (a, b) => a.or(b).map(time_of),
        }
    }

    /// Removes the earliest event and, if `handle` returns one, schedules its successor in
    /// the stream lane. When the earliest event is itself a stream event, its successor
    /// replaces it in place: one sift instead of a pop and a push.
    #[inline]
    pub fn pop_and_reschedule<R>(
        &mut self,
        handle: impl FnOnce(SimTime, &E) -> (R, Option<(SimTime, E)>),
    ) -> Option<(SimTime, R)> {
        if !self.stream_first()? {
            let e = self.timers.pop()?;
            let now = time_of(e.key);
            let (result, next) = handle(now, &e.event);
            if let Some((time, event)) = next {
                self.push_stream(time, event);
            }
            return Some((now, result));
        }
        let seq = self.next_seq;
        let mut top = self.streams.peek_mut()?;
        let now = time_of(top.key);
        let (result, next) = handle(now, &top.event);
        match next {
            Some((time, event)) => {
                self.next_seq = seq + 1;
                top.key = ((time.0 as u128) << 64) | seq as u128;
                top.event = event;
            }
            None => {
                PeekMut::pop(top);
            }
        }
        Some((now, result))
    }

    /// Number of pending events.
    pub fn len(&self) -> usize {
        self.streams.len() + self.timers.len()
    }

    /// True when no event is pending.
    pub fn is_empty(&self) -> bool {
        self.streams.is_empty() && self.timers.is_empty()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn events_come_out_by_time_then_by_scheduling_order() {
        let mut q = EventQueue::new();
        q.push(SimTime(5), "b");
        q.push(SimTime(1), "a");
        q.push(SimTime(5), "c");
        q.push(SimTime(3), "x");
        let order: Vec<_> = std::iter::from_fn(|| q.pop()).collect();
        assert_eq!(
            order,
            vec![
                (SimTime(1), "a"),
                (SimTime(3), "x"),
                (SimTime(5), "b"),
                (SimTime(5), "c")
            ]
        );
    }

    #[test]
    fn rescheduling_the_top_keeps_tie_order_of_a_fresh_push() {
        let mut q = EventQueue::new();
        q.push_stream(SimTime(1), 1);
        q.push(SimTime(10), 2);
        let (t, r) = q
            .pop_and_reschedule(|_, &e| (e, Some((SimTime(10), 3))))
            .unwrap();
        assert_eq!((t, r), (SimTime(1), 1));
        // Scheduled after event 2 at the same time, so it comes out after it.
        assert_eq!(q.pop(), Some((SimTime(10), 2)));
        assert_eq!(q.pop(), Some((SimTime(10), 3)));
        assert!(q.pop_and_reschedule(|_, &e: &i32| (e, None)).is_none());
    }

    #[test]
    fn both_lanes_merge_into_one_order_by_time_then_sequence() {
        // Mixed pushes at equal and different times come out exactly as one heap would give.
        let mut q = EventQueue::new();
        let mut expected = vec![];
        for i in 0..200u64 {
            let t = SimTime((i * 7919) % 13);
            if i % 3 == 0 {
                q.push_stream(t, i);
            } else {
                q.push(t, i);
            }
            expected.push((t, i));
        }
        expected.sort();
        let got: Vec<_> = std::iter::from_fn(|| q.pop()).collect();
        assert_eq!(got, expected);
    }
}
