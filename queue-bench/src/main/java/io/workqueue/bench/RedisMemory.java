package io.workqueue.bench;

import redis.clients.jedis.JedisPooled;
import redis.clients.jedis.Protocol;
import redis.clients.jedis.params.ScanParams;
import redis.clients.jedis.resps.ScanResult;
import redis.clients.jedis.util.SafeEncoder;

/** Reads Redis' {@code used_memory}. */
final class RedisMemory {
  private RedisMemory() {}

  /**
   * {@code used_memory} after a second of quiet (the AOF buffer written, clients idle).
   *
   * @return bytes
   */
  static long settledUsed(JedisPooled redis) {
    try {
      Thread.sleep(1_000);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new IllegalStateException("interrupted", e);
    }
    return used(redis);
  }

  /**
   * {@code used_memory} now.
   *
   * @return bytes
   */
  static long used(JedisPooled redis) {
    for (String line : info(redis, "memory").split("\r?\n")) {
      if (line.startsWith("used_memory:")) {
        return Long.parseLong(line.substring("used_memory:".length()).trim());
      }
    }
    throw new IllegalStateException("INFO memory has no used_memory");
  }

  /**
   * What the keys matching a pattern hold: {@code MEMORY USAGE key SAMPLES 0} summed over a {@code
   * SCAN}.
   *
   * @param keys how many keys matched
   * @param bytes their memory, in bytes
   */
  record KeysUsage(long keys, long bytes) {}

  /** Sums {@code MEMORY USAGE} over the keys matching {@code pattern}. */
  static KeysUsage keysUsage(JedisPooled redis, String pattern) {
    long keys = 0;
    long bytes = 0;
    String cursor = ScanParams.SCAN_POINTER_START;
    ScanParams params = new ScanParams().match(pattern).count(1000);
    do {
      ScanResult<String> page = redis.scan(cursor, params);
      for (String key : page.getResult()) {
        Long usage = redis.memoryUsage(key, 0);
        if (usage != null) {
          keys++;
          bytes += usage;
        }
      }
      cursor = page.getCursor();
    } while (!cursor.equals(ScanParams.SCAN_POINTER_START));
    return new KeysUsage(keys, bytes);
  }

  /**
   * {@code INFO section} (the pooled client has no typed method for it).
   *
   * @return the text
   */
  static String info(JedisPooled redis, String section) {
    Object reply = redis.sendCommand(Protocol.Command.INFO, section);
    return reply instanceof byte[] b ? SafeEncoder.encode(b) : String.valueOf(reply);
  }
}
