package io.workqueue.testkit.history;

import java.util.EnumMap;
import java.util.EnumSet;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;

/**
 * What {@link HistoryChecker} found: the figures of the history and its anomalies. Immutable.
 *
 * @param operations calls on the queues (completion listener calls not counted)
 * @param adds tasks whose add returned an index
 * @param indeterminateAdds tasks whose add threw a backend failure (may or may not be delivered)
 * @param indeterminateDelivered of those, how many were delivered
 * @param deliveries leases handed out (a worker fetching its own lease again is not a new one)
 * @param redeliveries deliveries of an index beyond its first
 * @param acked distinct indices acknowledged by an ack that returned true
 * @param lost adds that returned an index and were never delivered
 * @param failedCalls calls that threw (failed or indeterminate)
 * @param completions completion listener calls that returned
 * @param listenerFailures completion listener calls that threw
 * @param anomalies every violation found, tolerated ones included
 * @param tolerated the kinds of anomaly that do not make the history invalid
 */
public record CheckResult(
    long operations,
    long adds,
    long indeterminateAdds,
    long indeterminateDelivered,
    long deliveries,
    long redeliveries,
    long acked,
    long lost,
    long failedCalls,
    long completions,
    long listenerFailures,
    List<Anomaly> anomalies,
    Set<Anomaly.Kind> tolerated) {

  /** Copies the collections. */
  public CheckResult {
    anomalies = List.copyOf(anomalies);
    tolerated = tolerated.isEmpty() ? Set.of() : Set.copyOf(EnumSet.copyOf(tolerated));
  }

  /**
   * Whether the history keeps every invariant (tolerated kinds aside).
   *
   * @return true when no anomaly of a kind not tolerated was found
   */
  public boolean valid() {
    return violations().isEmpty();
  }

  /**
   * The anomalies of kinds not tolerated.
   *
   * @return the violations, in the order found
   */
  public List<Anomaly> violations() {
    return anomalies.stream().filter(a -> !tolerated.contains(a.kind())).toList();
  }

  /**
   * How many anomalies of each kind were found.
   *
   * @return the counts, kinds with none left out
   */
  public Map<Anomaly.Kind, Integer> counts() {
    Map<Anomaly.Kind, Integer> counts = new EnumMap<>(Anomaly.Kind.class);
    anomalies.forEach(a -> counts.merge(a.kind(), 1, Integer::sum));
    return counts;
  }

  /**
   * How many anomalies of one kind were found.
   *
   * @param kind the kind
   * @return the count
   */
  public int count(Anomaly.Kind kind) {
    return (int) anomalies.stream().filter(a -> a.kind() == kind).count();
  }

  /**
   * The one-line summary: {@code operations=N adds=N deliveries=N redeliveries=N acked=N lost=N}.
   *
   * @return the summary
   */
  public String summary() {
    return String.format(
        Locale.ROOT,
        "operations=%d adds=%d deliveries=%d redeliveries=%d acked=%d lost=%d",
        operations,
        adds,
        deliveries,
        redeliveries,
        acked,
        lost);
  }

  /**
   * The other figures on one line: indeterminate adds, failed calls, completions, anomalies.
   *
   * @return the details
   */
  public String details() {
    return String.format(
        Locale.ROOT,
        "indeterminate-adds=%d (delivered %d) failed-calls=%d completions=%d"
            + " listener-failures=%d anomalies=%s",
        indeterminateAdds,
        indeterminateDelivered,
        failedCalls,
        completions,
        listenerFailures,
        counts());
  }

  /**
   * Throws when the history is not valid, listing the violations (the first 30).
   *
   * @throws AssertionError naming the violations
   */
  public void assertValid() {
    List<Anomaly> violations = violations();
    if (!violations.isEmpty()) {
      StringBuilder b =
          new StringBuilder("the history violates the queue's invariants: ")
              .append(summary())
              .append(' ')
              .append(details());
      violations.stream().limit(30).forEach(a -> b.append("\n  ").append(a));
      if (violations.size() > 30) {
        b.append("\n  ... and ").append(violations.size() - 30).append(" more");
      }
      throw new AssertionError(b.toString());
    }
  }

  @Override
  public String toString() {
    return summary() + " " + details();
  }
}
