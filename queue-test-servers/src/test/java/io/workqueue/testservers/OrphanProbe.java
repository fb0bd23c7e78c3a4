package io.workqueue.testservers;

import java.nio.file.Files;
import java.nio.file.Path;

/**
 * Run as a separate JVM by {@link ProcessCleanupTest}: starts a private Redis, writes its pid to
 * the file named by the first argument, then waits to be killed.
 */
public final class OrphanProbe {

  private OrphanProbe() {}

  /**
   * Entry point.
   *
   * @param args the file to write the Redis pid to
   * @throws Exception on failure
   */
  public static void main(String[] args) throws Exception {
    RedisServer redis = RedisServer.start();
    Path tmp = Path.of(args[0] + ".tmp");
    Files.writeString(tmp, Long.toString(redis.pid()));
    Files.move(tmp, Path.of(args[0]));
    Thread.sleep(120_000);
  }
}
