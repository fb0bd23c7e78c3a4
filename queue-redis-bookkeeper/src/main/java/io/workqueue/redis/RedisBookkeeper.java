package io.workqueue.redis;

import io.workqueue.BackendUnavailableException;
import io.workqueue.InvalidArgumentException;
import io.workqueue.Lease;
import io.workqueue.QueueRef;
import io.workqueue.spi.Bookkeeper;
import io.workqueue.spi.BookkeeperState;
import io.workqueue.spi.Fetch;
import io.workqueue.spi.FetchBatch;
import io.workqueue.spi.PendingCompletion;
import java.net.SocketTimeoutException;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Collection;
import java.util.Comparator;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Locale;
import java.util.Objects;
import java.util.Optional;
import java.util.OptionalLong;
import java.util.Set;
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
 * wq:{owner/service}:n            hash  allocated, fetched
 * wq:{owner/service}:pending      zset  score index, member "index|allocation ms"
 * wq:{owner/service}:skipped      zset  member index, score when skipped (trimmed after 1 day)
 * wq:{owner/service}:lease        hash  index -&gt; "worker|deadline ms|deliveries|s" (or "|b": batch)
 * wq:{owner/service}:deadline     zset  member index (16 digits, zero-padded), score deadline ms
 * wq:{owner/service}:holder       hash  worker -&gt; index (the single-task path)
 * wq:{owner/service}:batch        hash  worker -&gt; number of batch leases it holds
 * wq:{owner/service}:completions  zset  member "padded index|worker", score due ms
 * </pre>
 *
 * <p>Memory per queue is O(workers + in-flight + pending): committed tasks that wait to be fetched
 * cost no bytes here (the backlog is the range between the {@code fetched} pointer and the lowest
 * pending index). No script on the fetch path reads all leases or all workers; {@link #state} reads
 * all leases, O(in-flight), for information.
 *
 * <h2>Scripts</h2>
 *
 * <p>The scripts live in {@code io/workqueue/redis/*.lua} on the classpath. Each call is an EVALSHA
 * of the script's SHA-1; when Redis answers NOSCRIPT (a new or restarted server, SCRIPT FLUSH, a
 * cluster node that has not seen it yet) the script is loaded with SCRIPT LOAD on the node of the
 * queue's keys and the call is retried once.
 *
 * <h2>Time</h2>
 *
 * <p>All times come from the caller ({@code now}), never from Redis' clock, and are kept in whole
 * epoch milliseconds ({@link Instant#toEpochMilli()}); durations are rounded down to milliseconds.
 * Indices are exact up to 2<sup>53</sup> - 1 (Lua numbers are doubles).
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

  private final UnifiedJedis client;
  private final boolean ownsClient;
  private final String keyPrefix;
  private final String endpoint;
  private volatile boolean closed;

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
   * @throws IllegalArgumentException when {@code count} is below 1
   * @throws BackendUnavailableException when Redis fails; nothing was allocated
   */
  @Override
  public long allocate(QueueRef queue, int count, Instant now) {
    if (count < 1) {
      throw new IllegalArgumentException("count must be 1 or more");
    }
    QueueKeys k = keys(queue);
    Object reply =
        run(
            LuaScript.ALLOCATE,
            queue,
            List.of(k.n(), k.pending()),
            List.of(Integer.toString(count), millis(now)));
    return asLong(reply);
  }

  /**
   * {@inheritDoc}
   *
   * <p>A kept hole is remembered for one day after it was resolved (so that the set stays tiny); a
   * commit arriving later than that returns false. An empty range ({@code count} below 1) returns
   * true.
   *
   * @throws BackendUnavailableException when Redis fails; nothing was committed
   */
  @Override
  public boolean initialize(QueueRef queue, long allocated, long replayFrom, long replayTo) {
    if (allocated < 0 || replayTo > allocated || replayFrom < 1 || replayFrom > replayTo + 1) {
      throw new IllegalArgumentException(
          "need 0 <= allocated, replayTo <= allocated, 1 <= replayFrom <= replayTo + 1; got "
              + allocated
              + ", "
              + replayFrom
              + ", "
              + replayTo);
    }
    QueueKeys k = keys(queue);
    Object reply =
        run(
            LuaScript.INITIALIZE,
            queue,
            List.of(k.n()),
            List.of(Long.toString(allocated), Long.toString(replayFrom), Long.toString(replayTo)));
    return asLong(reply) == 1;
  }

  /**
   * {@inheritDoc}
   *
   * <p>A kept hole is remembered for one day after it was resolved.
   *
   * @throws BackendUnavailableException when Redis fails; nothing was committed
   */
  @Override
  public boolean commit(QueueRef queue, long first, int count) {
    QueueKeys k = keys(queue);
    Object reply =
        run(
            LuaScript.COMMIT,
            queue,
            List.of(k.pending(), k.kept()),
            List.of(Long.toString(first), Integer.toString(count)));
    return asLong(reply) == 1;
  }

  /**
   * {@inheritDoc}
   *
   * <p>One script of O(log n) commands in the queue's leases and pending indices: the worker's
   * holder entry, the earliest deadline ({@code ZRANGEBYSCORE deadline -inf now LIMIT 0 1}), the
   * lowest pending index, and the indices right after the pointer.
   *
   * @throws BackendUnavailableException when Redis fails; no lease was handed out
   */
  @Override
  public Fetch fetch(
      QueueRef queue, String worker, Instant now, Duration timeToRecover, Duration holeGrace) {
    Objects.requireNonNull(worker, "worker");
    QueueKeys k = keys(queue);
    long deadline = now.plus(timeToRecover).toEpochMilli();
    List<?> reply =
        asList(
            run(
                LuaScript.FETCH,
                queue,
                leaseKeys(k),
                List.of(
                    worker,
                    millis(now),
                    Long.toString(deadline),
                    Long.toString(holeGrace.toMillis()))));
    long kind = asLong(reply.get(0));
    if (kind == 1) {
      Lease lease =
          new Lease(
              worker,
              asLong(reply.get(1)),
              Instant.ofEpochMilli(asLong(reply.get(2))),
              Math.toIntExact(asLong(reply.get(3))));
      return new Fetch.Leased(lease, asLong(reply.get(4)) == 1);
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
   * <p>One script: the holder lookup and the release in one round trip.
   *
   * @throws BackendUnavailableException when Redis fails; the lease is still held
   */
  @Override
  public OptionalLong ackHeld(QueueRef queue, String worker) {
    Objects.requireNonNull(worker, "worker");
    QueueKeys k = keys(queue);
    long index =
        asLong(
            run(
                LuaScript.ACK_HELD,
                queue,
                List.of(k.holder(), k.lease(), k.deadline()),
                List.of(worker)));
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
   * (an empty collection returns an empty set without contacting Redis).
   *
   * @throws BackendUnavailableException when Redis fails; no lease was released and no completion
   *     recorded
   */
  @Override
  public Set<Long> ackAll(
      QueueRef queue, String worker, Collection<Long> indices, Optional<Instant> completionDueAt) {
    Objects.requireNonNull(worker, "worker");
    QueueKeys k = keys(queue);
    if (indices.isEmpty()) {
      return Set.of();
    }
    List<String> args = new ArrayList<>(indices.size() + 2);
    args.add(worker);
    args.add(completionDueAt.map(RedisBookkeeper::millis).orElse(""));
    for (Long index : indices) {
      args.add(Long.toString(index));
    }
    List<?> reply =
        asList(
            run(
                LuaScript.ACK,
                queue,
                List.of(k.lease(), k.deadline(), k.holder(), k.completions(), k.batch()),
                args));
    Set<Long> acked = new LinkedHashSet<>();
    for (Object index : reply) {
      acked.add(asLong(index));
    }
    return acked;
  }

  /**
   * {@inheritDoc}
   *
   * <p>One script of O(max log n): expired leases one by one by earliest deadline, then fresh
   * indices after the pointer. Every lease of the batch has the deadline {@code now +
   * timeToRecover}.
   *
   * @throws IllegalArgumentException when {@code max} is below 1
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
      throw new IllegalArgumentException("max must be 1 or more");
    }
    Objects.requireNonNull(worker, "worker");
    QueueKeys k = keys(queue);
    long deadlineMs = now.plus(timeToRecover).toEpochMilli();
    List<?> reply =
        asList(
            run(
                LuaScript.FETCH_BATCH,
                queue,
                leaseKeys(k),
                List.of(
                    worker,
                    millis(now),
                    Long.toString(deadlineMs),
                    Long.toString(holeGrace.toMillis()),
                    Integer.toString(max))));
    if (asLong(reply.get(0)) < 0) {
      return FetchBatch.UNINITIALIZED;
    }
    Instant deadline = Instant.ofEpochMilli(deadlineMs);
    List<Lease> leases = new ArrayList<>((reply.size() - 1) / 2);
    for (int i = 1; i + 1 < reply.size(); i += 2) {
      leases.add(
          new Lease(
              worker, asLong(reply.get(i)), deadline, Math.toIntExact(asLong(reply.get(i + 1)))));
    }
    long hole = asLong(reply.get(0));
    return new FetchBatch(leases, hole > 0 ? OptionalLong.of(hole) : OptionalLong.empty());
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
   * <p>Reads every lease of the queue: O(in-flight). A queue never used reads as zeros and no
   * leases.
   *
   * @throws BackendUnavailableException when Redis fails
   */
  @Override
  public BookkeeperState state(QueueRef queue) {
    QueueKeys k = keys(queue);
    List<?> reply =
        asList(
            run(
                LuaScript.STATE,
                queue,
                List.of(k.n(), k.pending(), k.lease(), k.skipped(), k.completions()),
                List.of()));
    if (reply.isEmpty()) {
      return BookkeeperState.UNINITIALIZED;
    }
    List<?> flat = asList(reply.get(5));
    List<Lease> leases = new ArrayList<>(flat.size() / 2);
    for (int i = 0; i + 1 < flat.size(); i += 2) {
      leases.add(leaseOf(Long.parseLong(asString(flat.get(i))), asString(flat.get(i + 1))));
    }
    leases.sort(Comparator.comparingLong(Lease::index));
    return new BookkeeperState(
        asLong(reply.get(0)),
        asLong(reply.get(1)),
        asLong(reply.get(2)),
        asLong(reply.get(3)),
        asLong(reply.get(4)),
        true,
        leases);
  }

  /**
   * {@inheritDoc}
   *
   * <p>A negative {@code fetched} returns false without contacting Redis.
   *
   * @throws BackendUnavailableException when Redis fails; the pointer did not move
   */
  @Override
  public boolean rewind(QueueRef queue, long fetched) {
    QueueKeys k = keys(queue);
    if (fetched < 0) {
      return false;
    }
    Object reply = run(LuaScript.REWIND, queue, List.of(k.n()), List.of(Long.toString(fetched)));
    return asLong(reply) == 1;
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
   * application stays open. Idempotent. Later calls of the SPI's methods throw {@link
   * IllegalStateException}. Redis' data is untouched.
   */
  @Override
  public void close() {
    if (closed) {
      return;
    }
    closed = true;
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

  /** The keys of fetch.lua and fetch_batch.lua, in their order. */
  private static List<String> leaseKeys(QueueKeys k) {
    return List.of(k.n(), k.pending(), k.skipped(), k.lease(), k.deadline(), k.holder(), k.batch());
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

  /** Parses a lease hash value {@code "worker|deadline ms|deliveries|s"} (or {@code |b}). */
  static Lease leaseOf(long index, String value) {
    int mode = value.lastIndexOf('|');
    int deliveries = value.lastIndexOf('|', mode - 1);
    int deadline = value.lastIndexOf('|', deliveries - 1);
    return new Lease(
        value.substring(0, deadline),
        index,
        Instant.ofEpochMilli(Long.parseLong(value.substring(deadline + 1, deliveries))),
        Integer.parseInt(value.substring(deliveries + 1, mode)));
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
