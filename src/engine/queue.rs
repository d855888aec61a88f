//! The future-event list, keyed by (time, insertion sequence), so events at the same
//! microsecond come out in the order they were scheduled and every run is reproducible.

use super::heap::{EventKey, KeyedHeap};
use super::time::{SimDuration, SimTime};
use super::tournament::Tournament;

/// Events ordered by time, ties broken by the order of scheduling.
///
/// Two lanes share one sequence counter and so one total order: `streams` holds events that
/// reschedule themselves when handled (one pending arrival per traffic source), in a
/// [`Tournament`] whose replay after each arrival follows a fixed path, and `timers`
/// everything else (completions, retries), in a 4-ary [`KeyedHeap`]. Popping takes the
/// smaller head of the two. The split keeps each structure small: completions sift through
/// a heap the size of the number of requests in flight, not one that also holds every
/// traffic source.
///
/// A caller may also [`reserve`](Self::reserve) a key without scheduling anything, for work
/// it orders itself (requests completed lazily, see `sim`), and schedule it later with
/// [`push_keyed`](Self::push_keyed) in exactly the place it would have had.
///
/// Keyed and periodic events (the shape of nexosim's `schedule_keyed_event` and
/// `schedule_periodic_event`): [`schedule_keyed`](Self::schedule_keyed) returns the event's
/// key, and [`cancel`](Self::cancel) with it drops the event, so a handler never has to
/// recognise a stale event; [`schedule_periodic`](Self::schedule_periodic) schedules an event
/// once and the queue repeats it. A periodic event is rescheduled when the next event is
/// popped, i.e. after its handler has run: its next occurrence takes exactly the sequence
/// number a handler rescheduling it as its last act would have taken, so ties come out as
/// they would with self-rescheduling.
pub struct EventQueue<E> {
    streams: Tournament<E>,
    timers: KeyedHeap<E>,
    next_seq: u64,
    /// Keys of cancelled events still in the timer lane; each is dropped when it reaches the
    /// top.
    cancelled: Vec<EventKey>,
    /// Repeating events, each with the key of its pending occurrence.
    periodic: Vec<Periodic<E>>,
    /// The periodic event whose occurrence came out last, rescheduled at the next pop.
    rearm: Option<usize>,
}

/// A repeating event: `period` after each occurrence, while before `until`.
struct Periodic<E> {
    key: EventKey,
    period: SimDuration,
    until: SimTime,
    event: E,
}

impl<E: Copy> Default for EventQueue<E> {
    fn default() -> Self {
        Self::new()
    }
}

impl<E: Copy> EventQueue<E> {
    /// An empty queue.
    pub fn new() -> Self {
        EventQueue {
            streams: Tournament::new(),
            timers: KeyedHeap::new(),
            next_seq: 0,
            cancelled: Vec::new(),
            periodic: Vec::new(),
            rearm: None,
        }
    }

    /// Schedules `event` at `time` and returns its key, which [`Self::cancel`] takes.
    pub fn schedule_keyed(&mut self, time: SimTime, event: E) -> EventKey {
        let key = self.reserve(time);
        self.timers.push(key, event);
        key
    }

    /// Drops the event scheduled with `key` by [`Self::schedule_keyed`]. The event must still
    /// be pending (not popped yet). It keeps its place in [`Self::len`] until it would have
    /// come out.
    pub fn cancel(&mut self, key: EventKey) {
        debug_assert!(key.seq < self.next_seq, "key not given out by this queue");
        self.cancelled.push(key);
    }

    /// Schedules `event` at `first`, then every `period` after each occurrence while the
    /// occurrence is before `until`. Each later occurrence is scheduled when the event popped
    /// after the previous one is, as if the handler had rescheduled it as its last act.
    pub fn schedule_periodic(
        &mut self,
        first: SimTime,
        period: SimDuration,
        until: SimTime,
        event: E,
    ) {
        assert!(period.as_us() > 0, "a periodic event needs a period");
        if first >= until {
            return;
        }
        let key = self.schedule_keyed(first, event);
        self.periodic.push(Periodic {
            key,
            period,
            until,
            event,
        });
    }

