package io.workqueue.testkit;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.workqueue.InvalidArgumentException;
import io.workqueue.Priority;
import io.workqueue.QueueRef;
import io.workqueue.spi.Bookkeeper;
import io.workqueue.spi.BookkeeperState;
import io.workqueue.spi.Fetch;
import io.workqueue.spi.LaneStart;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Nested;
import org.junit.jupiter.api.Test;

/**
 * The in-memory bookkeeper passes the bookkeeper contract on a bookkeeper of its own, and rejects
 * bad arguments of the steps whose checks the kit leaves to each implementation.
 */
@DisplayName("InMemoryBookkeeper")
class InMemoryBookkeeperTest extends BookkeeperContract {
  private final InMemoryBookkeeper bookkeeper = new InMemoryBookkeeper();

  private static final Instant NOW = Instant.ofEpochMilli(1_800_000_000_000L);

  @Override
  protected Bookkeeper bookkeeper() {
    return bookkeeper;
  }

  private QueueRef initialized() {
    QueueRef q = TestQueues.fresh();
    bookkeeper.initialize(q, 0, 1, 0);
    return q;
  }

  @Nested
  @DisplayName("rejected arguments change nothing")
  class Rejected {
    @Test
    @DisplayName("allocate: a count of 0, or more than the lane has left")
    void allocate() {
      QueueRef q = initialized();
      assertThatThrownBy(() -> bookkeeper.allocate(q, 0, NOW))
          .isInstanceOfSatisfying(
              InvalidArgumentException.class, e -> assertThat(e.argument()).isEqualTo("count"));
      assertThat(bookkeeper.initialize(TestQueues.fresh(), List.of())).isTrue();
      QueueRef full = TestQueues.fresh();
      long last = Priority.URGENT.base() + Priority.LANE_SIZE - 1;
      bookkeeper.initialize(
          full, List.of(new LaneStart(Priority.URGENT, last - 1, last, last - 1)));
      assertThat(bookkeeper.allocate(full, Priority.URGENT, 1, NOW)).isEqualTo(last);
      assertThatThrownBy(() -> bookkeeper.allocate(full, Priority.URGENT, 1, NOW))
          .isInstanceOfSatisfying(
              InvalidArgumentException.class, e -> assertThat(e.argument()).isEqualTo("count"))
          .hasMessageContaining("0 indices left");
      assertThat(bookkeeper.state(full).lanes().get(Priority.URGENT).allocated()).isEqualTo(last);
    }

    @Test
    @DisplayName("initialize: the four-argument form names the component")
    void initialize() {
      QueueRef q = TestQueues.fresh();
      assertThatThrownBy(() -> bookkeeper.initialize(q, 5, 1, 6))
          .isInstanceOfSatisfying(
              InvalidArgumentException.class, e -> assertThat(e.argument()).isEqualTo("replayTo"));
      assertThatThrownBy(() -> bookkeeper.initialize(q, 5, 0, 5))
          .isInstanceOfSatisfying(
              InvalidArgumentException.class,
              e -> assertThat(e.argument()).isEqualTo("replayFrom"));
      assertThatThrownBy(() -> bookkeeper.initialize(q, -1, 1, 0))
          .isInstanceOfSatisfying(
              InvalidArgumentException.class, e -> assertThat(e.argument()).isEqualTo("allocated"));
      assertThat(bookkeeper.state(q)).isEqualTo(BookkeeperState.UNINITIALIZED);
    }

    @Test
    @DisplayName("commit: a due time for an index outside the range, or a negative count")
    void commit() {
      QueueRef q = initialized();
      long first = bookkeeper.allocate(q, 2, NOW);
      assertThatThrownBy(
              () -> bookkeeper.commit(q, first, 2, Map.of(first + 2, NOW.plusSeconds(1)), NOW))
          .isInstanceOfSatisfying(
              InvalidArgumentException.class, e -> assertThat(e.argument()).isEqualTo("dueAt"));
      assertThatThrownBy(() -> bookkeeper.commit(q, first, -1, Map.of(), NOW))
          .isInstanceOf(InvalidArgumentException.class);
      assertThat(bookkeeper.state(q).committed()).as("still pending").isZero();
      assertThat(bookkeeper.commit(q, first, 0)).as("an empty range").isTrue();
    }

    @Test
    @DisplayName("fetchBatch, deadLetters and admit: out-of-range sizes and empty group names")
    void others() {
      QueueRef q = initialized();
      assertThatThrownBy(
              () ->
                  bookkeeper.fetchBatch(
                      q, "w", 0, NOW, Duration.ofSeconds(1), Duration.ofSeconds(1)))
          .isInstanceOfSatisfying(
              InvalidArgumentException.class, e -> assertThat(e.argument()).isEqualTo("max"));
      assertThatThrownBy(() -> bookkeeper.deadLetters(q, -1))
          .isInstanceOfSatisfying(
              InvalidArgumentException.class, e -> assertThat(e.argument()).isEqualTo("limit"));
      assertThat(bookkeeper.deadLetters(q, 0)).isEmpty();
      long first = bookkeeper.allocate(q, 1, NOW);
      bookkeeper.commit(q, first, 1);
      bookkeeper.fetch(q, "w", NOW, Duration.ofSeconds(10), Duration.ofSeconds(1));
      assertThatThrownBy(() -> bookkeeper.admit(q, "w", Map.of(first, ""), NOW))
          .isInstanceOfSatisfying(
              InvalidArgumentException.class, e -> assertThat(e.argument()).isEqualTo("groups"));
      assertThat(bookkeeper.fetch(q, "w", NOW, Duration.ofSeconds(10), Duration.ofSeconds(1)))
          .as("still its lease, holding no slot")
          .isInstanceOfSatisfying(
              Fetch.Leased.class, l -> assertThat(l.group()).isEqualTo(Optional.empty()));
    }
  }
}
