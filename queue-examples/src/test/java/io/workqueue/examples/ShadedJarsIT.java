package io.workqueue.examples;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;

/** Runs the shaded jars as a user would: {@code java -jar target/workqueue-*.jar}. */
@DisplayName("The runnable jars")
class ShadedJarsIT {
  private static final Path JARS = Path.of(System.getProperty("workqueue.examples.jars", "target"));

  record Run(int exitCode, String out, String err) {}

  private static Run java(String jar, String... args) throws IOException, InterruptedException {
    Path java = Path.of(System.getProperty("java.home"), "bin", "java");
    List<String> command =
        new ArrayList<>(List.of(java.toString(), "-jar", JARS.resolve(jar).toString()));
    command.addAll(List.of(args));
    Path out = Files.createTempFile("jar-out", ".txt");
    Path err = Files.createTempFile("jar-err", ".txt");
    Process p =
        new ProcessBuilder(command)
            .redirectOutput(out.toFile())
            .redirectError(err.toFile())
            .redirectInput(ProcessBuilder.Redirect.from(new java.io.File("/dev/null")))
            .start();
    if (!p.waitFor(120, TimeUnit.SECONDS)) {
      p.destroyForcibly();
      throw new AssertionError(command + " did not end in 120 s");
    }
    Run run =
        new Run(
            p.exitValue(),
            Files.readString(out, StandardCharsets.UTF_8),
            Files.readString(err, StandardCharsets.UTF_8));
    Files.delete(out);
    Files.delete(err);
    return run;
  }

  @Test
  @DisplayName("workqueue-demo.jar runs the demo on the in-memory backend with a progress bar")
  void demoJar() throws Exception {
    Run r =
        java(
            "workqueue-demo.jar",
            "--backend",
            "memory",
            "--tasks",
            "600",
            "--time-to-recover",
            "1s");

    assertThat(r.exitCode()).as(r.toString()).isZero();
    assertThat(r.out()).contains("lost = 0: every task added was completed.");
    assertThat(r.err()).as("the progress bar").contains("Working").contains("600/600");
  }

  @Test
  @DisplayName("workqueue-cli.jar: help (0), bad arguments (2), a server that is down (3)")
  void cliJar() throws Exception {
    Run help = java("workqueue-cli.jar", "--help");
    assertThat(help.exitCode()).as(help.toString()).isZero();
    assertThat(help.out()).contains("Usage: workqueue-cli").contains("watch");

    Run version = java("workqueue-cli.jar", "--version");
    assertThat(version.out()).contains("WorkQueue examples 0.1.0");

    Run bad = java("workqueue-cli.jar", "info", "not-a-queue");
    assertThat(bad.exitCode()).isEqualTo(2);

    int port = Programs.closedPort();
    Run down =
        java(
            "workqueue-cli.jar",
            "info",
            "acme/billing",
            "--redis",
            "127.0.0.1:" + Programs.closedPort(),
            "--cassandra",
            "127.0.0.1:" + port);
    assertThat(down.exitCode()).as(down.toString()).isEqualTo(3);
    assertThat(down.err()).startsWith("workqueue-cli: redis: cannot reach Redis at 127.0.0.1:");
    assertThat(down.err().lines()).as("no log noise").hasSize(1);
  }

  @Test
  @DisplayName("workqueue-cli.jar reaches Cassandra through the shaded driver (its reference.conf)")
  void cliJarCassandraDown() throws Exception {
    // Redis up (the shared one of this JVM), Cassandra down: the driver itself starts and fails.
    io.workqueue.testservers.RedisServer redis = io.workqueue.testservers.RedisServer.shared();
    int port = Programs.closedPort();
    Run down =
        java(
            "workqueue-cli.jar",
            "info",
            "acme/billing",
            "--redis",
            redis.host() + ":" + redis.port(),
            "--cassandra",
            "127.0.0.1:" + port);
    assertThat(down.exitCode()).as(down.toString()).isEqualTo(3);
    assertThat(down.err())
        .startsWith("workqueue-cli: cassandra: cannot connect to Cassandra at 127.0.0.1:" + port);
    assertThat(down.err().lines()).as("no log noise").hasSize(1);
  }
}
