package io.workqueue.redis;

import io.workqueue.InvalidArgumentException;
import io.workqueue.QueueException;
import io.workqueue.QueueRef;
import io.workqueue.spi.Signals;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.UUID;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.LongConsumer;
import java.util.regex.Pattern;
import org.jspecify.annotations.Nullable;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import redis.clients.jedis.JedisPubSub;
import redis.clients.jedis.UnifiedJedis;

/**
 * The Redis bookkeeper's {@link Signals}: Redis pub/sub on the channels its Lua scripts publish,
 * {@code <prefix>:{owner/service}:work} (message {@code 1}: work may be ready) and {@code
 * <prefix>:{owner/service}:done} (message: the acknowledged or dead-lettered indices, decimal,
 * comma-separated).
 *
 * <p>One subscriber connection, borrowed from the client for as long as this object lives and read
 * by one daemon thread, started with the first subscription. Channels are subscribed while they
 * have listeners and unsubscribed when their last listener goes. A dropped connection is opened
 * again with backoff (100 ms doubling to 5 s); as signals may have been lost meanwhile, every work
 * listener is called once after a reconnect. Completion signals lost that way are not replayed:
 * their users poll as well (see {@link io.workqueue.internal.CompletionWatcher}).
 *
 * <p>Listeners run on the subscriber thread, one after the other: they must be quick. One that
 * throws is logged and the others still run. On Redis Cluster the subscriber connects to any node
 * (classic pub/sub messages reach every node). A half-open connection that never reports an error
 * is not detected (the client's socket has no read timeout while subscribed); the users' polling
 * covers it.
 *
 * <p>Thread-safe. {@link #close()} stops the thread and returns the connection; it does not close
 * the client, which stays the caller's.
 */
public final class RedisSignals implements Signals, AutoCloseable {
  private static final Logger log = LoggerFactory.getLogger(RedisSignals.class);

  private static final Pattern KEY_PREFIX = Pattern.compile("[A-Za-z0-9][A-Za-z0-9._:-]{0,63}");
  private static final long MIN_BACKOFF_MS = 100;
  private static final long MAX_BACKOFF_MS = 5_000;
  private static final long CONFIRM_WAIT_MS = 5_000;

  private final UnifiedJedis client;
  private final String keyPrefix;

  /** Channels this instance subscribes to and never publishes on, keeping the connection open. */
  private final String controlChannel;

  private final Map<String, List<Listener>> channels = new ConcurrentHashMap<>();
  private final Object lock = new Object();
  private final AtomicLong connections = new AtomicLong();

  /** Channels the server has confirmed on the current connection; guarded by {@link #lock}. */
  private final Set<String> confirmedChannels = new java.util.HashSet<>();

  private @Nullable Thread thread;
  private @Nullable Subscriber subscriber; // the current connection's, once confirmed
  private volatile boolean closed;

  /** One subscription: a work listener or a completion listener. */
  private record Listener(@Nullable Runnable work, @Nullable LongConsumer done) {}

  /**
   * Creates the signals of a bookkeeper. Nothing connects until the first subscription.
   *
   * @param client the bookkeeper's client; one of its connections is held while subscribed
   * @param keyPrefix the bookkeeper's key prefix, for example {@code wq}
   * @throws InvalidArgumentException naming {@code client} or {@code keyPrefix} when null or not a
   *     key prefix (1 to 64 ASCII letters, digits, '.', '_', ':' and '-')
   */
  public RedisSignals(UnifiedJedis client, String keyPrefix) {
    if (client == null) {
      throw new InvalidArgumentException("client", "must not be null");
    }
    if (keyPrefix == null || !KEY_PREFIX.matcher(keyPrefix).matches()) {
      throw new InvalidArgumentException(
          "keyPrefix",
          "must be 1 to 64 ASCII letters, digits, '.', '_', ':' and '-', starting with a letter or"
              + " digit; was "
              + keyPrefix);
    }
    this.client = client;
    this.keyPrefix = keyPrefix;
    this.controlChannel = keyPrefix + ":signals:" + UUID.randomUUID();
  }

  /**
   * The work channel of a queue.
   *
   * @param queue the queue
   * @return {@code <prefix>:{owner/service}:work}
   */
  public String workChannel(QueueRef queue) {
    return base(queue) + "work";
  }

  /**
   * The completion channel of a queue.
   *
   * @param queue the queue
   * @return {@code <prefix>:{owner/service}:done}
   */
  public String doneChannel(QueueRef queue) {
    return base(queue) + "done";
  }

  private String base(QueueRef queue) {
    return keyPrefix + ":{" + queue.owner() + "/" + queue.service() + "}:";
  }

