package io.workqueue.testkit.history;

import io.workqueue.InvalidArgumentException;
import io.workqueue.NewTask;
import io.workqueue.Outcome;
import io.workqueue.QueueRef;
import io.workqueue.Task;
import io.workqueue.WorkQueue;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.Random;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.locks.LockSupport;

/**
 * A random mixed load on recording queues: threads that add, add in batches, fetch, fetch in
 * batches, work a little, acknowledge (one by one, by index, in batches, with outcomes) or abandon
 * their leases, on several queues through several queue instances. Every call goes through a {@link
 * RecordingWorkQueue}, so the history holds it all for {@link HistoryChecker}.
 *
 * <p>Each thread is one worker ({@code w<n>}) and uses its worker id on every queue, as the API
 * allows (leases are per queue). Values are unique ({@code {"id": "<thread>-<n>", ...}}), half of
 * the tasks carry a token, and outcomes vary (plain success, falsy results, failures). A call that
 * throws a {@link io.workqueue.QueueException} or an {@link Error} (a simulated death) is recorded
 * and followed by a short back-off; the thread goes on. An {@link InvalidArgumentException} is a
 * bug in the load or the queue and is counted as such.
 *
 * <p>{@link #start()} runs the threads until {@link Running#stop()}; {@link #run(Duration)} runs
 * them for a while. Thread-safe.
 */
public final class Workload {
  private final List<RecordingWorkQueue> nodes;
  private final List<QueueRef> queues;
  private final int threads;
  private final Duration minTimeToRecover;
  private final Duration maxTimeToRecover;
  private final Duration maxWork;
  private final double abandonRate;
  private final double addShare;
  private final int maxBatch;
  private final Duration backoff;
  private final long seed;
  private final String workerPrefix;

  private Workload(Builder b) {
    this.nodes = List.copyOf(b.nodes);
    this.queues = List.copyOf(b.queues);
    this.threads = b.threads;
    this.minTimeToRecover = b.minTimeToRecover;
    this.maxTimeToRecover = b.maxTimeToRecover;
    this.maxWork = b.maxWork;
    this.abandonRate = b.abandonRate;
    this.addShare = b.addShare;
    this.maxBatch = b.maxBatch;
    this.backoff = b.backoff;
    this.seed = b.seed;
    this.workerPrefix = b.workerPrefix;
  }

  /**
   * Starts a builder.
   *
   * @return the builder
   */
  public static Builder builder() {
    return new Builder();
  }

  /** Settings of a {@link Workload}. Not thread-safe. */
  public static final class Builder {
    private List<RecordingWorkQueue> nodes = List.of();
    private List<QueueRef> queues = List.of();
    private int threads = 8;
    private Duration minTimeToRecover = Duration.ofSeconds(1);
    private Duration maxTimeToRecover = Duration.ofSeconds(1);
    private Duration maxWork = Duration.ofMillis(2);
    private double abandonRate = 0.05;
    private double addShare = 0.4;
    private int maxBatch = 20;
    private Duration backoff = Duration.ofMillis(20);
    private long seed = System.nanoTime();
    private String workerPrefix = "w";

    private Builder() {}

    /**
     * The queue instances; thread {@code n} uses instance {@code n % nodes.size()}.
     *
     * @param nodes recording queue instances, at least one
     * @return this builder
     */
    public Builder nodes(List<RecordingWorkQueue> nodes) {
      this.nodes = List.copyOf(nodes);
      return this;
    }

    /**
     * The queues to work on; each call picks one at random.
     *
     * @param queues at least one queue
     * @return this builder
     */
    public Builder queues(List<QueueRef> queues) {
      this.queues = List.copyOf(queues);
      return this;
    }

    /**
     * How many threads (workers and producers at once); default 8.
     *
     * @param threads 1 or more
     * @return this builder
     */
    public Builder threads(int threads) {
      this.threads = threads;
      return this;
    }

    /**
     * The range the time to recover of each fetch is drawn from; default 1 s.
     *
     * @param min the shortest
     * @param max the longest
     * @return this builder
     */
    public Builder timeToRecover(Duration min, Duration max) {
      this.minTimeToRecover = Objects.requireNonNull(min, "min");
      this.maxTimeToRecover = Objects.requireNonNull(max, "max");
      return this;
    }

    /**
     * The most time a worker works on a fetch before acknowledging (drawn uniformly from 0 to
     * this); default 2 ms. Longer than the time to recover makes recoveries race with acks.
     *
     * @param maxWork the longest work
     * @return this builder
     */
    public Builder maxWork(Duration maxWork) {
      this.maxWork = Objects.requireNonNull(maxWork, "maxWork");
      return this;
    }

    /**
     * The share of leases a worker abandons (never acknowledges, as a killed worker would); default
     * 0.05.
     *
     * @param rate 0 to 1
     * @return this builder
     */
    public Builder abandonRate(double rate) {
      this.abandonRate = rate;
      return this;
    }

