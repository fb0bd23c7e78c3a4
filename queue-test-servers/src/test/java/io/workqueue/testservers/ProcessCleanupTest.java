package io.workqueue.testservers;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.File;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Servers must not outlive a test JVM that is killed. */
class ProcessCleanupTest {

  @TempDir Path tmp;

  @Test
  void watchdogKillsTheServerWhenTheTestJvmIsKilled() throws Exception {
    Path pidFile = tmp.resolve("redis.pid");
    String classpath =
        System.getProperty("surefire.test.class.path", System.getProperty("java.class.path"));
    Process jvm =
        new ProcessBuilder(
                Path.of(System.getProperty("java.home"), "bin", "java").toString(),
                "-D" + ServerProcesses.SERVERS_DIR_PROPERTY + "=" + tmp.resolve("servers"),
                "-cp",
                classpath,
                OrphanProbe.class.getName(),
                pidFile.toString())
            .redirectErrorStream(true)
            .redirectOutput(tmp.resolve("probe.log").toFile())
            .start();
    try {
      long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(30);
      while (!Files.exists(pidFile) && jvm.isAlive() && System.nanoTime() < deadline) {
        Thread.sleep(50);
      }
      assertThat(pidFile)
          .as("probe JVM output: %s", Files.readString(tmp.resolve("probe.log")))
          .exists();
      long redisPid = Long.parseLong(Files.readString(pidFile).trim());
      assertThat(ProcessHandle.of(redisPid).map(ProcessHandle::isAlive).orElse(false)).isTrue();

      jvm.destroyForcibly(); // SIGKILL: no shutdown hook runs
      jvm.waitFor(10, TimeUnit.SECONDS);

      assertThat(awaitGone(redisPid, Duration.ofSeconds(10)))
          .as("redis pid %s still alive 10 s after its JVM was killed", redisPid)
          .isTrue();
    } finally {
      jvm.destroyForcibly();
    }
  }

  @Test
  void leftoverServerOfADeadJvmIsKilledOnNextStart() throws Exception {
    Path base = tmp.resolve("servers");
    Path dir = Files.createDirectories(base.resolve("redis-12345"));
    Process deadOwner = new ProcessBuilder("true").start();
    deadOwner.waitFor();
    Process leftover =
        new ProcessBuilder("sleep", "300")
            .directory(dir.toFile())
            .redirectInput(ProcessBuilder.Redirect.from(new File("/dev/null")))
            .start();
    try {
      Files.writeString(
          dir.resolve(ServerProcesses.PID_FILE), leftover.pid() + " " + deadOwner.pid() + "\n");
      // a dir owned by this (live) JVM must be left alone
      Path mine = Files.createDirectories(base.resolve("redis-23456"));
      Files.writeString(
          mine.resolve(ServerProcesses.PID_FILE),
          leftover.pid() + " " + ProcessHandle.current().pid() + "\n");

      ServerProcesses.cleanupLeftovers(base);

      assertThat(leftover.waitFor(10, TimeUnit.SECONDS)).isTrue();
      assertThat(dir).doesNotExist();
      assertThat(mine).exists();
    } finally {
      leftover.destroyForcibly();
    }
  }

  @Test
  void freePortsAreDistinct() {
    int[] ports = ServerProcesses.freePorts(3);
    assertThat(List.of(ports[0], ports[1], ports[2])).doesNotHaveDuplicates();
  }

  private static boolean awaitGone(long pid, Duration timeout) throws InterruptedException {
    long deadline = System.nanoTime() + timeout.toNanos();
    while (System.nanoTime() < deadline) {
      if (!ServerProcesses.isAlive(pid)) {
        return true;
      }
      Thread.sleep(50);
    }
    return false;
  }
}
