package io.workqueue.bench;

import java.util.List;

/**
 * The latencies of calls timed alone on one thread, gathered over several rounds (the queue's and
 * the floor's rounds alternate, so that a background compaction or AOF rewrite hits both alike).
 */
final class SingleTimings {
  final Histograms add = new Histograms(1);
  final Histograms fetch = new Histograms(1);
  final Histograms ack = new Histograms(1);
  final Histograms addAll = new Histograms(1);
  final Histograms fetchBatch = new Histograms(1);
  final Histograms ackAll = new Histograms(1);
  long ops;
  long batchTasks;
  long misses;

  /** The rows of these timings. */
  List<Row> rows(int caseNumber, String system) {
    String note =
        misses == 0
            ? ""
            : misses + " read(s) found no row yet (another thread's add still running)";
    return List.of(
        Shapes.singleRow(caseNumber, system, "add", ops, add.merged("add"), note),
        Shapes.singleRow(caseNumber, system, "fetch", ops, fetch.merged("fetch"), note),
        Shapes.singleRow(caseNumber, system, "ack", ops, ack.merged("ack"), note),
        Shapes.singleRow(
            caseNumber, system, "addAll 100", batchTasks, addAll.merged("addAll 100"), note),
        Shapes.singleRow(
            caseNumber,
            system,
            "fetchBatch 100",
            batchTasks,
            fetchBatch.merged("fetchBatch 100"),
            note),
        Shapes.singleRow(
            caseNumber, system, "ackAll 100", batchTasks, ackAll.merged("ackAll 100"), note));
  }
}