  /**
   * Calls {@code listener} on each message on the queue's work channel, and once after each
   * reconnect. Returns once Redis has confirmed the subscription (waiting at most 5 s; with Redis
   * unreachable, it returns without and the subscription starts when the connection does), so every
   * signal published after this returns reaches the listener.
   *
   * @param queue the queue
   * @param listener quick, called on the subscriber thread
   * @return closes this subscription (idempotent)
   * @throws InvalidArgumentException naming {@code queue} or {@code listener} when null
   * @throws QueueException when this object is closed
   */
  @Override
  public AutoCloseable onWork(QueueRef queue, Runnable listener) {
    requireArgument("queue", queue);
    requireArgument("listener", listener);
    return add(workChannel(queue), new Listener(listener, null));
  }

  /**
   * Calls {@code listener} with each index named on the queue's completion channel. Parts of a
   * message that are not decimal indices are logged and skipped. Returns once Redis has confirmed
   * the subscription, as {@link #onWork} does.
   *
   * @param queue the queue
   * @param listener quick, called on the subscriber thread
   * @return closes this subscription (idempotent)
   * @throws InvalidArgumentException naming {@code queue} or {@code listener} when null
   * @throws QueueException when this object is closed
   */
  @Override
  public AutoCloseable onCompletion(QueueRef queue, LongConsumer listener) {
    requireArgument("queue", queue);
    requireArgument("listener", listener);
    return add(doneChannel(queue), new Listener(null, listener));
  }

  /**
   * How many times the subscriber connection was established (1 after the first connect, more after
   * reconnects); for tests and monitoring.
   *
   * @return the number of connections made
   */
  public long connections() {
    return connections.get();
  }

  /**
   * Stops the subscriber thread and gives its connection back. Subscriptions end; later ones are
   * refused. Idempotent.
   */
  @Override
  public void close() {
    Thread t;
    synchronized (lock) {
      if (closed) {
        return;
      }
      closed = true;
      channels.clear();
      t = thread;
      Subscriber s = subscriber;
      if (s != null) {
        try {
          s.unsubscribe();
        } catch (RuntimeException e) {
          log.debug("unsubscribing at close failed", e);
        }
      }
    }
    if (t != null) {
      // No interrupt: Jedis ends its read loop on an interrupt even while still subscribed, and
      // the connection would go back to the client's pool in subscriber mode. The unsubscribe
      // above ends the loop; a thread waiting to reconnect is woken through the lock.
      synchronized (lock) {
        lock.notifyAll();
      }
      try {
        t.join(2_000);
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
      }
      if (t.isAlive()) {
        log.warn("the Redis signal thread did not stop within 2 s; it is a daemon and is left");
      }
    }
  }

  // ------------------------------------------------------------------------------ internals

  private AutoCloseable add(String channel, Listener listener) {
    synchronized (lock) {
      if (closed) {
        throw new QueueException("these Redis signals are closed");
      }
      boolean first = !channels.containsKey(channel);
      channels.computeIfAbsent(channel, c -> new CopyOnWriteArrayList<>()).add(listener);
      if (thread == null) {
        Thread t = new Thread(this::run, "workqueue-redis-signals");
        t.setDaemon(true);
        thread = t;
        t.start();
      } else if (first && subscriber != null) {
        Subscriber s = subscriber;
        send(() -> s.subscribe(channel));
      }
      awaitConfirmed(channel);
    }
    return () -> remove(channel, listener);
  }

  /** Waits, holding {@link #lock} (released while waiting), until Redis confirmed the channel. */
  private void awaitConfirmed(String channel) {
    long deadline = System.nanoTime() + CONFIRM_WAIT_MS * 1_000_000L;
    while (!closed && !confirmedChannels.contains(channel)) {
      long left = (deadline - System.nanoTime()) / 1_000_000L;
      if (left <= 0) {
        log.debug(
            "Redis has not confirmed the subscription to {} within {} ms",
            channel,
            CONFIRM_WAIT_MS);
        return;
      }
      try {
        lock.wait(left);
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
        return;
      }
    }
  }

  private void remove(String channel, Listener listener) {
    synchronized (lock) {
      List<Listener> list = channels.get(channel);
      if (list == null || !list.remove(listener)) {
        return;
      }
      if (list.isEmpty()) {
        channels.remove(channel);
        confirmedChannels.remove(channel);
        Subscriber s = subscriber;
        if (s != null && !closed) {
          send(() -> s.unsubscribe(channel));
        }
      }
    }
  }

  /** Writes a command on the subscriber connection; a broken one is reopened by the thread. */
  private void send(Runnable command) {
    try {
      command.run();
    } catch (RuntimeException e) {
      log.debug("could not update the Redis subscriptions now; the reconnect will", e);
    }
  }