    /// Before a pop: schedules the next occurrence of the periodic event that came out last
    /// and drops cancelled events from the top of the timer lane.
    #[inline]
    fn settle(&mut self) {
        if let Some(i) = self.rearm.take() {
            let next = self.periodic[i].key.time + self.periodic[i].period;
            if next < self.periodic[i].until {
                let event = self.periodic[i].event;
                self.periodic[i].key = self.schedule_keyed(next, event);
            }
        }
        while !self.cancelled.is_empty() {
            let Some(top) = self.timers.peek_key() else {
                break;
            };
            let Some(i) = self.cancelled.iter().position(|&k| k == top) else {
                break;
            };
            self.cancelled.swap_remove(i);
            self.timers.pop();
        }
    }

    /// Pops the top of the timer lane, noting a periodic occurrence for rescheduling.
    #[inline]
    fn pop_timer(&mut self) -> Option<(EventKey, E)> {
        let (key, event) = self.timers.pop()?;
        if !self.periodic.is_empty() {
            self.rearm = self.periodic.iter().position(|p| p.key == key);
        }
        Some((key, event))
    }

    /// The key the next event scheduled at `time` gets; the sequence counter advances as if
    /// an event had been scheduled.
    #[inline]
    pub fn reserve(&mut self, time: SimTime) -> EventKey {
        let seq = self.next_seq;
        self.next_seq += 1;
        EventKey { time, seq }
    }

    /// Schedules `event` at `time`.
    #[inline]
    pub fn push(&mut self, time: SimTime, event: E) {
        let key = self.reserve(time);
        self.timers.push(key, event);
    }

    /// Schedules `event` with a key obtained from [`Self::reserve`]: it comes out exactly
    /// where an event pushed at the time of the reservation would have.
    pub fn push_keyed(&mut self, key: EventKey, event: E) {
        debug_assert!(key.seq < self.next_seq, "key not reserved from this queue");
        self.timers.push(key, event);
    }

    /// Schedules an event of a self-rescheduling process (see [`Self::pop_and_reschedule`]).
    /// O(processes): meant for starting the processes.
    pub fn push_stream(&mut self, time: SimTime, event: E) {
        let key = self.reserve(time);
        self.streams.push(key, event);
    }

    /// True when the earliest event is in the stream lane.
    #[inline]
    fn stream_first(&self) -> Option<bool> {
        match (self.streams.peek_key(), self.timers.peek_key()) {
            (Some(s), Some(t)) => Some(s < t),
            (Some(_), None) => Some(true),
            (None, Some(_)) => Some(false),
            (None, None) => None,
        }
    }

    /// Removes and returns the earliest event with its key.
    pub fn pop_keyed(&mut self) -> Option<(EventKey, E)> {
        self.settle();
        if self.stream_first()? {
            self.streams.pop()
        } else {
            self.pop_timer()
        }
    }

    /// Removes and returns the earliest event.
    pub fn pop(&mut self) -> Option<(SimTime, E)> {
        self.pop_keyed().map(|(k, e)| (k.time, e))
    }

    /// Removes the earliest event and, if `handle` returns one, schedules its successor in
    /// the stream lane. When the earliest event is itself a stream event, its successor
    /// replaces it in place: one sift instead of a pop and a push. Returns the key of the
    /// removed event and what `handle` made of it.
    #[inline]
    pub fn pop_and_reschedule<R>(
        &mut self,
        handle: impl FnOnce(SimTime, &E) -> (R, Option<(SimTime, E)>),
    ) -> Option<(EventKey, R)> {
        self.settle();
        if !self.stream_first()? {
            let (key, event) = self.pop_timer()?;
            let (result, next) = handle(key.time, &event);
            if let Some((time, event)) = next {
                self.push_stream(time, event);
            }
            return Some((key, result));
        }
        let (key, event) = self.streams.peek()?;
        let (result, next) = handle(key.time, &event);
        match next {
            Some((time, event)) => {
                let next_key = self.reserve(time);
                self.streams.replace_top(next_key, event);
            }
            None => {
                self.streams.pop();
            }
        }
        Some((key, result))
    }