    /**
     * The share of calls that add (the rest fetch); default 0.4.
     *
     * @param share 0 to 1
     * @return this builder
     */
    public Builder addShare(double share) {
      this.addShare = share;
      return this;
    }

    /**
     * The largest {@code addAll} and {@code fetchBatch}; default 20.
     *
     * @param max 1 to {@value WorkQueue#MAX_BATCH}
     * @return this builder
     */
    public Builder maxBatch(int max) {
      this.maxBatch = max;
      return this;
    }

    /**
     * The pause after a call that threw (e.g. while a backend is down); default 20 ms.
     *
     * @param backoff the pause
     * @return this builder
     */
    public Builder backoff(Duration backoff) {
      this.backoff = Objects.requireNonNull(backoff, "backoff");
      return this;
    }

    /**
     * The random seed (default: the time); each thread derives its own from it.
     *
     * @param seed the seed
     * @return this builder
     */
    public Builder seed(long seed) {
      this.seed = seed;
      return this;
    }

    /**
     * The prefix of worker ids and values (default {@code w}), to run two workloads on one history.
     *
     * @param prefix letters and digits
     * @return this builder
     */
    public Builder workerPrefix(String prefix) {
      this.workerPrefix = Objects.requireNonNull(prefix, "prefix");
      return this;
    }

    /**
     * Builds the workload.
     *
     * @return the workload
     * @throws IllegalArgumentException when a setting is out of range
     */
    public Workload build() {
      if (nodes.isEmpty() || queues.isEmpty() || threads < 1) {
        throw new IllegalArgumentException("nodes, queues and threads are required");
      }
      if (maxBatch < 1 || maxBatch > WorkQueue.MAX_BATCH) {
        throw new IllegalArgumentException("maxBatch must be 1 to " + WorkQueue.MAX_BATCH);
      }
      if (minTimeToRecover.compareTo(maxTimeToRecover) > 0) {
        throw new IllegalArgumentException("timeToRecover: min is above max");
      }
      return new Workload(this);
    }
  }

  /**
   * Counts of what the threads did (every call is in the history as well).
   *
   * @param calls calls made
   * @param failures calls that threw a {@link io.workqueue.QueueException} or an error
   * @param badArguments calls refused with an {@link InvalidArgumentException}: bugs
   * @param abandoned leases abandoned on purpose
   */
  public record Stats(long calls, long failures, long badArguments, long abandoned) {}

  /** A started workload. */
  public final class Running {
    private final List<Thread> running;
    private final AtomicBoolean stop;
    private final AtomicLong calls;
    private final AtomicLong failures;
    private final AtomicLong badArguments;
    private final AtomicLong abandoned;

    private Running(
        List<Thread> running,
        AtomicBoolean stop,
        AtomicLong calls,
        AtomicLong failures,
        AtomicLong badArguments,
        AtomicLong abandoned) {
      this.running = running;
      this.stop = stop;
      this.calls = calls;
      this.failures = failures;
      this.badArguments = badArguments;
      this.abandoned = abandoned;
    }

    /**
     * The counts so far.
     *
     * @return the counts
     */
    public Stats stats() {
      return new Stats(calls.get(), failures.get(), badArguments.get(), abandoned.get());
    }

    /**
     * Stops the threads and waits for them (each finishes its current call; bounded by 60 s).
     *
     * @return the final counts
     * @throws IllegalStateException when a thread did not stop in time
     */
    public Stats stop() {
      stop.set(true);
      long end = System.nanoTime() + TimeUnit.SECONDS.toNanos(60);
      for (Thread t : running) {
        try {
          t.join(Math.max(1, TimeUnit.NANOSECONDS.toMillis(end - System.nanoTime())));
        } catch (InterruptedException e) {
          Thread.currentThread().interrupt();
          throw new IllegalStateException("interrupted while stopping the workload", e);
        }
        if (t.isAlive()) {
          throw new IllegalStateException(t.getName() + " did not stop within 60 s");
        }
      }
      return stats();
    }
  }

  /**
   * Starts the threads.
   *
   * @return the running workload; stop it
   */
  public Running start() {
    AtomicBoolean stop = new AtomicBoolean();
    AtomicLong calls = new AtomicLong();
    AtomicLong failures = new AtomicLong();
    AtomicLong badArguments = new AtomicLong();
    AtomicLong abandoned = new AtomicLong();
    List<Thread> running = new ArrayList<>();
    for (int n = 0; n < threads; n++) {
      Worker w =
          new Worker(n, stop, calls, failures, badArguments, abandoned, new Random(seed * 31 + n));
      Thread t = new Thread(w, "workload-" + workerPrefix + n);
      t.setDaemon(true);
      running.add(t);
      t.start();
    }
    return new Running(running, stop, calls, failures, badArguments, abandoned);
  }

