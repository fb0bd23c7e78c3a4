package io.workqueue.bench;

import io.workqueue.NewTask;
import io.workqueue.internal.Json;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

/** The one payload of the bench: a JSON object of exactly 100 bytes, as BullMQ gets it too. */
final class Payloads {
  /** {@code {"payload":"xxx…"}}: 14 bytes of JSON around 86 characters. */
  static final Map<String, Object> VALUE = Map.of("payload", "x".repeat(86));

  /** The payload's size as JSON. */
  static final int JSON_BYTES = Json.bytes(NewTask.of(VALUE).value()).length;

  static {
    if (JSON_BYTES != 100) {
      throw new AssertionError("the bench payload must be 100 B of JSON, is " + JSON_BYTES);
    }
  }

  private Payloads() {}

  /** A task as a producer makes it: the value mapped to JSON on every call. */
  static NewTask task() {
    return NewTask.of(VALUE);
  }

  /** A batch of {@code n} tasks. */
  static List<NewTask> tasks(int n) {
    List<NewTask> tasks = new ArrayList<>(n);
    for (int i = 0; i < n; i++) {
      tasks.add(task());
    }
    return tasks;
  }
}
