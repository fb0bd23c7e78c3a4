/**
 * Micrometer metrics for WorkQueue: {@link io.workqueue.micrometer.QueueMetrics} is a {@link
 * io.workqueue.QueueListener} that counts queue events and times leases and schedule ticks, and
 * registers cached gauges of a monitored queue's info ({@link
 * io.workqueue.micrometer.QueueMonitor}). Optional: a host that does not use Micrometer leaves this
 * module out and loses nothing else.
 */
@NullMarked
package io.workqueue.micrometer;

import org.jspecify.annotations.NullMarked;
