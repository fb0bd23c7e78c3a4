package io.workqueue.crypto;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.ObjectMapper;
import java.nio.charset.StandardCharsets;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.ThreadLocalRandom;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;

/**
 * A small benchmark, not a gate: prints the cost of sealing per task on this machine (warm-up, then
 * the median of five timed rounds; no timed assertions). The target is sealing plus JSON mapping of
 * a 100-byte task under 10 µs. JMH figures belong in queue-bench.
 */
@DisplayName("sealing cost (prints figures)")
class SealingCostTest {
  private static final int WARMUP = 20_000;
  private static final int TIMED = 20_000;
  private static final int ROUNDS = 5;

  private final TinkKeyProvider keys =
      TinkKeyProvider.builder()
          .masterKey(MasterKey.generateEphemeral())
          .keysetStore(new InMemoryKeysetStore())
          .build();
  private final ObjectMapper json = new ObjectMapper();
  private static volatile Object sink;

  private static byte[] ad(long index) {
    return ("wq1|owner-bench|billing|" + index + "|VALUE|").getBytes(StandardCharsets.UTF_8);
  }

  /** One timed operation; the result goes to {@link #sink} so the JIT cannot drop it. */
  private interface Op {
    Object run(int i) throws Exception;
  }

  /** Warms up, then times {@value #ROUNDS} rounds and returns the median µs per operation. */
  private static double micros(Op op) throws Exception {
    for (int i = 0; i < WARMUP; i++) {
      sink = op.run(i);
    }
    double[] rounds = new double[ROUNDS];
    for (int r = 0; r < ROUNDS; r++) {
      long start = System.nanoTime();
      for (int i = 0; i < TIMED; i++) {
        sink = op.run(i);
      }
      rounds[r] = (System.nanoTime() - start) / 1_000.0 / TIMED;
    }
    Arrays.sort(rounds);
    return rounds[ROUNDS / 2];
  }

  /** A task value that maps to about 100 bytes of JSON. */
  private Map<String, Object> task() {
    Map<String, Object> t = new LinkedHashMap<>();
    t.put("orderId", "ord-" + ThreadLocalRandom.current().nextInt(1_000_000, 9_999_999));
    t.put("customer", "cust-4711");
    t.put("amountCents", 129_900);
    t.put("currency", "EUR");
    t.put("lines", 3);
    t.put("express", true);
    return t;
  }

  @Test
  @DisplayName("prints µs per seal for 100 B and 10 KB values and per seal + JSON of a 100 B task")
  void printCosts() throws Exception {
    byte[] small = new byte[100];
    byte[] large = new byte[10 * 1024];
    ThreadLocalRandom.current().nextBytes(small);
    ThreadLocalRandom.current().nextBytes(large);
    int taskBytes = json.writeValueAsBytes(task()).length;

    byte[] smallSealed = keys.seal("owner-bench", small, ad(1));
    byte[] largeSealed = keys.seal("owner-bench", large, ad(1));
    Map<String, Object> task = task();

    double sealSmall = micros(i -> keys.seal("owner-bench", small, ad(i)));
    double sealLarge = micros(i -> keys.seal("owner-bench", large, ad(i)));
    double openSmall = micros(i -> keys.open("owner-bench", smallSealed, ad(1)));
    double openLarge = micros(i -> keys.open("owner-bench", largeSealed, ad(1)));
    double mapSeal = micros(i -> keys.seal("owner-bench", json.writeValueAsBytes(task), ad(i)));

    System.out.printf(
        Locale.ROOT,
        "[queue-crypto] AES-256-GCM via Tink, median of %d rounds of %,d ops after %,d warm-up:%n"
            + "  seal 100 B:            %7.2f us%n"
            + "  seal 10 KB:            %7.2f us%n"
            + "  open 100 B:            %7.2f us%n"
            + "  open 10 KB:            %7.2f us%n"
            + "  JSON + seal %d B task: %7.2f us  (target < 10 us)%n",
        ROUNDS,
        TIMED,
        WARMUP,
        sealSmall,
        sealLarge,
        openSmall,
        openLarge,
        taskBytes,
        mapSeal);

    // Sanity, not timing: the loops really sealed, with the 5-byte prefix, nonce and tag.
    byte[] sealed = keys.seal("owner-bench", small, ad(7));
    assertThat(sealed).hasSize(small.length + 5 + 12 + 16);
    assertThat(keys.open("owner-bench", sealed, ad(7))).isEqualTo(small);
    assertThat(taskBytes).isBetween(80, 130);
    assertThat(sink).isNotNull();
  }
}
