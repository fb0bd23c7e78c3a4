package io.workqueue.bench;

/**
 * A single figure that is not a throughput: bytes per task, a JMH score.
 *
 * @param caseNumber the case of the issue, 1 to 8
 * @param system {@link Row#WORKQUEUE}, {@link Row#FLOOR} or {@link Row#BULLMQ}
 * @param what what was measured
 * @param value the figure
 * @param error the figure's error margin (JMH: 99.9 % confidence half-width), NaN if none
 * @param unit its unit
 * @param note how it was measured
 */
public record Figure(
    int caseNumber,
    String system,
    String what,
    double value,
    double error,
    String unit,
    String note) {}
