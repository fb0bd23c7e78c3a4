/**
 * Runnable examples of WorkQueue: the {@linkplain io.workqueue.examples.Demo demo} (the README's
 * first command), the {@linkplain io.workqueue.examples.WorkQueueCli admin CLI}, and small wiring
 * examples ({@link io.workqueue.examples.EmbeddingExample}, {@link
 * io.workqueue.examples.WorkerLoopExample}, {@link io.workqueue.examples.AwaitOutcomeExample}),
 * each run by a test.
 *
 * <p>Unlike the library modules, these are applications: they print to {@code System.out} and ship
 * a quiet logback configuration.
 */
package io.workqueue.examples;
