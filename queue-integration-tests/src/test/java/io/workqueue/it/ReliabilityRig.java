package io.workqueue.it;

import io.workqueue.QueueRef;
import io.workqueue.WorkQueues;
import io.workqueue.spi.Bookkeeper;
import io.workqueue.spi.CompletionListener;
import io.workqueue.spi.KeyProvider;
import io.workqueue.spi.TaskStore;
import io.workqueue.testkit.history.CheckResult;
import io.workqueue.testkit.history.History;
import io.workqueue.testkit.history.Operation;
import io.workqueue.testkit.history.RecordingWorkQueue;
import io.workqueue.testkit.history.Status;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.time.Duration;
import java.time.LocalDateTime;
import java.util.ArrayList;
import java.util.List;
import java.util.UUID;
import java.util.function.Predicate;
import java.util.function.UnaryOperator;

/**
 * What the reliability scenarios share: queues spread over owners, recorded queue instances over
 * given adapters, counting the history, and reporting figures (to stdout and to {@code
 * target/reliability-report.txt}, which collects the figures of every run for the README).
 */
final class ReliabilityRig {
  private static final Path REPORT = Path.of("target", "reliability-report.txt");

  private ReliabilityRig() {}

  /**
   * {@code count} fresh queues spread round-robin over {@code owners} fresh owners.
   *
   * @param count how many queues
   * @param owners how many owners
   * @return the queues
   */
  static List<QueueRef> queues(int count, int owners) {
    String run = UUID.randomUUID().toString().substring(0, 8);
    List<QueueRef> queues = new ArrayList<>();
    for (int i = 0; i < count; i++) {
      queues.add(QueueRef.of("owner-" + run + "-" + (i % owners), "svc-" + i));
    }
    return queues;
  }

  /**
   * A recorded queue instance ("node") whose completion listener is recorded too.
   *
   * @param history the history
   * @param name the node's name
   * @param store the task store
   * @param bookkeeper the bookkeeper
   * @param keys the key provider
   * @param listener the application's listener behind the recording one
   * @param tune further builder settings (grace period, retry delay)
   * @return the node
   */
  static RecordingWorkQueue node(
      History history,
      String name,
      TaskStore store,
      Bookkeeper bookkeeper,
      KeyProvider keys,
      CompletionListener listener,
      UnaryOperator<WorkQueues.Builder> tune) {
    WorkQueues.Builder b =
        WorkQueues.builder()
            .taskStore(store)
            .bookkeeper(bookkeeper)
            .keyProvider(keys)
            .clock(history.clock())
            .completionListener(history.listener(name, listener));
    return history.record(tune.apply(b).build(), name);
  }

  /**
   * How many entries of the history match.
   *
   * @param history the history
   * @param which the filter
   * @return the count
   */
  static long count(History history, Predicate<Operation> which) {
    return history.operations().stream().filter(which).count();
  }

  /** Entries that are adds that returned. */
  static boolean okAdd(Operation op) {
    return op instanceof Operation.Add && op.status() == Status.OK;
  }

  /** Entries that are acks that acknowledged something. */
  static boolean okAck(Operation op) {
    return op instanceof Operation.Ack k && !k.acknowledged().isEmpty();
  }

  /** Entries of calls that threw a backend failure. */
  static boolean backendFailure(Operation op) {
    return op.status() == Status.INDETERMINATE
        && op.error().orElse("").startsWith("BackendUnavailableException");
  }

  /**
   * Prints a scenario's figures and appends them to the report file.
   *
   * @param scenario the scenario's name
   * @param result the checker's result
   * @param extra more figures, may be empty
   */
  static void report(String scenario, CheckResult result, String extra) {
    report(scenario + ": " + result.summary() + " | " + result.details() + extraPart(extra));
  }

  private static String extraPart(String extra) {
    return extra.isEmpty() ? "" : " | " + extra;
  }

  /**
   * Prints a line of figures and appends it to the report file.
   *
   * @param line the figures
   */
  static void report(String line) {
    System.out.println("[reliability] " + line);
    try {
      Files.createDirectories(REPORT.getParent());
      Files.writeString(
          REPORT,
          LocalDateTime.now().withNano(0) + " " + line + System.lineSeparator(),
          StandardCharsets.UTF_8,
          StandardOpenOption.CREATE,
          StandardOpenOption.APPEND);
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  /**
   * Milliseconds since a {@link System#nanoTime()} reading.
   *
   * @param t0 the reading
   * @return the milliseconds
   */
  static long millisSince(long t0) {
    return Duration.ofNanos(System.nanoTime() - t0).toMillis();
  }
}
