package io.workqueue.bench;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.OptionalDouble;

/**
 * How much CPU processes other than the bench's own (this JVM, its servers and node, i.e. this
 * process and its descendants) used during a measurement, from {@code /proc}. On a shared 2-core
 * machine that says which lines were disturbed by someone else's build. Linux only; elsewhere
 * empty.
 */
final class CpuShare {
  /** USER_HZ: the unit of /proc's CPU times on Linux. */
  private static final double TICKS_PER_SECOND = 100.0;

  private final long busyTicks;
  private final long ownTicks;
  private final long nanos;

  private CpuShare(long busyTicks, long ownTicks, long nanos) {
    this.busyTicks = busyTicks;
    this.ownTicks = ownTicks;
    this.nanos = nanos;
  }

  /** A snapshot now; null when /proc cannot be read. */
  static CpuShare now() {
    try {
      String[] cpu = Files.readAllLines(Path.of("/proc/stat")).get(0).trim().split("\\s+");
      // cpu user nice system idle iowait irq softirq steal ...
      long busy = 0;
      for (int i : new int[] {1, 2, 3, 6, 7, 8}) {
        busy += Long.parseLong(cpu[i]);
      }
      long own = ticks(ProcessHandle.current().pid(), true);
      List<ProcessHandle> descendants = new ArrayList<>();
      ProcessHandle.current().descendants().forEach(descendants::add);
      for (ProcessHandle p : descendants) {
        own += ticks(p.pid(), false);
      }
      return new CpuShare(busy, own, System.nanoTime());
    } catch (IOException | RuntimeException e) {
      return null;
    }
  }

  /**
   * The cores that other processes kept busy on average since {@code start}.
   *
   * @return cores, or empty when unknown
   */
  static OptionalDouble othersSince(CpuShare start) {
    CpuShare end = now();
    if (start == null || end == null || end.nanos <= start.nanos) {
      return OptionalDouble.empty();
    }
    double seconds = (end.nanos - start.nanos) / 1e9;
    long others = (end.busyTicks - start.busyTicks) - (end.ownTicks - start.ownTicks);
    return OptionalDouble.of(Math.max(0, others / TICKS_PER_SECOND / seconds));
  }

  /** utime + stime (+ the times of reaped children, for this process) of a pid; 0 if gone. */
  private static long ticks(long pid, boolean withChildren) {
    try {
      String stat = Files.readString(Path.of("/proc", Long.toString(pid), "stat"));
      String[] f = stat.substring(stat.lastIndexOf(')') + 2).split(" ");
      // after "pid (comm) ": f[0] = state (field 3), so field n is f[n - 3]
      long t = Long.parseLong(f[11]) + Long.parseLong(f[12]);
      if (withChildren) {
        t += Long.parseLong(f[13]) + Long.parseLong(f[14]);
      }
      return t;
    } catch (IOException | RuntimeException e) {
      return 0;
    }
  }
}
