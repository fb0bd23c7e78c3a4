package io.workqueue.redis;

import io.workqueue.BackendUnavailableException;
import io.workqueue.InvalidArgumentException;
import io.workqueue.Lease;
import io.workqueue.Priority;
import io.workqueue.QueueRef;
import io.workqueue.QueueSettings;
import io.workqueue.internal.Validation;
import io.workqueue.spi.Bookkeeper;
import io.workqueue.spi.BookkeeperState;
import io.workqueue.spi.DeadEntry;
import io.workqueue.spi.Fetch;
import io.workqueue.spi.FetchBatch;
import io.workqueue.spi.LaneStart;
import io.workqueue.spi.PendingCompletion;
import io.workqueue.spi.Signals;
import java.net.SocketTimeoutException;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Collection;
import java.util.Comparator;
import java.util.EnumMap;
import java.util.HashMap;
import java.util.HashSet;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.OptionalLong;
import java.util.Set;
import java.util.TreeMap;
import java.util.regex.Pattern;
import org.jspecify.annotations.Nullable;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import redis.clients.jedis.ConnectionPoolConfig;
import redis.clients.jedis.DefaultJedisClientConfig;
import redis.clients.jedis.HostAndPort;
import redis.clients.jedis.JedisClientConfig;
import redis.clients.jedis.JedisCluster;
import redis.clients.jedis.JedisPooled;
import redis.clients.jedis.UnifiedJedis;
import redis.clients.jedis.exceptions.JedisAccessControlException;
import redis.clients.jedis.exceptions.JedisBusyException;
import redis.clients.jedis.exceptions.JedisClusterOperationException;
import redis.clients.jedis.exceptions.JedisConnectionException;
import redis.clients.jedis.exceptions.JedisDataException;
import redis.clients.jedis.exceptions.JedisException;
import redis.clients.jedis.exceptions.JedisNoScriptException;

/**
 * A {@link Bookkeeper} in Redis, on Jedis 5: the semantics of the reference {@code
 * InMemoryBookkeeper} step for step, each read-then-write step one Lua script.
 *
 * <h2>Clients and ownership</h2>
 *
 * <ul>
 *   <li>{@link #of(UnifiedJedis)} and {@link Builder#client(UnifiedJedis)} use a client the
 *       application made ({@link JedisPooled}, {@link JedisCluster} or any other {@link
 *       UnifiedJedis}). The bookkeeper does <em>not</em> own it: {@link #close()} leaves it open,
 *       and the application closes it after the bookkeeper.
 *   <li>{@link #connect(String, int)} and {@link Builder#connect(String, int)} build a {@link
 *       JedisPooled} that the bookkeeper owns and closes in {@link #close()}.
 * </ul>
 *
 * <h2>Storage</h2>
 *
 * <p>The keys of one queue share the hash tag {@code {owner/service}} under a prefix (default
 * {@value #DEFAULT_KEY_PREFIX}), so every script touches one cluster slot, and all keys a script
 * touches are passed in its {@code KEYS}:
 *
 * <pre>
 * wq:{owner/service}:n            hash  init, allocated, fetched, replay, skip (NORMAL lane);
 *                                       allocated:L, fetched:L, ... (lane L 1-4, once used);
 *                                       paused, maxDeliveries, groupLimit, expired (when set)
 * wq:{owner/service}:pending      zset  score index, member "index|allocation ms"
 * wq:{owner/service}:skipped      zset  member index, score when skipped (trimmed after 1 day)
 * wq:{owner/service}:kept         zset  member index, score when kept (trimmed after 1 day)
 * wq:{owner/service}:lease        hash  index -&gt; "worker|deadline ms|deliveries|s" (or "|b":
 *                                       batch), then "|group" while it holds a group slot
 * wq:{owner/service}:deadline     zset  member index (16 digits, zero-padded), score deadline ms
 * wq:{owner/service}:holder       hash  worker -&gt; index (the single-task path)
 * wq:{owner/service}:batch        hash  worker -&gt; number of batch leases it holds
 * wq:{owner/service}:completions  zset  member "padded index|worker", score due ms
 * wq:{owner/service}:delayed      zset  member padded index, score due ms
 * wq:{owner/service}:ready        zset  member index, score index
 * wq:{owner/service}:info         hash  index -&gt; "w|count" (delayed, ready), "p|count|group"
 *                                       (parked), "x|deliveries|worker" (dead)
 * wq:{owner/service}:aside        zset  member index, score index: every index in info
 * wq:{owner/service}:parked       zset  score 0, member "group|padded index"
 * wq:{owner/service}:dead         zset  member padded index, score when it died (ms)
 * wq:{owner/service}:slots        hash  group -&gt; leases holding one of its slots
 * </pre>
 *
 * <p>The set of keys is fixed ({@link QueueKeys}): no key is named after a group, a worker or an
 * index, so {@link #purge} deletes every key a queue can have in one DEL.
 *
 * <p>Memory per queue is O(workers + in-flight + pending + delayed + ready + parked + dead + lanes
 * used): committed tasks that wait to be fetched cost no bytes here (each lane's backlog is the
 * range between its {@code fetched} pointer and its lowest pending index), and a lane never used
 * has no field. The stored delivery count of a delayed, ready or parked index lives in its info
 * field, as long as the entry does. No script on the fetch path reads all leases, all workers or a
 * whole set; {@link #state} reads all leases, O(in-flight), and counts the other sets.
 *
 * <h2>Lanes, delays and groups</h2>
 *
 * <p>Each lane ({@link Priority}) has its own pointer over its own index range. {@link #fetch}
 * serves the lanes in order URGENT, HIGH, NORMAL, LOW, BULK; within a lane, the lowest ready index
 * behind the pointer first, then the pointer, which steps over skipped holes, leased, parked and
 * dead indices and delayed ones not due yet (at most 1,000 per script call; a fetch that found
 * nothing yet calls again, up to 1,000 times, so one atomic step stays short). Due delayed indices
 * move to the ready set at the start of a fetch (at most 1,000 per call, earliest first). A lease
 * that holds a group slot ({@link #admit}) frees it when it ends, which moves the group's lowest
 * parked index to the ready set when the group has room.
 *
 * <h2>Signals</h2>
 *
 * <p>The scripts publish on {@code <prefix>:{owner/service}:work} (message {@code 1}) when work
 * became ready (a commit of tasks not delayed, a release with no delay, a requeue, a resume, an
 * unpark) and on {@code <prefix>:{owner/service}:done} (the indices, decimal, comma-separated) for
 * each ack and dead letter. {@link #signals()} subscribes to them.
 *
 * <h2>Scripts</h2>
 *
 * <p>The scripts live in {@code io/workqueue/redis/*.lua} on the classpath; {@code prelude.lua},
 * the helpers they share, is put in front of each. Each call is an EVALSHA of the script's SHA-1;
 * when Redis answers NOSCRIPT (a new or restarted server, SCRIPT FLUSH, a cluster node that has not
 * seen it yet) the script is loaded with SCRIPT LOAD on the node of the queue's keys and the call
 * is retried once.
 *
 * <h2>Time</h2>
 *
 * <p>All times come from the caller ({@code now}), never from Redis' clock, and are kept in whole
 * epoch milliseconds ({@link Instant#toEpochMilli()}); durations are rounded down to milliseconds.
 * Indices are exact up to 2<sup>53</sup> - 1 (Lua numbers are doubles); every lane's indices lie
 * below 5 * 10<sup>15</sup>.
 *
 * <h2>Failures</h2>
 *
 * <p>Every failure of Redis or of the client (not reachable, refused, timed out, out of memory,
 * read-only replica, wrong credentials) is a {@link BackendUnavailableException} with backend
 * {@code "redis"} and a message naming the step, the queue, the server where known and what to
 * check; no Jedis exception escapes. A script runs entirely or not at all, so a failed call changes
 * nothing; after a timeout the step may have run (entirely) before the answer was lost. Nothing is
 * retried, except a script after NOSCRIPT. After a connection failure the idle connections of an
 * owned client are dropped, so that after a Redis restart at most one call fails on a stale
 * connection; a client given by the application keeps its own pool settings (enable its {@code
 * testOnBorrow} for the same effect).
 *
 * <h2>Durability</h2>
 *
 * <p>Redis must run with AOF ({@code appendonly yes}). With {@code appendfsync always} nothing
 * acknowledged is lost when Redis is killed; with {@code everysec} about the last second of
 * bookkeeping can be lost.
 *
 * <p>Thread-safe: the bookkeeper keeps no state of its own besides its settings; concurrency is the
 * client's (Jedis' pooled and cluster clients are thread-safe).
 */
