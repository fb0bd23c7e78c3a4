package io.workqueue.examples;

import java.time.Duration;
import picocli.CommandLine.Option;
import picocli.CommandLine.ScopeType;

/**
 * Where the servers are: the same flags (and environment variables, see {@link Environment}) for
 * the demo and the CLI.
 */
final class ServerOptions {
  @Option(
      names = "--cassandra",
      paramLabel = "HOST:PORT",
      converter = HostPort.Cassandra.class,
      scope = ScopeType.INHERIT,
      description = "Cassandra contact point (env " + Environment.CASSANDRA + ").")
  HostPort cassandra;

  @Option(
      names = "--redis",
      paramLabel = "HOST:PORT",
      converter = HostPort.Redis.class,
      scope = ScopeType.INHERIT,
      description = "Redis endpoint (env " + Environment.REDIS + ").")
  HostPort redis;

  @Option(
      names = "--datacenter",
      paramLabel = "NAME",
      defaultValue = "datacenter1",
      scope = ScopeType.INHERIT,
      description =
          "Cassandra's local datacenter (env "
              + Environment.DATACENTER
              + "; default ${DEFAULT-VALUE}).")
  String datacenter;

  @Option(
      names = "--keyspace",
      paramLabel = "NAME",
      defaultValue = "workqueue",
      scope = ScopeType.INHERIT,
      description =
          "Cassandra keyspace of the queue's tables (env "
              + Environment.KEYSPACE
              + "; default ${DEFAULT-VALUE}).")
  String keyspace;

  @Option(
      names = "--request-timeout",
      paramLabel = "DURATION",
      defaultValue = "5s",
      converter = Converters.Time.class,
      scope = ScopeType.INHERIT,
      description = "Timeout of each request to Cassandra and Redis (default ${DEFAULT-VALUE}).")
  Duration timeout;
}
