/**
 * Real Redis and Cassandra servers for tests, started as child processes on free ports.
 *
 * <p>{@link io.workqueue.testservers.RedisServer#shared()} and {@link
 * io.workqueue.testservers.CassandraNode#shared()} give one server of each kind per test JVM;
 * {@code start(Options)} gives private servers for fault tests ({@code kill9()}, {@code
 * restart()}). Set {@code WORKQUEUE_REDIS=host:port} or {@code WORKQUEUE_CASSANDRA=host:port} to
 * use external servers instead.
 */
package io.workqueue.testservers;