public final class RedisBookkeeper implements Bookkeeper, AutoCloseable {

  /** The key prefix unless another is set. */
  public static final String DEFAULT_KEY_PREFIX = "wq";

  /** Connect and socket timeout of a client built by {@link #connect(String, int)}. */
  public static final Duration DEFAULT_TIMEOUT = Duration.ofSeconds(2);

  /** Connections of a client built by {@link #connect(String, int)} unless set otherwise. */
  public static final int DEFAULT_MAX_CONNECTIONS = 16;

  private static final String BACKEND = "redis";
  private static final Logger LOG = LoggerFactory.getLogger(RedisBookkeeper.class);
  private static final Pattern KEY_PREFIX = Pattern.compile("[A-Za-z0-9][A-Za-z0-9._:-]{0,63}");
  private static final long SKIPPED_RETENTION_MS = Duration.ofDays(1).toMillis();
  private static final int LANES = Priority.values().length;

  /**
   * Script calls one fetch may make when each spends its step budget without finding a task: the
   * pointers step over up to 1,000 indices per call, so a fetch looks through up to 1,000,000.
   */
  private static final int MAX_CONTINUATIONS = 1_000;

  private final UnifiedJedis client;
  private final boolean ownsClient;
  private final String keyPrefix;
  private final String endpoint;
  private volatile boolean closed;
  private @Nullable RedisSignals signals;

  private RedisBookkeeper(
      UnifiedJedis client, boolean ownsClient, String keyPrefix, String endpoint) {
    this.client = client;
    this.ownsClient = ownsClient;
    this.keyPrefix = keyPrefix;
    this.endpoint = endpoint;
  }

  /**
   * A bookkeeper on a client the application made and keeps owning, with the key prefix {@value
   * #DEFAULT_KEY_PREFIX}. Does not contact Redis.
   *
   * @param client a {@link JedisPooled}, {@link JedisCluster} or other {@link UnifiedJedis}; not
   *     closed by the bookkeeper
   * @return the bookkeeper
   * @throws InvalidArgumentException when {@code client} is null
   */
  public static RedisBookkeeper of(UnifiedJedis client) {
    return builder().client(client).build();
  }

  /**
   * A bookkeeper on a new {@link JedisPooled} to {@code host:port} (timeouts {@link
   * #DEFAULT_TIMEOUT}, at most {@link #DEFAULT_MAX_CONNECTIONS} connections, no password, no TLS),
   * which the bookkeeper owns and closes in {@link #close()}. Connections are opened when first
   * needed, so this does not fail when Redis is down.
   *
   * @param host the Redis host
   * @param port the Redis port
   * @return the bookkeeper
   * @throws InvalidArgumentException when {@code host} is blank or {@code port} is not 1..65535
   */
  public static RedisBookkeeper connect(String host, int port) {
    return builder().connect(host, port).build();
  }

  /**
   * A builder, for a key prefix, credentials, TLS or timeouts.
   *
   * @return a new builder
   */
  public static Builder builder() {
    return new Builder();
  }

  /**
   * Settings of a {@link RedisBookkeeper}. Set exactly one of {@link #client} and {@link #connect}.
   * Mutable; not thread-safe; {@link #build()} may be called more than once (each {@code connect}
   * bookkeeper then owns its own client).
   */
  public static final class Builder {
    private @Nullable UnifiedJedis client;
    private @Nullable String host;
    private int port;
    private @Nullable JedisClientConfig clientConfig;
    private int maxConnections = DEFAULT_MAX_CONNECTIONS;
    private boolean maxConnectionsSet;
    private String keyPrefix = DEFAULT_KEY_PREFIX;
    private @Nullable String endpoint;

    private Builder() {}

    /**
     * Uses a client the application made and keeps owning; the bookkeeper never closes it.
     *
     * @param client a {@link JedisPooled}, {@link JedisCluster} or other {@link UnifiedJedis}
     * @return this builder
     * @throws InvalidArgumentException when {@code client} is null
     */
    public Builder client(UnifiedJedis client) {
      if (client == null) {
        throw new InvalidArgumentException("client", "must not be null");
      }
      this.client = client;
      return this;
    }

    /**
     * Builds a {@link JedisPooled} to {@code host:port} that the bookkeeper owns and closes.
     *
     * @param host the Redis host
     * @param port the Redis port
     * @return this builder
     * @throws InvalidArgumentException when {@code host} is blank or {@code port} is not 1..65535
     */
    public Builder connect(String host, int port) {
      if (host == null || host.isBlank()) {
        throw new InvalidArgumentException("host", "must not be blank");
      }
      if (port < 1 || port > 65535) {
        throw new InvalidArgumentException("port", "must be 1..65535, was " + port);
      }
      this.host = host;
      this.port = port;
      return this;
    }

    /**
     * Client settings (timeouts, user and password, database, TLS, client name) of the client built
     * by {@link #connect}. The default has connect and socket timeouts of {@link #DEFAULT_TIMEOUT}
     * and client name {@code workqueue}. Waiting for a free pooled connection is bounded by the
     * socket timeout.
     *
     * @param config the settings, for example from {@link DefaultJedisClientConfig#builder()}
     * @return this builder
     * @throws InvalidArgumentException when {@code config} is null
     */
    public Builder clientConfig(JedisClientConfig config) {
      if (config == null) {
        throw new InvalidArgumentException("clientConfig", "must not be null");
      }
      this.clientConfig = config;
      return this;
    }

    /**
     * The most connections the client built by {@link #connect} opens; default {@link
     * #DEFAULT_MAX_CONNECTIONS}. Each call holds one connection for one round trip.
     *
     * @param maxConnections 1 or more
     * @return this builder
     * @throws InvalidArgumentException when below 1
     */
    public Builder maxConnections(int maxConnections) {
      if (maxConnections < 1) {
        throw new InvalidArgumentException(
            "maxConnections", "must be 1 or more, was " + maxConnections);
      }
      this.maxConnections = maxConnections;
      this.maxConnectionsSet = true;
      return this;
    }

