package io.workqueue.testkit.history;

import io.workqueue.NewTask;
import io.workqueue.Outcome;
import io.workqueue.QueueRef;
import io.workqueue.Task;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.EnumSet;
import java.util.HashMap;
import java.util.HashSet;
import java.util.IdentityHashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.Set;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Checks a {@link History} against the queue's invariants, in the spirit of Jepsen's queue
 * checkers:
 *
 * <ul>
 *   <li>every add that returned its index was delivered at least once, with the value it was added
 *       with ({@link Anomaly.Kind#LOST}); drain the queues first (see {@link Drain});
 *   <li>indices are unique among the adds that returned ({@link Anomaly.Kind#DUPLICATE_INDEX});
 *   <li>no task was held by two workers at once: a delivery of an index to another worker is
 *       allowed only at or after the previous lease's deadline, or after its holder acknowledged it
 *       ({@link Anomaly.Kind#OVERLAPPING_LEASES});
 *   <li>an ack by a worker whose lease was taken over returns false ({@link
 *       Anomaly.Kind#STALE_ACK}); no two acks of one index return true ({@link
 *       Anomaly.Kind#DOUBLE_ACK}); an index is not delivered again after an ack of it returned
 *       true, unless its queue was rewound ({@link Anomaly.Kind#FORGOTTEN_ACK});
 *   <li>every delivery belongs to an add ({@link Anomaly.Kind#UNKNOWN_DELIVERY}): an add that
 *       returned, or one whose outcome is unknown (an add that threw a backend failure may or may
 *       not be delivered);
 *   <li>every ack that returned true reached the completion listener, at least once, possibly after
 *       retries ({@link Anomaly.Kind#COMPLETION_MISSING}), with the add's token and the ack's
 *       outcome ({@link Anomaly.Kind#COMPLETION_MISMATCH}).
 * </ul>
 *
 * <p>Times: a lease starts at its fetch's clock reading ({@code deadline - timeToRecover}) and ends
 * at its deadline, both in the queues' clock; which call happened before which is judged by {@link
 * System#nanoTime()}, and where two calls overlap in real time the checker gives the queue the
 * benefit of the doubt. Values are compared as JSON text, so {@code 5} as an int and as a long are
 * the same value. Each check logs its {@linkplain CheckResult#summary() one-line summary} at INFO.
 * Immutable and thread-safe.
 */
public final class HistoryChecker {
  private static final Logger LOG = LoggerFactory.getLogger(HistoryChecker.class);

  private final Set<Anomaly.Kind> tolerated;

  private HistoryChecker(Set<Anomaly.Kind> tolerated) {
    this.tolerated = tolerated;
  }

  /**
   * A checker for which every anomaly is a violation.
   *
   * @return the checker
   */
  public static HistoryChecker strict() {
    return new HistoryChecker(Set.of());
  }

  /**
   * A checker that still counts anomalies of some kinds but does not call them violations, e.g. to
   * measure what a bookkeeper that loses writes forgets.
   *
   * @param kinds the kinds to tolerate
   * @return a new checker
   */
  public HistoryChecker tolerating(Anomaly.Kind... kinds) {
    EnumSet<Anomaly.Kind> all = EnumSet.noneOf(Anomaly.Kind.class);
    all.addAll(tolerated);
    all.addAll(List.of(kinds));
    return new HistoryChecker(all);
  }

  /**
   * Checks a history.
   *
   * @param history the history
   * @return the figures and anomalies
   */
  public CheckResult check(History history) {
    return check(history.operations());
  }

  /**
   * Checks a list of entries.
   *
   * @param operations the entries, in any order
   * @return the figures and anomalies
   */
  public CheckResult check(List<Operation> operations) {
    CheckResult result = new Run(operations).check();
    LOG.info("{}", result);
    return result;
  }

  // ------------------------------------------------------------------------------------ model

  private record Slot(QueueRef queue, long index) {}

  private record Added(Slot slot, NewTask task, String value, Operation.Add op) {}

  /** A task whose add threw a backend failure: it may or may not be delivered. */
  private static final class Unsure {
    final NewTask task;
    final Operation.Add op;
    boolean delivered;

    Unsure(NewTask task, Operation.Add op) {
      this.task = task;
      this.op = op;
    }
  }

  private record Lease(
      Slot slot, String worker, Task task, String value, Instant start, Operation.Fetch op) {
    Instant deadline() {
      return task.deadline();
    }

    Timing timing() {
      return op.timing();
    }

    String describe() {
      return String.format(
          "%s (delivery %d, lease %s..%s, fetch #%d on %s)",
          worker, task.deliveries(), start, deadline(), op.seq(), op.node());
    }
  }

  private record LeaseKey(Slot slot, String worker, Instant deadline, int deliveries) {}

  private record AckOf(Slot slot, String worker, Optional<Outcome> outcome, Operation.Ack op) {
    boolean returnedTrue() {
      return op.status() == Status.OK && op.acknowledged().contains(slot.index());
    }
  }

  private final class Run {
    private final List<Operation> operations;
    private final List<Anomaly> anomalies = new ArrayList<>();
    private final Map<Slot, List<Added>> added = new LinkedHashMap<>();
    private final Map<QueueRef, Map<String, List<Unsure>>> unsure = new HashMap<>();
    private final Map<Slot, List<Lease>> leases = new LinkedHashMap<>();
    private final Map<Slot, List<AckOf>> acks = new LinkedHashMap<>();
    private final Map<Slot, List<Operation.Heard>> heard = new HashMap<>();
    private final Set<QueueRef> rewound = new HashSet<>();
    private long calls;
    private long failedCalls;
    private long adds;
    private long unsureAdds;
    private long completions;
    private long listenerFailures;

    Run(List<Operation> operations) {
      List<Operation> sorted = new ArrayList<>(operations);
      sorted.sort(Comparator.comparingLong(Operation::seq));
      this.operations = sorted;
    }

    CheckResult check() {
      index();
      checkIndices();
      long deliveries = leases.values().stream().mapToLong(List::size).sum();
      long redeliveries = deliveries - leases.size();
      checkDeliveries();
      long lost = checkLost();
      long acked = checkAcks();
      checkLeases();
      checkCompletions();
      long unsureDelivered =
          unsure.values().stream()
              .flatMap(m -> m.values().stream())
              .flatMap(List::stream)
              .filter(u -> u.delivered)
              .count();
      return new CheckResult(
          calls,
          adds,
          unsureAdds,
          unsureDelivered,
          deliveries,
          redeliveries,
          acked,
          lost,
          failedCalls,
          completions,
          listenerFailures,
          anomalies,
          tolerated);
    }

    private void report(Anomaly.Kind kind, Slot slot, String description) {
      anomalies.add(new Anomaly(kind, slot.queue(), slot.index(), description));
    }

    /** Sorts the entries into adds, leases, acks and completions by slot. */
    private void index() {
      Map<LeaseKey, Lease> seenLeases = new HashMap<>();
      for (Operation op : operations) {
        if (op instanceof Operation.Heard h) {
          if (h.status() == Status.OK) {
            completions++;
          } else {
            listenerFailures++;
          }
          Slot slot = new Slot(h.completion().queue(), h.completion().index());
          heard.computeIfAbsent(slot, s -> new ArrayList<>()).add(h);
          continue;
        }
        calls++;
        if (op.status() != Status.OK) {
          failedCalls++;
        }
        if (op instanceof Operation.Add a) {
          indexAdd(a);
        } else if (op instanceof Operation.Fetch f && f.status() == Status.OK) {
          for (Task t : f.tasks()) {
            Slot slot = new Slot(f.queue(), t.index());
            LeaseKey key = new LeaseKey(slot, f.worker(), t.deadline(), t.deliveries());
            if (!seenLeases.containsKey(key)) {
              Instant start = t.deadline().minus(f.timeToRecover());
              Lease lease = new Lease(slot, f.worker(), t, json(t.value()), start, f);
              seenLeases.put(key, lease);
              leases.computeIfAbsent(slot, s -> new ArrayList<>()).add(lease);
            }
          }
        } else if (op instanceof Operation.Ack k && k.status() != Status.FAILED) {
          for (Map.Entry<Long, Outcome> e : k.outcomes().entrySet()) {
            Slot slot = new Slot(k.queue(), e.getKey());
            acks.computeIfAbsent(slot, s -> new ArrayList<>())
                .add(new AckOf(slot, k.worker(), Optional.of(e.getValue()), k));
          }
          for (long index : k.acknowledged()) {
            if (!k.outcomes().containsKey(index)) {
              Slot slot = new Slot(k.queue(), index);
              acks.computeIfAbsent(slot, s -> new ArrayList<>())
                  .add(new AckOf(slot, k.worker(), Optional.empty(), k));
            }
          }
        } else if (op instanceof Operation.Call c
            && c.method().equals("rewind")
            && c.status() != Status.FAILED) {
          rewound.add(c.queue());
        }
      }
      for (List<Lease> list : leases.values()) {
        list.sort(
            Comparator.comparing(Lease::start)
                .thenComparingInt(l -> l.task().deliveries())
                .thenComparingLong(l -> l.timing().completeNanos()));
      }
    }

    private void indexAdd(Operation.Add a) {
      switch (a.status()) {
        case OK -> {
          for (int i = 0; i < a.tasks().size() && i < a.indices().size(); i++) {
            Slot slot = new Slot(a.queue(), a.indices().get(i));
            NewTask task = a.tasks().get(i);
            added
                .computeIfAbsent(slot, s -> new ArrayList<>())
                .add(new Added(slot, task, json(task.value()), a));
            adds++;
          }
        }
        case INDETERMINATE -> {
          for (NewTask task : a.tasks()) {
            unsure
                .computeIfAbsent(a.queue(), q -> new HashMap<>())
                .computeIfAbsent(json(task.value()), v -> new ArrayList<>())
                .add(new Unsure(task, a));
            unsureAdds++;
          }
        }
        case FAILED -> {
          // nothing was added
        }
      }
    }

    private void checkIndices() {
      added.forEach(
          (slot, list) -> {
            for (int i = 1; i < list.size(); i++) {
              report(
                  Anomaly.Kind.DUPLICATE_INDEX,
                  slot,
                  String.format(
                      "add #%d on %s returned index %d, which add #%d on %s had returned",
                      list.get(i).op().seq(),
                      list.get(i).op().node(),
                      slot.index(),
                      list.get(0).op().seq(),
                      list.get(0).op().node()));
            }
          });
    }

    /** Every delivery matches an add: by index and value, or by value to an add that threw. */
    private void checkDeliveries() {
      Map<QueueRef, Map<String, Set<Slot>>> byUnsure = new HashMap<>();
      leases.forEach(
          (slot, list) -> {
            Set<String> seen = new HashSet<>();
            for (Lease lease : list) {
              if (!seen.add(lease.value())) {
                continue;
              }
              boolean known =
                  added.getOrDefault(slot, List.of()).stream()
                      .anyMatch(a -> a.value().equals(lease.value()));
              if (known) {
                continue;
              }
              if (unsure.getOrDefault(slot.queue(), Map.of()).containsKey(lease.value())) {
                byUnsure
                    .computeIfAbsent(slot.queue(), q -> new HashMap<>())
                    .computeIfAbsent(lease.value(), v -> new HashSet<>())
                    .add(slot);
                continue;
              }
              report(
                  Anomaly.Kind.UNKNOWN_DELIVERY,
                  slot,
                  "delivered to "
                      + lease.describe()
                      + " with value "
                      + abbreviate(lease.value())
                      + ", which no add of this queue had that returned index "
                      + slot.index()
                      + " or threw");
            }
          });
      // an add that threw was delivered when its value turned up under an index no add returned
      byUnsure.forEach(
          (queue, values) ->
              values.forEach(
                  (value, slots) -> {
                    List<Unsure> candidates = unsure.get(queue).get(value);
                    for (int i = 0; i < candidates.size() && i < slots.size(); i++) {
                      candidates.get(i).delivered = true;
                    }
                  }));
    }

    private long checkLost() {
      long lost = 0;
      for (List<Added> list : added.values()) {
        for (Added a : list) {
          boolean delivered =
              leases.getOrDefault(a.slot(), List.of()).stream()
                  .anyMatch(l -> l.value().equals(a.value()));
          if (!delivered) {
            lost++;
            report(
                Anomaly.Kind.LOST,
                a.slot(),
                String.format(
                    "add #%d on %s (%s) returned index %d with value %s; it was never delivered%s",
                    a.op().seq(),
                    a.op().node(),
                    a.op().timing().completeTime(),
                    a.slot().index(),
                    abbreviate(a.value()),
                    leases.containsKey(a.slot()) ? " (another value was, under its index)" : ""));
          }
        }
      }
      return lost;
    }

    /** Double, stale and forgotten acks; returns the number of distinct indices acknowledged. */
    private long checkAcks() {
      long acked = 0;
      for (Map.Entry<Slot, List<AckOf>> e : acks.entrySet()) {
        Slot slot = e.getKey();
        List<AckOf> trueAcks =
            e.getValue().stream()
                .filter(AckOf::returnedTrue)
                .sorted(Comparator.comparingLong(a -> a.op().timing().completeNanos()))
                .toList();
        if (trueAcks.isEmpty()) {
          continue;
        }
        acked++;
        for (int i = 1; i < trueAcks.size(); i++) {
          report(
              Anomaly.Kind.DOUBLE_ACK,
              slot,
              String.format(
                  "ack #%d by %s returned true after ack #%d by %s had",
                  trueAcks.get(i).op().seq(),
                  trueAcks.get(i).worker(),
                  trueAcks.get(0).op().seq(),
                  trueAcks.get(0).worker()));
        }
        List<Lease> delivered = leases.getOrDefault(slot, List.of());
        for (AckOf ack : trueAcks) {
          Timing at = ack.op().timing();
          // the lease that surely existed when the ack was called: the latest one surely fetched
          Lease holder = null;
          for (Lease lease : delivered) {
            if (lease.timing().precedes(at)) {
              holder = lease; // sorted by start, so the last one wins
            }
          }
          if (holder != null && !holder.worker().equals(ack.worker())) {
            report(
                Anomaly.Kind.STALE_ACK,
                slot,
                String.format(
                    "ack #%d by %s returned true, but the task had been handed to %s before the"
                        + " ack was called",
                    ack.op().seq(), ack.worker(), holder.describe()));
          }
          if (!rewound.contains(slot.queue())) {
            delivered.stream()
                .filter(lease -> at.precedes(lease.timing()))
                .findFirst()
                .ifPresent(
                    again ->
                        report(
                            Anomaly.Kind.FORGOTTEN_ACK,
                            slot,
                            String.format(
                                "ack #%d by %s returned true, then the task was delivered again"
                                    + " to %s",
                                ack.op().seq(), ack.worker(), again.describe())));
          }
        }
      }
      return acked;
    }

    /** No index held by two workers at once. */
    private void checkLeases() {
      leases.forEach(
          (slot, list) -> {
            for (int i = 0; i < list.size(); i++) {
              Lease first = list.get(i);
              for (int j = i + 1; j < list.size(); j++) {
                Lease second = list.get(j);
                if (first.worker().equals(second.worker())
                    || !second.start().isBefore(first.deadline())) {
                  continue;
                }
                if (!releasedBefore(slot, first, second)) {
                  report(
                      Anomaly.Kind.OVERLAPPING_LEASES,
                      slot,
                      String.format(
                          "delivered to %s while %s still held it (not expired, not acknowledged)",
                          second.describe(), first.describe()));
                }
              }
            }
          });
    }

    /**
     * Whether the first lease's holder may have acknowledged it before the second was handed out.
     */
    private boolean releasedBefore(Slot slot, Lease first, Lease second) {
      for (AckOf ack : acks.getOrDefault(slot, List.of())) {
        if (!ack.worker().equals(first.worker())) {
          continue;
        }
        boolean mayHaveReleased = ack.op().status() == Status.INDETERMINATE || ack.returnedTrue();
        Timing at = ack.op().timing();
        if (mayHaveReleased && !second.timing().precedes(at) && !at.precedes(first.timing())) {
          return true;
        }
      }
      return false;
    }

    private void checkCompletions() {
      for (Map.Entry<Slot, List<AckOf>> e : acks.entrySet()) {
        Slot slot = e.getKey();
        List<Operation.Heard> calls = heard.getOrDefault(slot, List.of());
        for (AckOf ack : e.getValue()) {
          if (!ack.returnedTrue()) {
            continue;
          }
          boolean delivered =
              calls.stream()
                  .anyMatch(
                      h -> h.status() == Status.OK && h.completion().worker().equals(ack.worker()));
          if (!delivered) {
            report(
                Anomaly.Kind.COMPLETION_MISSING,
                slot,
                String.format(
                    "ack #%d by %s on %s returned true; the completion listener never returned"
                        + " for it (%d failed call(s))",
                    ack.op().seq(),
                    ack.worker(),
                    ack.op().node(),
                    calls.stream().filter(h -> h.status() != Status.OK).count()));
          }
        }
      }
      Map<Operation.Heard, Boolean> reported = new IdentityHashMap<>();
      heard.forEach(
          (slot, calls) -> {
            Set<String> tokens = new HashSet<>();
            for (Added a : added.getOrDefault(slot, List.of())) {
              tokens.add(a.task().token().map(HistoryChecker::json).orElse("<none>"));
            }
            List<AckOf> byAck = acks.getOrDefault(slot, List.of());
            for (Operation.Heard h : calls) {
              String token = h.completion().token().map(HistoryChecker::json).orElse("<none>");
              if (!tokens.isEmpty() && !tokens.contains(token)) {
                reported.put(h, true);
                report(
                    Anomaly.Kind.COMPLETION_MISMATCH,
                    slot,
                    String.format(
                        "the listener (#%d on %s) got token %s; the add gave %s",
                        h.seq(), h.node(), abbreviate(token), abbreviate(tokens.toString())));
              }
              Set<String> outcomes = new HashSet<>();
              for (AckOf ack : byAck) {
                if (ack.worker().equals(h.completion().worker()) && ack.outcome().isPresent()) {
                  outcomes.add(outcome(ack.outcome().get()));
                }
              }
              String got = outcome(h.completion().outcome());
              if (!outcomes.isEmpty() && !outcomes.contains(got) && !reported.containsKey(h)) {
                report(
                    Anomaly.Kind.COMPLETION_MISMATCH,
                    slot,
                    String.format(
                        "the listener (#%d on %s) got outcome %s; %s acknowledged with %s",
                        h.seq(),
                        h.node(),
                        abbreviate(got),
                        h.completion().worker(),
                        abbreviate(outcomes.toString())));
              }
            }
          });
    }
  }

  // ---------------------------------------------------------------------------------- helpers

  /** JSON text of a tree: the comparison key of values and tokens. */
  private static String json(com.fasterxml.jackson.databind.JsonNode node) {
    return Objects.requireNonNull(node, "node").toString();
  }

  private static String outcome(Outcome outcome) {
    if (outcome instanceof Outcome.Success s) {
      return "success(" + s.result().map(HistoryChecker::json).orElse("") + ")";
    }
    return "failure(" + json(((Outcome.Failure) outcome).error()) + ")";
  }

  private static String abbreviate(String s) {
    return s.length() <= 80 ? s : s.substring(0, 77) + "...";
  }
}
