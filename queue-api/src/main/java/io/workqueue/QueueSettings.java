package io.workqueue;

/**
 * A queue's settings, kept by the bookkeeper and shared by every node; see {@link
 * WorkQueue#configure}. A queue never configured has {@link #DEFAULT}.
 *
 * @param maxDeliveries how many deliveries a task gets before it goes to the dead letters instead
 *     of another worker; 0 for no limit. A task's own {@link NewTask#maxDeliveries(int)} overrides
 *     it
 * @param groupLimit how many leases the tasks of one {@linkplain NewTask#group(String) group} may
 *     hold at once; 0 for no limit
 */
public record QueueSettings(int maxDeliveries, int groupLimit) {
  /** The most either setting may be. */
  public static final int MAX = 1_000_000;

  /** No delivery limit, no group limit. */
  public static final QueueSettings DEFAULT = new QueueSettings(0, 0);

  /**
   * Checks the components.
   *
   * @throws InvalidArgumentException naming the setting when it is outside 0 to {@value #MAX}
   */
  public QueueSettings {
    if (maxDeliveries < 0 || maxDeliveries > MAX) {
      throw new InvalidArgumentException(
          "maxDeliveries", "must be 0 (no limit) to " + MAX + ", was " + maxDeliveries);
    }
    if (groupLimit < 0 || groupLimit > MAX) {
      throw new InvalidArgumentException(
          "groupLimit", "must be 0 (no limit) to " + MAX + ", was " + groupLimit);
    }
  }

  /**
   * The same settings with another delivery limit.
   *
   * @param max 0 (no limit) to {@value #MAX}
   * @return new settings
   */
  public QueueSettings withMaxDeliveries(int max) {
    return new QueueSettings(max, groupLimit);
  }

  /**
   * The same settings with another group limit.
   *
   * @param limit 0 (no limit) to {@value #MAX}
   * @return new settings
   */
  public QueueSettings withGroupLimit(int limit) {
    return new QueueSettings(maxDeliveries, limit);
  }
}
