package io.workqueue.examples;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.workqueue.Completion;
import io.workqueue.Outcome;
import io.workqueue.QueueRef;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Nested;
import org.junit.jupiter.api.Test;
import picocli.CommandLine.TypeConversionException;

@DisplayName("The parts of the demo and the CLI")
class PartsTest {

  @Nested
  @DisplayName("Ledger")
  class LedgerTests {
    private final QueueRef a = QueueRef.of("acme", "demo");
    private final QueueRef b = QueueRef.of("globex", "demo");

    private Completion done(QueueRef q, long index) {
      return new Completion(q, index, "w", Optional.empty(), Outcome.success(), Instant.now());
    }

    @Test
    @DisplayName("counts as lost what was added and never completed, per queue")
    void lost() {
      Ledger ledger = new Ledger();
      ledger.added(a, List.of(1L, 2L, 3L), System.nanoTime());
      ledger.added(b, List.of(1L, 2L), System.nanoTime());
      ledger.onCompletion(done(a, 1));
      ledger.onCompletion(done(a, 3));
      ledger.onCompletion(done(b, 2));
      ledger.onCompletion(done(b, 2));

      assertThat(ledger.lost()).containsExactly(new Ledger.Key(a, 2), new Ledger.Key(b, 1));
      assertThat(ledger.completedCount()).isEqualTo(3);
      assertThat(ledger.duplicateCompletions()).isEqualTo(1);
      assertThat(ledger.allCompleted()).isFalse();

      ledger.onCompletion(done(a, 2));
      ledger.onCompletion(done(b, 1));
      assertThat(ledger.lost()).isEmpty();
      assertThat(ledger.allCompleted()).isTrue();
      assertThat(ledger.latencies().getTotalCount()).isEqualTo(5);
    }

    @Test
    @DisplayName("a completion heard before its add returned still counts")
    void completionBeforeAdd() {
      Ledger ledger = new Ledger();
      long start = System.nanoTime();
      ledger.onCompletion(done(a, 1));
      ledger.added(a, List.of(1L), start);

      assertThat(ledger.lost()).isEmpty();
      assertThat(ledger.unexpectedCompletions()).isZero();
    }
  }

  @Nested
  @DisplayName("converters")
  class ConverterTests {
    @Test
    @DisplayName("durations: units and ISO-8601")
    void durations() {
      assertThat(Converters.duration("500ms")).isEqualTo(Duration.ofMillis(500));
      assertThat(Converters.duration("2s")).isEqualTo(Duration.ofSeconds(2));
      assertThat(Converters.duration("1.5m")).isEqualTo(Duration.ofSeconds(90));
      assertThat(Converters.duration("1h")).isEqualTo(Duration.ofHours(1));
      assertThat(Converters.duration("PT30S")).isEqualTo(Duration.ofSeconds(30));
      assertThatThrownBy(() -> Converters.duration("30 parsecs"))
          .isInstanceOf(TypeConversionException.class)
          .hasMessageContaining("is not a duration");
    }

    @Test
    @DisplayName("queues are OWNER/SERVICE with the queue's own id rules")
    void queues() throws Exception {
      assertThat(new Converters.Queue().convert("acme/billing"))
          .isEqualTo(QueueRef.of("acme", "billing"));
      assertThatThrownBy(() -> new Converters.Queue().convert("acme"))
          .isInstanceOf(TypeConversionException.class);
      assertThatThrownBy(() -> new Converters.Queue().convert("ac{me}/billing"))
          .isInstanceOf(TypeConversionException.class)
          .hasMessageContaining("owner");
    }

    @Test
    @DisplayName("host:port with default ports and IPv6")
    void hostPorts() {
      assertThat(HostPort.parse("db1", 9042)).isEqualTo(new HostPort("db1", 9042));
      assertThat(HostPort.parse("db1:19042", 9042)).isEqualTo(new HostPort("db1", 19042));
      assertThat(HostPort.parse("[::1]:6380", 6379)).isEqualTo(new HostPort("::1", 6380));
      assertThat(new HostPort("::1", 6380)).hasToString("[::1]:6380");
      assertThatThrownBy(() -> HostPort.parse("db1:0", 9042))
          .isInstanceOf(TypeConversionException.class);
      assertThatThrownBy(() -> HostPort.parse(":9042", 9042))
          .isInstanceOf(TypeConversionException.class);
      assertThatThrownBy(() -> HostPort.parse("::1", 9042))
          .isInstanceOf(TypeConversionException.class);
    }
  }

  @Test
  @DisplayName("TextTable aligns columns and right-aligns numbers")
  void table() {
    String t = new TextTable("name", "count").row("acme/demo", "3,000").row("x", 7).render();

    assertThat(t)
        .isEqualTo(
            """
            +-----------+-------+
            | name      | count |
            +-----------+-------+
            | acme/demo | 3,000 |
            | x         |     7 |
            +-----------+-------+
            """);
  }

  @Test
  @DisplayName("Hex abbreviates long blobs and says their length")
  void hex() {
    assertThat(Hex.abbreviated(new byte[] {1, 2, 3}, 2, 1)).isEqualTo("0x010203 (3 bytes)");
    assertThat(Hex.abbreviated(new byte[] {1, 2, 3, 4, 5}, 2, 1))
        .isEqualTo("0x0102...05 (5 bytes)");
  }

  @Test
  @DisplayName("the environment fills options that were not given on the command line")
  void environmentDefaults() {
    Environment env = new Environment(Map.of("WORKQUEUE_KEYSPACE", "ks1", "EMPTY", " "));
    assertThat(env.get("WORKQUEUE_KEYSPACE")).isEqualTo("ks1");
    assertThat(env.get("EMPTY")).isNull();
    assertThat(env.get("MISSING")).isNull();
  }
}
