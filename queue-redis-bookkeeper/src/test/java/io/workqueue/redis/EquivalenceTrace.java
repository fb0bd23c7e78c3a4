package io.workqueue.redis;

import static org.assertj.core.api.Assertions.assertThat;

import io.workqueue.spi.PendingCompletion;
import java.time.Duration;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.Deque;
import java.util.List;
import java.util.Random;
import java.util.function.Supplier;

/**
 * What the equivalence tests share: the comparison of one step's answers, with the last steps of
 * the seed's run to show when they differ, and the pieces both step sequences draw from.
 */
final class EquivalenceTrace {

  private final long seed;
  private final int keep;
  private final Deque<String> history = new ArrayDeque<>();

  /**
   * @param seed the seed of the sequence, named in a failure
   * @param keep how many of the last steps a failure shows
   */
  EquivalenceTrace(long seed, int keep) {
    this.seed = seed;
    this.keep = keep;
  }

  /** Compares {@code actual} with the reference's answer, which is asked for after it. */
  void compare(int step, String what, Supplier<?> expected, Object actual) {
    compare(step, what, expected.get(), actual);
  }

  /** Records the step and requires {@code actual} to equal the reference's {@code expected}. */
  void compare(int step, String what, Object expected, Object actual) {
    history.addLast(step + ": " + what + " -> " + expected);
    if (history.size() > keep) {
      history.removeFirst();
    }
    assertThat(actual)
        .as("seed %d, step %d, %s; last steps:%n%s", seed, step, what, String.join("\n", history))
        .isEqualTo(expected);
  }

  /** A time to run drawn from a few, short enough that leases expire during a run. */
  static Duration ttr(Random r) {
    return Duration.ofMillis(List.of(500, 1000, 3000, 4500).get(r.nextInt(4)));
  }

  /**
   * Sorts runs of the same index by worker: the reference orders completions with equal due time
   * and equal index (one index acknowledged by two workers after a rewind) by hash order.
   */
  static List<PendingCompletion> canonical(List<PendingCompletion> list) {
    List<PendingCompletion> out = new ArrayList<>(list);
    int i = 0;
    while (i < out.size()) {
      int j = i;
      while (j < out.size() && out.get(j).index() == out.get(i).index()) {
        j++;
      }
      out.subList(i, j).sort(Comparator.comparing(PendingCompletion::worker));
      i = j;
    }
    return out;
  }
}