    /// Number of keys given out so far (events scheduled and keys reserved).
    #[inline]
    pub fn scheduled(&self) -> u64 {
        self.next_seq
    }

    /// Number of pending events (cancelled ones that have not reached the top included).
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
        assert_eq!((t.time, r), (SimTime(1), 1));
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

    #[test]
    fn a_reserved_key_schedules_where_a_push_at_reservation_would_have() {
        // Reference: pushes in this order. Test: the middle one is reserved first and only
        // scheduled after the others.
        let mut reference = EventQueue::new();
        reference.push(SimTime(5), 'a');
        reference.push(SimTime(5), 'b');
        reference.push(SimTime(5), 'c');
        let mut q = EventQueue::new();
        q.push(SimTime(5), 'a');
        let k = q.reserve(SimTime(5));
        q.push(SimTime(5), 'c');
        q.push_keyed(k, 'b');
        assert_eq!(
            k,
            EventKey {
                time: SimTime(5),
                seq: 1
            }
        );
        let want: Vec<_> = std::iter::from_fn(|| reference.pop_keyed()).collect();
        let got: Vec<_> = std::iter::from_fn(|| q.pop_keyed()).collect();
        assert_eq!(got, want);
    }

    /// Tolerance: exact. A periodic event against the same event rescheduled by its handler
    /// as its last act, with other events scheduled by the handler and ties at equal times:
    /// the same (key, event) sequence comes out, sequence numbers included.
    #[test]
    fn a_periodic_event_takes_the_keys_of_a_self_rescheduled_one() {
        const PING: u32 = 0;
        // Each occurrence of PING at t schedules an event at t + 10 (ties with the next
        // PING at period 10) before the next PING would be rescheduled.
        let run = |periodic: bool| {
            let mut q = EventQueue::new();
            if periodic {
                q.schedule_periodic(SimTime(10), SimDuration(10), SimTime(60), PING);
            } else {
                q.push(SimTime(10), PING);
            }
            q.push(SimTime(20), 7);
            let mut out = vec![];
            while let Some((k, e)) = q.pop_keyed() {
                out.push((k, e));
                if e == PING {
                    q.push(k.time + SimDuration(10), 100 + k.time.0 as u32);
                    if !periodic && k.time.0 + 10 < 60 {
                        q.push(k.time + SimDuration(10), PING);
                    }
                }
            }
            out
        };
        let got = run(true);
        assert_eq!(got, run(false));
        // Five occurrences (10..50), each followed by its 100+t event; the run ends at 60.
        assert_eq!(got.iter().filter(|(_, e)| *e == PING).count(), 5);
        assert_eq!(got.len(), 11);
    }

    /// Tolerance: exact. Cancelled events never come out; the others keep their order and
    /// keys, in both lanes.
    #[test]
    fn a_cancelled_keyed_event_is_dropped_and_the_rest_keep_their_order() {
        let mut q = EventQueue::new();
        let a = q.schedule_keyed(SimTime(5), 'a');
        let b = q.schedule_keyed(SimTime(5), 'b');
        q.push_stream(SimTime(5), 's');
        let c = q.schedule_keyed(SimTime(1), 'c');
        q.cancel(b);
        q.cancel(c);
        let got: Vec<_> = std::iter::from_fn(|| q.pop_keyed()).collect();
        assert_eq!(got, vec![(a, 'a'), (EventKey::at(5, 2), 's')]);
        assert!(q.cancelled.is_empty());
    }
}