    /**
     * The prefix of every key; default {@value #DEFAULT_KEY_PREFIX}. Lets several independent
     * installations share one Redis.
     *
     * @param keyPrefix 1 to 64 ASCII letters, digits, {@code .}, {@code _}, {@code :} and {@code
     *     -}, starting with a letter or digit (no braces: they would change the hash tag)
     * @return this builder
     * @throws InvalidArgumentException when the prefix is not allowed
     */
    public Builder keyPrefix(String keyPrefix) {
      if (keyPrefix == null || !KEY_PREFIX.matcher(keyPrefix).matches()) {
        throw new InvalidArgumentException(
            "keyPrefix",
            "'"
                + keyPrefix
                + "' is not allowed; use 1 to 64 ASCII letters, digits, '.', '_', ':' and '-',"
                + " starting with a letter or digit");
      }
      this.keyPrefix = keyPrefix;
      return this;
    }

    /**
     * How error messages name the server of a client given with {@link #client} (for example {@code
     * "redis-1.internal:6379"} or {@code "cluster redis-a:7000,redis-b:7000"}). Without it,
     * messages say "the Redis of the given client". Ignored with {@link #connect}, whose messages
     * name {@code host:port}.
     *
     * @param endpoint a short description
     * @return this builder
     * @throws InvalidArgumentException when blank
     */
    public Builder endpoint(String endpoint) {
      if (endpoint == null || endpoint.isBlank()) {
        throw new InvalidArgumentException("endpoint", "must not be blank");
      }
      this.endpoint = endpoint;
      return this;
    }

    /**
     * Builds the bookkeeper. Does not contact Redis.
     *
     * @return the bookkeeper
     * @throws InvalidArgumentException naming {@code client} when neither or both of {@link
     *     #client} and {@link #connect} were set, or naming {@code clientConfig} or {@code
     *     maxConnections} when those were set together with {@link #client}
     */
    public RedisBookkeeper build() {
      if (client != null && host != null) {
        throw new InvalidArgumentException(
            "client", "set either client(...) or connect(host, port), not both");
      }
      if (client != null) {
        if (clientConfig != null) {
          throw new InvalidArgumentException(
              "clientConfig", "applies only to connect(host, port); configure the given client");
        }
        if (maxConnectionsSet) {
          throw new InvalidArgumentException(
              "maxConnections",
              "applies only to connect(host, port); configure the given client's pool");
        }
        String where = endpoint != null ? "Redis at " + endpoint : "the Redis of the given client";
        return new RedisBookkeeper(client, false, keyPrefix, where);
      }
      if (host == null) {
        throw new InvalidArgumentException(
            "client", "set client(...) or connect(host, port) before build()");
      }
      JedisClientConfig config =
          clientConfig != null
              ? clientConfig
              : DefaultJedisClientConfig.builder()
                  .connectionTimeoutMillis((int) DEFAULT_TIMEOUT.toMillis())
                  .socketTimeoutMillis((int) DEFAULT_TIMEOUT.toMillis())
                  .clientName("workqueue")
                  .build();
      ConnectionPoolConfig pool = new ConnectionPoolConfig();
      pool.setMaxTotal(maxConnections);
      pool.setMaxIdle(maxConnections);
      pool.setMinIdle(0);
      pool.setBlockWhenExhausted(true);
      pool.setMaxWait(Duration.ofMillis(Math.max(1, config.getSocketTimeoutMillis())));
      JedisPooled pooled = new JedisPooled(new HostAndPort(host, port), config, pool);
      return new RedisBookkeeper(pooled, true, keyPrefix, "Redis at " + host + ":" + port);
    }
  }

  // ------------------------------------------------------------------------------- the SPI

  /**
   * {@inheritDoc}
   *
   * <p>One script: reads {@code allocated}, adds the new indices to {@code pending} with {@code
   * now}, and moves {@code allocated}. Pending indices cost memory until committed or resolved.
   *
   * @throws InvalidArgumentException naming {@code count} when it is below 1
   * @throws BackendUnavailableException when Redis fails; nothing was allocated
   */
  @Override
  public long allocate(QueueRef queue, int count, Instant now) {
    return allocate(queue, Priority.NORMAL, count, now);
  }

  /**
   * {@inheritDoc}
   *
   * <p>One script, as {@link #allocate(QueueRef, int, Instant)}; a lane's counter is written on its
   * first allocation, so a lane never used costs nothing.
   *
   * @throws InvalidArgumentException naming {@code lane} when it is null, or {@code count} when it
   *     is below 1 or more than the lane's 10<sup>15</sup> indices have left; nothing was allocated
   * @throws BackendUnavailableException when Redis fails; nothing was allocated
   */
  @Override
  public long allocate(QueueRef queue, Priority lane, int count, Instant now) {
    if (lane == null) {
      throw new InvalidArgumentException("lane", "must not be null");
    }
    if (count < 1) {
      throw new InvalidArgumentException("count", "must be 1 or more, was " + count);
    }
    QueueKeys k = keys(queue);
    Object reply =
        run(
            LuaScript.ALLOCATE,
            queue,
            List.of(k.n(), k.pending()),
            List.of(Integer.toString(count), millis(now), Integer.toString(lane.lane())));
    long first = asLong(reply);
    if (first < 0) {
      throw new InvalidArgumentException(
          "count", "lane " + lane + " has " + (-first - 1) + " indices left, asked for " + count);
    }
    return first;
  }

  /**
   * {@inheritDoc}
   *
   * @throws InvalidArgumentException naming {@code allocated}, {@code replayTo} or {@code
   *     replayFrom} when the numbers are not {@code 0 <= allocated < 10^15}, {@code replayTo <=
   *     allocated}, {@code 1 <= replayFrom <= replayTo + 1}
   * @throws BackendUnavailableException when Redis fails; the queue was not initialized
   */
  @Override
  public boolean initialize(QueueRef queue, long allocated, long replayFrom, long replayTo) {
    LaneStart start = new LaneStart(Priority.NORMAL, allocated, replayFrom, replayTo);
    checkStart(start, null);
    return start(queue, List.of(start));
  }

  /**
   * Checks a lane start.
   *
   * @param argument the argument to name ({@code lanes} for the list form), or null to name the
   *     component
   */
  private static void checkStart(LaneStart start, @Nullable String argument) {
    Priority lane = start.lane();
    long base = lane.base();
    long last = base + Priority.LANE_SIZE - 1;
    String component = null;
    String problem = null;
    if (start.allocated() < base || start.allocated() > last) {
      component = "allocated";
      problem = "must be " + base + " to " + last + " in lane " + lane;
    } else if (start.replayTo() > start.allocated()) {
      component = "replayTo";
      problem = "must be at most allocated (" + start.allocated() + ")";
    } else if (start.replayFrom() < base + 1 || start.replayFrom() > start.replayTo() + 1) {
      component = "replayFrom";
      problem = "must be " + (base + 1) + " to replayTo + 1 (" + (start.replayTo() + 1) + ")";
    }
    if (problem != null) {
      throw new InvalidArgumentException(
          argument == null ? component : argument,
          (argument == null ? "" : component + " of " + lane + " ") + problem + "; was " + start);
    }
  }

  /**
   * {@inheritDoc}
   *
   * <p>One script. The {@code NORMAL} lane's counters are always written; another lane's only when
   * it starts with indices taken. Settings and the paused flag set before stay.
   *
   * @throws InvalidArgumentException naming {@code lanes} when it is null, lists a lane twice, or a
   *     lane's numbers are not {@code base <= allocated < base + LANE_SIZE}, {@code replayTo <=
   *     allocated}, {@code base + 1 <= replayFrom <= replayTo + 1}; nothing changed
   * @throws BackendUnavailableException when Redis fails; the queue was not initialized
   */
  @Override
  public boolean initialize(QueueRef queue, List<LaneStart> lanes) {
    if (lanes == null) {
      throw new InvalidArgumentException("lanes", "must not be null");
    }
    Map<Priority, LaneStart> byLane = new EnumMap<>(Priority.class);
    for (LaneStart start : lanes) {
      if (start == null) {
        throw new InvalidArgumentException("lanes", "must not hold null");
      }
      checkStart(start, "lanes");
      if (byLane.put(start.lane(), start) != null) {
        throw new InvalidArgumentException(
            "lanes", "lists lane " + start.lane() + " more than once: " + lanes);
      }
    }
    return start(queue, byLane.values());
  }