  private void run() {
    long backoff = MIN_BACKOFF_MS;
    int failuresInRow = 0;
    while (!closed) {
      Subscriber s = new Subscriber();
      RuntimeException failure = null;
      try {
        client.subscribe(s, controlChannel);
      } catch (RuntimeException e) {
        failure = e;
      } finally {
        synchronized (lock) {
          if (subscriber == s) {
            subscriber = null;
            confirmedChannels.clear();
          }
        }
      }
      if (closed) {
        break;
      }
      long wait;
      if (s.confirmed) {
        failuresInRow = 0;
        backoff = MIN_BACKOFF_MS;
        wait = MIN_BACKOFF_MS;
      } else {
        failuresInRow++;
        wait = backoff;
        backoff = Math.min(backoff * 2, MAX_BACKOFF_MS);
      }
      String what = s.confirmed ? "dropped" : "could not be opened";
      if (failuresInRow <= 1) {
        log.warn("Redis signal connection {}; reconnecting in {} ms", what, wait, failure);
      } else {
        log.debug("Redis signal connection {} again; next try in {} ms", what, wait, failure);
      }
      synchronized (lock) {
        if (!closed) {
          try {
            lock.wait(wait);
          } catch (InterruptedException e) {
            // only close() stops this thread
          }
        }
      }
    }
    log.debug("Redis signal thread stopped");
  }

  /** Called on the subscriber thread once the connection is confirmed. */
  private void connected(Subscriber s) {
    long n = connections.incrementAndGet();
    List<String> wanted;
    synchronized (lock) {
      if (closed) {
        send(s::unsubscribe);
        return;
      }
      subscriber = s;
      wanted = new ArrayList<>(channels.keySet());
      if (!wanted.isEmpty()) {
        send(() -> s.subscribe(wanted.toArray(String[]::new)));
      }
    }
    if (n > 1) {
      log.info("Redis signal connection reopened; waking every work listener once");
      for (Map.Entry<String, List<Listener>> e : channels.entrySet()) {
        for (Listener l : e.getValue()) {
          if (l.work() != null) {
            call(e.getKey(), l.work());
          }
        }
      }
    }
  }

  private void dispatch(String channel, String message) {
    List<Listener> list = channels.get(channel);
    if (list == null) {
      return;
    }
    if (channel.endsWith(":work")) {
      for (Listener l : list) {
        if (l.work() != null) {
          call(channel, l.work());
        }
      }
      return;
    }
    long[] indices = parse(channel, message);
    for (Listener l : list) {
      LongConsumer done = l.done();
      if (done != null) {
        for (long index : indices) {
          try {
            done.accept(index);
          } catch (RuntimeException e) {
            log.warn("a completion listener on {} failed on index {}", channel, index, e);
          }
        }
      }
    }
  }

  private static long[] parse(String channel, String message) {
    String[] parts = message.split(",");
    long[] out = new long[parts.length];
    int n = 0;
    for (String p : parts) {
      try {
        long index = Long.parseLong(p.trim());
        if (index >= 1) {
          out[n++] = index;
          continue;
        }
      } catch (NumberFormatException e) {
        // logged below
      }
      log.warn("skipping '{}' in a message on {}: not an index", p, channel);
    }
    return n == out.length ? out : java.util.Arrays.copyOf(out, n);
  }

  private static void call(String channel, Runnable r) {
    try {
      r.run();
    } catch (RuntimeException e) {
      log.warn("a work listener on {} failed", channel, e);
    }
  }

  private static void requireArgument(String name, @Nullable Object value) {
    if (value == null) {
      throw new InvalidArgumentException(name, "must not be null");
    }
  }

  /** The pub/sub state of one connection. */
  private final class Subscriber extends JedisPubSub {
    volatile boolean confirmed;

    @Override
    public void onSubscribe(String channel, int subscribedChannels) {
      if (channel.equals(controlChannel)) {
        if (!confirmed) {
          confirmed = true;
          connected(this);
        }
        return;
      }
      synchronized (lock) {
        if (subscriber == this && channels.containsKey(channel)) {
          confirmedChannels.add(channel);
          lock.notifyAll();
        }
      }
    }

    @Override
    public void onUnsubscribe(String channel, int subscribedChannels) {
      synchronized (lock) {
        if (subscriber == this && !channels.containsKey(channel)) {
          confirmedChannels.remove(channel);
        }
      }
    }

    @Override
    public void onMessage(String channel, String message) {
      if (!channel.equals(controlChannel)) {
        dispatch(channel, message);
      }
    }
  }

  /** Whether the subscriber thread runs, for tests. */
  boolean subscriberAlive() {
    synchronized (lock) {
      return thread != null && thread.isAlive();
    }
  }

  /** The channels currently wanted, for tests. */
  Set<String> channels() {
    return Set.copyOf(channels.keySet());
  }
}
