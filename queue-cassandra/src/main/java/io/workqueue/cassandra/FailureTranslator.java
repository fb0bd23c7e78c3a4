package io.workqueue.cassandra;

import com.datastax.oss.driver.api.core.AllNodesFailedException;
import com.datastax.oss.driver.api.core.DriverException;
import com.datastax.oss.driver.api.core.DriverTimeoutException;
import com.datastax.oss.driver.api.core.InvalidKeyspaceException;
import com.datastax.oss.driver.api.core.NoNodeAvailableException;
import com.datastax.oss.driver.api.core.RequestThrottlingException;
import com.datastax.oss.driver.api.core.auth.AuthenticationException;
import com.datastax.oss.driver.api.core.connection.BusyConnectionException;
import com.datastax.oss.driver.api.core.connection.ClosedConnectionException;
import com.datastax.oss.driver.api.core.connection.HeartbeatException;
import com.datastax.oss.driver.api.core.servererrors.BootstrappingException;
import com.datastax.oss.driver.api.core.servererrors.CoordinatorException;
import com.datastax.oss.driver.api.core.servererrors.InvalidQueryException;
import com.datastax.oss.driver.api.core.servererrors.OverloadedException;
import com.datastax.oss.driver.api.core.servererrors.QueryConsistencyException;
import com.datastax.oss.driver.api.core.servererrors.UnauthorizedException;
import com.datastax.oss.driver.api.core.servererrors.UnavailableException;
import io.workqueue.BackendUnavailableException;
import io.workqueue.QueueException;
import java.util.List;
import java.util.concurrent.CancellationException;
import java.util.concurrent.CompletionException;
import java.util.concurrent.ExecutionException;

/**
 * Turns driver exceptions into {@link BackendUnavailableException}s whose message says what failed
 * and what to check. Stateless apart from the description of the connection, thread-safe.
 */
final class FailureTranslator {

  static final String BACKEND = "cassandra";

  private final String connection;
  private final String keyspace;

  /**
   * @param connection how the session was made, for messages (contact points and datacenter, or "a
   *     session given by the application")
   * @param keyspace the store's keyspace
   */
  FailureTranslator(String connection, String keyspace) {
    this.connection = connection;
    this.keyspace = keyspace;
  }

  /**
   * Translates a failure.
   *
   * @param what what the store was doing, e.g. "put of 3 tasks of owner/service"
   * @param failure the failure, possibly wrapped by a future
   * @return the exception to throw; a {@link QueueException} passes through unchanged
   */
  RuntimeException translate(String what, Throwable failure) {
    Throwable t = unwrap(failure);
    if (t instanceof QueueException q) {
      return q;
    }
    return new BackendUnavailableException(BACKEND, what + " failed: " + explain(t), t);
  }

  static Throwable unwrap(Throwable failure) {
    Throwable t = failure;
    while ((t instanceof CompletionException || t instanceof ExecutionException)
        && t.getCause() != null) {
      t = t.getCause();
    }
    return t;
  }

  /**
   * The error that says most: the driver retries some server errors on the next node (too few
   * replicas, overload) and then reports them inside an {@link AllNodesFailedException}.
   */
  static Throwable mostTelling(Throwable t) {
    if (t instanceof AllNodesFailedException all && !(t instanceof NoNodeAvailableException)) {
      for (List<Throwable> errors : all.getAllErrors().values()) {
        for (Throwable e : errors) {
          if (e instanceof CoordinatorException || e instanceof DriverTimeoutException) {
            return e;
          }
        }
      }
    }
    return t;
  }

  private String explain(Throwable failure) {
    Throwable t = mostTelling(failure);
    String cause = describe(t);
    if (t instanceof NoNodeAvailableException) {
      return cause
          + ". No node of the local datacenter could take the request: check that Cassandra"
          + " runs and is reachable ("
          + connection
          + ") and that the local datacenter name matches the cluster's"
          + " (SELECT data_center FROM system.local)";
    }
    if (t instanceof AllNodesFailedException) {
      return cause
          + ". Check that Cassandra runs and is reachable ("
          + connection
          + ") and that the local datacenter name matches the cluster's";
    }
    if (t instanceof DriverTimeoutException) {
      return cause
          + ". The request timed out in the client: check the nodes' health and load, and the"
          + " store's requestTimeout setting ("
          + connection
          + ")";
    }
    if (t instanceof UnavailableException || t instanceof QueryConsistencyException) {
      return cause
          + ". Too few replicas answered: check that the nodes of keyspace '"
          + keyspace
          + "' are up, and that its replication factor allows the store's consistency level"
          + " (LOCAL_QUORUM needs 2 of 3 replicas in the local datacenter)";
    }
    if (t instanceof InvalidKeyspaceException || isMissingSchema(t)) {
      return cause
          + ". The schema is missing: run CassandraTaskStore.createSchema() once, or apply"
          + " io/workqueue/cassandra/schema.cql (keyspace '"
          + keyspace
          + "')";
    }
    if (t instanceof OverloadedException
        || t instanceof BootstrappingException
        || t instanceof RequestThrottlingException
        || t instanceof BusyConnectionException) {
      return cause + ". The cluster or the client is overloaded: retry later, check the load";
    }
    if (t instanceof ClosedConnectionException || t instanceof HeartbeatException) {
      return cause
          + ". A connection was lost: check the nodes and the network ("
          + connection
          + ")";
    }
    if (t instanceof AuthenticationException || t instanceof UnauthorizedException) {
      return cause
          + ". Check the credentials and the permissions on keyspace '"
          + keyspace
          + "' (driver configuration advanced.auth-provider)";
    }
    if (t instanceof IllegalStateException && String.valueOf(t.getMessage()).contains("closed")) {
      return cause + ". The CqlSession was closed; a closed session cannot be reopened";
    }
    if (t instanceof CancellationException) {
      return cause + ". The request was cancelled";
    }
    if (t instanceof DriverException) {
      return cause + ". Check Cassandra (" + connection + ")";
    }
    return cause;
  }

  static boolean isMissingSchema(Throwable t) {
    if (!(t instanceof InvalidQueryException)) {
      return false;
    }
    String m = String.valueOf(t.getMessage());
    return m.contains("does not exist") || m.contains("unconfigured table");
  }

  private static String describe(Throwable t) {
    String message = t.getMessage();
    String name = t.getClass().getSimpleName();
    if (message == null || message.isBlank()) {
      return name;
    }
    // keep messages short: AllNodesFailedException lists every node's errors with stack traces
    String firstLine = message.lines().findFirst().orElse(message).strip();
    if (firstLine.length() > 500) {
      firstLine = firstLine.substring(0, 500) + "...";
    }
    return name + ": " + firstLine;
  }
}
