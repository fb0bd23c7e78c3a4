package io.workqueue.bench;

import com.fasterxml.jackson.databind.JsonNode;
import io.workqueue.NewTask;
import io.workqueue.crypto.InMemoryKeysetStore;
import io.workqueue.crypto.MasterKey;
import io.workqueue.crypto.TinkKeyProvider;
import io.workqueue.internal.Json;
import java.nio.charset.StandardCharsets;
import java.util.concurrent.TimeUnit;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;

/**
 * JMH: what {@code add} and {@code fetch} spend in-process per 100 B task: mapping the value to
 * JSON and sealing it with the owner's Tink AEAD (AES-256-GCM), and the reverse. The key provider
 * is the real {@link TinkKeyProvider} with its keyset cached (an in-memory keyset store), as on the
 * hot path of a running queue.
 */
@State(Scope.Thread)
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.MICROSECONDS)
public class SealingBenchmark {
  private static final String OWNER = "bench";

  private TinkKeyProvider keys;
  private byte[] plaintext;
  private byte[] sealed;
  private byte[] associatedData;
  private long index;

  /** Creates the owner's keyset and one sealed task to open. */
  @Setup
  public void setUp() {
    keys =
        TinkKeyProvider.builder()
            .masterKey(MasterKey.generateEphemeral())
            .keysetStore(new InMemoryKeysetStore())
            .build();
    keys.requireKey(OWNER);
    plaintext = Json.bytes(NewTask.of(Payloads.VALUE).value());
    associatedData = associatedData(1);
    sealed = keys.seal(OWNER, plaintext, associatedData);
  }

  /**
   * The whole per-task cost of add in-process: the value mapped to a JSON tree ({@code NewTask.of},
   * with its size check), serialized, and sealed under associated data naming owner, queue, index
   * and field.
   *
   * @return the ciphertext
   */
  @Benchmark
  public byte[] mapAndSeal() {
    NewTask task = NewTask.of(Payloads.VALUE);
    return keys.seal(OWNER, Json.bytes(task.value()), associatedData(++index));
  }

  /**
   * JSON mapping alone: {@code NewTask.of} and serialization.
   *
   * @return the JSON bytes
   */
  @Benchmark
  public byte[] mapOnly() {
    return Json.bytes(NewTask.of(Payloads.VALUE).value());
  }

  /**
   * Sealing alone (AES-256-GCM of 100 B through the key provider).
   *
   * @return the ciphertext
   */
  @Benchmark
  public byte[] sealOnly() {
    return keys.seal(OWNER, plaintext, associatedData);
  }

  /**
   * The per-task cost of fetch in-process: opening and parsing.
   *
   * @return the value
   */
  @Benchmark
  public JsonNode openAndParse() {
    return Json.parse(keys.open(OWNER, sealed, associatedData));
  }

  /** As the core builds it: {@code wq1|owner|service|index|VALUE|}. */
  private static byte[] associatedData(long index) {
    return ("wq1|" + OWNER + "|bench-svc|" + index + "|VALUE|").getBytes(StandardCharsets.UTF_8);
  }
}