  private boolean start(QueueRef queue, Collection<LaneStart> starts) {
    Map<Priority, LaneStart> byLane = new EnumMap<>(Priority.class);
    for (LaneStart start : starts) {
      byLane.put(start.lane(), start);
    }
    QueueKeys k = keys(queue);
    List<String> args = new ArrayList<>();
    addLane(args, byLane.getOrDefault(Priority.NORMAL, LaneStart.empty(Priority.NORMAL)));
    for (LaneStart start : byLane.values()) {
      if (start.lane() != Priority.NORMAL && !start.equals(LaneStart.empty(start.lane()))) {
        addLane(args, start);
      }
    }
    return asLong(run(LuaScript.INITIALIZE, queue, List.of(k.n()), args)) == 1;
  }

  private static void addLane(List<String> args, LaneStart start) {
    args.add(Integer.toString(start.lane().lane()));
    args.add(Long.toString(start.allocated()));
    args.add(Long.toString(start.replayFrom()));
    args.add(Long.toString(start.replayTo()));
  }

  /**
   * {@inheritDoc}
   *
   * <p>A kept hole is remembered for one day after it was resolved (so that the set stays tiny); a
   * commit arriving later than that returns false. An empty range ({@code count} 0) returns true.
   * Publishes a work signal when an index was committed.
   *
   * @throws BackendUnavailableException when Redis fails; nothing was committed
   */
  @Override
  public boolean commit(QueueRef queue, long first, int count) {
    return commit(queue, first, count, Map.of(), Instant.EPOCH);
  }

  /**
   * {@inheritDoc}
   *
   * <p>One script. A delayed index costs a member of the delayed set and an info field until it is
   * leased. Only indices that were still pending go to the delayed set: a kept hole was handed out
   * already.
   *
   * @throws InvalidArgumentException naming {@code count} when it is negative, or {@code dueAt}
   *     when it is null, or holds an index outside the range or a null time; nothing changed
   * @throws BackendUnavailableException when Redis fails; nothing was committed
   */
  @Override
  public boolean commit(
      QueueRef queue, long first, int count, Map<Long, Instant> dueAt, Instant now) {
    if (dueAt == null) {
      throw new InvalidArgumentException("dueAt", "must not be null");
    }
    if (count < 0) {
      throw new InvalidArgumentException("count", "must be 0 or more, was " + count);
    }
    QueueKeys k = keys(queue);
    TreeMap<Long, Long> delays = new TreeMap<>();
    for (Map.Entry<Long, Instant> e : dueAt.entrySet()) {
      Long index = e.getKey();
      if (index == null || index < first || index >= first + count) {
        throw new InvalidArgumentException(
            "dueAt",
            "holds index "
                + index
                + ", outside the committed range "
                + first
                + " to "
                + (first + count - 1));
      }
      if (e.getValue() == null) {
        throw new InvalidArgumentException("dueAt", "holds no time for index " + index);
      }
      if (e.getValue().isAfter(now)) {
        delays.put(index, e.getValue().toEpochMilli());
      }
    }
    List<String> args = new ArrayList<>(3 + 2 * delays.size());
    args.add(Long.toString(first));
    args.add(Integer.toString(count));
    args.add(channel(queue));
    delays.forEach(
        (index, due) -> {
          args.add(Long.toString(index));
          args.add(Long.toString(due));
        });
    Object reply =
        run(
            LuaScript.COMMIT,
            queue,
            List.of(k.pending(), k.kept(), k.delayed(), k.info(), k.aside()),
            args);
    return asLong(reply) == 1;
  }

  /**
   * {@inheritDoc}
   *
   * <p>One script of O(log n) commands in the queue's sets: the worker's holder entry, the earliest
   * deadline ({@code ZRANGEBYSCORE deadline -inf now LIMIT 0 1}), the due delayed indices, then per
   * lane in use the lowest ready and the lowest pending index and the indices right after the
   * pointer. A queue with no delays, groups, dead letters or skipped holes pays one EXISTS for all
   * of them. The pointer steps over at most 1000 indices per script call (delayed ones not due yet,
   * leased, parked, dead or skipped ones), keeping its progress; when it found nothing within that
   * budget, the script is called again, up to 1,000 times (then the answer is {@link Fetch#EMPTY}
   * and the next fetch goes on).
   *
   * @throws BackendUnavailableException when Redis fails; no lease was handed out
   */
  @Override
  public Fetch fetch(
      QueueRef queue, String worker, Instant now, Duration timeToRecover, Duration holeGrace) {
    Objects.requireNonNull(worker, "worker");
    QueueKeys k = keys(queue);
    long deadline = now.plus(timeToRecover).toEpochMilli();
    List<?> reply;
    long kind;
    int calls = 0;
    do {
      reply =
          asList(
              run(
                  LuaScript.FETCH,
                  queue,
                  k.all(),
                  List.of(
                      worker,
                      millis(now),
                      Long.toString(deadline),
                      Long.toString(holeGrace.toMillis()))));
      kind = asLong(reply.get(0));
    } while (kind == 4 && ++calls < MAX_CONTINUATIONS);
    if (kind == 1) {
      Lease lease =
          new Lease(
              worker,
              asLong(reply.get(1)),
              Instant.ofEpochMilli(asLong(reply.get(2))),
              Math.toIntExact(asLong(reply.get(3))));
      String group = asString(reply.get(6));
      return new Fetch.Leased(
          lease,
          asLong(reply.get(4)) == 1,
          asLong(reply.get(5)) == 1,
          group.isEmpty() ? Optional.empty() : Optional.of(group));
    }
    if (kind == 2) {
      return new Fetch.Hole(asLong(reply.get(1)));
    }
    if (kind == 3) {
      return Fetch.UNINITIALIZED;
    }
    return Fetch.EMPTY;
  }

  /**
   * {@inheritDoc}
   *
   * <p>Skipping an index also drops skipped indices resolved more than a day before {@code now}.
   *
   * @throws BackendUnavailableException when Redis fails; the hole is still pending
   */
  @Override
  public boolean resolveHole(QueueRef queue, long index, boolean keep, Instant now) {
    QueueKeys k = keys(queue);
    long nowMs = now.toEpochMilli();
    Object reply =
        run(
            LuaScript.RESOLVE_HOLE,
            queue,
            List.of(k.pending(), k.skipped(), k.kept()),
            List.of(
                Long.toString(index),
                keep ? "1" : "0",
                Long.toString(nowMs),
                Long.toString(nowMs - SKIPPED_RETENTION_MS)));
    return asLong(reply) == 1;
  }

