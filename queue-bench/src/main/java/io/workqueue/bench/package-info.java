/**
 * The WorkQueue bench: one command ({@link io.workqueue.bench.BenchCommand}) that starts its own
 * servers, measures the queue, the raw floor of its two backends and BullMQ side by side in one
 * run, and writes a Markdown report with PNG charts. See {@code queue-bench/README.md}.
 */
@NullMarked
package io.workqueue.bench;

import org.jspecify.annotations.NullMarked;
