package io.workqueue.bench;

import java.io.IOException;
import java.lang.management.GarbageCollectorMXBean;
import java.lang.management.ManagementFactory;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Locale;
import java.util.stream.Collectors;

/** Describes the machine and the JVM the bench runs on, for the report. */
final class Machine {
  private Machine() {}

  /** Adds the machine's description to the results' environment lines. */
  static void describe(BenchResults results, BenchServers servers) {
    results.environment(
        String.format(
            Locale.ROOT,
            "Machine: %s, %d cores (shared by the bench JVM, Cassandra, both Redis servers and"
                + " node), %s RAM, %s %s (%s)",
            cpuModel(),
            Runtime.getRuntime().availableProcessors(),
            memory(),
            System.getProperty("os.name"),
            System.getProperty("os.version"),
            System.getProperty("os.arch")));
    String gcs =
        ManagementFactory.getGarbageCollectorMXBeans().stream()
            .map(GarbageCollectorMXBean::getName)
            .collect(Collectors.joining(", "));
    results.environment(
        String.format(
            Locale.ROOT,
            "Bench JVM: %s %s, GC %s, max heap %d MiB, flags %s",
            System.getProperty("java.vm.name"),
            System.getProperty("java.runtime.version"),
            gcs,
            Runtime.getRuntime().maxMemory() >> 20,
            ManagementFactory.getRuntimeMXBean().getInputArguments()));
    results.environment("Servers: " + servers.describe());
  }

  private static String cpuModel() {
    try {
      for (String line : Files.readAllLines(Path.of("/proc/cpuinfo"))) {
        if (line.startsWith("model name")) {
          return line.substring(line.indexOf(':') + 1).trim();
        }
      }
    } catch (IOException | RuntimeException e) {
      // not Linux
    }
    return "CPU of unknown model";
  }

  private static String memory() {
    try {
      List<String> lines = Files.readAllLines(Path.of("/proc/meminfo"));
      for (String line : lines) {
        if (line.startsWith("MemTotal:")) {
          long kb = Long.parseLong(line.replaceAll("[^0-9]", ""));
          return String.format(Locale.ROOT, "%.1f GiB", kb / 1024.0 / 1024.0);
        }
      }
    } catch (IOException | RuntimeException e) {
      // not Linux
    }
    return "? GiB";
  }
}