  /**
   * {@inheritDoc}
   *
   * <p>A lease past its deadline that nobody took over yet is still returned.
   *
   * @throws BackendUnavailableException when Redis fails
   */
  @Override
  public Optional<Lease> lease(QueueRef queue, String worker) {
    Objects.requireNonNull(worker, "worker");
    QueueKeys k = keys(queue);
    List<?> reply =
        asList(run(LuaScript.LEASE, queue, List.of(k.holder(), k.lease()), List.of(worker)));
    if (reply.isEmpty()) {
      return Optional.empty();
    }
    return Optional.of(
        new Lease(
            worker,
            asLong(reply.get(0)),
            Instant.ofEpochMilli(asLong(reply.get(1))),
            Math.toIntExact(asLong(reply.get(2)))));
  }

  /**
   * {@inheritDoc}
   *
   * <p>One script: the holder lookup and the release in one round trip. Publishes the index on the
   * done channel and frees a group slot the lease held.
   *
   * @throws BackendUnavailableException when Redis fails; the lease is still held
   */
  @Override
  public OptionalLong ackHeld(QueueRef queue, String worker) {
    Objects.requireNonNull(worker, "worker");
    QueueKeys k = keys(queue);
    long index = asLong(run(LuaScript.ACK_HELD, queue, k.all(), List.of(worker, channel(queue))));
    return index > 0 ? OptionalLong.of(index) : OptionalLong.empty();
  }

  /**
   * {@inheritDoc}
   *
   * <p>The same script as {@link #ackAll} with one index.
   *
   * @throws BackendUnavailableException when Redis fails; the lease is still held and no completion
   *     was recorded
   */
  @Override
  public boolean ack(QueueRef queue, String worker, long index, Optional<Instant> completionDueAt) {
    return !ackAll(queue, worker, List.of(index), completionDueAt).isEmpty();
  }

  /**
   * {@inheritDoc}
   *
   * <p>One script for all indices. A batch lease is counted in the worker's batch field until
   * released; repeated indices are released once. Returns the released indices in the order given
   * (an empty collection returns an empty set without contacting Redis). Publishes the released
   * indices on the done channel; a freed group slot may move a parked index to the ready set.
   *
   * @throws BackendUnavailableException when Redis fails; no lease was released and no completion
   *     recorded
   */
  @Override
  public Set<Long> ackAll(
      QueueRef queue, String worker, Collection<Long> indices, Optional<Instant> completionDueAt) {
    return release(
        "ack", queue, worker, indices, completionDueAt.map(RedisBookkeeper::millis).orElse(""));
  }

  /** Runs ack.lua in one of its modes, {@code ack} or {@code expire}. */
  private Set<Long> release(
      String mode, QueueRef queue, String worker, Collection<Long> indices, String due) {
    Objects.requireNonNull(worker, "worker");
    QueueKeys k = keys(queue);
    if (indices.isEmpty()) {
      return Set.of();
    }
    List<String> args = new ArrayList<>(indices.size() + 4);
    args.add(worker);
    args.add(due);
    args.add(channel(queue));
    args.add(mode);
    for (Long index : indices) {
      args.add(Long.toString(index));
    }
    List<?> reply = asList(run(LuaScript.ACK, queue, k.all(), args));
    Set<Long> acked = new LinkedHashSet<>();
    for (Object index : reply) {
      acked.add(asLong(index));
    }
    return acked;
  }

  /**
   * {@inheritDoc}
   *
   * <p>One script of O(max log n): expired leases one by one by earliest deadline, then lane by
   * lane the ready indices behind the pointer and the indices after it. Every lease of the batch
   * has the deadline {@code now + timeToRecover}. The pointers step over at most 1000 indices per
   * script call; when that leased nothing, the script is called again, up to 1,000 times.
   *
   * @throws InvalidArgumentException naming {@code max} when it is below 1
   * @throws BackendUnavailableException when Redis fails; nothing was leased
   */
  @Override
  public FetchBatch fetchBatch(
      QueueRef queue,
      String worker,
      int max,
      Instant now,
      Duration timeToRecover,
      Duration holeGrace) {
    if (max < 1) {
      throw new InvalidArgumentException("max", "must be 1 or more, was " + max);
    }
    Objects.requireNonNull(worker, "worker");
    QueueKeys k = keys(queue);
    long deadlineMs = now.plus(timeToRecover).toEpochMilli();
    List<?> reply;
    int calls = 0;
    do {
      reply =
          asList(
              run(
                  LuaScript.FETCH_BATCH,
                  queue,
                  k.all(),
                  List.of(
                      worker,
                      millis(now),
                      Long.toString(deadlineMs),
                      Long.toString(holeGrace.toMillis()),
                      Integer.toString(max))));
    } while (asLong(reply.get(0)) == -2 && ++calls < MAX_CONTINUATIONS);
    if (asLong(reply.get(0)) == -1) {
      return FetchBatch.UNINITIALIZED;
    }
    Instant deadline = Instant.ofEpochMilli(deadlineMs);
    List<Lease> leases = new ArrayList<>((reply.size() - 1) / 4);
    Set<Long> recovered = new HashSet<>();
    Map<Long, String> groups = new HashMap<>();
    for (int i = 1; i + 3 < reply.size(); i += 4) {
      long index = asLong(reply.get(i));
      leases.add(new Lease(worker, index, deadline, Math.toIntExact(asLong(reply.get(i + 1)))));
      if (asLong(reply.get(i + 2)) == 1) {
        recovered.add(index);
      }
      String group = asString(reply.get(i + 3));
      if (!group.isEmpty()) {
        groups.put(index, group);
      }
    }
    long hole = Math.max(0, asLong(reply.get(0)));
    return new FetchBatch(
        leases, hole > 0 ? OptionalLong.of(hole) : OptionalLong.empty(), false, recovered, groups);
  }

  /**
   * {@inheritDoc}
   *
   * <p>One HGET of the worker's field in the queue's batch hash.
   *
   * @throws BackendUnavailableException when Redis fails
   */
  @Override
  public int batchLeaseCount(QueueRef queue, String worker) {
    Objects.requireNonNull(worker, "worker");
    QueueKeys k = keys(queue);
    String count = call("batchLeaseCount", queue, () -> client.hget(k.batch(), worker));
    return count == null ? 0 : Math.max(0, Integer.parseInt(count));
  }

  /**
   * {@inheritDoc}
   *
   * <p>Completions due at {@code now} are included; ties of due time go lowest index first, then by
   * worker id.
   *
   * @throws IllegalArgumentException when {@code limit} is negative
   * @throws BackendUnavailableException when Redis fails; nothing was claimed
   */
  @Override
  public List<PendingCompletion> claimCompletions(
      QueueRef queue, Instant now, Duration claimFor, int limit) {
    if (limit < 0) {
      throw new IllegalArgumentException("limit must be 0 or more, was " + limit);
    }
    QueueKeys k = keys(queue);
    if (limit == 0) {
      return List.of();
    }
    List<?> reply =
        asList(
            run(
                LuaScript.CLAIM_COMPLETIONS,
                queue,
                List.of(k.completions()),
                List.of(millis(now), millis(now.plus(claimFor)), Integer.toString(limit))));
    List<PendingCompletion> claimed = new ArrayList<>(reply.size());
    for (Object member : reply) {
      claimed.add(completionOf(asString(member)));
    }
    return claimed;
  }

  /**
   * {@inheritDoc}
   *
   * <p>One ZREM; forgetting a completion that is not pending does nothing.
   *
   * @throws BackendUnavailableException when Redis fails; the completion stays pending
   */
  @Override
  public void completionDelivered(QueueRef queue, PendingCompletion completion) {
    QueueKeys k = keys(queue);
    String member = completionMember(completion);
    call("completionDelivered", queue, () -> client.zrem(k.completions(), member));
  }

