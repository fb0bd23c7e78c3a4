package io.workqueue.testkit;

import io.workqueue.QueueRef;
import java.util.UUID;

/** Fresh queue names per test, so kits can share one backend instance across tests. */
public final class TestQueues {
  private TestQueues() {}

  /**
   * A queue no other test uses.
   *
   * @return a queue with a random owner and service
   */
  public static QueueRef fresh() {
    return fresh("svc");
  }

  /**
   * A queue with a random owner and a given service prefix.
   *
   * @param service the service prefix
   * @return the queue
   */
  public static QueueRef fresh(String service) {
    String id = UUID.randomUUID().toString().substring(0, 12);
    return QueueRef.of("owner-" + id, service + "-" + id);
  }
}
