/**
 * The Cassandra task store: {@link io.workqueue.cassandra.CassandraTaskStore}, the {@link
 * io.workqueue.spi.TaskStore} of WorkQueue on the Apache Cassandra Java driver 4.x. The DDL for
 * operators is in this package's resource {@code schema.cql}.
 */
@NullMarked
package io.workqueue.cassandra;

import org.jspecify.annotations.NullMarked;