  /**
   * {@inheritDoc}
   *
   * <p>One ZREM of all members; completions that are not pending are ignored, and an empty
   * collection does not contact Redis.
   *
   * @throws BackendUnavailableException when Redis fails; all stay pending
   */
  @Override
  public void completionsDelivered(QueueRef queue, Collection<PendingCompletion> completions) {
    QueueKeys k = keys(queue);
    if (completions.isEmpty()) {
      return;
    }
    String[] members =
        completions.stream().map(RedisBookkeeper::completionMember).toArray(String[]::new);
    call("completionsDelivered", queue, () -> client.zrem(k.completions(), members));
  }

  /**
   * {@inheritDoc}
   *
   * <p>Reads every lease and pending completion of the queue: O(in-flight); the delayed, ready,
   * parked and dead indices are counted, not read, and the lowest of them costs O(log n). A queue
   * never used reads as {@link BookkeeperState#UNINITIALIZED}.
   *
   * @throws BackendUnavailableException when Redis fails
   */
  @Override
  public BookkeeperState state(QueueRef queue) {
    QueueKeys k = keys(queue);
    List<?> reply = asList(run(LuaScript.STATE, queue, k.all(), List.of()));
    if (reply.size() == 1) {
      return BookkeeperState.uninitialized(asLong(reply.get(0)) == 1);
    }
    List<?> flat = asList(reply.get(5));
    List<Lease> leases = new ArrayList<>(flat.size() / 4);
    for (int i = 0; i + 3 < flat.size(); i += 4) {
      leases.add(
          new Lease(
              asString(flat.get(i + 1)),
              asLong(flat.get(i)),
              Instant.ofEpochMilli(asLong(flat.get(i + 2))),
              Math.toIntExact(asLong(flat.get(i + 3)))));
    }
    leases.sort(Comparator.comparingLong(Lease::index));
    List<?> others = asList(reply.get(12));
    Map<Priority, BookkeeperState.LaneState> lanes = new EnumMap<>(Priority.class);
    for (int i = 0; i + 4 < others.size(); i += 5) {
      lanes.put(
          Priority.ofLane(Math.toIntExact(asLong(others.get(i)))),
          new BookkeeperState.LaneState(
              asLong(others.get(i + 1)),
              asLong(others.get(i + 2)),
              asLong(others.get(i + 3)),
              asLong(others.get(i + 4))));
    }
    return new BookkeeperState(
        asLong(reply.get(0)),
        asLong(reply.get(1)),
        asLong(reply.get(2)),
        asLong(reply.get(3)),
        asLong(reply.get(4)),
        true,
        leases,
        asLong(reply.get(6)),
        asLong(reply.get(7)),
        asLong(reply.get(8)),
        asLong(reply.get(9)),
        asLong(reply.get(10)),
        asLong(reply.get(11)) == 1,
        lanes);
  }

  /**
   * {@inheritDoc}
   *
   * <p>The lane is the one {@code fetched} belongs to ({@link Priority#ofIndex}). A negative {@code
   * fetched}, or one beyond the last lane, returns false without contacting Redis.
   *
   * @throws BackendUnavailableException when Redis fails; the pointer did not move
   */
  @Override
  public boolean rewind(QueueRef queue, long fetched) {
    QueueKeys k = keys(queue);
    if (fetched < 0 || fetched >= LANES * Priority.LANE_SIZE) {
      return false;
    }
    Priority lane = Priority.ofIndex(fetched);
    Object reply =
        run(
            LuaScript.REWIND,
            queue,
            List.of(k.n()),
            List.of(Long.toString(fetched), Integer.toString(lane.lane())));
    return asLong(reply) == 1;
  }

  /**
   * {@inheritDoc}
   *
   * <p>One script; leases are processed in ascending index order, so that among several leases of
   * one group the lowest indices take the free slots.
   *
   * @throws InvalidArgumentException naming {@code groups} when it is null, holds a null index, or
   *     a group that is not 1 to 100 letters, digits, '.', '_' and '-' starting with a letter or
   *     digit (as {@code NewTask.group} allows); nothing changed
   * @throws BackendUnavailableException when Redis fails; nothing was admitted or parked
   */
  @Override
  public Set<Long> admit(QueueRef queue, String worker, Map<Long, String> groups, Instant now) {
    Objects.requireNonNull(worker, "worker");
    if (groups == null) {
      throw new InvalidArgumentException("groups", "must not be null");
    }
    TreeMap<Long, String> sorted = new TreeMap<>();
    for (Map.Entry<Long, String> e : groups.entrySet()) {
      if (e.getKey() == null) {
        throw new InvalidArgumentException("groups", "must not hold a null index");
      }
      sorted.put(e.getKey(), Validation.queueId("groups", e.getValue()));
    }
    QueueKeys k = keys(queue);
    if (sorted.isEmpty()) {
      return Set.of();
    }
    List<String> args = new ArrayList<>(1 + 2 * sorted.size());
    args.add(worker);
    sorted.forEach(
        (index, group) -> {
          args.add(Long.toString(index));
          args.add(group);
        });
    List<?> reply = asList(run(LuaScript.ADMIT, queue, k.all(), args));
    Set<Long> admitted = new LinkedHashSet<>();
    for (Object index : reply) {
      admitted.add(asLong(index));
    }
    return admitted;
  }

  /**
   * {@inheritDoc}
   *
   * <p>One script: the lease's value and its member of the deadline set.
   *
   * @throws InvalidArgumentException naming {@code deadline} when it is null
   * @throws BackendUnavailableException when Redis fails; the deadline did not move
   */
  @Override
  public boolean extend(QueueRef queue, String worker, long index, Instant deadline) {
    Objects.requireNonNull(worker, "worker");
    if (deadline == null) {
      throw new InvalidArgumentException("deadline", "must not be null");
    }
    QueueKeys k = keys(queue);
    Object reply =
        run(
            LuaScript.EXTEND,
            queue,
            List.of(k.lease(), k.deadline()),
            List.of(worker, Long.toString(index), millis(deadline)));
    return asLong(reply) == 1;
  }

  /**
   * {@inheritDoc}
   *
   * <p>One script. The released index costs a member of the delayed or ready set and an info field
   * until it is leased again.
   *
   * @throws InvalidArgumentException naming {@code dueAt} when it is null
   * @throws BackendUnavailableException when Redis fails; the lease is still held
   */
  @Override
  public Optional<Lease> release(
      QueueRef queue, String worker, long index, Instant dueAt, Instant now) {
    Objects.requireNonNull(worker, "worker");
    if (dueAt == null) {
      throw new InvalidArgumentException("dueAt", "must not be null");
    }
    QueueKeys k = keys(queue);
    List<?> reply =
        asList(
            run(
                LuaScript.RELEASE,
                queue,
                k.all(),
                List.of(worker, Long.toString(index), millis(dueAt), millis(now), channel(queue))));
    if (reply.isEmpty()) {
      return Optional.empty();
    }
    return Optional.of(
        new Lease(
            worker,
            index,
            Instant.ofEpochMilli(asLong(reply.get(0))),
            Math.toIntExact(asLong(reply.get(1)))));
  }

