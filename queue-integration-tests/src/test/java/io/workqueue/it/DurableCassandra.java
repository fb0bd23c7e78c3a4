package io.workqueue.it;

import io.workqueue.testservers.CassandraNode;

/**
 * The commit log settings under which a write Cassandra acknowledged survives a kill -9 of the
 * node, passed to a private test node as system properties ({@code cassandra.settings.*}, read by
 * Cassandra 5.0 when {@code cassandra.config.allow_system_properties} is true) because the test
 * node's cassandra.yaml has {@code commitlog_sync: periodic} (10 s).
 *
 * <p>With {@code periodic} and the default {@code commitlog_disk_access_mode} ({@code legacy},
 * which is mmap for an uncompressed commit log), a write is acknowledged once it is in the mapped
 * segment, but a segment section is only replayed after its sync marker is written, every 100 ms:
 * kill -9 loses the acknowledged writes of the last ~100 ms. With {@code direct} access (or a
 * compressed or encrypted commit log) markers come with the fsync only, and kill -9 loses up to the
 * whole 10 s period. {@code batch} acknowledges a write only after the fsync of its section. {@link
 * CassandraCommitlogMeasurement} measures both the loss and the latency.
 */
final class DurableCassandra {
  private DurableCassandra() {}

  /** The JVM arguments: {@code commitlog_sync: batch} and no sync period. */
  static final String[] BATCH_COMMITLOG = {
    "-Dcassandra.config.allow_system_properties=true",
    "-Dcassandra.settings.commitlog_sync=batch",
    "-Dcassandra.settings.commitlog_sync_period=0ms"
  };

  /**
   * Options of a private node whose acknowledged writes survive kill -9.
   *
   * @return the options
   */
  static CassandraNode.Options options() {
    return CassandraNode.Options.defaults().extraJvmArgs(BATCH_COMMITLOG);
  }
}
