/**
 * Jepsen-style histories of a {@link io.workqueue.WorkQueue} and a checker of the queue's
 * invariants over them.
 *
 * <p>Wrap each queue instance ("node") in a {@link io.workqueue.testkit.history.RecordingWorkQueue}
 * and give its builder the {@linkplain io.workqueue.testkit.history.History#listener recording
 * completion listener}; run any load, faults included; {@linkplain
 * io.workqueue.testkit.history.Drain drain} the queues; then {@linkplain
 * io.workqueue.testkit.history.HistoryChecker#check check} the history: every acknowledged add
 * delivered, no two workers holding one task at once, no second successful ack, every successful
 * ack heard by the completion listener with its token and outcome.
 */
package io.workqueue.testkit.history;