  /**
   * Runs the threads for a while.
   *
   * @param duration how long
   * @return the counts
   */
  public Stats run(Duration duration) {
    Running r = start();
    LockSupport.parkNanos(duration.toNanos());
    return r.stop();
  }

  private final class Worker implements Runnable {
    private final String id;
    private final WorkQueue node;
    private final AtomicBoolean stop;
    private final AtomicLong calls;
    private final AtomicLong failures;
    private final AtomicLong badArguments;
    private final AtomicLong abandoned;
    private final Random random;
    private long counter;

    Worker(
        int n,
        AtomicBoolean stop,
        AtomicLong calls,
        AtomicLong failures,
        AtomicLong badArguments,
        AtomicLong abandoned,
        Random random) {
      this.id = workerPrefix + n;
      this.node = nodes.get(n % nodes.size());
      this.stop = stop;
      this.calls = calls;
      this.failures = failures;
      this.badArguments = badArguments;
      this.abandoned = abandoned;
      this.random = random;
    }

    @Override
    public void run() {
      while (!stop.get()) {
        QueueRef q = queues.get(random.nextInt(queues.size()));
        try {
          double dice = random.nextDouble();
          if (dice < addShare * 0.7) {
            call(() -> node.add(q, task()));
          } else if (dice < addShare) {
            List<NewTask> batch = new ArrayList<>();
            int n = 1 + random.nextInt(maxBatch);
            for (int i = 0; i < n; i++) {
              batch.add(task());
            }
            call(() -> node.addAll(q, batch));
          } else if (random.nextBoolean()) {
            fetchOne(q);
          } else {
            fetchBatch(q);
          }
        } catch (InvalidArgumentException e) {
          badArguments.incrementAndGet();
        } catch (RuntimeException e) {
          failures.incrementAndGet();
          pause(backoff);
        } catch (Error e) {
          if (e instanceof VirtualMachineError) {
            throw e;
          }
          failures.incrementAndGet(); // a simulated death of the caller
          pause(backoff);
        }
      }
    }

    private <T> T call(java.util.function.Supplier<T> call) {
      calls.incrementAndGet();
      return call.get();
    }

    private void fetchOne(QueueRef q) {
      Duration ttr = timeToRecover();
      Optional<Task> task = call(() -> node.fetch(q, id, ttr));
      if (task.isEmpty()) {
        return;
      }
      work();
      if (random.nextDouble() < abandonRate) {
        abandoned.incrementAndGet();
        return;
      }
      Task t = task.get();
      int how = random.nextInt(3);
      if (how == 2) {
        call(() -> node.ack(q, id, t.index(), outcome(t)));
        return;
      }
      try {
        call(() -> how == 0 ? node.ack(q, id) : node.ack(q, id, outcome(t)));
      } catch (InvalidArgumentException e) {
        if (!"index".equals(e.argument())) {
          throw e;
        }
        // documented: the single-task lease was taken over and the worker still holds batch
        // leases on this queue, so an ack without an index is ambiguous and refused
      }
    }

    private void fetchBatch(QueueRef q) {
      Duration ttr = timeToRecover();
      int max = 1 + random.nextInt(maxBatch);
      List<Task> tasks = call(() -> node.fetchBatch(q, id, max, ttr));
      if (tasks.isEmpty()) {
        return;
      }
      work();
      List<Long> indices = new ArrayList<>();
      Map<Long, Outcome> outcomes = new HashMap<>();
      for (Task t : tasks) {
        if (random.nextDouble() < abandonRate) {
          abandoned.incrementAndGet();
          continue;
        }
        indices.add(t.index());
        outcomes.put(t.index(), outcome(t));
      }
      if (indices.isEmpty()) {
        return;
      }
      if (random.nextBoolean()) {
        call(() -> node.ackAll(q, id, indices));
      } else {
        call(() -> node.ackAll(q, id, outcomes));
      }
    }

    private NewTask task() {
      String value = id + "-" + (++counter);
      NewTask task = NewTask.of(Map.of("id", value, "n", counter));
      return random.nextBoolean() ? task.token(Map.of("flow", "f-" + value)) : task;
    }

    private Outcome outcome(Task t) {
      return switch ((int) (t.index() % 5)) {
        case 0 -> Outcome.success();
        case 1 -> Outcome.success(0);
        case 2 -> Outcome.success("");
        case 3 -> Outcome.success(Map.of("done", t.index()));
        default -> Outcome.failure(Map.of("reason", "no " + t.index()));
      };
    }

    private Duration timeToRecover() {
      long min = minTimeToRecover.toMillis();
      long max = maxTimeToRecover.toMillis();
      return Duration.ofMillis(min + (max > min ? (long) (random.nextDouble() * (max - min)) : 0));
    }

    private void work() {
      long nanos = (long) (random.nextDouble() * maxWork.toNanos());
      if (nanos > 0) {
        LockSupport.parkNanos(nanos);
      }
    }

    private void pause(Duration d) {
      LockSupport.parkNanos(d.toNanos());
    }
  }
}
