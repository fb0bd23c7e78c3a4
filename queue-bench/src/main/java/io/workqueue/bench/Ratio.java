package io.workqueue.bench;

import java.util.Optional;

/**
 * One line of the ratio table: a figure of the queue over a reference figure measured in the same
 * run, against a target of PERFORMANCE.md where there is one.
 *
 * @param what what is compared, in words
 * @param concurrency the concurrency of both sides, 0 where not applicable
 * @param queue the queue's figure
 * @param reference the reference figure
 * @param unit the unit of both figures, e.g. {@code tasks/s} or {@code ms p50}
 * @param ratio queue / reference; NaN where the target is on the queue's figure itself
 * @param target the target as written in PERFORMANCE.md, or empty
 * @param met whether the target is met; empty where there is no target or nothing was measured
 * @param status empty when measured, else why not
 */
public record Ratio(
    String what,
    int concurrency,
    double queue,
    double reference,
    String unit,
    double ratio,
    String target,
    Optional<Boolean> met,
    Optional<String> status) {

  /**
   * A ratio between two figures, judged against a lower bound ({@code atLeast}) or an upper bound.
   *
   * @return the line
   */
  static Ratio of(
      String what,
      int concurrency,
      double queue,
      double reference,
      String unit,
      String target,
      Optional<Bound> bound) {
    if (Double.isNaN(queue) || Double.isNaN(reference) || reference == 0) {
      return new Ratio(
          what,
          concurrency,
          queue,
          reference,
          unit,
          Double.NaN,
          target,
          Optional.empty(),
          Optional.of("not measured in this run"));
    }
    double ratio = queue / reference;
    return new Ratio(
        what,
        concurrency,
        queue,
        reference,
        unit,
        ratio,
        target,
        bound.map(b -> b.holds(ratio)),
        Optional.empty());
  }

  /**
   * An absolute figure judged against an absolute target (the reference, if any, is shown for
   * information).
   *
   * @return the line
   */
  static Ratio absolute(
      String what,
      int concurrency,
      double value,
      double reference,
      String unit,
      String target,
      Optional<Bound> bound) {
    if (Double.isNaN(value)) {
      return unavailable(what, concurrency, target, "not measured in this run");
    }
    return new Ratio(
        what,
        concurrency,
        value,
        reference,
        unit,
        Double.NaN,
        target,
        bound.map(b -> b.holds(value)),
        Optional.empty());
  }

  /**
   * A line that cannot be filled in this run.
   *
   * @return the line
   */
  static Ratio unavailable(String what, int concurrency, String target, String status) {
    return new Ratio(
        what,
        concurrency,
        Double.NaN,
        Double.NaN,
        "",
        Double.NaN,
        target,
        Optional.empty(),
        Optional.of(status));
  }

  /**
   * A bound on a ratio.
   *
   * @param limit the limit
   * @param lower true for "at least", false for "at most"
   */
  record Bound(double limit, boolean lower) {
    static Optional<Bound> atLeast(double limit) {
      return Optional.of(new Bound(limit, true));
    }

    static Optional<Bound> atMost(double limit) {
      return Optional.of(new Bound(limit, false));
    }

    boolean holds(double value) {
      return lower ? value >= limit : value <= limit;
    }
  }
}
