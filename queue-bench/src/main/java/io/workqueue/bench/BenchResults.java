package io.workqueue.bench;

import java.time.Instant;
import java.util.ArrayList;
import java.util.EnumMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/**
 * Everything one bench run measured, plus what the report needs to say how. Filled by {@link
 * Bench}; read by {@link ReportWriter}. Not thread-safe.
 */
public final class BenchResults {
  private final BenchSettings settings;
  private final Instant started;
  private final List<Row> rows = new ArrayList<>();
  private final List<Figure> figures = new ArrayList<>();
  private final Map<BenchCase, Double> caseSeconds = new EnumMap<>(BenchCase.class);
  private final List<String> environment = new ArrayList<>();
  private List<Ratio> ratios = List.of();
  private double totalSeconds;

  BenchResults(BenchSettings settings, Instant started) {
    this.settings = settings;
    this.started = started;
  }

  /**
   * The settings of the run.
   *
   * @return the settings
   */
  public BenchSettings settings() {
    return settings;
  }

  /**
   * When the run started.
   *
   * @return the start
   */
  public Instant started() {
    return started;
  }

  /**
   * The measured (and not measured) lines, in the order they ran.
   *
   * @return the rows
   */
  public List<Row> rows() {
    return List.copyOf(rows);
  }

  /**
   * The single figures (memory, JMH).
   *
   * @return the figures
   */
  public List<Figure> figures() {
    return List.copyOf(figures);
  }

  /**
   * The ratios, once computed at the end of the run.
   *
   * @return the ratio lines
   */
  public List<Ratio> ratios() {
    return ratios;
  }

  /**
   * Lines that describe the machine, the servers and the tools.
   *
   * @return the lines
   */
  public List<String> environment() {
    return List.copyOf(environment);
  }

  /**
   * Seconds spent per case (warm-up not included).
   *
   * @return seconds by case
   */
  public Map<BenchCase, Double> caseSeconds() {
    return Map.copyOf(caseSeconds);
  }

  /**
   * The whole run's seconds, servers' start included.
   *
   * @return the seconds
   */
  public double totalSeconds() {
    return totalSeconds;
  }

  /**
   * The rows of one case.
   *
   * @param c the case
   * @return its rows
   */
  public List<Row> rowsOf(BenchCase c) {
    return rows.stream().filter(r -> r.caseNumber() == c.number()).toList();
  }

  /**
   * A measured row, by system, shape and concurrency.
   *
   * @return the row, if it was measured
   */
  Optional<Row> find(String system, String shape, int concurrency) {
    return rows.stream()
        .filter(
            r ->
                r.status().isEmpty()
                    && r.system().equals(system)
                    && r.shape().equals(shape)
                    && r.concurrency() == concurrency)
        .findFirst();
  }

  /** A figure by system and description. */
  Optional<Figure> figure(String system, String what) {
    return figures.stream()
        .filter(f -> f.system().equals(system) && f.what().equals(what))
        .findFirst();
  }

  void add(Row row) {
    rows.add(row);
  }

  void add(Figure figure) {
    figures.add(figure);
  }

  void environment(String line) {
    environment.add(line);
  }

  void addSeconds(BenchCase c, double seconds) {
    caseSeconds.merge(c, seconds, Double::sum);
  }

  void ratios(List<Ratio> ratios) {
    this.ratios = List.copyOf(ratios);
  }

  void totalSeconds(double seconds) {
    this.totalSeconds = seconds;
  }
}