  /**
   * {@inheritDoc}
   *
   * <p>One script; the dead letter is kept to the millisecond ({@code now} is truncated).
   *
   * @throws BackendUnavailableException when Redis fails; the lease is still held
   */
  @Override
  public Optional<DeadEntry> deadLetter(
      QueueRef queue, String worker, long index, Optional<Instant> completionDueAt, Instant now) {
    Objects.requireNonNull(worker, "worker");
    QueueKeys k = keys(queue);
    long nowMs = now.toEpochMilli();
    List<?> reply =
        asList(
            run(
                LuaScript.DEAD_LETTER,
                queue,
                k.all(),
                List.of(
                    worker,
                    Long.toString(index),
                    completionDueAt.map(RedisBookkeeper::millis).orElse(""),
                    Long.toString(nowMs),
                    channel(queue))));
    if (reply.isEmpty()) {
      return Optional.empty();
    }
    return Optional.of(
        new DeadEntry(
            index, Math.toIntExact(asLong(reply.get(0))), worker, Instant.ofEpochMilli(nowMs)));
  }

  /**
   * {@inheritDoc}
   *
   * <p>One script of O(limit log n); ties of time go lowest index first.
   *
   * @throws InvalidArgumentException naming {@code limit} when it is negative
   * @throws BackendUnavailableException when Redis fails
   */
  @Override
  public List<DeadEntry> deadLetters(QueueRef queue, int limit) {
    if (limit < 0) {
      throw new InvalidArgumentException("limit", "must be 0 or more, was " + limit);
    }
    QueueKeys k = keys(queue);
    if (limit == 0) {
      return List.of();
    }
    List<?> reply =
        asList(
            run(
                LuaScript.DEAD_LETTERS,
                queue,
                List.of(k.dead(), k.info()),
                List.of(Integer.toString(limit))));
    List<DeadEntry> dead = new ArrayList<>(reply.size() / 4);
    for (int i = 0; i + 3 < reply.size(); i += 4) {
      dead.add(
          new DeadEntry(
              asLong(reply.get(i)),
              Math.toIntExact(asLong(reply.get(i + 1))),
              asString(reply.get(i + 2)),
              Instant.ofEpochMilli(asLong(reply.get(i + 3)))));
    }
    return dead;
  }

  /**
   * {@inheritDoc}
   *
   * @throws BackendUnavailableException when Redis fails; the dead letter stays
   */
  @Override
  public boolean requeue(QueueRef queue, long index, Instant now) {
    QueueKeys k = keys(queue);
    Object reply =
        run(
            LuaScript.REQUEUE,
            queue,
            List.of(k.dead(), k.ready(), k.info(), k.aside()),
            List.of(Long.toString(index), channel(queue)));
    return asLong(reply) == 1;
  }

  /**
   * {@inheritDoc}
   *
   * @throws BackendUnavailableException when Redis fails; the dead letter stays
   */
  @Override
  public boolean discard(QueueRef queue, long index) {
    QueueKeys k = keys(queue);
    Object reply =
        run(
            LuaScript.DISCARD,
            queue,
            List.of(k.dead(), k.info(), k.aside()),
            List.of(Long.toString(index)));
    return asLong(reply) == 1;
  }

  /**
   * {@inheritDoc}
   *
   * <p>The same script as {@link #ackAll}, in its expire mode: no completion, no done signal, and
   * the queue's {@code expired} counter goes up by the number released.
   *
   * @throws BackendUnavailableException when Redis fails; no lease was released
   */
  @Override
  public Set<Long> expire(QueueRef queue, String worker, Collection<Long> indices) {
    return release("expire", queue, worker, indices, "");
  }

  /**
   * {@inheritDoc}
   *
   * @throws BackendUnavailableException when Redis fails; the state did not change
   */
  @Override
  public boolean pause(QueueRef queue, boolean paused) {
    QueueKeys k = keys(queue);
    Object reply =
        run(LuaScript.PAUSE, queue, List.of(k.n()), List.of(paused ? "1" : "0", channel(queue)));
    return asLong(reply) == 1;
  }

  /**
   * {@inheritDoc}
   *
   * <p>One script; settings equal to 0 are stored as absent fields. Raising the group limit (or
   * setting 0) moves as many parked indices of each group to the ready set as now fit, and
   * publishes a work signal.
   *
   * @throws InvalidArgumentException naming {@code settings} when it is null
   * @throws BackendUnavailableException when Redis fails; the settings did not change
   */
  @Override
  public void configure(QueueRef queue, QueueSettings settings) {
    if (settings == null) {
      throw new InvalidArgumentException("settings", "must not be null");
    }
    QueueKeys k = keys(queue);
    run(
        LuaScript.CONFIGURE,
        queue,
        k.all(),
        List.of(
            Integer.toString(settings.maxDeliveries()),
            Integer.toString(settings.groupLimit()),
            channel(queue)));
  }

  /**
   * {@inheritDoc}
   *
   * <p>One HMGET.
   *
   * @throws BackendUnavailableException when Redis fails
   */
  @Override
  public QueueSettings settings(QueueRef queue) {
    QueueKeys k = keys(queue);
    List<String> values =
        call("settings", queue, () -> client.hmget(k.n(), "maxDeliveries", "groupLimit"));
    return new QueueSettings(setting(values.get(0)), setting(values.get(1)));
  }

  private static int setting(@Nullable String value) {
    return value == null ? 0 : Integer.parseInt(value);
  }

  /**
   * {@inheritDoc}
   *
   * <p>One DEL of every key the queue can have (the set of keys is fixed, see {@link QueueKeys}).
   *
   * @throws BackendUnavailableException when Redis fails; nothing was deleted
   */
  @Override
  public void purge(QueueRef queue) {
    QueueKeys k = keys(queue);
    run(LuaScript.PURGE, queue, k.all(), List.of());
  }

  /**
   * {@inheritDoc}
   *
   * <p>Redis pub/sub on the channels the scripts publish ({@code <prefix>:{owner/service}:work} and
   * {@code :done}): one {@link RedisSignals} on this bookkeeper's client, created on the first
   * call, holding one connection of the client once subscribed, and closed by {@link #close()}.
   *
   * @return the signals, always present
   * @throws IllegalStateException when the bookkeeper is closed
   */
  @Override
  public Optional<Signals> signals() {
    synchronized (this) {
      if (closed) {
        throw new IllegalStateException(this + " is closed");
      }
      if (signals == null) {
        signals = new RedisSignals(client, keyPrefix);
      }
      return Optional.of(signals);
    }
  }

  /**
   * The key prefix.
   *
   * @return the prefix of every key, without the trailing colon
   */
  public String keyPrefix() {
    return keyPrefix;
  }

  /**
   * Whether {@link #close()} closes the client.
   *
   * @return true for a client built by {@link #connect}, false for one given with {@link
   *     #of(UnifiedJedis)} or {@link Builder#client}
   */
  public boolean ownsClient() {
    return ownsClient;
  }

  /**
   * Closes the client if the bookkeeper owns it (built by {@link #connect}); a client given by the
   * application stays open; the {@link #signals()} are closed first. Idempotent. Later calls of the
   * SPI's methods throw {@link IllegalStateException}. Redis' data is untouched.
   */
  @Override
  public void close() {
    if (closed) {
      return;
    }
    closed = true;
    RedisSignals open;
    synchronized (this) {
      open = signals;
      signals = null;
    }
    if (open != null) {
      try {
        open.close();
      } catch (RuntimeException e) {
        LOG.debug("closing the Redis signals of the bookkeeper failed", e);
      }
    }
    if (ownsClient) {
      try {
        client.close();
      } catch (RuntimeException e) {
        LOG.debug("closing the Redis client of the bookkeeper failed", e);
      }
    }
  }

  @Override
  public String toString() {
    return "RedisBookkeeper["
        + endpoint
        + ", keyPrefix "
        + keyPrefix
        + (ownsClient ? ", owns its client" : "")
        + (closed ? ", closed" : "")
        + "]";
  }

  // ------------------------------------------------------------------------------ internals

  /** The start of the queue's pub/sub channels: {@code <prefix>:{owner/service}:}. */
  private String channel(QueueRef queue) {
    return QueueKeys.base(keyPrefix, queue);
  }

  private QueueKeys keys(QueueRef queue) {
    Objects.requireNonNull(queue, "queue");
    if (closed) {
      throw new IllegalStateException(this + " is closed");
    }
    return QueueKeys.of(keyPrefix, queue);
  }

  /**
   * Runs a script by EVALSHA; on NOSCRIPT loads it on the node of the queue's keys and retries
   * once.
   */
  private Object run(LuaScript script, QueueRef queue, List<String> keys, List<String> args) {
    return call(
        script.name(),
        queue,
        () -> {
          try {
            return client.evalsha(script.sha1(), keys, args);
          } catch (JedisNoScriptException e) {
            LOG.debug("Redis does not know {}; loading it", script);
            String sha = client.scriptLoad(script.source(), keys.get(0));
            if (!script.sha1().equalsIgnoreCase(sha)) {
              throw new IllegalStateException(
                  "Redis named " + script + " " + sha + ", expected " + script.sha1());
            }
            return client.evalsha(script.sha1(), keys, args);
          }
        });
  }

  private interface RedisCall<T> {
    T call();
  }

  private <T> T call(String step, QueueRef queue, RedisCall<T> redisCall) {
    try {
      return redisCall.call();
    } catch (JedisException e) {
      if (e instanceof JedisConnectionException) {
        dropIdleConnections();
      }
      throw unavailable(step, queue, e);
    }
  }

  /**
   * After a connection failure the other idle connections of an owned pool are most likely dead too
   * (Redis restarted or the network broke): drop them, so that the next calls open fresh ones
   * instead of each failing once on a stale one. Nothing is retried here: a script whose answer was
   * lost may have run.
   */
  private void dropIdleConnections() {
    if (ownsClient && client instanceof JedisPooled pooled) {
      try {
        pooled.getPool().clear();
      } catch (RuntimeException e) {
        LOG.debug("could not drop the idle Redis connections", e);
      }
    }
  }

  /** Translates a Jedis failure into a message that says what failed and what to check. */
  private BackendUnavailableException unavailable(String step, QueueRef queue, JedisException e) {
    String what = step + " on queue " + queue + ": ";
    String detail = Objects.requireNonNullElse(e.getMessage(), e.getClass().getSimpleName());
    String upper = detail.toUpperCase(Locale.ROOT);
    String message;
    if (e instanceof JedisConnectionException) {
      if (hasCause(e, SocketTimeoutException.class)) {
        message =
            endpoint
                + " did not answer in time ("
                + rootMessage(e)
                + "); the step ran entirely or not at all. Check the server's load (SLOWLOG,"
                + " a long script or command), the network, and the client's socket timeout";
      } else {
        message =
            "could not reach "
                + endpoint
                + " ("
                + rootMessage(e)
                + "); check that redis-server is running and reachable from this host, and the"
                + " host, port, password and TLS settings";
      }
    } else if (e instanceof JedisAccessControlException) {
      message =
          endpoint
              + " refused the credentials or the command ("
              + detail
              + "); check the user and password, and that its ACL allows EVALSHA, SCRIPT LOAD"
              + " and ZREM";
    } else if (e instanceof JedisBusyException) {
      message =
          endpoint
              + " is busy running a long script ("
              + detail
              + "); check SLOWLOG and lua-time-limit, then retry";
    } else if (e instanceof JedisClusterOperationException) {
      message =
          "the Redis Cluster ("
              + endpoint
              + ") did not serve the queue's slot ("
              + detail
              + "); check that all its nodes are up and the cluster state is ok";
    } else if (e instanceof JedisDataException && upper.startsWith("OOM")) {
      message =
          endpoint
              + " is out of memory and refused the write ("
              + detail
              + "); raise maxmemory, and keep maxmemory-policy noeviction (evicting bookkeeping"
              + " keys would lose leases)";
    } else if (e instanceof JedisDataException && upper.startsWith("READONLY")) {
      message =
          endpoint
              + " is a read-only replica ("
              + detail
              + "); point the bookkeeper at the primary";
    } else if (e instanceof JedisDataException && upper.startsWith("MISCONF")) {
      message =
          endpoint
              + " cannot persist and refuses writes ("
              + detail
              + "); check its disk space and its AOF settings (appendonly yes)";
    } else if (e instanceof JedisDataException && upper.startsWith("LOADING")) {
      message =
          endpoint + " is still loading its data after a restart (" + detail + "); retry shortly";
    } else if (e instanceof JedisDataException && upper.startsWith("CLUSTERDOWN")) {
      message = "the Redis Cluster is down (" + detail + "); check its nodes and slots";
    } else if (e instanceof JedisDataException
        && (upper.contains("WRONGTYPE") || upper.contains("SCRIPT"))) {
      message =
          endpoint
              + " failed the bookkeeping script ("
              + detail
              + "); check that nothing else writes keys under '"
              + keyPrefix
              + ":{"
              + queue.owner()
              + "/"
              + queue.service()
              + "}:'";
    } else if (e instanceof JedisDataException) {
      message = endpoint + " refused the step (" + detail + ")";
    } else {
      message =
          "the Redis client failed talking to "
              + endpoint
              + " ("
              + detail
              + (e.getCause() != null ? ": " + rootMessage(e) : "")
              + "); check that redis-server is running and reachable, and the client's pool"
              + " size and timeouts";
    }
    return new BackendUnavailableException(BACKEND, what + message, e);
  }

  private static boolean hasCause(Throwable e, Class<? extends Throwable> type) {
    for (Throwable t = e; t != null; t = t.getCause()) {
      if (type.isInstance(t)) {
        return true;
      }
      if (t.getCause() == t) {
        break;
      }
    }
    return false;
  }

  private static String rootMessage(Throwable e) {
    Throwable root = e;
    while (root.getCause() != null && root.getCause() != root) {
      root = root.getCause();
    }
    String m = root.getMessage();
    return m != null ? m : root.getClass().getSimpleName();
  }

  private static String millis(Instant t) {
    return Long.toString(t.toEpochMilli());
  }

  /** The completions zset's member: the index zero-padded to 16 digits (numeric order), worker. */
  static String completionMember(PendingCompletion c) {
    return String.format(Locale.ROOT, "%016d|%s", c.index(), c.worker());
  }

  static PendingCompletion completionOf(String member) {
    int bar = member.indexOf('|');
    return new PendingCompletion(
        Long.parseLong(member.substring(0, bar)), member.substring(bar + 1));
  }

  private static long asLong(Object reply) {
    if (reply instanceof Long l) {
      return l;
    }
    throw new IllegalStateException("unexpected reply from Redis: " + reply);
  }

  private static List<?> asList(Object reply) {
    if (reply instanceof List<?> list) {
      return list;
    }
    throw new IllegalStateException("unexpected reply from Redis: " + reply);
  }

  private static String asString(Object reply) {
    if (reply instanceof String s) {
      return s;
    }
    if (reply instanceof byte[] b) {
      return new String(b, StandardCharsets.UTF_8);
    }
    throw new IllegalStateException("unexpected reply from Redis: " + reply);
  }
}
